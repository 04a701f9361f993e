"""Convolutions against an independent NumPy reference, for every data format,
padding form, stride, rate and group count tested; and their errors.

The reference (:func:`np_conv`) is a direct float64 sum over kernel offsets in
channels-last layout; ``SAME`` is the usual ``ceil(size / stride)`` output
with the odd padding element after. Transposed convolutions are checked against
``jax.lax.conv_transpose`` called with string dimension numbers, against the
NumPy reference (stride-dilated input, explicit padding), and with
``output_shape`` against the gradient of the forward convolution they
transpose.
"""

from __future__ import annotations

import importlib.util
import math
import re
import sys
from pathlib import Path

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest


def _load_reference():
    name = "haiku_nets_tests_conv_reference"
    if name not in sys.modules:
        path = Path(__file__).with_name("conv_reference.py")
        spec = importlib.util.spec_from_file_location(name, path)
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


ref = _load_reference()
np_init, x_of, same_pads, np_conv = ref.np_init, ref.x_of, ref.same_pads, ref.np_conv
to_last, to_first, run, flat = ref.to_last, ref.to_first, ref.run, ref.flat
np_conv_transpose = ref.np_conv_transpose
W, B = np_init(1, 0.5), np_init(2)


# ConvND ------------------------------------------------------------------------

CONV_CASES = [
    # (class, spatial dims, data_format, input spatial, kernel, kwargs)
    ("Conv1D", 1, "NWC", (9,), 3, {}),
    ("Conv1D", 1, "NCW", (9,), 3, {"stride": 2}),
    ("Conv1D", 1, "NWC", (9,), 2, {"padding": "VALID", "rate": 3}),
    ("Conv1D", 1, "NCW", (8,), 3, {"padding": hk.pad.causal, "rate": 2}),
    ("Conv1D", 1, "NWC", (8,), 4, {"padding": [(3, 1)], "stride": 3}),
    ("Conv2D", 2, "NHWC", (7, 6), 3, {"padding": "same"}),
    ("Conv2D", 2, "NCHW", (7, 6), (3, 2), {"stride": (2, 1)}),
    ("Conv2D", 2, "NHWC", (8, 9), 3, {"padding": "VALID", "stride": 2, "rate": (1, 2)}),
    ("Conv2D", 2, "NCHW", (6, 7), 3, {"padding": [(0, 2), (1, 0)]}),
    ("Conv2D", 2, "NHWC", (6, 7), 2, {"padding": (2, 1), "stride": 2}),
    ("Conv2D", 2, "NCHW", (6, 7), 3, {"padding": [hk.pad.full, hk.pad.reverse_causal]}),
    ("Conv2D", 2, "NHWC", (6, 7), 3, {"padding": hk.pad.same, "rate": 2, "stride": 3}),
    ("Conv2D", 2, "channels_last", (5, 5), 3, {"feature_group_count": 2}),
    ("Conv2D", 2, "NCHW", (5, 5), 1, {"feature_group_count": 4, "with_bias": False}),
    ("Conv3D", 3, "NDHWC", (4, 5, 3), 2, {}),
    ("Conv3D", 3, "NCDHW", (4, 5, 6), (1, 2, 3), {"stride": (1, 2, 2), "padding": "VALID"}),
    ("Conv3D", 3, "NDHWC", (5, 4, 4), 3, {"padding": hk.pad.causal, "rate": (2, 1, 1)}),
    ("ConvND", 2, "channels_first", (5, 6), 3, {"stride": 2, "padding": "VALID"}),
    ("ConvND", 1, "NC...", (7,), 3, {}),
    ("ConvND", 4, "N...C", (3, 4, 3, 3), 2, {"padding": "SAME"}),
]


