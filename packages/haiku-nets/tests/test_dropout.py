"""``hk.dropout``: keep-rate statistics, scaling, shared masks, dtypes, errors
and JAX transforms. (The exact masks dm-haiku draws for a key are checked in
``test_layers_oracle_parity.py``.)"""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest

N = 1000  # one shape for most tests: each new shape compiles a new RNG program


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9])
def test_keep_rate_statistics(rate):
    n = 200_000
    out = np.asarray(hk.dropout(jax.random.PRNGKey(0), rate, jnp.ones([n])))
    kept = out != 0
    # Binomial(n, 1 - rate): 6 standard deviations.
    tolerance = 6 * np.sqrt(rate * (1 - rate) / n)
    assert abs(kept.mean() - (1 - rate)) < tolerance
    np.testing.assert_allclose(out[kept], 1 / (1 - rate), rtol=1e-6)
    assert abs(out.mean() - 1.0) < tolerance / (1 - rate)


def test_kept_values_are_scaled_inputs():
    x = jnp.asarray(np.random.RandomState(1).randn(N), jnp.float32)
    out = hk.dropout(jax.random.PRNGKey(2), 0.3, x)
    kept = out != 0
    np.testing.assert_allclose(out[kept], x[kept] / 0.7, rtol=1e-6)
    # Dropped elements are +0, whatever the sign of the input.
    assert not np.signbit(np.asarray(out)[~np.asarray(kept)]).any()


def test_different_keys_give_different_masks_and_same_key_the_same():
    x = jnp.ones([N])
    a = hk.dropout(jax.random.PRNGKey(0), 0.5, x)
    b = hk.dropout(jax.random.PRNGKey(1), 0.5, x)
    assert (a != b).any()
    np.testing.assert_array_equal(a, hk.dropout(jax.random.PRNGKey(0), 0.5, x))


def test_mask_is_bernoulli_of_keep_rate():
    """The mask is ``jax.random.bernoulli(rng, 1 - rate, shape)`` (as in dm-haiku)."""
    key = jax.random.PRNGKey(3)
    out = hk.dropout(key, 0.25, jnp.ones([N]))
    np.testing.assert_array_equal(out != 0, jax.random.bernoulli(key, 0.75, (N,)))
    out = hk.dropout(key, 0.25, jnp.ones([6, 7, 8]), broadcast_dims=[0])
    np.testing.assert_array_equal(
        out != 0, np.broadcast_to(jax.random.bernoulli(key, 0.75, (1, 7, 8)), (6, 7, 8)))


@pytest.mark.parametrize("broadcast_dims,shared", [((0,), (0,)), ((-1,), (2,)), ((0, 2), (0, 2)),
                                                   ((1, -1), (1, 2))])
def test_broadcast_dims_share_the_mask(broadcast_dims, shared):
    x = jnp.ones([6, 7, 8])
    mask = np.asarray(hk.dropout(jax.random.PRNGKey(4), 0.5, x, broadcast_dims) != 0)
    for axis in range(3):
        first = np.take(mask, [0], axis=axis)
        same = (mask == first).all()
        if axis in shared:
            assert same
        else:
            assert not same


def test_zero_rate_returns_the_input():
    x = jnp.arange(5.0)
    assert hk.dropout(jax.random.PRNGKey(0), 0.0, x) is x
    assert hk.dropout(jax.random.PRNGKey(0), np.float32(0), x) is x


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5])
def test_rate_out_of_range(rate):
    with pytest.raises(ValueError, match=rf"^rate must be in \[0, 1\)\. \(dropout: got {rate}\.\)$"):
        hk.dropout(jax.random.PRNGKey(0), rate, jnp.ones([3]))


def test_missing_key():
    with pytest.raises(TypeError, match="dropout: rng must be a JAX random key"):
        hk.dropout(None, 0.5, jnp.ones([3]))


def test_broadcast_dims_out_of_range():
    with pytest.raises(ValueError, match=r"^Broadcast dimension does not exist\. Got dimension 3 "
                                         r"for shape \[2, 3\]\. \(dropout: broadcast_dims \(3,\) "
                                         r"must be axes of x\.\)$"):
        hk.dropout(jax.random.PRNGKey(0), 0.5, jnp.ones([2, 3]), broadcast_dims=(3,))


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16, jnp.float32])
def test_dtype_is_kept(dtype):
    out = hk.dropout(jax.random.PRNGKey(0), 0.5, jnp.ones([N], dtype))
    assert out.dtype == dtype


