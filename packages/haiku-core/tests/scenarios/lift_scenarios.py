"""Lifting and layer_stack scenarios, run by both dm-haiku and haiku.

Public ``hk`` API only (plus ``jax``/``numpy``), so the same code runs under
our haiku and, live on the same machine, under dm-haiku 0.0.17 in
``tests/test_lift_oracle.py`` (through the ``dm_haiku`` fixture of
``tests/oracle``). The building blocks come from ``core_scenarios.py`` of
this folder. Only haiku-core is used; the ``hk.Linear`` scenarios live in the
repository's ``tests/`` (``lift_nets_scenarios.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

from . import core_scenarios as core

shapes, Dense, Counter, normal = core.shapes, core.Dense, core.Counter, core.normal

SCENARIOS: dict[str, Callable[[], Any]] = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


X = np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(4, 3)
KEY = jax.random.PRNGKey(42)


def _mlp(x):
    x = jnp.tanh(Dense(5)(x))
    return Dense(3, name="out")(x)


# Lifting.


class Lifter(hk.Module):
    """Lifts an inner MLP's init inside a module, under a name scope."""

    def __call__(self, x):
        inner = hk.transform(_mlp)
        with hk.name_scope("scope"):
            params = hk.lift(inner.init, name="inner")(hk.maybe_next_rng_key(), x)
        y = inner.apply(params, None, x)
        return Dense(3)(y)


@scenario
def lift_in_module():
    f = hk.transform(lambda x: Lifter()(x))
    params = f.init(KEY, X)
    return {
        "params": params,
        "out": f.apply(params, None, X),
        "jit": jax.jit(f.apply)(params, None, X),
    }


def _ensemble_forward(x):
    keys = hk.next_rng_keys(3) if hk.running_init() else None
    inner = hk.transform(_mlp)
    init = hk.lift(jax.vmap(inner.init, in_axes=(0, None)), name="ensemble")
    params = init(keys, x)
    return jax.vmap(inner.apply, in_axes=(0, None, None))(params, None, x)


@scenario
def lift_vmap_ensemble():
    f = hk.transform(_ensemble_forward)
    params = jax.jit(f.init)(KEY, X)
    return {"params": params, "shapes": shapes(params), "out": f.apply(params, None, X)}


def _stateful_inner(x):
    n = Counter()()
    return Dense(2)(x) * n.astype(x.dtype)


def _lift_state_forward(x):
    inner = hk.transform_with_state(_stateful_inner)
    init, updater = hk.lift_with_state(inner.init, name="counted")
    params, state = init(hk.maybe_next_rng_key(), x)
    out, state = inner.apply(params, state, None, x)
    updater.update(state)
    tinit, tupdater = hk.transparent_lift_with_state(inner.init)
    tparams, tstate = tinit(hk.maybe_next_rng_key(), x)
    tout, tstate = inner.apply(tparams, tstate, None, x)
    tupdater.update(tstate)
    return out + tout


@scenario
def lift_with_state():
    f = hk.transform_with_state(_lift_state_forward)
    params, state = f.init(KEY, X)
    steps = []
    for _ in range(2):
        out, state = f.apply(params, state, None, X)
        steps.append({"out": out, "state": state})
    return {"params": params, "steps": steps}


def _nested_lift_forward(x):
    def middle(x):
        inner = hk.transform(_mlp)
        params = hk.transparent_lift(inner.init)(hk.maybe_next_rng_key(), x)
        deep = hk.lift(inner.init, name="deep")(hk.maybe_next_rng_key(), x)
        return inner.apply(params, None, x) + inner.apply(deep, None, x)

    middle_t = hk.transform(middle)
    params = hk.lift(middle_t.init, name="mid")(hk.maybe_next_rng_key(), x)
    return middle_t.apply(params, None, x)


@scenario
def lift_nested():
    f = hk.transform(_nested_lift_forward)
    params = f.init(KEY, X)
    return {"params": params, "out": f.apply(params, None, X)}


def _lifted_prefix_log():
    log = []

    def creator(next_creator, shape, dtype, init, context):
        log.append(["create", context.full_name, context.lifted_prefix_name])
        return next_creator(shape, dtype, init)

    def getter(next_getter, value, context):
        log.append(["get", context.full_name, context.lifted_prefix_name])
        return next_getter(value)

    def forward(x):
        with hk.custom_creator(creator), hk.custom_getter(getter):
            return _nested_lift_forward(x)

    f = hk.transform(forward)
    params = f.init(KEY, X)
    init_log = list(log)
    del log[:]
    f.apply(params, None, X)
    return init_log, list(log)


@scenario
def lift_interceptor_context():
    init_log, apply_log = _lifted_prefix_log()
    return {"init": init_log, "apply": apply_log}


# layer_stack.


def _residual(x):
    return x + jnp.tanh(Dense(3)(x))


@scenario
def layer_stack_basic():
    f = hk.transform(lambda x: hk.layer_stack(4)(_residual)(x))
    params = f.init(KEY, X)
    return {
        "params": params,
        "out": f.apply(params, None, X),
        "jit": jax.jit(f.apply)(params, None, X),
        "reverse": hk.transform(lambda x: hk.layer_stack(4)(_residual)(x, reverse=True)).apply(
            params, None, X
        ),
    }