def _resolve_pads(padding, sizes, kernel, stride, rate):
    n = len(sizes)
    if isinstance(padding, str):
        return same_pads(sizes, kernel, stride, rate) if padding.upper() == "SAME" else [(0, 0)] * n
    if callable(padding):
        padding = [padding] * n
    if isinstance(padding, tuple) and isinstance(padding[0], int):
        padding = [padding] * n
    if len(padding) == 1:
        padding = list(padding) * n
    return [p((k - 1) * r + 1) if callable(p) else p for p, k, r in zip(padding, kernel, rate)]


def _with_unbatched(cases, every):
    """Each case batched, and every ``every``-th one also unbatched."""
    return [(*c, True) for c in cases] + [(*c, False) for c in cases[::every]]


def _ids(value):
    if value is True or value is False:
        return "batched" if value else "unbatched"
    return str(value) if isinstance(value, (str, int)) else None


@pytest.mark.parametrize("cls, n, data_format, sizes, kernel, kwargs, batched",
                         _with_unbatched(CONV_CASES, 4), ids=_ids)
def test_conv_matches_reference(cls, n, data_format, sizes, kernel, kwargs, batched):
    groups = kwargs.get("feature_group_count", 1)
    cin, cout = 2 * groups, 3 * groups if groups > 1 else 3
    channel_index = hk.get_channel_index(data_format)
    shape = (2, cin, *sizes) if channel_index == 1 else (2, *sizes, cin)
    x = x_of(shape)
    args = (n,) if cls == "ConvND" else ()

    def forward(x):
        return getattr(hk, cls)(*args, cout, kernel, w_init=W, b_init=B,
                                data_format=data_format, **kwargs)(x)

    params, out = run(forward, x if batched else x[0])
    params = flat(params)
    kernel_t = (kernel,) * n if isinstance(kernel, int) else kernel
    stride = kwargs.get("stride", 1)
    stride = (stride,) * n if isinstance(stride, int) else stride
    rate = kwargs.get("rate", 1)
    rate = (rate,) * n if isinstance(rate, int) else rate
    name = {"ConvND": "conv_nd"}.get(cls, cls.lower().replace("d", "_d"))
    w = params[f"{name}/w"]
    assert w.shape == (*kernel_t, cin // groups, cout)
    pads = _resolve_pads(kwargs.get("padding", "SAME"), sizes, kernel_t, stride, rate)
    expected = np_conv(to_last(x, channel_index), w, stride, pads, rate, groups)
    if kwargs.get("with_bias", True):
        b = params[f"{name}/b"]
        assert b.shape == ((cout,) if channel_index == -1 else (cout,) + (1,) * n)
        expected = expected + np.asarray(b).reshape(-1)
    else:
        assert f"{name}/b" not in params
    expected = to_first(expected, channel_index)
    if not batched:
        expected = expected[0]
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_conv_mask_multiplies_the_weights():
    mask = np.zeros([3, 3, 2, 4], np.float32)
    mask[1, :, :, ::2] = 1.0

    def forward(x):
        return hk.Conv2D(4, 3, mask=jnp.asarray(mask), w_init=W, b_init=B)(x)

    x = x_of((1, 5, 5, 2))
    params, out = run(forward, x)
    w, b = params["conv2_d"]["w"], params["conv2_d"]["b"]
    assert np.all(np.asarray(w) != 0)  # the parameter is stored unmasked
    expected = np_conv(x, np.asarray(w) * mask, (1, 1), [(1, 1)] * 2, (1, 1)) + np.asarray(b)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_conv_precision_is_passed_to_lax():
    def forward(x):
        return hk.Conv1D(2, 3, w_init=W)(x, precision=jax.lax.Precision.HIGHEST)

    jaxpr = str(jax.make_jaxpr(hk.transform(forward).init)(None, jnp.ones([1, 5, 2])))
    assert "precision=(Precision.HIGHEST, Precision.HIGHEST)" in jaxpr


def _truncated_normal(shape, fan_in):
    return hk.transform(lambda: hk.get_parameter(
        "w", shape, init=hk.initializers.TruncatedNormal(1 / math.sqrt(fan_in)))).init(
        jax.random.PRNGKey(0))["~"]["w"]


# The weight shapes are those of the oracle parity test's default_init group, so
# that the RNG programs (about two CPU seconds to compile each) compile once.
def test_conv_default_initializers():
    """Weights: truncated normal with stddev 1 / sqrt(fan_in); bias: zeros."""
    x = jnp.ones([1, 4, 4, 6])
    params = hk.transform(lambda x: hk.Conv2D(6, 3, feature_group_count=3)(x)).init(
        jax.random.PRNGKey(0), x)
    w, b = params["conv2_d"]["w"], params["conv2_d"]["b"]
    assert w.dtype == b.dtype == jnp.float32
    np.testing.assert_array_equal(b, np.zeros([6]))
    np.testing.assert_array_equal(w, _truncated_normal([3, 3, 2, 6], fan_in=3 * 3 * 2))


def test_conv_transpose_default_fan_in():
    x = jnp.ones([1, 3, 3, 6])
    params = hk.transform(lambda x: hk.Conv2DTranspose(2, 3)(x)).init(jax.random.PRNGKey(0), x)
    w = params["conv2_d_transpose"]["w"]
    np.testing.assert_array_equal(w, _truncated_normal([3, 3, 2, 6], fan_in=3 * 3 * 6))


def test_conv_attributes():
    def forward():
        conv = hk.Conv2D(4, (3, 5), stride=2, rate=(1, 2), padding=hk.pad.causal,
                         data_format="NCHW")
        assert conv.kernel_shape == (3, 5)
        assert conv.stride == (2, 2)
        assert conv.kernel_dilation == (1, 2)
        assert conv.padding == ((2, 0), (8, 0))
        assert conv.channel_index == 1
        assert conv.output_channels == 4
        assert conv.num_spatial_dims == 2
        assert isinstance(conv, hk.ConvND)
        assert hk.Conv1D(1, 1).padding == "SAME"
        assert hk.Conv1D(1, 3, padding=[(1, 2)]).padding == ((1, 2),)
        conv = hk.Conv2D(1, np.array([3, 2]), stride=np.int64(2),
                         padding=np.array([[1, 1], [0, 2]]))
        assert conv.kernel_shape == (3, 2) and conv.stride == (2, 2)
        assert conv.padding == ((1, 1), (0, 2))

    hk.transform(forward).init(None)


# Transposed convolutions -----------------------------------------------------------

LAX_SPECS = {1: ("NWC", "WOI"), 2: ("NHWC", "HWOI"), 3: ("NDHWC", "DHWOI")}
LAX_SPECS_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}

