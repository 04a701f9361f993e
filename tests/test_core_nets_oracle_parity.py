"""Oracle parity of models built from haiku-nets' ``hk.Linear``/``hk.Bias``.

The scenarios are ``NETS_SCENARIOS`` of
``packages/haiku-core/tests/scenarios/core_scenarios.py`` (public ``hk`` API
only). Each runs here under our haiku and, on this same machine, under
dm-haiku 0.0.17 (the ``dm_haiku`` fixture of ``tests/oracle``): same seed,
same parameter trees (names, order, shapes, dtypes) and the same bits,
outputs included.
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

CORE_TESTS = Path(__file__).resolve().parents[1] / "packages" / "haiku-core" / "tests"
scenarios = load_module(CORE_TESTS / "scenarios" / "core_scenarios.py")


@pytest.fixture(autouse=True)
def _no_frame_left_behind():
    yield
    assert base._FRAMES.get() == ()


@pytest.mark.parametrize("name", list(scenarios.NETS_SCENARIOS))
def test_scenario_matches_dm_haiku(name, dm_haiku):
    dm_haiku.assert_matches(scenarios, name, registry="NETS_SCENARIOS")


def test_linear_default_init_is_the_documented_truncated_normal():
    x = jnp.ones([2, 5])
    key = jax.random.PRNGKey(0)
    params = hk.transform(lambda x: hk.Linear(3)(x)).init(key, x)
    w_key = jax.random.split(key)[1]
    expected = jax.random.truncated_normal(w_key, -2.0, 2.0, [5, 3]) / np.sqrt(5)
    np.testing.assert_array_equal(params["linear"]["w"], expected)
    np.testing.assert_array_equal(params["linear"]["b"], np.zeros(3))


def test_linear_layers_in_modules_and_methods():
    class Net(hk.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.first = hk.Linear(4)

        def __call__(self, x):
            return self.head(jax.nn.relu(self.first(x)))

        def head(self, x):
            return hk.Linear(2)(x) + hk.Linear(2)(x)

    f = hk.transform(lambda x: Net()(x))
    params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 3]))
    assert jax.tree_util.tree_map(jnp.shape, params) == {
        "net/~/linear": {"w": (3, 4), "b": (4,)},
        "net/~head/linear": {"w": (4, 2), "b": (2,)},
        "net/~head/linear_1": {"w": (4, 2), "b": (2,)},
    }


def test_force_name_shares_linear_weights():
    def f(x):
        mod0 = hk.Linear(2)
        mod1 = hk.Linear(2, name=hk.force_name(mod0.module_name))
        return mod0(x), mod1(x)

    f = hk.transform(f)
    x = jnp.ones([1, 3])
    params = f.init(jax.random.PRNGKey(0), x)
    assert list(params) == ["linear"]
    a, b = f.apply(params, None, x)
    np.testing.assert_array_equal(a, b)


def test_pretrained_torso_with_do_not_store():
    def f(x):
        x = hk.Linear(5, name="torso")(x)
        return hk.Linear(2, name="tail")(x)

    pretrained = {"torso": {"w": jnp.ones([3, 5]), "b": jnp.ones([5])}}

    def creator(next_creator, shape, dtype, init, context):
        if context.module_name in pretrained:
            return hk.DO_NOT_STORE
        return next_creator(shape, dtype, init)

    def getter(next_getter, value, context):
        if context.module_name in pretrained:
            value = pretrained[context.module_name][context.name]
        return next_getter(value)

    def with_pretrained_torso(x):
        with hk.custom_creator(creator), hk.custom_getter(getter):
            return f(x)

    g = hk.transform(with_pretrained_torso)
    x = jnp.ones([1, 3])
    params = g.init(jax.random.PRNGKey(42), x)
    assert list(params) == ["tail"]
    out = g.apply(params, None, x)
    expected = (x @ pretrained["torso"]["w"] + 1) @ params["tail"]["w"] + params["tail"]["b"]
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_intercept_linear_calls():
    seen = []

    def interceptor(next_fun, args, kwargs, context):
        if isinstance(context.module, hk.Linear) and context.method_name == "__call__":
            seen.append(context.module.module_name)
            args = (args[0].astype(jnp.float32),) + args[1:]
        return next_fun(*args, **kwargs)

    def f(x):
        with hk.intercept_methods(interceptor):
            return hk.Linear(2)(hk.Linear(3)(x))

    f = hk.transform(f)
    x = jnp.ones([1, 2], jnp.bfloat16)
    params = f.init(jax.random.PRNGKey(0), x)
    # Linear(2) is constructed first, Linear(3) is called first.
    assert seen == ["linear_1", "linear"]
    assert params["linear"]["w"].dtype == jnp.float32
    assert f.apply(params, None, x).dtype == jnp.float32
