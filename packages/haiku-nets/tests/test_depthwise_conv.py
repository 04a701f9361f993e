"""Depthwise and separable convolutions against independent references.

A depthwise convolution with multiplier ``m`` is the grouped convolution with
one group per input channel: :func:`np_conv` with ``groups=C`` is the NumPy
reference. Channels-first inputs with a bias are also checked against a direct
``jax.lax.conv_general_dilated`` call in 1-D and 3-D, where dm-haiku 0.0.17
fails to broadcast its bias.
"""

from __future__ import annotations

import importlib.util
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
W, B = ref.np_init(1, 0.5), ref.np_init(2)

DEPTHWISE_CASES = [
    # (class, spatial dims, data_format, input spatial, kernel, multiplier, kwargs, batched)
    ("DepthwiseConv1D", 1, "NWC", (9,), 3, 2, {}, True),
    ("DepthwiseConv1D", 1, "NCW", (9,), 3, 2, {"stride": 2}, True),
    ("DepthwiseConv1D", 1, "NCW", (9,), 2, 1, {"padding": "VALID", "rate": 3}, False),
    ("DepthwiseConv2D", 2, "NHWC", (7, 6), 3, 2, {}, True),
    ("DepthwiseConv2D", 2, "NCHW", (7, 6), (3, 2), 3, {"stride": (2, 1)}, True),
    ("DepthwiseConv2D", 2, "NHWC", (7, 6), 3, 1, {"padding": [(0, 2), (1, 1)], "rate": 2}, True),
    ("DepthwiseConv2D", 2, "channels_first", (6, 6), 3, 2, {"padding": hk.pad.causal}, False),
    ("DepthwiseConv2D", 2, "NHWC", (6, 6), 3, 2, {"with_bias": False}, True),
    ("DepthwiseConv3D", 3, "NDHWC", (4, 5, 3), 2, 2, {}, True),
    ("DepthwiseConv3D", 3, "NCDHW", (4, 5, 6), (1, 2, 3), 2, {"stride": (1, 2, 2)}, True),
    ("DepthwiseConv3D", 3, "NCDHW", (3, 4, 5), 3, 1, {"padding": "VALID"}, False),
]


@pytest.mark.parametrize("cls, n, data_format, sizes, kernel, multiplier, kwargs, batched",
                         DEPTHWISE_CASES,
                         ids=lambda v: str(v) if isinstance(v, (str, int)) else None)
def test_depthwise_matches_reference(cls, n, data_format, sizes, kernel, multiplier, kwargs,
                                     batched):
    cin = 3
    cout = cin * multiplier
    channel_index = hk.get_channel_index(data_format)
    x = ref.x_of((2, cin, *sizes) if channel_index == 1 else (2, *sizes, cin))

    def forward(x):
        return getattr(hk, cls)(multiplier, kernel, w_init=W, b_init=B, data_format=data_format,
                                **kwargs)(x)

    params, out = ref.run(forward, x if batched else x[0])
    (name,) = params
    kernel_t = (kernel,) * n if isinstance(kernel, int) else kernel
    w = params[name]["w"]
    assert w.shape == (*kernel_t, 1, cout)
    stride = kwargs.get("stride", 1)
    stride = (stride,) * n if isinstance(stride, int) else stride
    rate = (kwargs.get("rate", 1),) * n
    padding = kwargs.get("padding", "SAME")
    if padding == "SAME":
        pads = ref.same_pads(sizes, kernel_t, stride, rate)
    elif padding == "VALID":
        pads = [(0, 0)] * n
    elif callable(padding):
        pads = [padding((k - 1) * r + 1) for k, r in zip(kernel_t, rate)]
    else:
        pads = padding
    expected = ref.np_conv(ref.to_last(x, channel_index), w, stride, pads, rate, groups=cin)
    if kwargs.get("with_bias", True):
        b = params[name]["b"]
        assert b.shape == ((cout,) if channel_index == -1 else (cout,) + (1,) * n)
        expected = expected + np.asarray(b).reshape(-1)
    else:
        assert "b" not in params[name]
    expected = ref.to_first(expected, channel_index)
    if not batched:
        expected = expected[0]
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cls, spec", [("DepthwiseConv1D", ("NCW", "WIO", "NCW")),
                                       ("DepthwiseConv3D", ("NCDHW", "DHWIO", "NCDHW"))])
