"""Property tests of the shape arithmetic of convolutions and transposed convolutions.

For random sizes, kernels, strides, rates, paddings and data formats, the
output spatial sizes of the modules agree with ``jax.lax`` (both through
``jax.eval_shape``, so nothing compiles), with the closed-form sizes, and with
each other: a transposed convolution's output fed to the convolution with the
same kernel, stride and padding gives back the input size.
"""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

SETTINGS = settings(max_examples=40, deadline=None, database=None)
PAD_FNS = ["causal", "full", "reverse_causal", "same", "valid"]
FORMATS = {1: ("NWC", "NCW"), 2: ("NHWC", "NCHW"), 3: ("NDHWC", "NCDHW")}
MODULES = {1: ("Conv1D", "DepthwiseConv1D"), 2: ("Conv2D", "DepthwiseConv2D"),
           3: ("Conv3D", "DepthwiseConv3D")}
TRANSPOSES = {1: "Conv1DTranspose", 2: "Conv2DTranspose", 3: "Conv3DTranspose"}


def zeros(shape, dtype):
    return jnp.zeros(shape, dtype)


def module_shape(make, x_shape) -> tuple[int, ...]:
    """The output shape of ``make()(x)``, computed abstractly."""
    transformed = hk.transform(lambda x: make()(x))
    x = jax.ShapeDtypeStruct(x_shape, jnp.float32)
    params = jax.eval_shape(transformed.init, None, x)
    return jax.eval_shape(transformed.apply, params, None, x).shape


def spatial(shape, data_format):
    return tuple(shape[2:] if hk.get_channel_index(data_format) == 1 else shape[1:-1])


def input_shape(sizes, channels, data_format):
    if hk.get_channel_index(data_format) == 1:
        return (2, channels, *sizes)
    return (2, *sizes, channels)


def lax_spec(data_format, kernel_spec):
    n = len(data_format) - 2
    return (data_format, kernel_spec[-n - 2:], data_format)


@st.composite
def conv_setups(draw):
    n = draw(st.integers(1, 3))
    sizes = tuple(draw(st.integers(1, 11)) for _ in range(n))
    kernel = tuple(draw(st.integers(1, 5)) for _ in range(n))
    stride = tuple(draw(st.integers(1, 4)) for _ in range(n))
    rate = tuple(draw(st.integers(1, 3)) for _ in range(n))
    kind = draw(st.sampled_from(["SAME", "VALID", "pairs", "padfn", "padfns"]))
    if kind in ("SAME", "VALID"):
        padding = kind
    elif kind == "pairs":
        padding = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(n))
    elif kind == "padfn":
        padding = getattr(hk.pad, draw(st.sampled_from(PAD_FNS)))
    else:
        padding = tuple(getattr(hk.pad, draw(st.sampled_from(PAD_FNS))) for _ in range(n))
    data_format = draw(st.sampled_from(FORMATS[n]))
    cls = draw(st.sampled_from(MODULES[n]))
    return n, sizes, kernel, stride, rate, padding, data_format, cls


