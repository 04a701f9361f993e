"""Depthwise convolutions: ``DepthwiseConv{1,2,3}D`` and :class:`SeparableDepthwiseConv2D`."""

from __future__ import annotations

from collections.abc import Sequence

import haiku as hk
import jax
import jax.numpy as jnp

from haiku_nets._src import conv_utils
from haiku_nets._src.conv_utils import PaddingLike
from haiku_nets._src.data_format import dimension_numbers

__all__ = [
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "DepthwiseConv3D",
    "DepthwiseConvND",
    "SeparableDepthwiseConv2D",
]


def _dimension_number_strings(num_spatial_dims: int, channel_index: int) -> tuple[str, str, str]:
    """The ``(lhs, rhs, out)`` layout strings dm-haiku keeps as ``dn``.

    dm-haiku's letters for up to three spatial dimensions (channels-first
    1-D inputs are ``"NCH"``); further dimensions take other letters.

    >>> _dimension_number_strings(2, -1)
    ('NHWC', 'HWIO', 'NHWC')
    >>> _dimension_number_strings(1, 1)
    ('NCH', 'HIO', 'NCH')
    """
    n = num_spatial_dims
    if n <= 3:
        spatial = ("H" if n == 1 and channel_index == 1 else "DHW"[3 - n:])
    else:
        spatial = "ABDEFGHJKLMPQRSTUVWXYZ"[:n]  # no N, C, I or O
    lhs = "NC" + spatial if channel_index == 1 else "N" + spatial + "C"
    return (lhs, spatial + "IO", lhs)


class DepthwiseConvND(hk.Module):
    """N-dimensional depthwise convolution: each input channel gets its own filters.

    The weights ``w`` have shape ``kernel_shape + [1, C * channel_multiplier]``;
    output channel ``c * channel_multiplier + m`` is input channel ``c``
    convolved with filter ``m`` of that channel. The bias has shape
    ``[C * channel_multiplier]``, or ``[C * channel_multiplier, 1, ..., 1]``
    (one ``1`` per spatial dimension) for channels-first data formats.
    """

    def __init__(
        self,
        num_spatial_dims: int,
        channel_multiplier: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: PaddingLike = "SAME",
        with_bias: bool = True,
        w_init: hk.initializers.Initializer | None = None,
        b_init: hk.initializers.Initializer | None = None,
        data_format: str = "channels_last",
        name: str | None = None,
    ):
        """Constructs an N-dimensional depthwise convolution.

        Args:
          num_spatial_dims: The number of spatial dimensions of the input.
          channel_multiplier: Multiplicity of output channels. To keep the
            number of output channels the same as the number of input channels,
            set 1.
          kernel_shape: The shape of the kernel. Either an integer or a
            sequence of length ``num_spatial_dims``.
          stride: Optional stride for the kernel. Either an integer or a
            sequence of length ``num_spatial_dims``. Defaults to 1.
          rate: Optional kernel dilation rate. Either an integer or a sequence
            of length ``num_spatial_dims``. Defaults to 1.
          padding: Optional padding algorithm. Either ``VALID``, ``SAME``, a
            sequence of ``(before, after)`` pairs, or pad functions (see
            ``hk.pad``). Defaults to ``SAME``.
          with_bias: Whether to add a bias. By default, true.
          w_init: Optional weight initialization. By default, truncated normal
            with stddev ``1 / sqrt(prod(kernel_shape))``.
          b_init: Optional bias initialization. By default, zeros.
          data_format: The data format of the input. Can be either
            ``channels_first``, ``channels_last``, ``N...C`` or ``NC...``. By
            default, ``channels_last``. See :func:`get_channel_index`.
          name: The name of the module.
        """
        super().__init__(name=name)
        if num_spatial_dims <= 0:
            raise ValueError(
                "We only support convolution operations for `num_spatial_dims` greater than 0, "
                f"received num_spatial_dims={num_spatial_dims}. ({self.module_name})"
            )
        n = self.num_spatial_dims = num_spatial_dims
        self.kernel_shape = conv_utils.replicate(
            self.module_name, kernel_shape, n, "kernel_shape", "kernel_shape")
        self.lhs_dilation = (1,) * n
        self.rhs_dilation = conv_utils.replicate(
            self.module_name, rate, n, "rhs_dilation", "rate")
        self.channel_multiplier = channel_multiplier
        self.padding = conv_utils.resolve_padding(
            self.module_name, padding, self.kernel_shape, self.rhs_dilation
        )
        self.stride = conv_utils.replicate(self.module_name, stride, n, "strides", "stride")
        self.data_format = data_format
        self.channel_index = conv_utils.check_data_format(self.module_name, data_format)
        self.dimension_numbers = dimension_numbers(n, self.channel_index, kernel_io=(1, 0))
        self.dn = _dimension_number_strings(n, self.channel_index)
        self.with_bias = with_bias
        self.w_init = w_init
        self.b_init = b_init or jnp.zeros

    def __call__(self, inputs: jax.Array, *, precision: jax.lax.Precision | None = None) -> jax.Array:
        """Applies the depthwise convolution.

        Args:
          inputs: An array of rank ``num_spatial_dims + 2`` (batched) or
            ``num_spatial_dims + 1`` (unbatched), channels where
            ``data_format`` puts them.
          precision: Optional ``jax.lax.Precision`` to pass to
            ``jax.lax.conv_general_dilated``.

        Returns:
          The output, with ``C * channel_multiplier`` channels.
        """
        name = self.module_name
        n = self.num_spatial_dims
        inputs, unbatched = conv_utils.batch_input(
            name, "DepthwiseConvND", inputs, n, self.data_format, self.channel_index
        )
        input_channels = inputs.shape[self.channel_index]
        output_channels = input_channels * self.channel_multiplier
        w_shape = self.kernel_shape + (1, output_channels)
        w_init = self.w_init
        if w_init is None:
            w_init = conv_utils.default_w_init(conv_utils.prod(self.kernel_shape))
        w = hk.get_parameter("w", w_shape, inputs.dtype, init=w_init)
        out = jax.lax.conv_general_dilated(
            inputs,
            w,
            window_strides=self.stride,
            padding=self.padding,
            lhs_dilation=self.lhs_dilation,
            rhs_dilation=self.rhs_dilation,
            dimension_numbers=self.dimension_numbers,
            feature_group_count=input_channels,
            precision=precision,
        )
        if self.with_bias:
            out = conv_utils.add_bias(out, output_channels, self.channel_index, n, self.b_init)
        return out[0] if unbatched else out


