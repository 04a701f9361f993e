"""``hk.BatchApply``: which inputs are merged, how outputs are split, naming
and errors."""

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


def test_merges_and_splits_leading_axes():
    seen = []

    def f(a, b, c):
        seen.append((a.shape, b.shape, c))
        return a + b.sum(-1, keepdims=True)

    x = np.random.RandomState(0).randn(2, 3, 4).astype(np.float32)
    y = np.random.RandomState(1).randn(2, 3, 7).astype(np.float32)
    out = hk.BatchApply(f)(x, b=y, c=1.5)
    assert seen == [((6, 4), (6, 7), 1.5)]
    np.testing.assert_allclose(out, x + y.sum(-1, keepdims=True), rtol=1e-6)


def test_low_rank_and_non_array_inputs_pass_unchanged():
    seen = []

    def f(a, bias, scale):
        seen.append((a.shape, bias.shape, scale))
        return a * scale + bias

    out = hk.BatchApply(f)(jnp.ones([2, 3, 4]), jnp.ones([4]), 2)
    assert seen == [((6, 4), (4,), 2)]
    assert out.shape == (2, 3, 4)


@pytest.mark.parametrize("num_dims,inner", [(1, (2, 3, 4)), (2, (6, 4)), (3, (24,))])
def test_num_dims(num_dims, inner):
    seen = []

    def f(a):
        seen.append(a.shape)
        return a * 2

    out = hk.BatchApply(f, num_dims=num_dims)(jnp.ones([2, 3, 4]))
    assert seen == [inner]
    np.testing.assert_array_equal(out, np.full([2, 3, 4], 2.0))


def test_pytrees_in_and_out():
    x = jnp.ones([2, 3, 4])

    def f(tree):
        a = tree["a"]
        assert a.shape == (6, 4) and tree["b"][0].shape == (6, 4) and tree["b"][1] == 1
        return {"sum": a.sum(-1), "same": (a, None)}

    out = hk.BatchApply(f)({"a": x, "b": [x, 1]})
    assert out["sum"].shape == (2, 3)
    assert out["same"][0].shape == (2, 3, 4) and out["same"][1] is None


def test_numpy_output_stays_numpy():
    out = hk.BatchApply(lambda a: np.ones((6, 2)))(jnp.ones([2, 3, 4]))
    assert isinstance(out, np.ndarray) and out.shape == (2, 3, 2)


def test_linear_per_timestep_matches_loop():
    x = np.random.RandomState(2).randn(5, 4, 3).astype(np.float32)  # [T, B, D]

    def f(x):
        return hk.BatchApply(linear(7))(x)

    transformed = hk.transform(f)
    params = transformed.init(jax.random.PRNGKey(0), x)
    assert list(params) == ["linear"]  # no name scope of its own
    out = transformed.apply(params, None, x)
    w, b = params["linear"]["w"], params["linear"]["b"]
    np.testing.assert_allclose(out, np.stack([x[t] @ w + b for t in range(5)]), rtol=1e-5,
                               atol=1e-6)


def test_not_a_module():
    batch_apply = hk.BatchApply(jnp.sin, num_dims=3)
    assert not isinstance(batch_apply, hk.Module)
    assert batch_apply.num_dims == 3


def test_jit_vmap_grad():
    f = hk.transform(lambda x: hk.BatchApply(linear(2))(x))
    x = jnp.ones([3, 4, 5])
    params = f.init(jax.random.PRNGKey(0), x)
    np.testing.assert_allclose(jax.jit(f.apply)(params, None, x), f.apply(params, None, x),
                               rtol=1e-6)
    out = jax.vmap(f.apply, in_axes=(None, None, 0))(params, None, jnp.ones([2, 3, 4, 5]))
    assert out.shape == (2, 3, 4, 2)
    grads = jax.grad(lambda p: f.apply(p, None, x).sum())(params)
    np.testing.assert_allclose(grads["linear"]["b"], [12.0, 12.0])


# Errors ----------------------------------------------------------------------


def test_needs_an_input_of_high_enough_rank():
    with pytest.raises(ValueError, match=r"^BatchApply requires at least one input with ndim >= 2\. "
                                         r"\(BatchApply: num_dims=2; got inputs of shapes "
                                         r"\[\(3,\)\]\.\)$"):
        hk.BatchApply(jnp.sin)(jnp.ones([3]))
    with pytest.raises(ValueError, match="BatchApply requires at least one input"):
        hk.BatchApply(jnp.sin)()


def test_inputs_must_share_their_leading_axes():
    with pytest.raises(ValueError, match=r"share their first 2 axes; got shapes \(2, 3, 4\) and "
                                         r"\(3, 2, 4\)"):
        hk.BatchApply(lambda a, b: a)(jnp.ones([2, 3, 4]), jnp.ones([3, 2, 4]))


def test_outputs_must_have_the_merged_axis():
    with pytest.raises(ValueError, match=r"leading axis of size 6 \(the merged axes \(2, 3\)\) "
                                         r"to split back, got an output of shape \(4,\)"):
        hk.BatchApply(lambda a: a[0])(jnp.ones([2, 3, 4]))
    with pytest.raises(ValueError, match=r"got an output of shape \(\)"):
        hk.BatchApply(lambda a: 3.0)(jnp.ones([2, 3, 4]))


def test_num_dims_must_be_positive():
    with pytest.raises(TypeError, match="num_dims must be at least 1, got 0"):
        hk.BatchApply(jnp.sin, num_dims=0)