def expected_sizes(sizes, kernel, stride, rate, padding):
    out = []
    pairs = None
    if not isinstance(padding, str):
        pairs = hk.pad.create(padding, kernel, rate, len(sizes))
    for d, (i, k, s, r) in enumerate(zip(sizes, kernel, stride, rate)):
        eff = (k - 1) * r + 1
        if padding == "SAME":
            out.append(-(-i // s))
        elif padding == "VALID":
            out.append(-(-(i - eff + 1) // s))
        else:
            lo, hi = pairs[d]
            out.append((i + lo + hi - eff) // s + 1)
    return tuple(out)


@SETTINGS
@given(conv_setups())
def test_conv_output_sizes(setup):
    n, sizes, kernel, stride, rate, padding, data_format, cls = setup
    expected = expected_sizes(sizes, kernel, stride, rate, padding)
    assume(all(e > 0 for e in expected))
    x_shape = input_shape(sizes, 2, data_format)
    out = module_shape(lambda: getattr(hk, cls)(2, kernel, stride=stride, rate=rate,
                                                padding=padding, w_init=zeros,
                                                data_format=data_format), x_shape)
    assert spatial(out, data_format) == expected
    lax_padding = padding if isinstance(padding, str) else hk.pad.create(padding, kernel, rate, n)
    lax_out = jax.eval_shape(
        lambda x, w: jax.lax.conv_general_dilated(
            x, w, stride, lax_padding, rhs_dilation=rate,
            dimension_numbers=lax_spec(data_format, "DHWIO")),
        jax.ShapeDtypeStruct(x_shape, jnp.float32),
        jax.ShapeDtypeStruct((*kernel, 2, 4), jnp.float32))
    assert spatial(lax_out.shape, data_format) == expected
    channels = out[1] if hk.get_channel_index(data_format) == 1 else out[-1]
    assert channels == (4 if cls.startswith("Depthwise") else 2)  # multiplier 2 of 2 inputs


@st.composite
def transpose_setups(draw):
    n = draw(st.integers(1, 3))
    sizes = tuple(draw(st.integers(1, 8)) for _ in range(n))
    kernel = tuple(draw(st.integers(1, 5)) for _ in range(n))
    stride = tuple(draw(st.integers(1, 4)) for _ in range(n))
    padding = draw(st.sampled_from(["SAME", "VALID"]))
    data_format = draw(st.sampled_from(FORMATS[n]))
    return n, sizes, kernel, stride, padding, data_format


def conv_back(sizes_out, kernel, stride, padding, data_format):
    """Spatial output sizes of the forward Conv{n}D from ``sizes_out``."""
    n = len(kernel)
    out = module_shape(lambda: getattr(hk, MODULES[n][0])(2, kernel, stride=stride,
                                                           padding=padding, w_init=zeros,
                                                           data_format=data_format),
                       input_shape(sizes_out, 3, data_format))
    return spatial(out, data_format)


@SETTINGS
@given(transpose_setups())
def test_conv_transpose_output_sizes(setup):
    n, sizes, kernel, stride, padding, data_format = setup
    x_shape = input_shape(sizes, 2, data_format)
    out = module_shape(lambda: getattr(hk, TRANSPOSES[n])(3, kernel, stride=stride,
                                                          padding=padding, w_init=zeros,
                                                          data_format=data_format), x_shape)
    out_sizes = spatial(out, data_format)
    if padding == "SAME":
        expected = tuple(i * s for i, s in zip(sizes, stride))
    else:
        expected = tuple(i * s + max(k - s, 0) for i, k, s in zip(sizes, kernel, stride))
    assert out_sizes == expected
    lax_out = jax.eval_shape(
        lambda x, w: jax.lax.conv_transpose(x, w, stride, padding,
                                            dimension_numbers=lax_spec(data_format, "DHWOI")),
        jax.ShapeDtypeStruct(x_shape, jnp.float32),
        jax.ShapeDtypeStruct((*kernel, 3, 2), jnp.float32))
    assert spatial(lax_out.shape, data_format) == expected
    # The convolution with the same kernel, stride and padding goes back.
    assert conv_back(out_sizes, kernel, stride, padding, data_format) == sizes


@SETTINGS
@given(transpose_setups(), st.data())
def test_conv_transpose_output_shape(setup, data):
    """Every output size a stride allows can be asked for with ``output_shape``,
    and the forward convolution maps it back to the input size."""
    n, sizes, kernel, stride, padding, data_format = setup
    output = []
    for i, k, s in zip(sizes, kernel, stride):
        if padding == "SAME":  # ceil(o / s) == i
            low, high = (i - 1) * s + 1, i * s
        else:  # ceil((o - k + 1) / s) == i
            low, high = (i - 1) * s + k, i * s + k - 1
        output.append(data.draw(st.integers(low, high)))
    output = tuple(output)
    x_shape = input_shape(sizes, 2, data_format)
    out = module_shape(lambda: getattr(hk, TRANSPOSES[n])(3, kernel, stride=stride,
                                                          output_shape=output, padding=padding,
                                                          w_init=zeros, data_format=data_format),
                       x_shape)
    assert spatial(out, data_format) == output
    assert conv_back(output, kernel, stride, padding, data_format) == sizes


@SETTINGS
@given(transpose_setups(), st.data())
def test_conv_transpose_output_shape_outside_the_range_is_an_error(setup, data):
    n, sizes, kernel, stride, padding, data_format = setup
    i, k, s = sizes[0], kernel[0], stride[0]
    if padding == "SAME":
        low, high = (i - 1) * s + 1, i * s
    else:
        low, high = (i - 1) * s + k, i * s + k - 1
    bad = data.draw(st.sampled_from([o for o in (low - 1, high + 1) if o >= 1] or [high + 1]))
    output = (bad,) + tuple(sizes[1:])  # only the first dimension needs to be wrong
    with pytest.raises(ValueError, match="output_shape .* needs a spatial input size"):
        module_shape(lambda: getattr(hk, TRANSPOSES[n])(3, kernel, stride=stride,
                                                        output_shape=output, padding=padding,
                                                        w_init=zeros, data_format=data_format),
                     input_shape(sizes, 2, data_format))


@SETTINGS
@given(transpose_setups(), st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)),
                                    min_size=3, max_size=3))
def test_conv_transpose_explicit_padding_sizes(setup, pairs):
    n, sizes, kernel, stride, _, data_format = setup
    pads = tuple(pairs[:n])
    expected = tuple((i - 1) * s + 1 + lo + hi - k + 1
                     for i, k, s, (lo, hi) in zip(sizes, kernel, stride, pads))
    assume(all(e > 0 for e in expected))
    out = module_shape(lambda: getattr(hk, TRANSPOSES[n])(3, kernel, stride=stride,
                                                          padding=pads, w_init=zeros,
                                                          data_format=data_format),
                       input_shape(sizes, 2, data_format))
    assert spatial(out, data_format) == expected