class DepthwiseConv1D(DepthwiseConvND):
    """One dimensional depthwise convolution.

    >>> conv = hk.DepthwiseConv1D(channel_multiplier=2, kernel_shape=3)
    >>> conv(jnp.ones([2, 10, 3])).shape
    (2, 10, 6)
    >>> jax.tree_util.tree_map(jnp.shape, hk.get_params())
    {'depthwise_conv1_d': {'b': (6,), 'w': (3, 1, 6)}}
    """

    def __init__(
        self,
        channel_multiplier: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: PaddingLike = "SAME",
        with_bias: bool = True,
        w_init: hk.initializers.Initializer | None = None,
        b_init: hk.initializers.Initializer | None = None,
        data_format: str = "NWC",
        name: str | None = None,
    ):
        """:class:`DepthwiseConvND` with ``num_spatial_dims=1``; its arguments less that one.

        ``kernel_shape``, ``stride`` and ``rate`` are an int or a sequence of
        1; ``data_format`` is ``NWC`` (the default) or ``NCW``
        (or ``channels_last``, ``channels_first``).
        """
        super().__init__(
            num_spatial_dims=1,
            channel_multiplier=channel_multiplier,
            kernel_shape=kernel_shape,
            stride=stride,
            rate=rate,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
            name=name,
        )


class DepthwiseConv2D(DepthwiseConvND):
    """Two dimensional depthwise convolution.

    >>> conv = hk.DepthwiseConv2D(channel_multiplier=2, kernel_shape=3, data_format="NCHW")
    >>> conv(jnp.ones([2, 3, 8, 8])).shape
    (2, 6, 8, 8)
    >>> jax.tree_util.tree_map(jnp.shape, hk.get_params())
    {'depthwise_conv2_d': {'b': (6, 1, 1), 'w': (3, 3, 1, 6)}}
    """

    def __init__(
        self,
        channel_multiplier: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: PaddingLike = "SAME",
        with_bias: bool = True,
        w_init: hk.initializers.Initializer | None = None,
        b_init: hk.initializers.Initializer | None = None,
        data_format: str = "NHWC",
        name: str | None = None,
    ):
        """:class:`DepthwiseConvND` with ``num_spatial_dims=2``; its arguments less that one.

        ``kernel_shape``, ``stride`` and ``rate`` are an int or a sequence of
        2; ``data_format`` is ``NHWC`` (the default) or ``NCHW``
        (or ``channels_last``, ``channels_first``).
        """
        super().__init__(
            num_spatial_dims=2,
            channel_multiplier=channel_multiplier,
            kernel_shape=kernel_shape,
            stride=stride,
            rate=rate,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
            name=name,
        )