TRANSPOSE_CASES = [
    # (class, spatial dims, data_format, input spatial, kernel, kwargs)
    ("Conv1DTranspose", 1, "NWC", (5,), 3, {"stride": 2}),
    ("Conv1DTranspose", 1, "NCW", (5,), 4, {"stride": 3, "padding": "VALID"}),
    ("Conv1DTranspose", 1, "NWC", (5,), 2, {}),
    ("Conv2DTranspose", 2, "NHWC", (4, 3), 3, {"stride": 2}),
    ("Conv2DTranspose", 2, "NCHW", (4, 3), (3, 2), {"stride": (1, 2), "padding": "VALID"}),
    ("Conv2DTranspose", 2, "NHWC", (4, 3), 5, {"stride": 2, "padding": "VALID"}),
    ("Conv3DTranspose", 3, "NDHWC", (2, 3, 2), 2, {"stride": 2}),
    ("Conv3DTranspose", 3, "NCDHW", (2, 3, 2), 3, {"stride": (1, 2, 1), "padding": "VALID"}),
    ("ConvNDTranspose", 2, "channels_first", (3, 3), 3, {"stride": 3}),
]


@pytest.mark.parametrize("cls, n, data_format, sizes, kernel, kwargs, batched",
                         _with_unbatched(TRANSPOSE_CASES, 3), ids=_ids)
