"""``hk.MultiHeadAttention``: outputs against a NumPy softmax attention, masks
of every documented rank, sizes, the ``w_init_scale`` deprecation path and
errors."""

from __future__ import annotations

import warnings

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest

VS = hk.initializers.VarianceScaling(1.0)

def np_init(shape, dtype):
    """Random parameters from NumPy: no JAX RNG program to compile per shape."""
    rs = np.random.RandomState(len(shape) * 100 + sum(shape))
    return jnp.asarray(0.5 * rs.randn(*shape), dtype)


def np_attention(params, query, key, value, mask, num_heads, prefix="multi_head_attention"):
    """Multi-head softmax attention in float64 NumPy from the module's params."""

    def project(x, name):
        w = np.asarray(params[f"{prefix}/{name}"]["w"], np.float64)
        b = params[f"{prefix}/{name}"].get("b")
        y = np.asarray(x, np.float64) @ w
        if b is not None:
            y = y + np.asarray(b, np.float64)
        return y

    q, k, v = project(query, "query"), project(key, "key"), project(value, "value")
    key_size = q.shape[-1] // num_heads
    q = q.reshape(*q.shape[:-1], num_heads, key_size)
    k = k.reshape(*k.shape[:-1], num_heads, key_size)
    v = v.reshape(*v.shape[:-1], num_heads, v.shape[-1] // num_heads)
    # [..., T', H, K] x [..., T, H, K] -> [..., H, T', T]
    logits = np.einsum("...qhd,...khd->...hqk", q, k) / np.sqrt(key_size)
    if mask is not None:
        logits = np.where(np.asarray(mask) != 0, logits, -1e30)
    logits = logits - logits.max(axis=-1, keepdims=True)
    weights = np.exp(logits)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    attn = np.einsum("...hqk,...khd->...qhd", weights, v)
    attn = attn.reshape(*attn.shape[:-2], -1)
    return project(attn, "linear")


def run(query, key, value, mask=None, **kwargs):
    kwargs.setdefault("w_init", np_init)
    kwargs.setdefault("b_init", np_init)

    def f(q, k, v, m):
        return hk.MultiHeadAttention(**kwargs)(q, k, v, mask=m)

    transformed = hk.transform(f)
    params = transformed.init(jax.random.PRNGKey(0), query, key, value, mask)
    return params, transformed.apply(params, None, query, key, value, mask)


def rand(seed, *shape):
    return np.random.RandomState(seed).randn(*shape).astype(np.float32)


def causal(t, *lead):
    return np.broadcast_to(np.tril(np.ones((t, t), bool)), (*lead, t, t))


def test_self_attention_matches_numpy():
    x = rand(0, 2, 5, 6)
    params, out = run(x, x, x, num_heads=3, key_size=4)
    assert out.shape == (2, 5, 12)
    np.testing.assert_allclose(out, np_attention(params, x, x, x, None, 3), rtol=1e-5, atol=1e-5)


def test_cross_attention_with_value_and_model_sizes():
    q, k, v = rand(1, 2, 3, 5), rand(2, 2, 4, 6), rand(3, 2, 4, 7)
    params, out = run(q, k, v, num_heads=2, key_size=4, value_size=3, model_size=9)
    shapes = jax.tree_util.tree_map(jnp.shape, params)
    assert shapes == {
        "multi_head_attention/query": {"w": (5, 8), "b": (8,)},
        "multi_head_attention/key": {"w": (6, 8), "b": (8,)},
        "multi_head_attention/value": {"w": (7, 6), "b": (6,)},
        "multi_head_attention/linear": {"w": (6, 9), "b": (9,)},
    }
    assert list(params) == ["multi_head_attention/query", "multi_head_attention/key",
                            "multi_head_attention/value", "multi_head_attention/linear"]
    assert out.shape == (2, 3, 9)
    np.testing.assert_allclose(out, np_attention(params, q, k, v, None, 2), rtol=1e-5, atol=1e-5)


MASKS = {
    # name: (inputs' leading shape, mask shape builder)
    "[B, 1, T', T]": ((2,), lambda: causal(5, 2, 1)),
    "[B, H, T', T]": ((2,), lambda: np.random.RandomState(4).rand(2, 3, 5, 5) > 0.3),
    "[1, 1, T', T]": ((2,), lambda: causal(5, 1, 1)),
    "[B, 1, 1, T]": ((2,), lambda: np.random.RandomState(5).rand(2, 1, 1, 5) > 0.3),
    "unbatched [H, T', T]": ((), lambda: np.random.RandomState(6).rand(3, 5, 5) > 0.3),
    "unbatched [1, T', T]": ((), lambda: causal(5, 1)),
    "[B1, B2, 1, T', T]": ((2, 3), lambda: causal(5, 2, 3, 1)),
    "float mask": ((2,), lambda: causal(5, 2, 1).astype(np.float32)),
    "int mask": ((2,), lambda: causal(5, 1, 1).astype(np.int32)),
}


@pytest.mark.parametrize("name", list(MASKS))
def test_masks_of_every_rank(name):
    lead, make_mask = MASKS[name]
    mask = make_mask()
    x = rand(7, *lead, 5, 6)
    params, out = run(x, x, x, mask, num_heads=3, key_size=4)
    assert out.shape == (*lead, 5, 12)
    np.testing.assert_allclose(out, np_attention(params, x, x, x, mask, 3), rtol=1e-5, atol=1e-5)


def test_masked_positions_do_not_contribute():
    x = rand(8, 2, 5, 6)
    mask = causal(5, 2, 1)
    params, out = run(x, x, x, mask, num_heads=2, key_size=4)
    # Changing the last key/value position changes nothing before it (causal).
    y = x.copy()
    y[:, -1] = rand(9, 2, 6)
    f = hk.transform(lambda q, k, v, m: hk.MultiHeadAttention(2, 4, w_init=np_init, b_init=np_init)(
        q, k, v, mask=m))
    out2 = f.apply(params, None, x, y, y, mask)
    np.testing.assert_allclose(out2[:, :-1], out[:, :-1], rtol=1e-6, atol=1e-6)
    assert not np.allclose(out2[:, -1], out[:, -1])


def test_fully_masked_row_attends_uniformly():
    x = rand(10, 1, 4, 6)
    mask = np.ones((1, 1, 4, 4), bool)
    mask[..., 0, :] = False
    params, out = run(x, x, x, mask, num_heads=2, key_size=4)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, np_attention(params, x, x, x, mask, 2), rtol=1e-5, atol=1e-5)


