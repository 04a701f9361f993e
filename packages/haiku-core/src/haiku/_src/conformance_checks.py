"""The checks of the conformance kit (:mod:`haiku._src.conformance`).

:class:`Run` transforms a module example once and keeps the baseline every
check compares with; ``CHECKS`` maps each name of
:data:`haiku.testing.CONFORMANCE_CHECKS` to the function that checks it
(raising ``AssertionError`` with what differed). :func:`describe_tree` is
the format of the golden files.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

UPDATE_GOLDEN_ENV = "HAIKU_CONFORMANCE_UPDATE_GOLDEN"
"""Set to ``1`` to (re)write golden files instead of comparing with them."""

_BF16_POLICY = "params=float32,compute=bfloat16,output=float32"


# -- tree helpers ---------------------------------------------------------------


def describe_tree(params: Mapping[str, Any], state: Mapping[str, Any] | None = None) -> dict:
    """The golden-file description of a params (and state) tree.

    ``{"params": {module: {name: "dtype[shape]"}}, "state": {...}}``, in the
    trees' order. Works on arrays and on ``jax.ShapeDtypeStruct`` leaves.

    >>> def f(x):
    ...     w = hk.get_parameter("w", [x.shape[-1], 2], init=jnp.ones)
    ...     hk.set_state("count", jnp.zeros([], jnp.int32))
    ...     return x @ w
    >>> params, state = hk.transform_with_state(f).init(None, jnp.ones([1, 3]))
    >>> hk.testing.describe_tree(params, state)
    {'params': {'~': {'w': 'float32[3, 2]'}}, 'state': {'~': {'count': 'int32[]'}}}
    """

    def section(tree: Mapping[str, Any] | None) -> dict:
        return {
            module: {
                name: f"{jnp.dtype(value.dtype).name}{list(value.shape)}"
                for name, value in bundle.items()
            }
            for module, bundle in (tree or {}).items()
        }

    return {"params": section(params), "state": section(state)}


def _leaves_with_paths(tree: Any) -> list[tuple[str, Any]]:
    flat, _ = jax.tree_util.tree_flatten_with_path(tree)
    return [(jax.tree_util.keystr(path), leaf) for path, leaf in flat]


def _structure(tree: Any) -> str:
    return str(jax.tree_util.tree_structure(tree))


def _compare(what: str, actual: Any, expected: Any, *, exact: bool, rtol: float = 0.0,
             atol: float = 0.0) -> None:
    """Raises ``AssertionError`` naming the first leaf that differs."""
    if _structure(actual) != _structure(expected):
        raise AssertionError(
            f"{what}: tree structure differs: {_structure(actual)} != {_structure(expected)}")
    for (path, a), (_, e) in zip(_leaves_with_paths(actual), _leaves_with_paths(expected)):
        a_arr, e_arr = np.asarray(a), np.asarray(e)
        if a_arr.shape != e_arr.shape or a_arr.dtype != e_arr.dtype:
            raise AssertionError(
                f"{what}{path}: {a_arr.dtype}{list(a_arr.shape)} != "
                f"{e_arr.dtype}{list(e_arr.shape)}")
        if exact:
            if not np.array_equal(a_arr, e_arr, equal_nan=True):
                raise AssertionError(f"{what}{path}: values differ (expected bit-identical)")
        else:
            a64 = a_arr.astype(np.float64) if a_arr.dtype.kind in "fc" else a_arr
            e64 = e_arr.astype(np.float64) if e_arr.dtype.kind in "fc" else e_arr
            if not np.allclose(a64, e64, rtol=rtol, atol=atol, equal_nan=True):
                err = np.max(np.abs(a64 - e64)) if a_arr.size else 0.0
                raise AssertionError(
                    f"{what}{path}: max abs difference {err:.3g} > atol={atol}, rtol={rtol}")


def _compare_shapes(what: str, actual: Any, expected: Any) -> None:
    if _structure(actual) != _structure(expected):
        raise AssertionError(
            f"{what}: tree structure differs: {_structure(actual)} != {_structure(expected)}")
    for (path, a), (_, e) in zip(_leaves_with_paths(actual), _leaves_with_paths(expected)):
        if tuple(a.shape) != tuple(e.shape) or jnp.dtype(a.dtype) != jnp.dtype(e.dtype):
            raise AssertionError(
                f"{what}{path}: {jnp.dtype(a.dtype).name}{list(a.shape)} != "
                f"{jnp.dtype(e.dtype).name}{list(e.shape)}")


def _is_float(x: Any) -> bool:
    return jnp.issubdtype(jnp.result_type(x), jnp.floating)


def _float_sum(tree: Any) -> jax.Array:
    leaves = [jnp.sum(leaf.astype(jnp.float32)) for leaf in jax.tree_util.tree_leaves(tree)
              if _is_float(leaf)]
    return sum(leaves, jnp.zeros([], jnp.float32))


def _second_example(x: Any) -> Any:
    """A second input for the vmap stack: floats are changed, others kept."""
    x = np.asarray(x)
    if x.dtype.kind == "f":
        return (x * 0.5 + 0.25).astype(x.dtype)
    return x


def _copy(tree: Any) -> Any:
    return jax.tree_util.tree_map(lambda x: np.array(x, copy=True), tree)


# -- the kit ----------------------------------------------------------------------


def _stack_pair(inputs: Sequence[Any], second: Sequence[Any]) -> tuple[jax.Array, ...]:
    """Each input stacked with its second example on a new leading axis of 2."""
    return tuple(jnp.stack([jnp.asarray(a), jnp.asarray(b)]) for a, b in zip(inputs, second))


class Run:
    """The example transformed once, with the baseline results every check reuses.

    The baseline runs eagerly. The jit, vmap, grad, remat and mixed-precision
    checks share one ``jax.jit`` compilation (:meth:`compiled`), which keeps
    the kit cheap: compiling dominates the cost of tiny modules.
    """

    def __init__(self, fn, inputs, apply_rng: bool, seed: int, options: dict,
                 checks: Sequence[str]):
        from haiku._src.transform import transform_with_state

        self.fn = fn
        self.inputs = tuple(inputs)
        self.key = jax.random.PRNGKey(seed)
        self.apply_key = jax.random.PRNGKey(seed + 1) if apply_rng else None
        self.options = options
        self.checks = tuple(checks)
        self.context = _context()
        self.f = transform_with_state(fn)
        self.params, self.state = self.f.init(self.key, *self.inputs)
        self.out, self.new_state = self.f.apply(self.params, self.state, self.apply_key,
                                                *self.inputs)
        self._compiled: dict[str, Any] | None = None
        self._compile_errors: dict[str, BaseException] = {}

    def transformed(self, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]):
        from haiku._src.transform import transform_with_state

        return transform_with_state(wrap(self.fn))

    def run(self, f) -> tuple[Any, Any, Any, Any]:
        params, state = f.init(self.key, *self.inputs)
        out, new_state = f.apply(params, state, self.apply_key, *self.inputs)
        return params, state, out, new_state

    def _parts(self) -> dict[str, Callable[..., Any]]:
        """``{check: traced function of (key, apply_key, params, state, inputs, second)}``."""
        from haiku._src.mixed_precision import push_policy
        from haiku._src.control_flow import scan
        from haiku._src.layer_stack import layer_stack
        from haiku._src.stateful_transforms import remat

        f = self.f
        remat_f = self.transformed(lambda fn: (lambda *args: remat(fn)(*args)))
        scan_f = self.transformed(lambda fn: (lambda *xs: scan(
            lambda carry, x: (carry, fn(*x)), 0, xs)[1]))
        # layer_stack takes no *args function: the inputs go in as one tuple.
        layer_stack_f = self.transformed(lambda fn: (lambda *xs: layer_stack(
            2, with_per_layer_inputs=True)(lambda carry, x: (carry, fn(*x)))(0.0, xs)[1]))
        parts: dict[str, Callable[..., Any]] = {}

        def jit_part(key, apply_key, params, state, inputs, second):
            return f.init(key, *inputs), f.apply(params, state, apply_key, *inputs)

        def vmap_part(key, apply_key, params, state, inputs, second):
            stacked = _stack_pair(inputs, second)
            in_axes = (None, None, None) + (0,) * len(stacked)
            batched = jax.vmap(f.apply, in_axes=in_axes)(params, state, apply_key, *stacked)
            return batched, f.apply(params, state, apply_key, *second)

        def grad_part(key, apply_key, params, state, inputs, second):
            return _grads(f, params, state, apply_key, inputs)

        def remat_part(key, apply_key, params, state, inputs, second):
            return (remat_f.init(key, *inputs),
                    remat_f.apply(params, state, apply_key, *inputs),
                    _grads(remat_f, params, state, apply_key, inputs),
                    _grads(f, params, state, apply_key, inputs))

        def scan_part(key, apply_key, params, state, inputs, second):
            stacked = _stack_pair(inputs, second)
            return (scan_f.init(key, *stacked), scan_f.apply(params, state, apply_key, *stacked),
                    f.apply(params, f.apply(params, state, apply_key, *inputs)[1], apply_key,
                            *second))

        def layer_stack_part(key, apply_key, params, state, inputs, second):
            stacked = _stack_pair(inputs, second)
            ls_params, ls_state = layer_stack_f.init(key, *stacked)
            outs, ls_new_state = layer_stack_f.apply(ls_params, ls_state, apply_key, *stacked)
            per_layer = [f.apply(_layer(ls_params, i), _layer(ls_state, i), apply_key, *xs)
                         for i, xs in enumerate((inputs, second))]
            return (ls_params, ls_state), (outs, ls_new_state), per_layer

        def mixed_precision_part(key, apply_key, params, state, inputs, second):
            import jmp

            policy = jmp.get_policy(_BF16_POLICY)
            with contextlib.ExitStack() as stack:
                for cls in self.options["policy_classes"]:
                    stack.enter_context(push_policy(cls, policy))
                mp_params, mp_state = f.init(key, *inputs)
                return mp_params, f.apply(mp_params, mp_state, apply_key, *inputs)

        all_parts = {"jit": jit_part, "vmap": vmap_part, "grad": grad_part,
                     "remat": remat_part, "scan": scan_part, "layer_stack": layer_stack_part,
                     "mixed_precision": mixed_precision_part}
        for check, part in all_parts.items():
            if check in self.checks:
                parts[check] = part
        return parts

    def compiled(self, check: str) -> Any:
        """The result of ``check``'s part, computed under ``jax.jit``."""
        if self._compiled is None:
            parts = self._parts()
            second = tuple(_second_example(x) for x in self.inputs)
            args = (self.key, self.apply_key, self.params, self.state, self.inputs, second)

            def together(*args):
                return {check: part(*args) for check, part in parts.items()}

            try:
                self._compiled = _jit_cheaply(together, args)
            except Exception:
                # Compile the parts one by one to tell which check fails.
                self._compiled = {}
                for name, part in parts.items():
                    try:
                        self._compiled[name] = _jit_cheaply(part, args)
                    except Exception as e:  # reported by the check
                        self._compile_errors[name] = e
        if check in self._compile_errors:
            raise self._compile_errors[check]
        return self._compiled[check]