def test_conv_transpose_matches_lax(cls, n, data_format, sizes, kernel, kwargs, batched):
    cin, cout = 2, 3
    channel_index = hk.get_channel_index(data_format)
    shape = (2, cin, *sizes) if channel_index == 1 else (2, *sizes, cin)
    x = x_of(shape)
    args = (n,) if cls == "ConvNDTranspose" else ()

    def forward(x):
        return getattr(hk, cls)(*args, cout, kernel, w_init=W, b_init=B,
                                data_format=data_format, **kwargs)(x)

    params, out = run(forward, x if batched else x[0])
    (name,) = params
    w, b = params[name]["w"], params[name]["b"]
    kernel_t = (kernel,) * n if isinstance(kernel, int) else kernel
    assert w.shape == (*kernel_t, cout, cin)
    stride = kwargs.get("stride", 1)
    stride = (stride,) * n if isinstance(stride, int) else stride
    lhs, rhs = LAX_SPECS[n]
    if channel_index == 1:
        lhs = LAX_SPECS_FIRST[n]
    expected = jax.lax.conv_transpose(x, w, stride, kwargs.get("padding", "SAME"),
                                      dimension_numbers=(lhs, rhs, lhs),
                                      precision=jax.lax.Precision.HIGHEST)
    expected = np.asarray(expected) + (np.asarray(b).reshape(-1) if channel_index == -1
                                       else np.asarray(b))
    assert b.shape == ((cout,) if channel_index == -1 else (cout,) + (1,) * n)
    if not batched:
        expected = expected[0]
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("pads", [((1, 1), (2, 0)), ((0, 0), (3, 3)), ((2, 1), (-1, 1))])
def test_conv_transpose_explicit_padding_matches_numpy(pads):
    x = x_of((2, 4, 5, 2))

    def forward(x):
        return hk.Conv2DTranspose(3, 3, stride=2, padding=pads, w_init=W, b_init=B)(x)

    params, out = run(forward, x)
    w, b = params["conv2_d_transpose"]["w"], params["conv2_d_transpose"]["b"]
    expected = np_conv_transpose(x, w, (2, 2), pads) + np.asarray(b)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


OUTPUT_SHAPE_CASES = [
    # (input size, kernel, stride, padding, output size, data format); the oracle
    # parity test covers every remainder of a few more (its output_shape group)
    (4, 3, 2, "SAME", 7, "NWC"), (4, 4, 2, "SAME", 8, "NCW"), (3, 5, 3, "SAME", 7, "NWC"),
    (4, 3, 2, "VALID", 10, "NWC"), (3, 2, 3, "VALID", 9, "NCW"), (5, 1, 2, "VALID", 10, "NWC"),
    (5, 2, 1, "SAME", 5, "NWC"),
]


@pytest.mark.parametrize("size, kernel, stride, padding, output, data_format",
                         OUTPUT_SHAPE_CASES)
def test_conv_transpose_output_shape_is_the_gradient_of_conv(size, kernel, stride, padding,
                                                             output, data_format):
    """With ``output_shape``, the transposed convolution is the transpose (the
    gradient with respect to its input) of the forward convolution from
    ``output`` to ``size`` with the same kernel, flipped, stride and padding."""
    channel_index = hk.get_channel_index(data_format)
    x = x_of((2, size, 2) if channel_index == -1 else (2, 2, size))

    def forward(x):
        return hk.Conv1DTranspose(3, kernel, stride=stride, padding=padding,
                                  output_shape=output, w_init=W, with_bias=False,
                                  data_format=data_format)(x)

    params, out = run(forward, x)
    w = params["conv1_d_transpose"]["w"]  # [K, O, I]: as a forward kernel [K, in, out]
    forward_kernel = jnp.flip(w, axis=0)
    spec = (data_format, "WIO", data_format)

    def conv(y):
        return jax.lax.conv_general_dilated(y, forward_kernel, (stride,), padding,
                                            dimension_numbers=spec,
                                            precision=jax.lax.Precision.HIGHEST)

    y_shape = (2, output, 3) if channel_index == -1 else (2, 3, output)

    @jax.jit
    def transpose_of_conv(x):
        _, vjp = jax.vjp(conv, jnp.zeros(y_shape))
        return vjp(x)[0]

    expected = transpose_of_conv(x)
    assert out.shape == y_shape
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_conv_transpose_output_shape_2d():
    x = x_of((1, 4, 4, 2))
    _, out = run(lambda x: hk.Conv2DTranspose(3, 3, 2, output_shape=(7, 8), w_init=W)(x), x)
    assert out.shape == (1, 7, 8, 3)
    _, out = run(lambda x: hk.Conv2DTranspose(3, 3, 2, output_shape=8, w_init=W)(x), x)
    assert out.shape == (1, 8, 8, 3)