def test_channels_first_bias_matches_lax(cls, spec):
    """dm-haiku 0.0.17 fails here (its bias is [C, 1, 1] whatever the rank)."""
    n = len(spec[0]) - 2
    sizes = (5, 4, 3)[:n]
    x = ref.x_of((2, 3, *sizes))
    params, out = ref.run(
        lambda x: getattr(hk, cls)(2, 3, data_format=spec[0], w_init=W, b_init=B)(x), x)
    (name,) = params
    w, b = params[name]["w"], params[name]["b"]
    assert b.shape == (6,) + (1,) * n
    expected = jax.lax.conv_general_dilated(
        x, w, (1,) * n, "SAME", dimension_numbers=spec, feature_group_count=3,
        precision=jax.lax.Precision.HIGHEST)
    expected = expected + b.reshape((1, 6) + (1,) * n)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("data_format, kwargs", [
    ("NHWC", {}),
    ("NCHW", {"stride": 2}),
    ("NHWC", {"stride": (2, 3), "padding": "VALID"}),
    ("NHWC", {"padding": [(1, 1), (2, 0)]}),
])
def test_separable_is_two_depthwise_convolutions(data_format, kwargs):
    channel_index = hk.get_channel_index(data_format)
    x = ref.x_of((2, 3, 8, 9) if channel_index == 1 else (2, 8, 9, 3))

    def forward(x):
        return hk.SeparableDepthwiseConv2D(2, (3, 2), w_init=W, b_init=B,
                                           data_format=data_format, **kwargs)(x)

    params, out = ref.run(forward, x)
    first = params["separable_depthwise_conv2_d/~/depthwise_conv2_d"]
    second = params["separable_depthwise_conv2_d/~/depthwise_conv2_d_1"]
    assert set(first) == {"w"} and first["w"].shape == (3, 1, 1, 6)
    assert second["w"].shape == (1, 2, 1, 6)
    assert second["b"].shape == ((6,) if channel_index == -1 else (6, 1, 1))
    stride = kwargs.get("stride", 1)
    stride = (stride,) * 2 if isinstance(stride, int) else stride
    padding = kwargs.get("padding", "SAME")

    def pads(sizes, kernel, stride):
        if padding == "SAME":
            return ref.same_pads(sizes, kernel, stride, (1, 1))
        return [(0, 0)] * 2 if padding == "VALID" else padding

    y = ref.to_last(x, channel_index)
    y = ref.np_conv(y, first["w"], stride, pads(y.shape[1:3], (3, 1), stride), (1, 1), groups=3)
    y = ref.np_conv(y, second["w"], (1, 1), pads(y.shape[1:3], (1, 2), (1, 1)), (1, 1), groups=6)
    y = ref.to_first(y + np.asarray(second["b"]).reshape(-1), channel_index)
    np.testing.assert_allclose(out, y, rtol=1e-5, atol=1e-5)


def test_depthwise_attributes_and_precision():
    def forward(x):
        conv = hk.DepthwiseConv2D(2, (3, 5), stride=2, rate=(1, 2), padding=hk.pad.full,
                                  w_init=W)
        assert conv.kernel_shape == (3, 5)
        assert conv.stride == (2, 2)
        assert conv.rhs_dilation == (1, 2)
        assert conv.padding == ((2, 2), (8, 8))
        assert conv.channel_multiplier == 2
        assert conv.channel_index == -1
        return conv(x, precision=jax.lax.Precision.HIGHEST)

    jaxpr = str(jax.make_jaxpr(hk.transform(forward).init)(None, jnp.ones([1, 6, 6, 2])))
    assert "feature_group_count=2" in jaxpr
    assert "Precision.HIGHEST" in jaxpr