# The kit compiles one small program per module: XLA's expensive optimisation
# passes would cost more than running it.
_COMPILER_OPTIONS: dict[str, str | bool] = {
    "xla_backend_optimization_level": "0",
    "xla_llvm_disable_expensive_passes": True,
}


def _jit_cheaply(fn: Callable[..., Any], args: tuple) -> Any:
    """``jax.jit(fn)(*args)``, compiled without XLA's expensive passes."""
    compiled = jax.jit(fn).lower(*args).compile(compiler_options=_COMPILER_OPTIONS)
    return compiled(*args)


def _context() -> tuple[Any, Any, Any]:
    """Haiku's context-local stacks (frames, interceptors, policy) right now."""
    from haiku._src import base, interception, mixed_precision

    return base._FRAMES.get(), interception.interceptors.get(), mixed_precision.current_policy()


def _grads(f, params, state, apply_key, inputs):
    """Gradient of the sum of the outputs w.r.t. the params and the floating inputs."""
    float_args = tuple(i for i, x in enumerate(inputs) if _is_float(x))

    def loss(params, float_inputs):
        all_inputs = list(inputs)
        for i, x in zip(float_args, float_inputs):
            all_inputs[i] = x
        out, _ = f.apply(params, state, apply_key, *all_inputs)
        return _float_sum(out)

    float_inputs = tuple(jnp.asarray(inputs[i]) for i in float_args)
    return jax.grad(loss, argnums=(0, 1))(params, float_inputs)