def test_low_precision_rate():
    out = hk.dropout(jax.random.PRNGKey(0), np.float16(0.3), jnp.ones([N]))
    assert out.dtype == jnp.float32
    keep = np.float32(1 - np.float16(0.3))  # 0.7002 (rate rounded to float16)
    np.testing.assert_allclose(out[out != 0], 1 / keep, rtol=1e-6)


def test_integer_inputs_give_floats():
    out = hk.dropout(jax.random.PRNGKey(0), 0.5, jnp.arange(N))
    assert out.dtype == jnp.float32


def test_typed_keys():
    x = jnp.ones([N])
    np.testing.assert_array_equal(hk.dropout(jax.random.key(5), 0.5, x),
                                  hk.dropout(jax.random.PRNGKey(5), 0.5, x))


def test_jit_with_traced_and_static_rate():
    key, x = jax.random.PRNGKey(6), jnp.asarray(np.random.RandomState(7).randn(N), jnp.float32)
    eager = hk.dropout(key, 0.4, x)
    # A traced rate computes 1 - rate in float32 rather than in Python.
    np.testing.assert_allclose(jax.jit(hk.dropout)(key, 0.4, x), eager, rtol=1e-6)
    # A static rate is a constant of the compiled program: XLA may divide by it
    # as a multiply by its reciprocal (JAX 0.6's XLA does: 1 ulp), with the
    # same mask.
    static = jax.jit(hk.dropout, static_argnums=1)(key, 0.4, x)
    np.testing.assert_array_equal(static == 0, eager == 0)
    np.testing.assert_allclose(static, eager, rtol=2e-7)
    # A traced rate of 0 keeps everything (no identity shortcut under jit).
    np.testing.assert_array_equal(jax.jit(hk.dropout)(key, 0.0, x), x)


def test_grad_is_the_scaled_mask():
    key, x = jax.random.PRNGKey(8), jnp.ones([N])
    grad = jax.grad(lambda v: hk.dropout(key, 0.2, v).sum())(x)
    mask = hk.dropout(key, 0.2, x) != 0
    np.testing.assert_allclose(grad, np.where(mask, 1 / 0.8, 0.0), rtol=1e-6)


def test_vmap_over_keys():
    keys = jax.random.split(jax.random.PRNGKey(9), 3)
    out = jax.vmap(lambda k: hk.dropout(k, 0.5, jnp.ones([N])))(keys)
    for i in range(3):
        np.testing.assert_array_equal(out[i], hk.dropout(keys[i], 0.5, jnp.ones([N])))


def test_inside_a_transform_with_next_rng_key():
    def f(x):
        return hk.dropout(hk.next_rng_key(), 0.5, x)

    transformed = hk.transform(f)
    x = jnp.ones([N])
    a = transformed.apply({}, jax.random.PRNGKey(0), x)
    b = transformed.apply({}, jax.random.PRNGKey(1), x)
    assert (a != b).any()
    np.testing.assert_array_equal(a, transformed.apply({}, jax.random.PRNGKey(0), x))


@pytest.mark.parametrize("rate", [0.0, 0.25, np.float16(0.5)])
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16, jnp.int32])
def test_fast_eval_shape_draws_no_mask_and_gives_eval_shape_types(monkeypatch, rate, dtype):
    def fn(x):
        return hk.dropout(hk.next_rng_key(), rate, x, broadcast_dims=[0])

    f = hk.transform(fn)
    x = jnp.ones([3, 4], dtype)
    key = jax.random.PRNGKey(0)
    expected = jax.eval_shape(f.apply, {}, key, x)
    draws = []
    bernoulli = jax.random.bernoulli
    monkeypatch.setattr(jax.random, "bernoulli", lambda *a, **k: draws.append(1) or bernoulli(*a, **k))
    assert hk.experimental.fast_eval_shape(f.apply, {}, key, x) == expected
    assert draws == []
    # Outside fast_eval_shape the mask is drawn as usual (a new transform:
    # JAX caches the trace of f.apply from above).
    jax.eval_shape(hk.transform(fn).apply, {}, key, x)
    assert draws == ([] if rate == 0.0 else [1])


def test_fast_eval_shape_keeps_the_argument_checks():
    f = hk.transform(lambda x: hk.dropout(hk.next_rng_key(), 1.5, x))
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)\. \(dropout: got 1.5\.\)"):
        hk.experimental.fast_eval_shape(f.apply, {}, jax.random.PRNGKey(0), jnp.ones([2]))