def _noisy_layer(x, y):
    x = _residual(x) + y
    noise = jax.random.normal(hk.next_rng_key(), x.shape)
    return x, jnp.sum(noise)


@scenario
def layer_stack_rng_per_layer_inputs():
    def forward(x, ys):
        a = hk.next_rng_key()
        x, zs = hk.layer_stack(3, with_per_layer_inputs=True, name="noisy")(_noisy_layer)(x, ys)
        return x, zs, a, hk.next_rng_key()

    f = hk.transform(forward)
    ys = np.arange(3 * 4 * 3, dtype=np.float32).reshape(3, 4, 3) / 10
    params = f.init(jax.random.PRNGKey(3), X, ys)
    return {
        "params": params,
        "init_out": hk.transform(forward).init(jax.random.PRNGKey(3), X, ys),
        "apply": f.apply(params, jax.random.PRNGKey(4), X, ys),
        "apply_typed": f.apply(params, jax.random.key(4), X, ys),
        "apply_jit": jax.jit(f.apply)(params, jax.random.PRNGKey(4), X, ys),
    }


@scenario
def layer_stack_init_depends_on_carry():
    def layer(x):
        c = hk.get_parameter("c", x.shape, init=lambda s, d: x)
        return x + jax.random.uniform(hk.next_rng_key(), x.shape) + c

    f = hk.transform(lambda x: hk.layer_stack(3, unroll=2)(layer)(x))
    params = f.init(jax.random.PRNGKey(5), X)
    return {"params": params, "out": f.apply(params, jax.random.PRNGKey(6), X)}


@scenario
def layer_stack_reverse_flag():
    def layer(x, reverse=False):
        w = hk.get_parameter("w", [], init=normal())
        return x * 2 + w if reverse else x * 3 + w

    def forward(x, reverse):
        return hk.layer_stack(3, pass_reverse_to_layer_fn=True)(layer)(x, reverse=reverse)

    f = hk.transform(forward)
    params = f.init(KEY, 1.0, True)
    return {
        "params": params,
        "forward": f.apply(params, None, 1.0, False),
        "reverse": f.apply(params, None, 1.0, True),
    }


@scenario
def layer_stack_multiple_carries():
    def layer(x, h):
        h = jnp.tanh(Dense(3)(h) + x)
        return x + 1.0, h

    def forward(x, h):
        return hk.layer_stack(2)(layer)(x, h)

    f = hk.transform(forward)
    params = f.init(KEY, X, X)
    return {"params": params, "out": f.apply(params, None, X, X)}


@scenario
def layer_stack_nested():
    def outer_layer(x):
        return hk.layer_stack(2, name="inner")(_residual)(x)

    f = hk.transform(lambda x: hk.layer_stack(3, name="outer")(outer_layer)(x))
    params = f.init(KEY, X)
    return {"params": params, "shapes": shapes(params), "out": f.apply(params, None, X)}


@scenario
def layer_stack_state():
    def layer(x, y):
        total = hk.get_state("total", [], init=jnp.zeros)
        hk.set_state("total", total + jnp.sum(x) + y)
        return _residual(x), total

    def forward(x, ys):
        return hk.layer_stack(3, with_per_layer_inputs=True)(layer)(x, ys)

    f = hk.transform_with_state(forward)
    ys = np.arange(3, dtype=np.float32)
    params, state = f.init(KEY, X, ys)
    steps = []
    for _ in range(2):
        out, state = f.apply(params, state, None, X, ys)
        steps.append({"out": out, "state": state})
    return {"params": params, "initial_state": state, "steps": steps}


class _Numbered:
    """Transparency map: layer i of module ``m`` is ``m`` (i = 0) or ``m_i``."""

    def stacked_to_flat(self, stacked_module_name, scan_idx):
        return stacked_module_name if scan_idx == 0 else f"{stacked_module_name}_{scan_idx}"

    def flat_to_stacked(self, unstacked_module_name):
        name, _, idx = unstacked_module_name.rpartition("_")
        if name.endswith("dense") and idx.isdigit():
            return name, int(idx)
        if unstacked_module_name.endswith("dense"):
            return unstacked_module_name, 0
        return None


class Numbered(_Numbered, hk.LayerStackTransparencyMapping):
    pass


class TransparentStack(hk.Module):
    def __call__(self, x):
        x = Dense(3, name="first")(x)
        return hk.layer_stack(3, transparent=True, transparency_map=Numbered())(_residual)(x)


class LoopStack(hk.Module):
    def __call__(self, x):
        x = Dense(3, name="first")(x)
        for _ in range(3):
            x = _residual(x)
        return x


@scenario
def layer_stack_transparent():
    stack = hk.transform(lambda x: TransparentStack(name="net")(x))
    loop = hk.transform(lambda x: LoopStack(name="net")(x))
    params = stack.init(KEY, X)
    loop_params = loop.init(KEY, X)
    return {
        "params": params,
        "out": stack.apply(params, None, X),
        "loop_shapes": shapes(loop_params),
        "loop_out_with_stack_params": loop.apply(params, None, X),
    }


@scenario
def layer_stack_without_rng():
    f = hk.transform(
        lambda x: hk.layer_stack(2)(lambda x: x * hk.get_parameter("w", [], init=jnp.ones) + 1)(x)
    )
    params = f.init(None, X)
    return {"params": params, "out": f.apply(params, None, X)}
