"""``hk.experimental`` core scenarios, run by both dm-haiku and haiku.

Public ``hk`` API only (plus ``jax``), so the same code runs under our haiku
and, live on the same machine, under dm-haiku 0.0.17 in
``tests/test_experimental_core.py`` (through the ``dm_haiku`` fixture of
``tests/oracle``). Covered: ``optimize_rng_use`` (bit-exact keys, parameters
and outputs), ``fast_eval_shape`` (shapes and dtypes) and ``check_jax_usage``
(which raw JAX transforms raise over which Haiku side effects, and that the
Haiku wrappers do not). The building blocks come from ``core_scenarios.py``
of this folder. Only haiku-core is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp

from . import core_scenarios as core

Dense, normal = core.Dense, core.normal

SCENARIOS: dict[str, Callable[[], Any]] = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


KEY = jax.random.PRNGKey(42)


# optimize_rng_use.


def _mlp(x):
    for i, size in enumerate([5, 4, 3]):
        x = jax.nn.relu(Dense(size, name=f"dense_{i}")(x))
    return x


def _noisy_mlp(x):
    x = _mlp(x)
    return x + jax.random.uniform(hk.next_rng_key(), x.shape)


def _init_apply(fun, key, *args):
    f = hk.transform(fun)
    params = f.init(key, *args)
    return {"params": params, "apply": f.apply(params, key, *args)}


@scenario
def optimize_rng_mlp():
    """Parameters and outputs of a small net, plain and optimized, eager and jitted."""
    x = jnp.linspace(-1.0, 1.0, 12).reshape([2, 6])
    optimized = hk.experimental.optimize_rng_use(_noisy_mlp)
    out = {
        "plain": _init_apply(_noisy_mlp, KEY, x),
        "optimized": _init_apply(optimized, KEY, x),
        "typed_key": _init_apply(optimized, jax.random.key(3), x),
        "int_seed_init": hk.transform(optimized).init(3, x),
    }
    f = hk.transform(optimized)
    params = jax.jit(f.init)(KEY, x)
    out["jit"] = {"params": params, "apply": jax.jit(f.apply)(params, KEY, x)}
    return out


def _keys(n):
    return [hk.next_rng_key() for _ in range(n)]


def _draws(fun):
    """``fun`` optimized, then three more keys from the outer sequence."""

    def outer():
        return {"inside": hk.experimental.optimize_rng_use(fun)(), "after": _keys(3)}

    return hk.transform(outer).apply({}, KEY)


def _with_rng():
    a = hk.next_rng_key()
    with hk.with_rng(jax.random.PRNGKey(1)):
        b = _keys(2)
    return [a, b]


def _nested():
    inner = hk.experimental.optimize_rng_use(lambda: _keys(2))
    return [hk.next_rng_key(), inner(), hk.next_rng_key()]


@scenario
def optimize_rng_key_count():
    """Which ways of drawing keys count towards the reserve (seen in later keys)."""
    return {
        "next_rng_key": _draws(lambda: _keys(3)),
        "maybe_next_rng_key": _draws(lambda: [hk.maybe_next_rng_key() for _ in range(2)]),
        "next_rng_keys": _draws(lambda: [hk.next_rng_keys(2), hk.next_rng_key()]),
        "with_rng": _draws(_with_rng),
        "vmap_split": _draws(
            lambda: hk.vmap(lambda _: _keys(2), split_rng=True)(jnp.ones([3]))
        ),
        "vmap_no_split": _draws(
            lambda: hk.vmap(lambda _: hk.next_rng_key(), split_rng=False)(jnp.ones([3]))
        ),
        "eval_shape": _draws(lambda: [hk.eval_shape(hk.next_rng_key).shape, hk.next_rng_key()]),
        "nested": _draws(_nested),
        "none": _draws(lambda: None),
    }


@scenario
def optimize_rng_reserves():
    """Keys reserved before, and hk.experimental.rng_reserve_size."""

    def pre_reserved():
        hk.reserve_rng_keys(2)
        return {"inside": hk.experimental.optimize_rng_use(lambda: _keys(3))(), "after": _keys(2)}

    with hk.config.context(rng_reserve_size=4):
        reserve_size = _draws(lambda: _keys(3))
    return {
        "pre_reserved": hk.transform(pre_reserved).apply({}, KEY),
        "reserve_size_4": reserve_size,
    }


@scenario
def optimize_rng_state():
    """State set by the function counts once; its parameters are created once."""

    def fun(x):
        n = hk.get_state("n", [], init=jnp.zeros)
        hk.set_state("n", n + 1)
        w = hk.get_parameter("w", [3], init=normal())
        return x * w + jax.random.normal(hk.next_rng_key(), [3])

    f = hk.transform_with_state(hk.experimental.optimize_rng_use(fun))
    x = jnp.arange(3.0)
    params, state = f.init(KEY, x)
    out1, state1 = f.apply(params, state, KEY, x)
    out2, state2 = f.apply(params, state1, KEY, x)
    no_rng = hk.transform_with_state(hk.experimental.optimize_rng_use(lambda: 1.0))
    return {
        "params": params,
        "state": [state, state1, state2],
        "outputs": [out1, out2],
        "no_rng": no_rng.apply({}, {}, None),
    }


@scenario
def optimize_rng_module_names():
    """The abstract run takes no module names: the real run names modules as usual."""

    def fun(x):
        x = Dense(3)(x)
        return Dense(2)(x)

    def outer(x):
        y = hk.experimental.optimize_rng_use(fun)(x)
        return y + Dense(2)(y)

    return _init_apply(outer, KEY, jnp.ones([1, 4]))


# fast_eval_shape.


def _struct(tree: Any) -> Any:
    """``ShapeDtypeStruct`` leaves as ``[shape, dtype]`` (JSON)."""
    return jax.tree_util.tree_map(lambda s: [list(s.shape), str(s.dtype)], tree)


def _fast_eval_net(x):
    y = _mlp(x)
    key = jax.random.fold_in(hk.next_rng_key(), 3)
    s = hk.get_state("s", [2], init=jnp.ones)
    hk.set_state("s", s + 1)
    return {"y": y, "key": key, "s": s, "bf16": hk.get_parameter("h", [2], jnp.bfloat16, jnp.ones)}


@scenario
def fast_eval_shape():
    """Shapes and dtypes of init/apply, with arrays or ShapeDtypeStructs as arguments."""
    f = hk.transform_with_state(_fast_eval_net)
    x = jnp.ones([2, 6])
    params, state = f.init(KEY, x)
    fes = hk.experimental.fast_eval_shape
    spec = jax.ShapeDtypeStruct((2, 6), jnp.float32)
    key_spec = jax.ShapeDtypeStruct((2,), jnp.uint32)

    seen = []

    def inside(x):
        seen.append(fes(lambda x: Dense(4)(x) + hk.next_rng_key()[0], x))
        return x

    inside_params = hk.transform(inside).init(KEY, x)

    def names(x):
        fes(lambda x: Dense(4)(x), x)
        return Dense(3)(x)

    names_params = hk.transform(names).init(KEY, x)
    return {
        "init": _struct(fes(f.init, KEY, x)),
        "init_specs": _struct(fes(f.init, key_spec, spec)),
        "apply": _struct(fes(f.apply, params, state, KEY, x)),
        "fold_in_raw_key": _struct(fes(lambda k: jax.random.fold_in(k, 1), KEY)),
        "fold_in_typed_key": _struct(fes(lambda k: jax.random.fold_in(k, 1), jax.random.key(0))),
        "inside_transform_init": {"params": inside_params, "out": _struct(seen)},
        "inside_transform_names": names_params,
        "fold_in_after": jax.random.fold_in(KEY, 1),
    }


# check_jax_usage.

_EFFECTS: dict[str, Callable[[Any], Any]] = {
    "get_parameter": lambda x: x + hk.get_parameter("p", [], init=jnp.zeros),
    "get_state_create": lambda x: x + hk.get_state("s", [], init=jnp.zeros),
    "get_state_read": lambda x: x + hk.get_state("s0"),
    "set_state": lambda x: (hk.set_state("s0", x), x)[1],
    "next_rng_key": lambda x: x + jax.random.uniform(hk.next_rng_key(), ()),
    "next_rng_keys": lambda x: x + jax.random.uniform(hk.next_rng_keys(2)[0], ()),
    "maybe_next_rng_key": lambda x: x + jax.random.uniform(hk.maybe_next_rng_key(), ()),
    "reserve_rng_keys": lambda x: (hk.reserve_rng_keys(2), x)[1],
    "with_rng": lambda x: _in_with_rng(x),
    "replace_rng_sequence_state": lambda x: _replace_rng(x),
    "get_params": lambda x: (hk.get_params(), x)[1],
    "get_current_state": lambda x: (hk.get_current_state(), x)[1],
    "maybe_get_rng_sequence_state": lambda x: (hk.maybe_get_rng_sequence_state(), x)[1],
    "current_name": lambda x: (hk.current_name(), x)[1],
    "running_init": lambda x: (hk.running_init(), x)[1],
    "module_constructor": lambda x: (hk.Module(name="m"), x)[1],
    "pure": lambda x: x * 2,
}


def _in_with_rng(x):
    with hk.with_rng(jax.random.PRNGKey(1)):
        return x


def _replace_rng(x):
    hk.replace_rng_sequence_state(hk.maybe_get_rng_sequence_state())
    return x


def _stack(x):
    return jnp.stack([x, x])


_RAW: dict[str, Callable[[Callable[[Any], Any], Any], Any]] = {
    "jax.vmap": lambda f, x: jax.vmap(f)(_stack(x)),
    "jax.jit": lambda f, x: jax.jit(f)(x),
    "jax.grad": lambda f, x: jax.grad(f)(x),
    "jax.jvp": lambda f, x: jax.jvp(f, (x,), (x,))[0],
    "jax.eval_shape": lambda f, x: jax.eval_shape(f, x),
    "jax.checkpoint": lambda f, x: jax.checkpoint(f)(x),
    "jax.lax.cond": lambda f, x: jax.lax.cond(True, f, f, x),
    "jax.lax.switch": lambda f, x: jax.lax.switch(0, [f, f], x),
    "jax.lax.scan": lambda f, x: jax.lax.scan(lambda c, _: (f(c), None), x, None, length=2),
    "jax.lax.map": lambda f, x: jax.lax.map(f, _stack(x)),
    "jax.lax.fori_loop": lambda f, x: jax.lax.fori_loop(0, 2, lambda i, c: f(c), x),
    "jax.lax.while_loop": lambda f, x: jax.lax.while_loop(lambda c: c < 0, f, x),
    "jax.named_call": lambda f, x: jax.named_call(f, name="named")(x),
}

_WRAPPERS: dict[str, Callable[[Callable[[Any], Any], Any], Any]] = {
    "hk.vmap": lambda f, x: hk.vmap(f, split_rng=False)(_stack(x)),
    "hk.grad": lambda f, x: hk.grad(f)(x),
    "hk.value_and_grad": lambda f, x: hk.value_and_grad(f)(x),
    "hk.remat": lambda f, x: hk.remat(f)(x),
    "hk.eval_shape": lambda f, x: hk.eval_shape(f, x),
    "hk.cond": lambda f, x: hk.cond(True, f, f, x),
    "hk.switch": lambda f, x: hk.switch(0, [f, f], x),
}

# Side effects each wrapper is checked with: those every wrapper supports at
# init and apply (creating parameters or state inside a branch or loop body is
# a separate, documented limitation).
_WRAPPED_EFFECTS = ("get_state_read", "next_rng_key", "maybe_next_rng_key", "pure")


def _outcome(use: Callable[[Any, Any], Any], effect: Callable[[Any], Any], phase: str) -> str:
    def fn(x):
        hk.get_state("s0", [], init=jnp.zeros)
        return use(effect, x)

    f = hk.transform_with_state(fn)
    x = jnp.float32(1.0)
    try:
        with hk.config.context(check_jax_usage=True):
            if phase == "init":
                f.init(KEY, x)
            else:
                params = {"~": {"p": jnp.zeros([])}}
                state = {"~": {"s0": jnp.zeros([]), "s": jnp.zeros([])}}
                f.apply(params, state, KEY, x)
    except Exception as e:  # noqa: BLE001 - the class name is the result.
        return type(e).__name__
    return "ok"


def _table(uses, effects):
    return {
        u: {e: [_outcome(use, _EFFECTS[e], p) for p in ("init", "apply")] for e in effects}
        for u, use in uses.items()
    }


@scenario
def check_jax_usage_raw():
    """Raw JAX transforms over each Haiku function: JaxUsageError or ok."""
    return _table(_RAW, list(_EFFECTS))


@scenario
def check_jax_usage_wrappers():
    """The Haiku wrappers over Haiku side effects never raise."""
    return _table(_WRAPPERS, _WRAPPED_EFFECTS)


@scenario
def check_jax_usage_nesting():
    """Wrappers and transforms nested in each other, and jit of init/apply."""
    w = lambda y: y * hk.get_parameter("w", [], init=jnp.ones)  # noqa: E731
    inner = hk.transform(w)
    uses = {
        "hk.vmap(jax.vmap)": lambda f, x: hk.vmap(jax.vmap(w), split_rng=False)(
            jnp.ones([2, 2]) * x
        ),
        "jax.vmap(hk.vmap)": lambda f, x: jax.vmap(lambda y: hk.vmap(w, split_rng=False)(y))(
            jnp.ones([2, 2]) * x
        ),
        "jax.jit(inner init)": lambda f, x: jax.jit(inner.init)(KEY, x),
        "jax.vmap(inner init)": lambda f, x: jax.vmap(inner.init, in_axes=(None, 0))(KEY, _stack(x)),
        "hk.cond(hk.vmap)": lambda f, x: hk.cond(
            True, lambda y: hk.vmap(f, split_rng=False)(y), lambda y: y * 1, _stack(x)
        ),
    }
    out = _table(uses, ["pure"])
    with hk.config.context(check_jax_usage=True):
        good = hk.transform(lambda x: hk.vmap(w, split_rng=False)(x))
        bad = hk.transform(lambda x: jax.vmap(w)(x))
        out["jit(init) with hk.vmap"] = jax.tree_util.tree_map(
            lambda a: a.shape, jax.jit(good.init)(KEY, jnp.ones([2]))
        )
        try:
            jax.jit(bad.init)(KEY, jnp.ones([2]))
            out["jit(init) with jax.vmap"] = "ok"
        except Exception as e:  # noqa: BLE001
            out["jit(init) with jax.vmap"] = type(e).__name__
    out["jit(init) with hk.vmap"] = {
        m: {k: list(v) for k, v in b.items()} for m, b in out["jit(init) with hk.vmap"].items()
    }
    return out
