"""Behaviour dm-haiku 0.0.17's own tests rely on, for the norms, convolutions,
pooling, dropout and nets: SpectralNorm's ``sigma``/``u0``, GroupNorm's rank
check and first-call attributes, the other public attributes dm-haiku sets,
strict rank promotion, and error types whose messages start with dm-haiku's
wording (then name the module)."""

from __future__ import annotations

import re

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest

KEY = jax.random.PRNGKey(0)


def _run(f, *args):
    """Runs ``f`` under ``transform_with_state`` init and returns its output."""
    out = []
    hk.transform_with_state(lambda *a: out.append(f(*a))).init(KEY, *args)
    return out[0]


# -- SpectralNorm.sigma / u0 ---------------------------------------------------------


@pytest.mark.parametrize("n_steps", [1, 3])
def test_spectral_norm_sigma_and_u0_after_a_call(n_steps):
    w = np.diag([5.0, 2.0, 1.0, 0.5]).astype(np.float32) @ np.eye(4, 6, dtype=np.float32)

    def g(w):
        sn = hk.SpectralNorm(n_steps=n_steps)
        sn(w)
        return sn.sigma, sn.u0

    f = hk.transform_with_state(g)
    params, state = f.init(KEY, w)
    # Power iteration converges on this well-separated spectrum within 10 calls.
    for _ in range(10):
        (sigma, u0), state = f.apply(params, state, None, w)
    largest = np.linalg.svd(w, compute_uv=False)[0]
    np.testing.assert_allclose(sigma, largest, rtol=1e-4)
    assert sigma.shape == () and sigma.dtype == jnp.float32
    assert u0.shape == (1, 6)
    np.testing.assert_array_equal(u0, state["spectral_norm"]["u0"])
    # u0 converges to the top right singular vector (up to sign).
    np.testing.assert_allclose(np.abs(u0[0]), np.eye(6)[0], atol=1e-3)


def test_spectral_norm_sigma_is_one_without_update_stats():
    def f(w):
        sn = hk.SpectralNorm()
        out = sn(w, update_stats=False)
        return sn.sigma, out

    sigma, out = _run(f, 4.0 * jnp.eye(8))
    assert sigma.dtype == jnp.float32
    np.testing.assert_array_equal(sigma, 1.0)
    np.testing.assert_allclose(out, np.eye(8), atol=1e-3)  # Still normalized.


def test_spectral_norm_u0_before_any_call_is_an_error():
    with pytest.raises(ValueError, match="u0"):
        _run(lambda: hk.SpectralNorm().u0)


# -- GroupNorm: the rank is fixed by the first call ---------------------------------------


