"""Lifting and layer_stack with haiku-nets' ``hk.Linear``, against dm-haiku.

The scenarios are ``tests/scenarios/lift_nets_scenarios.py``. Each runs here
under our haiku and, on this same machine, under dm-haiku 0.0.17 (the
``dm_haiku`` fixture of ``tests/oracle``): same seed, same parameter trees
(names, order, shapes, dtypes) and the same bits, outputs included. Among
them is the ensemble example of the API reference's ``hk.lift`` (with
``hk.Linear`` layers instead of ``hk.nets.MLP``).
"""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from haiku_oracle import load_module

import haiku as hk
from haiku._src import base

scenarios = load_module(Path(__file__).resolve().parent / "scenarios" / "lift_nets_scenarios.py")
X = scenarios.X


@pytest.fixture(autouse=True)
def _no_frame_left_behind():
    yield
    assert base._FRAMES.get() == ()


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_scenario_matches_dm_haiku(name, dm_haiku):
    dm_haiku.assert_matches(scenarios, name)


def _ensemble_forward(x):
    return scenarios.create_ensemble(scenarios.member_fn, size=4)(x)


def test_ensemble_has_a_leading_member_axis():
    f = hk.transform(_ensemble_forward)
    params = jax.eval_shape(f.init, jax.random.PRNGKey(777), X)
    assert jax.tree_util.tree_map(lambda x: x.shape, params) == {
        "ensemble/linear": {"b": (4, 30), "w": (4, 8, 30)},
        "ensemble/linear_1": {"b": (4, 20), "w": (4, 30, 20)},
        "ensemble/linear_2": {"b": (4, 10), "w": (4, 20, 10)},
    }
    params = f.init(jax.random.PRNGKey(777), X)
    y = jax.jit(f.apply)(params, None, X)
    assert y.shape == (4, 4, 10)
    # Member i is the plain model with slice i of the parameters.
    member = hk.transform(scenarios.member_fn)
    for i in range(4):
        sliced = {k.removeprefix("ensemble/"): jax.tree_util.tree_map(lambda v: v[i], b)
                  for k, b in params.items()}  # fmt: skip
        np.testing.assert_allclose(y[i], member.apply(sliced, None, X), rtol=1e-5, atol=1e-6)


def test_layer_stack_of_linear_trains():
    def loss_fn(x):
        return jnp.mean(hk.layer_stack(3)(scenarios._linear_relu)(x) ** 2)

    f = hk.without_apply_rng(hk.transform(loss_fn))
    params = f.init(jax.random.PRNGKey(0), X)
    grads = jax.jit(jax.grad(f.apply))(params, X)
    assert jax.tree_util.tree_map(jnp.shape, grads) == {
        "__layer_stack_no_per_layer/linear": {"b": (3, 8), "w": (3, 8, 8)}
    }
    new = jax.tree_util.tree_map(lambda p, g: p - 0.1 * g, params, grads)
    assert f.apply(new, X) < f.apply(params, X)
