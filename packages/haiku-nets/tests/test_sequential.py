"""``hk.Sequential``: chaining, extra arguments, naming."""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest

def np_init(shape, dtype):
    """Random parameters from NumPy: no JAX RNG program to compile per shape."""
    rs = np.random.RandomState(len(shape) * 100 + sum(shape))
    return jnp.asarray(0.5 * rs.randn(*shape), dtype)


def linear(size):
    return hk.Linear(size, w_init=np_init, b_init=np_init)


def test_chains_layers_and_matches_manual_composition():
    x = np.random.RandomState(0).randn(5, 4).astype(np.float32)

    def f(x):
        return hk.Sequential([linear(3), jax.nn.relu, linear(2)])(x)

    transformed = hk.transform(f)
    params = transformed.init(jax.random.PRNGKey(0), x)
    assert jax.tree_util.tree_map(jnp.shape, params) == {
        "linear": {"w": (4, 3), "b": (3,)}, "linear_1": {"w": (3, 2), "b": (2,)}}
    out = transformed.apply(params, None, x)
    h = np.maximum(x @ params["linear"]["w"] + params["linear"]["b"], 0)
    np.testing.assert_allclose(out, h @ params["linear_1"]["w"] + params["linear_1"]["b"],
                               rtol=1e-5, atol=1e-6)


def test_layers_built_inside_a_module_are_named_under_it():
    class Net(hk.Module):
        def __call__(self, x):
            return hk.Sequential([linear(3), hk.Sequential([linear(2)])])(x)

    params = hk.transform(lambda x: Net()(x)).init(jax.random.PRNGKey(0), jnp.ones([1, 4]))
    assert list(params) == ["net/linear", "net/linear_1"]


def test_extra_arguments_go_to_the_first_layer_only():
    calls = []

    def first(x, y, *, z):
        calls.append(("first", y, z))
        return x + y + z

    def second(x):
        calls.append(("second",))
        return x * 2

    out = hk.transform(lambda: hk.Sequential([first, second])(1.0, 2.0, z=3.0)).apply({}, None)
    assert out == 12.0
    assert calls == [("first", 2.0, 3.0), ("second",)]


def test_empty_returns_the_input():
    assert hk.transform(lambda: hk.Sequential([])(7.0)).apply({}, None) == 7.0


def test_layers_attribute_is_a_tuple_of_any_iterable():
    def f():
        return hk.Sequential(layer for layer in (jnp.sin, jnp.cos)).layers

    assert hk.transform(f).apply({}, None) == (jnp.sin, jnp.cos)


def test_passes_tuples_between_layers():
    seq = lambda: hk.Sequential([lambda x: (x, x + 1), lambda t: t[0] * t[1]])  # noqa: E731
    assert hk.transform(lambda: seq()(2.0)).apply({}, None) == 6.0


def test_errors_of_layers_propagate():
    with pytest.raises(TypeError):
        hk.transform(lambda: hk.Sequential([jnp.sin])(1.0, 2.0)).apply({}, None)