def test_float16_mask_value_stays_finite():
    x = jnp.asarray(rand(11, 1, 4, 6), jnp.float16)
    mask = np.ones((1, 1, 4, 4), bool)
    mask[..., 0, :] = False
    _, out = run(x, x, x, mask, num_heads=2, key_size=4)
    assert out.dtype == jnp.float16
    assert np.isfinite(np.asarray(out, np.float32)).all()


def test_bfloat16_inputs_make_bfloat16_params_and_outputs():
    x = jnp.asarray(rand(12, 2, 5, 6), jnp.bfloat16)
    params, out = run(x, x, x, causal(5, 1, 1), num_heads=2, key_size=4)
    assert out.dtype == jnp.bfloat16
    assert {p.dtype for p in jax.tree_util.tree_leaves(params)} == {jnp.dtype(jnp.bfloat16)}
    ref = np_attention(params, np.asarray(x, np.float32), np.asarray(x, np.float32),
                       np.asarray(x, np.float32), causal(5, 1, 1), 2)
    np.testing.assert_allclose(np.asarray(out, np.float32), ref, rtol=0.1, atol=0.1)


def test_without_bias_and_with_b_init():
    x = rand(13, 2, 5, 6)
    params, out = run(x, x, x, num_heads=2, key_size=4, with_bias=False)
    assert all(set(bundle) == {"w"} for bundle in params.values())
    np.testing.assert_allclose(out, np_attention(params, x, x, x, None, 2), rtol=1e-5, atol=1e-5)
    params, _ = run(x, x, x, num_heads=2, key_size=4, b_init=jnp.ones)
    assert all((bundle["b"] == 1).all() for bundle in params.values())
    params, _ = run(x, x, x, num_heads=2, key_size=4, b_init=None)
    assert all((bundle["b"] == 0).all() for bundle in params.values())