def test_conv_transpose_attributes():
    def forward():
        conv = hk.Conv2DTranspose(4, 3, stride=2, output_shape=5)
        assert conv.output_shape == (5, 5)
        assert conv.kernel_shape == (3, 3)
        assert conv.stride == (2, 2)
        assert conv.padding == "SAME"
        assert isinstance(conv, hk.ConvNDTranspose)

    hk.transform(forward).init(None)


# Errors ---------------------------------------------------------------------------


def _raises(forward, x, error, match):
    with pytest.raises(error, match=match):
        hk.transform(forward).init(None, x)


@pytest.mark.parametrize("cls", ["Conv2D", "Conv2DTranspose", "DepthwiseConv2D"])
@pytest.mark.parametrize("shape", [(8, 3), (1, 2, 8, 8, 3)])
def test_wrong_rank_names_module_and_shape(cls, shape):
    kind = {"Conv2D": "ConvND", "Conv2DTranspose": "ConvNDTranspose",
            "DepthwiseConv2D": "DepthwiseConvND"}[cls]
    _raises(lambda x: getattr(hk, cls)(4, 3, name="my_conv")(x), jnp.ones(shape), ValueError,
            rf"^Input to {kind} needs to have rank in \[3, 4\], but input has shape "
            + re.escape(str(shape)) + r"\. \(my_conv: a 2-D convolution with data_format "
            r"'NHWC' \(channels last\) takes batched inputs of rank 4 or unbatched ones of "
            r"rank 3\.\)$")


@pytest.mark.parametrize("cls", ["Conv1D", "Conv1DTranspose", "DepthwiseConv1D"])
def test_channel_count_change_between_calls_is_an_error(cls):
    def forward(x):
        conv = getattr(hk, cls)(4, 3, w_init=W)
        conv(x)
        return conv(jnp.ones([1, 5, 3]))

    with pytest.raises(ValueError, match=r"_d(_transpose)?/w.*shape"):
        hk.transform(forward).init(None, jnp.ones([1, 5, 2]))


def test_group_errors():
    _raises(lambda x: hk.Conv2D(4, 3, feature_group_count=4)(x), jnp.ones([1, 5, 5, 6]),
            ValueError, r"^Inputs channels 6 should be a multiple of feature_group_count 4 "
            r"\(conv2_d: inputs of shape \(1, 5, 5, 6\)")
    _raises(lambda x: hk.Conv2D(4, 3, feature_group_count=3)(x), jnp.ones([1, 5, 5, 6]),
            ValueError, r"conv2_d: output_channels=4 .*feature_group_count=3")


