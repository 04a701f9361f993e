"""Oracle-parity scenarios of Haiku's stateful JAX transforms and control flow.

Run by our haiku and, live on the same machine, by dm-haiku 0.0.17 in
``tests/test_stateful_oracle_parity.py`` (through the ``dm_haiku`` fixture
of ``tests/oracle``): same code, same seed, same bits. Public ``hk`` API only
(plus ``jax``/``numpy``).

Each scenario returns a tree of arrays, keys and JSON values: parameters and
state after ``init`` (their dict order included), outputs and new state of
``apply``, the keys drawn inside the wrapped functions and the keys the
enclosing sequence gives afterwards. Most run eagerly and under ``jax.jit``.
The building block :func:`normal` comes from ``core_scenarios.py`` of this
folder.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp

from .core_scenarios import normal

SCENARIOS: dict[str, Callable[[], Any]] = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


KEY = jax.random.PRNGKey(42)


# Building blocks: small modules whose parameters are drawn from
# hk.next_rng_key (the numbers depend on the RNG threading only).


class Noisy(hk.Module):
    """``x * w + b + noise``; counts its calls and remembers its last output."""

    def __call__(self, x):
        w = hk.get_parameter("w", [x.shape[-1]], init=normal())
        b = hk.get_parameter("b", [x.shape[-1]], init=normal(0.1))
        n = hk.get_state("n", [], jnp.int32, init=jnp.zeros)
        hk.set_state("n", n + 1)
        y = jnp.tanh(x * w + b) + 0.1 * jax.random.uniform(hk.next_rng_key(), x.shape)
        hk.set_state("last", y)
        return y


class Quiet(hk.Module):
    """``tanh(x * w)`` with a running sum as state; no random keys at apply."""

    def __call__(self, x):
        w = hk.get_parameter("w", [x.shape[-1]], init=normal())
        s = hk.get_state("sum", [x.shape[-1]], init=jnp.zeros)
        y = jnp.tanh(x * w)
        hk.set_state("sum", s + y)
        return y


class Pooled(hk.Module):
    """``tanh(x * w)``; its state sums the outputs' mean over ``axis_name``.

    Under ``hk.vmap(..., axis_name=...)`` the state it sets is the same for
    every element (``pmean``), as shared state must be.
    """

    def __init__(self, axis_name=None, name=None):
        super().__init__(name=name)
        self.axis_name = axis_name

    def __call__(self, x):
        w = hk.get_parameter("w", [x.shape[-1]], init=normal())
        y = jnp.tanh(x * w)
        mean = y if self.axis_name is None else jax.lax.pmean(y, self.axis_name)
        s = hk.get_state("mean", y.shape, init=jnp.zeros)
        hk.set_state("mean", s + mean)
        return y


def _run(f, inputs, *, key=KEY):
    """``init`` then ``apply`` of ``f`` (with state): parameters, state, outputs."""
    t = hk.transform_with_state(f)
    params, state = t.init(key, *inputs)
    out, new_state = t.apply(params, state, key, *inputs)
    return {"params": params, "state": state, "out": out, "new_state": new_state}


def _both(f, *inputs, key=KEY, eager=False):
    """:func:`_run` under one ``jax.jit`` (one compilation), and eagerly if asked."""
    out = {"jit": jax.jit(lambda key, *inputs: _run(f, inputs, key=key))(key, *inputs)}
    if eager:
        out["eager"] = _run(f, inputs, key=key)
    return out


def _cases(f, cases, *, eager=False):
    """:func:`_run` of ``f`` for each ``{name: inputs}``, all under one ``jax.jit``."""
    def run_all(cases):
        return {name: _run(f, inputs) for name, inputs in cases.items()}

    out = {"jit": jax.jit(run_all)(cases)}
    if eager:
        out["eager"] = run_all(cases)
    return out


def _keys(n):
    return jnp.stack([hk.next_rng_key() for _ in range(n)])


def _raises(thunk) -> bool:
    try:
        thunk()
    except Exception:  # noqa: BLE001 - only whether it raises is compared
        return True
    return False


XS = jnp.linspace(-1.0, 1.0, 12).reshape(4, 3)
X = jnp.array([0.5, -0.25, 1.0])


# scan and map.


@scenario
def scan_module_state_rng():
    def f(xs):
        noisy = Noisy()

        def step(c, x):
            y = noisy(c + x)
            return y, (y, hk.next_rng_key())

        carry, ys = hk.scan(step, jnp.zeros([3]), xs)
        return carry, ys, _keys(1)

    return _both(f, XS)


@scenario
def scan_reverse():
    def f(xs):
        noisy = Noisy()
        carry, ys = hk.scan(lambda c, x: (noisy(c * x), c), jnp.ones([3]), xs, reverse=True)
        return carry, ys, _keys(1)

    return _both(f, XS)


@scenario
def map_module():
    def f(xs):
        noisy = Noisy()
        return hk.map(noisy, xs), _keys(1)

    return _both(f, XS)


# fori_loop and while_loop.


@scenario
def fori_loop_module():
    def f(x):
        noisy = Noisy()
        out = hk.fori_loop(1, 4, lambda i, v: noisy(v * i), x)
        return out, _keys(1)

    return _both(f, X)


@scenario
def fori_loop_init_bounds():
    """At init the first step creates the parameters, whatever the bounds."""

    def make(lo, hi):
        def f(x):
            quiet = Quiet()
            return hk.fori_loop(lo, hi, lambda i, v: quiet(v), x)

        return f

    out = {}
    for lo, hi in [(0, 1), (0, 0), (3, 1)]:
        params, state = hk.transform_with_state(make(lo, hi)).init(KEY, X)
        out[f"{lo}_{hi}"] = {"params": params, "state_keys": sorted(state)}

    def traced(x, n):
        quiet = Quiet()
        return hk.fori_loop(0, n, lambda i, v: quiet(v), x)

    params, _ = jax.jit(hk.transform_with_state(traced).init)(KEY, X, 3)
    out["traced"] = params
    return out


@scenario
def while_loop_module():
    def f(x):
        noisy = Noisy()

        def body(c):
            i, v = c
            return i + 1, noisy(v)

        if hk.running_init():
            # dm-haiku refuses hk.while_loop at init: run the body once instead.
            i, v = body((0, x))
        else:
            i, v = hk.while_loop(lambda c: c[0] < 3, body, (0, x))
        return i, v, _keys(1)

    t = hk.transform_with_state(f)
    params, state = t.init(KEY, X)
    out = {"params": params, "state": state}
    out["apply"] = t.apply(params, state, KEY, X)
    out["apply_jit"] = jax.jit(t.apply)(params, state, KEY, X)
    return out


# cond and switch.


@scenario
def cond_state_and_rng():
    def f(x):
        noisy = Noisy()
        if hk.running_init():
            noisy(x)
        out = hk.cond(
            jnp.sum(x) > 0,
            lambda x: (noisy(x), hk.next_rng_key()),
            lambda x: (x * 2, jnp.zeros_like(hk.next_rng_key())),
            x,
        )
        return out, _keys(1)

    return _cases(f, {"pos": (X,), "neg": (-X,)})


@scenario
def cond_same_module_in_both_branches():
    """dm-haiku allows creating parameters in branches that all create the same."""

    def f(x):
        quiet = Quiet()
        return hk.cond(jnp.sum(x) > 0, quiet, lambda x: quiet(-x), x), _keys(1)

    return _cases(f, {"pos": (X,), "neg": (-X,)})


@scenario
def switch_experts():
    def f(i, x):
        experts = [Noisy(name=f"expert_{j}") for j in range(3)]
        if hk.running_init():
            return [e(x) for e in experts][0], _keys(1)
        return hk.switch(i, experts, x), _keys(1)

    t = hk.transform_with_state(f)
    params, state = t.init(KEY, 0, X)
    out = {"params": params, "state": state}
    apply_all = jax.jit(lambda p, s, x: [t.apply(p, s, KEY, i, x) for i in range(3)])
    out["apply"] = apply_all(params, state, X)
    out["apply_index_1_eager"] = t.apply(params, state, KEY, 1, X)
    return out


# grad, value_and_grad, remat, eval_shape.


@scenario
def grad_state_rng():
    def f(x):
        noisy = Noisy()

        def loss(x):
            return jnp.sum(noisy(x) ** 2)

        return hk.grad(loss)(x), _keys(1)

    return _both(f, X)


@scenario
def value_and_grad_aux_argnums():
    def f(x, y):
        quiet = Quiet()

        def loss(x, y):
            out = quiet(x * y)
            return jnp.sum(out), (out, hk.next_rng_key())

        return hk.value_and_grad(loss, argnums=(0, 1), has_aux=True)(x, y), _keys(1)

    return _both(f, X, X + 1)


@scenario
def remat_state_rng():
    def f(x):
        noisy = Noisy()
        return hk.remat(noisy)(x), _keys(1)

    return _both(f, X)


@scenario
def grad_of_remat():
    def f(x):
        noisy = Noisy()
        return hk.grad(lambda x: jnp.sum(hk.remat(noisy)(x)))(x), _keys(1)

    return _both(f, X)


@scenario
def eval_shape_discards_everything():
    def f(x):
        noisy = Noisy()
        noisy(x)

        def g(x):
            hk.set_state("s", x)
            if hk.running_init():
                hk.get_parameter("ghost", [2], init=normal())
            return noisy(x), hk.next_rng_key()

        shapes = hk.eval_shape(g, x)
        described = jax.tree.map(lambda s: [list(s.shape), str(s.dtype)], shapes)
        return described, _keys(2)

    t = hk.transform_with_state(f)
    params, state = t.init(KEY, X)
    out, _ = t.apply(params, state, KEY, X)
    return {"params": params, "state": state, "out": out}


# vmap.


@scenario
def vmap_split_rng_keys():
    def f(key):
        def g(x):
            return hk.next_rng_key(), jax.random.uniform(hk.next_rng_key())

        out = {}
        for n in (1, 3):
            with hk.with_rng(key):
                out[n] = hk.vmap(g, split_rng=True)(jnp.zeros(n)), _keys(1)
        return out

    return jax.jit(hk.transform(f).apply)({}, None, KEY)


@scenario
def vmap_split_rng_false():
    def f(x):
        return hk.vmap(lambda x: (x, hk.next_rng_key(), hk.next_rng_key()), split_rng=False)(x), _keys(2)

    return hk.transform(f).apply({}, KEY, jnp.zeros(3))


@scenario
def vmap_module_init_apply():
    def f(x):
        pooled = Pooled("batch")

        def g(x):
            return pooled(x) + jax.random.uniform(hk.next_rng_key(), x.shape), hk.next_rng_key()

        vmapped = hk.vmap(g, axis_name="batch", split_rng=not hk.running_init())
        return vmapped(x), _keys(1)

    return _both(f, XS)


@scenario
def vmap_nested():
    def f(x):
        inner = hk.vmap(lambda x: (hk.next_rng_key(), x), split_rng=True)
        return hk.vmap(inner, split_rng=True)(x), _keys(1)

    return jax.jit(hk.transform(f).apply)({}, KEY, jnp.zeros([2, 3]))


@scenario
def vmap_in_axes_forms():
    def f(x, y):
        pooled = Pooled("i")

        # (dm-haiku's hk.vmap fails on keyword arguments; ours maps them.)
        def body(x, y, z=None):
            out = pooled(x) + y["a"] * jax.random.uniform(hk.next_rng_key())
            return out if z is None else out * z

        split = not hk.running_init()
        outs = {
            "int": hk.vmap(body, 0, axis_name="i", split_rng=False)(x, {"a": x}),
            "list": hk.vmap(body, [1, None], 1, axis_name="i", split_rng=split)(x.T, {"a": y}),
            "nested": hk.vmap(body, (0, {"a": 1}, 0), axis_name="i", split_rng=split)(
                x, {"a": x.T}, x
            ),
        }
        return outs, _keys(1)

    return _both(f, XS, X)


@scenario
def vmap_created_param_order():
    """Parameters created inside JAX transforms come back in sorted order."""

    def body(x):
        a = hk.get_parameter("zz", [], init=jnp.ones)
        with hk.name_scope("zmod"):
            b = hk.get_parameter("y", [], init=jnp.ones) + hk.get_parameter("b", [], init=jnp.ones)
            hk.get_state("zs", [], init=jnp.ones)
            hk.get_state("as", [], init=jnp.ones)
        with hk.name_scope("amod"):
            c = hk.get_parameter("w", [], init=jnp.ones)
        return jnp.sum(x * a * b * c)

    wrappers = {
        "grad": lambda x: hk.grad(body)(x),
        "remat": lambda x: hk.remat(body)(x),
        "vmap": lambda x: hk.vmap(body, split_rng=False)(jnp.stack([x, x])),
        "cond": lambda x: hk.cond(x > 0, body, body, x),
        "plain": body,
    }
    out = {}
    for name, w in wrappers.items():
        def f(x, w=w):
            hk.get_parameter("first", [], init=jnp.ones)
            return w(x)

        params, state = hk.transform_with_state(f).init(KEY, 1.0)
        out[name] = {
            "params": [[m, list(b)] for m, b in params.items()],
            "state": [[m, list(b)] for m, b in state.items()],
        }
    return out


def _shape_only(shapes):
    return jax.tree.map(lambda s: list(s.shape), shapes)


# Reserved keys: control flow keeps exactly one reserved key.


@scenario
def reserved_keys_through_wrappers():
    def draws(n):
        return lambda *_: _keys(n) if n else jnp.zeros([0, 2], jnp.uint32)

    cases = {
        "cond_draw": lambda x: hk.cond(x > 0, draws(1), lambda *_: jnp.zeros([1, 2], jnp.uint32), x),
        "switch": lambda x: hk.switch(0, [draws(2), lambda: jnp.zeros([2, 2], jnp.uint32)]),
        "scan": lambda x: hk.scan(lambda c, _: (c, hk.next_rng_key()), 0, None, length=3),
        "fori": lambda x: hk.fori_loop(0, 3, lambda i, k: hk.next_rng_key(), jnp.zeros([2], jnp.uint32)),
        "while": lambda x: hk.while_loop(
            lambda c: c[0] < 2, lambda c: (c[0] + 1, hk.next_rng_key()), (0, jnp.zeros([2], jnp.uint32))
        ),
        "grad": lambda x: hk.grad(lambda x: x * jax.random.uniform(hk.next_rng_key()))(x),
        "vmap_split": lambda x: hk.vmap(lambda _: _keys(2), split_rng=True)(jnp.zeros(3)),
        "eval_shape": lambda x: _shape_only(hk.eval_shape(lambda x: _keys(2), x)),
    }
    preludes = {
        "res2": lambda: hk.reserve_rng_keys(2),
        "res2_res2": lambda: (hk.reserve_rng_keys(2), hk.reserve_rng_keys(2)),
    }

    def run_all(key, x):
        out = {}
        for name, case in cases.items():
            if hk.running_init() and name not in ("scan", "fori"):
                continue  # init differs only where the first step runs outside
            for pre_name, prelude in preludes.items():
                with hk.with_rng(key):
                    prelude()
                    out[f"{name}/{pre_name}"] = case(x), _keys(4)
        return out

    t = hk.transform(run_all)
    apply = t.apply({}, None, KEY, 1.0)

    def init_draws(key, x):  # the keys drawn at init, returned through state
        for name, value in run_all(key, x).items():
            with hk.name_scope(name.replace("/", "_")):
                hk.set_state("keys", value[1])

    _, state = hk.transform_with_state(init_draws).init(None, KEY, 1.0)
    init_keys = {m: b["keys"] for m, b in state.items()}
    return {"apply": apply, "init": init_keys}


# Nesting.


@scenario
def scan_inside_cond():
    def f(xs):
        quiet = Quiet()
        if hk.running_init():
            hk.scan(lambda c, x: (quiet(c + x), c), jnp.zeros([3]), xs)

        def scanned(xs):
            return hk.scan(lambda c, x: (quiet(c + x), hk.next_rng_key()), jnp.zeros([3]), xs)

        out = hk.cond(jnp.sum(xs) > 0, scanned, lambda xs: (xs[0], jnp.stack([_keys(1)[0]] * 4)), xs)
        return out, _keys(1)

    return _cases(f, {"pos": (XS + 1,), "neg": (XS - 2,)})


@scenario
def cond_inside_scan():
    def f(xs):
        noisy = Noisy()

        def step(c, x):
            y = hk.cond(x[0] > 0, noisy, lambda v: noisy(-v), c + x)
            return y, hk.next_rng_key()

        return hk.scan(step, jnp.zeros([3]), xs), _keys(1)

    return _both(f, XS)


@scenario
def vmap_inside_scan():
    def f(xs):
        pooled = Pooled("pair")

        def step(c, x):
            ys = hk.vmap(lambda v: pooled(v) + jax.random.uniform(hk.next_rng_key()),
                         axis_name="pair", split_rng=not hk.running_init())(jnp.stack([c, x]))
            return ys[0], ys[1]

        return hk.scan(step, jnp.zeros([3]), xs), _keys(1)

    return _both(f, XS)


@scenario
def grad_inside_scan_inside_vmap():
    def f(xs):
        pooled = Pooled("example")

        def per_example(xs):
            def step(c, x):
                g = hk.grad(lambda v: jnp.sum(pooled(v)))(c + x)
                return c + g, g

            return hk.scan(step, jnp.zeros([3]), xs)

        return hk.vmap(per_example, axis_name="example", split_rng=False)(jnp.stack([xs, -xs]))

    return _both(f, XS)


@scenario
def typed_key():
    def f(xs):
        noisy = Noisy()
        carry, ys = hk.scan(lambda c, x: (noisy(c + x), hk.next_rng_key()), jnp.zeros([3]), xs)
        split = hk.vmap(lambda _: hk.next_rng_key(), split_rng=True)(jnp.zeros(3))
        return carry, ys, split, hk.next_rng_key()

    return _both(f, XS, key=jax.random.key(7))


# Documented failure modes: only whether they raise is compared.


@scenario
def failure_modes():
    def switch_creates_at_init(i, x):
        return hk.switch(i, [lambda x: x * hk.get_parameter("a", [], init=jnp.ones),
                             lambda x: x * hk.get_parameter("b", [], init=jnp.ones)], x)

    def while_creates_at_init(x):
        return hk.while_loop(lambda v: v < 10, lambda v: v * 2 + hk.get_parameter("w", [], init=jnp.ones), x)

    def while_cond_draws(x):
        return hk.while_loop(lambda v: v < jax.random.uniform(hk.next_rng_key()) * 10, lambda v: v * 2, x)

    def vmap_split_creates_at_init(x):
        return hk.vmap(lambda v: v * hk.get_parameter("w", [], init=normal()), split_rng=True)(x)

    switch = hk.transform(switch_creates_at_init)
    outside = {
        "cond": lambda: hk.cond(True, lambda: 1, lambda: 2),
        "switch": lambda: hk.switch(0, [lambda: 1]),
        "scan": lambda: hk.scan(lambda c, x: (c, x), 0, jnp.ones(2)),
        "map": lambda: hk.map(lambda x: x, jnp.ones(2)),
        "fori_loop": lambda: hk.fori_loop(0, 2, lambda i, x: x, 0),
        "while_loop": lambda: hk.while_loop(lambda x: x < 2, lambda x: x + 1, 0),
        "grad": lambda: hk.grad(lambda x: x)(1.0),
        "value_and_grad": lambda: hk.value_and_grad(lambda x: x)(1.0),
        "vmap": lambda: hk.vmap(lambda x: x, split_rng=False)(jnp.ones(2)),
        "remat": lambda: hk.remat(lambda x: x)(1.0),
        "eval_shape": lambda: hk.eval_shape(lambda x: x, 1.0),
    }
    return {
        "switch_creates_at_init": _raises(lambda: switch.init(KEY, 0, 1.0)),
        "switch_creates_at_apply": _raises(
            lambda: switch.apply({"~": {"a": jnp.ones([])}}, KEY, 0, 1.0)
        ),
        "while_creates_at_init": _raises(lambda: hk.transform(while_creates_at_init).init(KEY, 1.0)),
        "while_cond_draws": _raises(lambda: hk.transform(while_cond_draws).apply({}, KEY, 1.0)),
        "vmap_split_creates_at_init": _raises(
            lambda: hk.transform(vmap_split_creates_at_init).init(KEY, jnp.ones(2))
        ),
        "outside": {name: _raises(thunk) for name, thunk in outside.items()},
    }