def test_default_sizes_and_attributes():
    def f():
        mha = hk.MultiHeadAttention(num_heads=3, key_size=5, w_init=VS)
        return (mha.num_heads, mha.key_size, mha.value_size, mha.model_size, mha.with_bias,
                mha.b_init)

    assert hk.transform(f).apply({}, None) == (3, 5, 5, 15, True, None)


# The deprecated w_init_scale ---------------------------------------------------


def test_w_init_scale_warns_and_means_variance_scaling():
    x = rand(14, 2, 5, 6)

    def f(scale):
        def g(x):
            if scale:
                mha = hk.MultiHeadAttention(2, 4, 2.0)
            else:
                mha = hk.MultiHeadAttention(2, 4, w_init=hk.initializers.VarianceScaling(2.0))
            return mha(x, x, x)

        return hk.transform(g)

    with pytest.warns(DeprecationWarning, match="w_init_scale is deprecated"):
        deprecated = f(True).init(jax.random.PRNGKey(1), x)
    explicit = f(False).init(jax.random.PRNGKey(1), x)
    jax.tree_util.tree_map(np.testing.assert_array_equal, deprecated, explicit)


def test_w_init_scale_warning_points_at_the_caller():
    def g():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            hk.MultiHeadAttention(2, 4, w_init_scale=1.0)
        return caught

    (warning,) = hk.transform(g).apply({}, None)
    assert warning.category is DeprecationWarning
    assert warning.filename == __file__


def test_w_init_and_w_init_scale_together():
    def g():
        with pytest.warns(DeprecationWarning):
            hk.MultiHeadAttention(2, 4, w_init_scale=1.0, w_init=VS)

    with pytest.raises(ValueError, match=r"^Please provide only `w_init`, not `w_init_scale`\. "
                                         r"\(multi_head_attention: "):
        hk.transform(g).apply({}, None)


def test_w_init_is_required():
    with pytest.raises(ValueError, match=r"^Please provide a weight initializer: `w_init`\. .*"
                                         r"\(multi_head_attention: "):
        hk.transform(lambda: hk.MultiHeadAttention(2, 4)).apply({}, None)


# Errors ----------------------------------------------------------------------


def _apply(query, key, value, mask=None):
    f = hk.transform(lambda q, k, v, m: hk.MultiHeadAttention(2, 4, w_init=np_init)(q, k, v, m))
    return f.init(jax.random.PRNGKey(0), query, key, value, mask)


@pytest.mark.parametrize("mask_shape", [(5, 5), (2, 5, 5), (1, 5), (5,), (1, 2, 1, 5, 5)])
def test_mask_of_the_wrong_rank(mask_shape):
    x = jnp.ones([2, 5, 6])
    with pytest.raises(ValueError, match=rf"^Mask dimensionality {len(mask_shape)} must match "
                                         r"logits dimensionality 4\. \(multi_head_attention: "
                                         r".*\(2, 2, 5, 5\)"):
        _apply(x, x, x, jnp.ones(mask_shape, bool))


def test_mask_that_does_not_broadcast():
    x = jnp.ones([2, 5, 6])
    with pytest.raises(ValueError, match=r"mask of shape \(2, 1, 5, 4\) does not broadcast to the "
                                         r"attention logits .* \(2, 2, 5, 5\)"):
        _apply(x, x, x, jnp.ones([2, 1, 5, 4], bool))


def test_key_and_value_lengths_must_agree():
    with pytest.raises(ValueError, match=r"key and value must agree .* key \(2, 5, 6\) and value "
                                         r"\(2, 4, 6\)"):
        _apply(jnp.ones([2, 3, 6]), jnp.ones([2, 5, 6]), jnp.ones([2, 4, 6]))


def test_inputs_need_a_sequence_axis():
    with pytest.raises(ValueError, match=r"query must have shape \[\.\.\., T, D\] .* got shape "
                                         r"\(6,\)"):
        _apply(jnp.ones([6]), jnp.ones([5, 6]), jnp.ones([5, 6]))