class DepthwiseConv3D(DepthwiseConvND):
    """Three dimensional depthwise convolution.

    Channels-first inputs get a ``[C * channel_multiplier, 1, 1, 1]`` bias:

    >>> conv = hk.DepthwiseConv3D(channel_multiplier=2, kernel_shape=3, data_format="NCDHW")
    >>> conv(jnp.ones([2, 3, 4, 5, 6])).shape
    (2, 6, 4, 5, 6)
    >>> hk.get_params()["depthwise_conv3_d"]["b"].shape
    (6, 1, 1, 1)
    """

    def __init__(
        self,
        channel_multiplier: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: PaddingLike = "SAME",
        with_bias: bool = True,
        w_init: hk.initializers.Initializer | None = None,
        b_init: hk.initializers.Initializer | None = None,
        data_format: str = "NDHWC",
        name: str | None = None,
    ):
        """:class:`DepthwiseConvND` with ``num_spatial_dims=3``; its arguments less that one.

        ``kernel_shape``, ``stride`` and ``rate`` are an int or a sequence of
        3; ``data_format`` is ``NDHWC`` (the default) or ``NCDHW``
        (or ``channels_last``, ``channels_first``).
        """
        super().__init__(
            num_spatial_dims=3,
            channel_multiplier=channel_multiplier,
            kernel_shape=kernel_shape,
            stride=stride,
            rate=rate,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
            name=name,
        )


class SeparableDepthwiseConv2D(hk.Module):
    """Separable 2-D Depthwise Convolution Module.

    A :class:`DepthwiseConv2D` over the first spatial axis (kernel
    ``[k0, 1]``, ``channel_multiplier``, the stride, no bias) followed by one
    over the second (kernel ``[1, k1]``, multiplier 1, stride 1, the bias):

    >>> conv = hk.SeparableDepthwiseConv2D(channel_multiplier=2, kernel_shape=3)
    >>> conv(jnp.ones([2, 8, 8, 3])).shape
    (2, 8, 8, 6)
    >>> jax.tree_util.tree_map(jnp.shape, hk.get_params())
    {'separable_depthwise_conv2_d/~/depthwise_conv2_d': {'w': (3, 1, 1, 6)},
     'separable_depthwise_conv2_d/~/depthwise_conv2_d_1': {'b': (6,), 'w': (1, 3, 1, 6)}}
    """

    def __init__(
        self,
        channel_multiplier: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: PaddingLike = "SAME",
        with_bias: bool = True,
        w_init: hk.initializers.Initializer | None = None,
        b_init: hk.initializers.Initializer | None = None,
        data_format: str = "NHWC",
        name: str | None = None,
    ):
        """Construct a Separable 2D Depthwise Convolution module.

        Args:
          channel_multiplier: Multiplicity of output channels. To keep the
            number of output channels the same as the number of input channels,
            set 1.
          kernel_shape: The shape of the kernel. Either an integer or a
            sequence of length 2.
          stride: Optional stride for the kernel. Either an integer or a
            sequence of length 2. Defaults to 1.
          padding: Optional padding algorithm. Either ``VALID``, ``SAME``, a
            sequence of ``(before, after)`` pairs or pad functions; both
            convolutions use it. Defaults to ``SAME``.
          with_bias: Whether to add a bias. By default, true.
          w_init: Optional weight initialization. By default, truncated normal.
          b_init: Optional bias initialization. By default, zeros.
          data_format: The data format of the input. Can be either
            ``channels_first``, ``channels_last``, ``N...C`` or ``NC...``. By
            default, ``NHWC``.
          name: The name of the module.
        """
        super().__init__(name=name)
        kernel_shape = conv_utils.replicate(
            self.module_name, kernel_shape, 2, "kernel_shape", "kernel_shape")
        self._conv1 = DepthwiseConv2D(
            channel_multiplier=channel_multiplier,
            kernel_shape=(kernel_shape[0], 1),
            stride=stride,
            padding=padding,
            with_bias=False,
            w_init=w_init,
            data_format=data_format,
        )
        self._conv2 = DepthwiseConv2D(
            channel_multiplier=1,
            kernel_shape=(1, kernel_shape[1]),
            stride=1,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
        )

    def __call__(self, inputs: jax.Array, *, precision: jax.lax.Precision | None = None) -> jax.Array:
        """Applies both depthwise convolutions to ``inputs``."""
        return self._conv2(self._conv1(inputs, precision=precision), precision=precision)