def _np_group_norm(x, groups, eps=1e-5):
    n, *spatial, c = x.shape
    g = x.reshape(n, *spatial, groups, c // groups).astype(np.float64)
    axes = tuple(range(1, g.ndim - 2)) + (g.ndim - 1,)
    mean = g.mean(axes, keepdims=True)
    var = g.var(axes, keepdims=True)
    return ((g - mean) / np.sqrt(var + eps)).reshape(x.shape)


def test_group_norm_rank_change_is_an_error_and_leaves_the_module_as_it_was():
    x4 = np.random.RandomState(0).randn(2, 3, 3, 4).astype(np.float32)

    def f():
        gn = hk.GroupNorm(groups=2, create_scale=False, create_offset=False)
        gn(x4)
        before = (gn.rank, gn.axis, gn.group_shape, gn.first_input_shape)
        with pytest.raises(ValueError) as info:
            gn(jnp.ones([2, 3, 3, 4, 4]))
        after = (gn.rank, gn.axis, gn.group_shape, gn.first_input_shape)
        # Same rank, other sizes: fine, normalized per example and group.
        y = gn(x4[:, :2, :1])
        return str(info.value), before, after, y

    message, before, after, y = _run(f)
    assert re.match(
        r"The rank of the inputs cannot change between calls, the original call was rank=4 "
        r"but this call was rank=5\. \(group_norm: got inputs of shape \(2, 3, 3, 4, 4\); the "
        r"first call had shape \(-1, 3, 3, 4\)\.\)$", message), message
    assert before == after == (4, (1, 2, 4), (-1, 3, 3, 2, 2), (-1, 3, 3, 4))
    np.testing.assert_allclose(y, _np_group_norm(x4[:, :2, :1], 2), atol=1e-5)


def test_group_norm_attributes_before_and_after_the_first_call():
    def f():
        gn = hk.GroupNorm(groups=3, data_format="channels_first")
        before = (gn.rank, gn.axis, gn.group_shape, gn.first_input_shape)
        gn(jnp.ones([2, 6, 5]))
        return before, (gn.rank, gn.axis, gn.group_shape, gn.first_input_shape)

    before, after = _run(f)
    assert before == (None, slice(1, None), None, None)
    # Channels first: the channel axis 1 splits into (groups=3, 2).
    assert after == (3, (2, 3), (-1, 3, 2, 5), (-1, 6, 5))


def test_group_norm_bad_first_call_sets_nothing():
    def f():
        gn = hk.GroupNorm(groups=4)
        with pytest.raises(ValueError, match="^The number of channels must be divisible"):
            gn(jnp.ones([2, 6]))
        return gn.rank, gn.axis

    assert _run(f) == (None, slice(1, None))


# -- public attributes dm-haiku sets ------------------------------------------------


def test_axis_attributes_are_tuples_as_in_dm_haiku():
    ln = _run(lambda: hk.LayerNorm(-1, True, True))
    assert (ln.axis, ln.param_axis) == ((-1,), (-1,))
    assert _run(lambda: hk.LayerNorm([0, 2], True, True, param_axis=1)).param_axis == (1,)
    assert _run(lambda: hk.RMSNorm(1)).axis == (1,)
    assert _run(lambda: hk.InstanceNorm(True, True)).param_axis == (-1,)
    assert _run(lambda: hk.InstanceNorm(True, True, data_format="NCHW")).param_axis == (1,)


@pytest.mark.parametrize("make, dn", [
    (lambda: hk.DepthwiseConv1D(2, 3), ("NWC", "WIO", "NWC")),
    (lambda: hk.DepthwiseConv1D(2, 3, data_format="NCW"), ("NCH", "HIO", "NCH")),
    (lambda: hk.DepthwiseConv2D(2, 3), ("NHWC", "HWIO", "NHWC")),
    (lambda: hk.DepthwiseConv2D(2, 3, data_format="NCHW"), ("NCHW", "HWIO", "NCHW")),
    (lambda: hk.DepthwiseConv3D(2, 3), ("NDHWC", "DHWIO", "NDHWC")),
])
def test_depthwise_dn(make, dn):
    conv = _run(make)
    assert conv.dn == dn
    # The strings are dimension numbers lax reads as ours.
    n = len(dn[1]) - 2
    assert jax.lax.conv_dimension_numbers(
        (1,) * (n + 2), (1,) * (n + 2), dn) == conv.dimension_numbers


def test_vector_quantizer_ema_exposes_its_moving_averages():
    def f():
        vq = hk.nets.VectorQuantizerEMA(embedding_dim=3, num_embeddings=5,
                                        commitment_cost=0.25, decay=0.9)
        return vq.ema_cluster_size, vq.ema_dw, vq.ema_cluster_size.average, vq.ema_dw.average

    cluster_size, dw, cluster_average, dw_average = _run(f)
    assert isinstance(cluster_size, hk.ExponentialMovingAverage)
    assert isinstance(dw, hk.ExponentialMovingAverage)
    assert cluster_size.decay == dw.decay == 0.9
    np.testing.assert_array_equal(cluster_average, np.zeros([5], np.float32))
    np.testing.assert_array_equal(dw_average, np.zeros([3, 5], np.float32))


# -- strict rank promotion ---------------------------------------------------------------

X4 = np.random.RandomState(1).randn(2, 3, 4, 6).astype(np.float32)
C6 = np.linspace(0.5, 2.0, 6).astype(np.float32)

STRICT = {
    "LayerNorm": lambda x: hk.LayerNorm(-1, True, True)(x),
    "LayerNorm scale at call": lambda x: hk.LayerNorm(-1, False, False)(x, C6, C6),
    "LayerNorm fast variance": lambda x: hk.LayerNorm(1, True, True, use_fast_variance=True,
                                                      param_axis=-1)(x),
    "InstanceNorm": lambda x: hk.InstanceNorm(True, True)(x),
    "InstanceNorm NCHW": lambda x: hk.InstanceNorm(True, True, data_format="NCHW")(x),
    "GroupNorm": lambda x: hk.GroupNorm(2)(x),
    "GroupNorm NCHW": lambda x: hk.GroupNorm(3, data_format="NCHW")(x),
    "GroupNorm scale at call": lambda x: hk.GroupNorm(2, create_scale=False,
                                                      create_offset=False)(x, C6, C6),
    "BatchNorm scale at call": lambda x: hk.BatchNorm(False, False, 0.9)(x, True, False, C6, C6),
    "RMSNorm": lambda x: hk.RMSNorm(-1)(x),
}


@pytest.mark.parametrize("name", list(STRICT))
def test_norms_run_under_strict_rank_promotion_with_the_same_numbers(name):
    f = hk.transform_with_state(STRICT[name])
    params, state = f.init(KEY, X4)
    params = jax.tree_util.tree_map(lambda p: p + 0.25, params)  # Non-trivial values.
    expected, _ = f.apply(params, state, None, X4)
    with jax.numpy_rank_promotion("raise"):
        out, _ = f.apply(params, state, None, X4)
    np.testing.assert_array_equal(out, expected)


def test_layer_norm_scale_at_call_against_numpy():
    with jax.numpy_rank_promotion("raise"):
        out = _run(lambda x: hk.LayerNorm(-1, False, False)(x, C6, C6), X4)
    x = X4.astype(np.float64)
    norm = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(out, norm * C6 + C6, atol=1e-5)


def test_group_norm_channels_first_against_numpy():
    with jax.numpy_rank_promotion("raise"):
        out = _run(lambda x: hk.GroupNorm(3, data_format="NCHW")(x), X4)
    # Channels first: move channels last for the reference and back.
    reference = _np_group_norm(np.moveaxis(X4, 1, -1), 3)
    np.testing.assert_allclose(out, np.moveaxis(reference, -1, 1), atol=1e-5)


# -- errors: dm-haiku's type and wording first, then ours -----------------------------------

X = jnp.ones([2, 4, 4, 6])

ERRORS = [
    # (what, type, regex: dm-haiku's message, then our context)
    (lambda: hk.SpectralNorm()(jnp.ones([5])), ValueError,
     r"Spectral normalization is not well defined for scalar or vector inputs\. "
     r"\(spectral_norm: got shape \(5,\); pass a matrix\.\)$"),
    (lambda: hk.SpectralNorm()(jnp.ones([1, 8, 8]), error_on_non_matrix=True), ValueError,
     r"Input is 3D but error_on_non_matrix is True \(spectral_norm: shape \(1, 8, 8\);"),
    (lambda: hk.GroupNorm(2, axis="a"), ValueError,
     r"`axis` should be an int, slice or iterable of ints\. Got: a \(group_norm: `axis`\)\.$"),
    (lambda: hk.LayerNorm(-1, True, True, param_axis=[1.5]), ValueError,
     r"`axis` should be an int, slice or iterable of ints\. Got: \[1\.5\] "
     r"\(layer_norm: `param_axis`\)\.$"),
    (lambda: hk.RMSNorm(-1, create_scale=False, scale_init=jnp.ones), ValueError,
     r"Cannot set `scale_init` if `create_scale=False`\. \(rms_norm\)$"),
    (lambda: hk.GroupNorm(2, create_offset=False, offset_init=jnp.ones), ValueError,
     r"Cannot set `offset_init` if `create_offset=False`\. \(group_norm\)$"),
    (lambda: hk.BatchNorm(True, True, 0.9)(X, True, scale=jnp.ones([6])), ValueError,
     r"Cannot pass `scale` at call time if `create_scale=True`\. \(batch_norm\)$"),
    (lambda: hk.GroupNorm(4)(X), ValueError,
     r"The number of channels must be divisible by the number of groups, was channels=6, "
     r"groups=4 \(group_norm: input shape \(2, 4, 4, 6\), data_format='channels_last'\.\)$"),
    (lambda: hk.BatchNorm(True, True, 0.9, cross_replica_axis_index_groups=[[0]]), ValueError,
     r"`cross_replica_axis` name must be specifiedif `cross_replica_axis_index_groups` are "
     r"used\. \(batch_norm: "),
    (lambda: hk.ConvND(0, 3, 3), ValueError,
     r"We only support convolution operations for `num_spatial_dims` greater than 0, "
     r"received num_spatial_dims=0\. \(conv_nd\)$"),
    (lambda: hk.Conv1D(3, 3)(X), ValueError,
     r"Input to ConvND needs to have rank in \[2, 3\], but input has shape \(2, 4, 4, 6\)\. "
     r"\(conv1_d: "),
    (lambda: hk.Conv2DTranspose(3, 3)(jnp.ones([2, 6])), ValueError,
     r"Input to ConvNDTranspose needs to have rank in \[3, 4\], but input has shape \(2, 6\)\. "
     r"\(conv2_d_transpose: "),
    (lambda: hk.Conv2D(4, 3, feature_group_count=4)(X), ValueError,
     r"Inputs channels 6 should be a multiple of feature_group_count 4 \(conv2_d: "),
    (lambda: hk.Conv2D(3, 3, mask=jnp.ones([3, 3]))(X), ValueError,
     r"Mask needs to have the same shape as weights\. Shapes are: \(3, 3\), \(3, 3, 6, 3\) "
     r"\(conv2_d: "),
    (lambda: hk.Conv2D(3, 3, padding=[(1, 1)] * 3), TypeError,
     r"Padding \[\(1, 1\), \(1, 1\), \(1, 1\)\] must be a Tuple\[int, int\] or sequence of "
     r"length 1 or sequence of length 2\. \(conv2_d: "),
    (lambda: hk.Conv2D(3, 3, stride=(1, 1, 1)), TypeError,
     r"strides must be a scalar or sequence of length 1 or sequence of length 2\. "
     r"\(conv2_d: `stride` is \(1, 1, 1\)\.\)$"),
    (lambda: hk.Conv2DTranspose(3, 3, output_shape=(8, 8), padding=[(1, 1), (1, 1)]), ValueError,
     r"When specifying `output_shape`, ensure that paddding is 'VALID' or 'SAME'\. "
     r"\(conv2_d_transpose: "),
    (lambda: hk.Conv2DTranspose(3, 3, stride=2, output_shape=(20, 20))(X), ValueError,
     r"The expected input size with the current set of input parameters is 10 which doesn't "
     r"match the actual input size 4\. \(conv2_d_transpose: "),
    (lambda: hk.MaxPool(2, 2, "FOO")(X), ValueError,
     r"Invalid padding 'FOO', must be 'SAME' or 'VALID'\. \(max_pool\)$"),
    (lambda: hk.avg_pool(X, 2, 2, "SAME", channel_axis=9), ValueError,
     r"Invalid channel axis 9 for \(2, 4, 4, 6\) \(avg_pool: the input has rank 4\.\)$"),
    (lambda: hk.dropout(hk.next_rng_key(), 1.0, X), ValueError,
     r"rate must be in \[0, 1\)\. \(dropout: got 1\.0\.\)$"),
    (lambda: hk.dropout(hk.next_rng_key(), 0.5, jnp.ones([2, 6]), broadcast_dims=(5,)),
     ValueError,
     r"Broadcast dimension does not exist\. Got dimension 5 for shape \[2, 6\]\. \(dropout: "),
    (lambda: hk.nets.MobileNetV1(strides=(1, 2), channels=(3,)), ValueError,
     r"`strides` and `channels` must have the same length\. \(mobile_net_v1: got 2 strides "),
    (lambda: hk.nets.VectorQuantizerEMA(5, 5, 0.25, 1.5), ValueError,
     r"decay must be in range \[0, 1\] \(vector_quantizer_ema: got 1\.5\.\)$"),
    (lambda: hk.BatchApply(jnp.sin)(jnp.ones([3])), ValueError,
     r"BatchApply requires at least one input with ndim >= 2\. \(BatchApply: "),
]


@pytest.mark.parametrize("make, error, pattern", ERRORS)
def test_errors_start_with_dm_haiku_wording(make, error, pattern):
    f = hk.transform_with_state(make)
    with pytest.raises(error) as info:
        f.init(KEY)
    assert type(info.value) is error
    assert re.match(pattern, str(info.value)), str(info.value)