def _check_determinism(run: Run, ex: dict) -> None:
    # A second transform of the same factory: module numbering starts afresh.
    params, state, out, new_state = run.run(run.transformed(lambda fn: fn))
    _compare("init params (second transform)", params, run.params, exact=True)
    _compare("init state (second transform)", state, run.state, exact=True)
    _compare("apply output (second run)", out, run.out, exact=True)
    _compare("apply state (second run)", new_state, run.new_state, exact=True)
    if list(params) != list(run.params) or list(state) != list(run.state):
        raise AssertionError(f"module order differs: {list(params)} != {list(run.params)}")


def _check_purity(run: Run, ex: dict) -> None:
    from haiku._src import base, interception, mixed_precision

    before = run.context
    if base._FRAMES.get() != before[0]:
        raise AssertionError("a Haiku frame is left after init/apply")
    if interception.interceptors.get() != before[1]:
        raise AssertionError("a method interceptor is left after init/apply")
    if mixed_precision.current_policy() is not before[2]:
        raise AssertionError("a mixed-precision policy is left after init/apply")
    params, state = _copy(run.params), _copy(run.state)
    inputs = _copy(run.inputs)
    run.f.apply(run.params, run.state, run.apply_key, *run.inputs)
    _compare("params after apply", run.params, params, exact=True)
    _compare("state after apply", run.state, state, exact=True)
    _compare("inputs after init/apply", run.inputs, inputs, exact=True)