def test_mask_shape_error():
    _raises(lambda x: hk.Conv2D(4, 3, mask=jnp.ones([3, 3]))(x), jnp.ones([1, 5, 5, 2]),
            ValueError, r"^Mask needs to have the same shape as weights\. Shapes are: "
            r"\(3, 3\), \(3, 3, 2, 4\) \(conv2_d: the mask, then the weights\.\)")
    _raises(lambda x: hk.Conv2DTranspose(4, 3, mask=jnp.ones([3, 3, 2, 4]))(x),
            jnp.ones([1, 5, 5, 2]), ValueError, r"Shapes are: \(3, 3, 2, 4\), \(3, 3, 4, 2\) "
            r"\(conv2_d_transpose:")


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: hk.Conv2D(4, 3, padding="FOO"), RuntimeError, "conv2_d: padding must be"),
        (lambda: hk.Conv2D(4, 3, padding=[(1, 1)] * 3), TypeError, "conv2_d: padding must be"),
        (lambda: hk.Conv2D(4, 3, padding=[hk.pad.same] * 3), TypeError, "length 1 or 2"),
        (lambda: hk.Conv2D(4, 3, padding=[(1, 1)] * 3), TypeError,
         r"^Padding \[\(1, 1\), \(1, 1\), \(1, 1\)\] must be a Tuple\[int, int\] or sequence "
         r"of length 1 or sequence of length 2\. \(conv2_d: "),
        (lambda: hk.Conv2D(4, [3, 3, 3]), TypeError,
         r"^kernel_shape must be a scalar or sequence of length 1 or sequence of length 2\. "
         r"\(conv2_d: `kernel_shape` is \[3, 3, 3\]\.\)"),
        (lambda: hk.Conv2D(4, 3, stride=(1, 2, 3)), TypeError,
         r"^strides must be a scalar or sequence of length 1 or sequence of length 2\. "
         r"\(conv2_d: `stride` is \(1, 2, 3\)\.\)"),
        (lambda: hk.Conv2D(4, 3, rate=(1, 2, 3)), TypeError,
         r"^kernel_dilation must be a scalar or sequence of length 1 or sequence of length 2\."),
        (lambda: hk.Conv2DTranspose(4, 3, output_shape=(8, 8, 8)), TypeError,
         r"^output_shape must be a scalar or sequence of length 1 or sequence of length 2\."),
        (lambda: hk.DepthwiseConv2D(2, 3, rate=(1, 2, 3)), TypeError,
         r"^rhs_dilation must be a scalar or sequence of length 1 or sequence of length 2\."),
        (lambda: hk.Conv2D(4, 3, data_format="NHCW"), ValueError,
         r"^Unable to extract channel information from 'NHCW'.* \(conv2_d\)$"),
        (lambda: hk.Conv2DTranspose(4, 3, padding=hk.pad.causal), TypeError,
         "pad functions are not supported by transposed"),
        (lambda: hk.Conv2DTranspose(4, 3, padding=[(1, 1), (1, 1)], output_shape=5), ValueError,
         r"^When specifying `output_shape`, ensure that paddding is 'VALID' or 'SAME'\. "
         r"\(conv2_d_transpose: got padding \[\(1, 1\), \(1, 1\)\]\.\)"),
        (lambda: hk.ConvND(0, 4, 3), ValueError,
         r"^We only support convolution operations for `num_spatial_dims` greater than 0, "
         r"received num_spatial_dims=0\. \(conv_nd\)"),
        (lambda: hk.ConvNDTranspose(0, 4, 3), ValueError,
         r"^We only support convolution operations for `num_spatial_dims` greater than 0"),
        (lambda: hk.Conv2D(4, 3, feature_group_count=0), ValueError, "feature_group_count"),
    ],
)
def test_constructor_errors(make, error, match):
    with pytest.raises(error, match=match):
        hk.transform(make).init(None)


def test_output_shape_mismatch_error():
    _raises(lambda x: hk.Conv1DTranspose(2, 3, stride=2, output_shape=20)(x), jnp.ones([1, 8, 2]),
            ValueError,
            r"^The expected input size with the current set of input parameters is 10 which "
            r"doesn't match the actual input size 8\. \(conv1_d_transpose: output_shape 20 "
            r"needs a spatial input size of 10 with kernel 3, stride 2 and padding 'SAME'\.\)")
