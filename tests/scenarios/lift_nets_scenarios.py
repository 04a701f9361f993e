"""Lifting and layer_stack scenarios built from ``hk.Linear``.

Each scenario is a function of no arguments in :data:`SCENARIOS`, written
against the public ``hk`` API only: ``tests/test_lift_nets.py`` runs it under
our haiku and, live on the same machine, under dm-haiku 0.0.17 (through the
``haiku_oracle`` harness), and the results must agree bit for bit. Among them
is the ensemble example of the API reference's ``hk.lift`` (with
``hk.Linear`` layers instead of ``hk.nets.MLP``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np


def shapes(tree: Any) -> Any:
    """``{module: {name: [shape, dtype]}}`` of a params/state tree, as JSON."""
    return {
        m: {k: [list(np.shape(v)), str(np.asarray(v).dtype)] for k, v in b.items()}
        for m, b in tree.items()
    }


SCENARIOS: dict[str, Callable[[], Any]] = {}


def scenario(fn):
    """Registers ``fn`` in :data:`SCENARIOS` under its own name."""
    SCENARIOS[fn.__name__] = fn
    return fn


X = np.linspace(-1.0, 1.0, 32, dtype=np.float32).reshape(4, 8)


def create_ensemble(model, size: int):
    """The helper of the API reference's ``hk.lift`` example."""
    init_rng = hk.next_rng_keys(size) if hk.running_init() else None
    model = hk.transform(model)
    init_model = jax.vmap(model.init, in_axes=(0, None))
    init_model = hk.lift(init_model, name="ensemble")

    def ensemble(x):
        params = init_model(init_rng, x)
        return jax.vmap(model.apply, in_axes=(0, None, None))(params, None, x)

    return ensemble


def member_fn(x):
    """Three ``hk.Linear`` layers (the reference uses ``hk.nets.MLP([300, 100, 10])``)."""
    x = jax.nn.relu(hk.Linear(30)(x))
    x = jax.nn.relu(hk.Linear(20)(x))
    return hk.Linear(10)(x)


@scenario
def ensemble_of_linear_layers():
    f = hk.transform(lambda x: create_ensemble(member_fn, size=4)(x))
    params = f.init(jax.random.PRNGKey(777), X)
    return {
        "shapes": shapes(params),
        "params": params,
        "out": f.apply(params, None, X),
        "jit_params": jax.jit(f.init)(jax.random.PRNGKey(777), X),
    }


def _block(x, y):
    h = jax.nn.relu(hk.Linear(16)(x))
    h = hk.Linear(8, name="proj")(h)
    keep = jax.random.bernoulli(hk.next_rng_key(), 0.8, h.shape)
    return x + jnp.where(keep, h, 0.0) * y, jnp.mean(h)


@scenario
def layer_stack_of_linear_blocks():
    def forward(x, ys):
        return hk.layer_stack(3, with_per_layer_inputs=True)(_block)(x, ys)

    f = hk.transform(forward)
    ys = np.array([0.5, 1.0, 2.0], np.float32)
    params = f.init(jax.random.PRNGKey(1), X, ys)
    return {
        "shapes": shapes(params),
        "params": params,
        "apply": f.apply(params, jax.random.PRNGKey(2), X, ys),
        "apply_jit": jax.jit(f.apply)(params, jax.random.PRNGKey(2), X, ys),
    }


class LinearNumbering(hk.LayerStackTransparencyMapping):
    """``linear``, ``linear_1``, ... as a Python loop of ``hk.Linear`` names them."""

    def stacked_to_flat(self, stacked_module_name, scan_idx):
        return stacked_module_name if scan_idx == 0 else f"{stacked_module_name}_{scan_idx}"

    def flat_to_stacked(self, unstacked_module_name):
        if unstacked_module_name == "linear":
            return "linear", 0
        name, _, idx = unstacked_module_name.rpartition("_")
        if name == "linear" and idx.isdigit():
            return "linear", int(idx)
        return None


def _linear_relu(x):
    return jax.nn.relu(hk.Linear(8)(x))


class Tower(hk.Module):
    def __init__(self, transparent, name=None):
        super().__init__(name=name)
        self.transparent = transparent

    def __call__(self, x):
        x = hk.Linear(8, name="stem")(x)
        if self.transparent:
            stack = hk.layer_stack(4, transparent=True, transparency_map=LinearNumbering())
            return stack(_linear_relu)(x)
        for _ in range(4):
            x = _linear_relu(x)
        return x


@scenario
def transparent_layer_stack_of_linear():
    stack = hk.transform(lambda x: Tower(True)(x))
    loop = hk.transform(lambda x: Tower(False)(x))
    params = stack.init(jax.random.PRNGKey(3), X)
    return {
        "params": params,
        "out": stack.apply(params, None, X),
        "loop_shapes": shapes(loop.init(jax.random.PRNGKey(3), X)),
        "loop_out": loop.apply(params, None, X),
    }


@scenario
def ensemble_of_layer_stacks():
    def member(x):
        return hk.layer_stack(2)(_linear_relu)(x)

    f = hk.transform(lambda x: create_ensemble(member, size=3)(x))
    params = jax.jit(f.init)(jax.random.PRNGKey(4), X)
    return {"shapes": shapes(params), "params": params, "out": f.apply(params, None, X)}