def _check_jit(run: Run, ex: dict) -> None:
    tol = dict(rtol=ex["rtol"], atol=ex["atol"])
    (params, state), (out, new_state) = run.compiled("jit")
    _compare("jit(init) params", params, run.params, exact=False, **tol)
    _compare("jit(init) state", state, run.state, exact=False, **tol)
    _compare("jit(apply) output", out, run.out, exact=False, **tol)
    _compare("jit(apply) state", new_state, run.new_state, exact=False, **tol)


def _check_vmap(run: Run, ex: dict) -> None:
    tol = dict(rtol=ex["rtol"], atol=ex["atol"])
    batched, other = run.compiled("vmap")
    expected = jax.tree_util.tree_map(lambda a, b: np.stack([np.asarray(a), np.asarray(b)]),
                                      (run.out, run.new_state), other)
    _compare("vmap(apply) (output, state) vs. two applies", batched, expected, exact=False,
             **tol)


def _check_grad(run: Run, ex: dict) -> None:
    grads = run.compiled("grad")
    _compare_shapes("grad w.r.t. params", grads[0], run.params)
    for path, leaf in _leaves_with_paths(grads):
        if not np.all(np.isfinite(np.asarray(leaf, np.float64))):
            raise AssertionError(f"grad{path} is not finite")


def _check_remat(run: Run, ex: dict) -> None:
    tol = dict(rtol=ex["rtol"], atol=ex["atol"])
    (params, state), (out, new_state), remat_grads, grads = run.compiled("remat")
    _compare("remat init params", params, run.params, exact=False, **tol)
    _compare("remat init state", state, run.state, exact=False, **tol)
    _compare("remat apply output", out, run.out, exact=False, **tol)
    _compare("remat apply state", new_state, run.new_state, exact=False, **tol)
    _compare("remat grad", remat_grads, grads, exact=False, **tol)


def _check_scan(run: Run, ex: dict) -> None:
    tol = dict(rtol=ex["rtol"], atol=ex["atol"])
    (params, state), (outs, final_state), (second_out, second_state) = run.compiled("scan")
    _compare("hk.scan init params", params, run.params, exact=False, **tol)
    _compare("hk.scan init state", state, run.state, exact=False, **tol)
    expected = jax.tree_util.tree_map(lambda a, b: np.stack([np.asarray(a), np.asarray(b)]),
                                      run.out, second_out)
    _compare("hk.scan outputs vs. two applies in a row", outs, expected, exact=False, **tol)
    _compare("hk.scan final state vs. two applies in a row", final_state, second_state,
             exact=False, **tol)


_LAYER_STACK_PREFIX = "__layer_stack_with_per_layer/"


def _layer(tree: Mapping[str, Any], index: int) -> dict[str, Any]:
    """Layer ``index`` of a layer_stack params/state tree, under the plain names."""
    layer = {}
    for module, bundle in tree.items():
        if not module.startswith(_LAYER_STACK_PREFIX):
            raise AssertionError(
                f"layer_stack created {module!r}, outside {_LAYER_STACK_PREFIX!r}")
        layer[module[len(_LAYER_STACK_PREFIX):]] = {k: v[index] for k, v in bundle.items()}
    return layer


def _check_layer_stack(run: Run, ex: dict) -> None:
    tol = dict(rtol=ex["rtol"], atol=ex["atol"])
    (params, state), (outs, new_state), per_layer = run.compiled("layer_stack")
    for what, tree, plain in (("params", params, run.params), ("state", state, run.state)):
        for path, leaf in _leaves_with_paths(tree):
            if np.shape(leaf)[:1] != (2,):
                raise AssertionError(f"layer_stack {what}{path} has shape {np.shape(leaf)}, "
                                     "not one entry per layer on a leading axis of 2")
        for i in range(2):
            _compare_shapes(f"layer {i} of the layer_stack {what}", _layer(tree, i), plain)
    for i, (out, layer_state) in enumerate(per_layer):
        actual_out = jax.tree_util.tree_map(lambda y: y[i], outs)
        actual_state = _layer(new_state, i)
        if run.apply_key is None:
            _compare(f"layer {i} outputs vs. apply with its params", actual_out, out,
                     exact=False, **tol)
            _compare(f"layer {i} new state vs. apply with its params", actual_state,
                     layer_state, exact=False, **tol)
        else:
            _compare_shapes(f"layer {i} outputs vs. apply with its params", actual_out, out)
            _compare_shapes(f"layer {i} new state vs. apply with its params", actual_state,
                            layer_state)


def _check_eval_shape(run: Run, ex: dict) -> None:
    from haiku._src.stateful_transforms import eval_shape

    _compare_shapes("jax.eval_shape(init)", jax.eval_shape(run.f.init, run.key, *run.inputs),
                    (run.params, run.state))
    _compare_shapes(
        "jax.eval_shape(apply)",
        jax.eval_shape(run.f.apply, run.params, run.state, run.apply_key, *run.inputs),
        (run.out, run.new_state))
    f = run.transformed(lambda fn: (lambda *args: eval_shape(fn, *args)))
    shapes, _ = f.apply(run.params, run.state, run.apply_key, *run.inputs)
    _compare_shapes("hk.eval_shape inside apply", shapes, run.out)


def _check_mixed_precision(run: Run, ex: dict) -> None:
    if not ex["policy_classes"]:
        raise AssertionError(
            "no policy_classes given: name the module classes that get the policy, or "
            "declare the check not applicable with a reason")
    params, (out, _) = run.compiled("mixed_precision")
    for path, leaf in _leaves_with_paths(params):
        if _is_float(leaf) and leaf.dtype != jnp.float32:
            raise AssertionError(f"param {path} is {leaf.dtype}, the policy says float32")
    for path, leaf in _leaves_with_paths(out):
        if _is_float(leaf) and leaf.dtype != jnp.float32:
            raise AssertionError(f"output {path} is {leaf.dtype}, the policy says float32")
    for (path, a), (_, e) in zip(_leaves_with_paths(out), _leaves_with_paths(run.out)):
        if not _is_float(e) or not np.size(e):
            continue
        a64, e64 = np.asarray(a, np.float64), np.asarray(e, np.float64)
        scale = max(float(np.max(np.abs(e64))), 1e-3)
        err = float(np.max(np.abs(a64 - e64))) / scale
        if not err <= ex["bf16_tolerance"]:
            raise AssertionError(
                f"output{path}: bfloat16 error {err:.3g} of the largest float32 output > "
                f"{ex['bf16_tolerance']}")


def _check_interceptors(run: Run, ex: dict) -> None:
    from haiku._src.interception import custom_creator, custom_getter, intercept_methods

    counts = {"param creator": 0, "state creator": 0, "param getter": 0, "state getter": 0,
              "method": 0}

    def creator(kind):
        def creator(next_creator, shape, dtype, init, context):
            counts[kind] += 1
            return next_creator(shape, dtype, init)
        return creator

    def getter(kind):
        def getter(next_getter, value, context):
            counts[kind] += 1
            return next_getter(value)
        return getter

    def method(next_fun, args, kwargs, context):
        counts["method"] += 1
        return next_fun(*args, **kwargs)

    def wrap(fn):
        def wrapped(*args):
            with contextlib.ExitStack() as stack:
                stack.enter_context(custom_creator(creator("param creator")))
                stack.enter_context(
                    custom_creator(creator("state creator"), params=False, state=True))
                stack.enter_context(custom_getter(getter("param getter")))
                stack.enter_context(
                    custom_getter(getter("state getter"), params=False, state=True))
                stack.enter_context(intercept_methods(method))
                return fn(*args)
        return wrapped

    params, state = run.transformed(wrap).init(run.key, *run.inputs)
    created = dict(counts)
    counts.update({k: 0 for k in counts})
    out, new_state = run.transformed(wrap).apply(run.params, run.state, run.apply_key,
                                                 *run.inputs)
    _compare("init params with identity interceptors", params, run.params, exact=True)
    _compare("init state with identity interceptors", state, run.state, exact=True)
    _compare("apply output with identity interceptors", out, run.out, exact=True)
    _compare("apply state with identity interceptors", new_state, run.new_state, exact=True)
    n_params = len(jax.tree_util.tree_leaves(run.params))
    n_state = len(jax.tree_util.tree_leaves(run.state))
    if created["param creator"] != n_params:
        raise AssertionError(f"the custom creator ran {created['param creator']} times for "
                             f"{n_params} params")
    # State may be created by hk.set_state, which runs no creator.
    if n_state and not created["state creator"] and not counts["state getter"]:
        raise AssertionError(f"no custom creator or getter saw any of the {n_state} state")
    if counts["param getter"] < n_params:
        raise AssertionError(f"the custom getter ran {counts['param getter']} times for "
                             f"{n_params} params")
    if counts["method"] == 0:
        raise AssertionError("the method interceptor saw no module method call")


def _check_golden(run: Run, ex: dict) -> None:
    path: Path = ex["golden"]
    actual = describe_tree(run.params, run.state)
    if ex["update_golden"]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(actual, indent=2) + "\n")
        return
    if not path.exists():
        raise AssertionError(
            f"no golden file {path}; write it with update_golden=True or "
            f"{UPDATE_GOLDEN_ENV}=1")
    expected = json.loads(path.read_text())
    for section in ("params", "state"):
        a = [(m, list(bundle.items())) for m, bundle in actual[section].items()]
        e = [(m, list(bundle.items())) for m, bundle in expected.get(section, {}).items()]
        if a != e:
            raise AssertionError(
                f"{section} tree differs from {path} (rewrite with {UPDATE_GOLDEN_ENV}=1 if "
                f"intended):\n  actual:   {actual[section]}\n  expected: {expected.get(section)}")


CHECKS: dict[str, Callable[[Run, dict], Any]] = {
    "determinism": _check_determinism,
    "purity": _check_purity,
    "jit": _check_jit,
    "vmap": _check_vmap,
    "grad": _check_grad,
    "remat": _check_remat,
    "scan": _check_scan,
    "layer_stack": _check_layer_stack,
    "eval_shape": _check_eval_shape,
    "mixed_precision": _check_mixed_precision,
    "interceptors": _check_interceptors,
    "golden": _check_golden,
}
