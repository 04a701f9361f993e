"""Convolutions: :class:`ConvND` and :class:`Conv1D`, :class:`Conv2D`, :class:`Conv3D`."""

from __future__ import annotations

from collections.abc import Sequence

import haiku as hk
import jax
import jax.numpy as jnp

from haiku_nets._src import conv_utils
from haiku_nets._src.conv_utils import PaddingLike
from haiku_nets._src.data_format import dimension_numbers

__all__ = ["Conv1D", "Conv2D", "Conv3D", "ConvND"]


class ConvND(hk.Module):
    """General N-dimensional convolutional.

    The weights ``w`` have shape ``kernel_shape + [C // feature_group_count,
    output_channels]``; the bias ``b`` has shape ``[output_channels]`` (or
    ``[output_channels, 1, ..., 1]`` for channels-first data formats).

    >>> conv = hk.ConvND(num_spatial_dims=2, output_channels=4, kernel_shape=3)
    >>> conv(jnp.ones([8, 32, 32, 3])).shape
    (8, 32, 32, 4)
    >>> jax.tree_util.tree_map(jnp.shape, hk.get_params())
    {'conv_nd': {'b': (4,), 'w': (3, 3, 3, 4)}}

    An unbatched input (rank ``num_spatial_dims + 1``) gives an unbatched output:

    >>> conv(jnp.ones([32, 32, 3])).shape
    (32, 32, 4)
    """

    def __init__(
        self,
        num_spatial_dims: int,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: PaddingLike = "SAME",
        with_bias: bool = True,
        w_init: hk.initializers.Initializer | None = None,
        b_init: hk.initializers.Initializer | None = None,
        data_format: str = "channels_last",
        mask: jax.Array | None = None,
        feature_group_count: int = 1,
        name: str | None = None,
    ):
        """Initializes the module.

        Args:
          num_spatial_dims: The number of spatial dimensions of the input.
          output_channels: Number of output channels.
          kernel_shape: The shape of the kernel. Either an integer or a
            sequence of length ``num_spatial_dims``.
          stride: Optional stride for the kernel. Either an integer or a
            sequence of length ``num_spatial_dims``. Defaults to 1.
          rate: Optional kernel dilation rate. Either an integer or a sequence
            of length ``num_spatial_dims``. 1 corresponds to standard ND
            convolution, ``rate > 1`` corresponds to dilated convolution.
            Defaults to 1.
          padding: Optional padding algorithm. Either ``VALID`` or ``SAME``, a
            sequence of ``num_spatial_dims`` ``(low, high)`` integer pairs
            giving the padding before and after each spatial dimension, or a
            pad function or sequence of ``num_spatial_dims`` pad functions
            (see ``hk.pad``), each called with the effective kernel size of its
            dimension. Defaults to ``SAME``.
          with_bias: Whether to add a bias. By default, true.
          w_init: Optional weight initialization. By default, truncated normal
            with stddev ``1 / sqrt(fan_in)``.
          b_init: Optional bias initialization. By default, zeros.
          data_format: The data format of the input. Can be either
            ``channels_first``, ``channels_last``, ``N...C`` or ``NC...``. By
            default, ``channels_last``. See :func:`get_channel_index`.
          mask: Optional mask of the weights (same shape as the weights).
          feature_group_count: Optional number of groups in group convolution.
            Default value of 1 corresponds to normal dense convolution. If a
            higher value is used, convolutions are applied separately to that
            many groups, then stacked together.
          name: The name of the module.
        """
        super().__init__(name=name)
        if num_spatial_dims <= 0:
            raise ValueError(
                "We only support convolution operations for `num_spatial_dims` greater than 0, "
                f"received num_spatial_dims={num_spatial_dims}. ({self.module_name})"
            )
        n = self.num_spatial_dims = num_spatial_dims
        self.output_channels = output_channels
        self.kernel_shape = conv_utils.replicate(
            self.module_name, kernel_shape, n, "kernel_shape", "kernel_shape")
        self.with_bias = with_bias
        self.stride = conv_utils.replicate(self.module_name, stride, n, "strides", "stride")
        self.w_init = w_init
        self.b_init = b_init or jnp.zeros
        self.mask = mask
        if feature_group_count < 1:
            raise ValueError(
                f"{self.module_name}: feature_group_count must be >= 1, got {feature_group_count}."
            )
        self.feature_group_count = feature_group_count
        self.lhs_dilation = (1,) * n
        self.kernel_dilation = conv_utils.replicate(
            self.module_name, rate, n, "kernel_dilation", "rate")
        self.data_format = data_format
        self.channel_index = conv_utils.check_data_format(self.module_name, data_format)
        self.dimension_numbers = dimension_numbers(n, self.channel_index, kernel_io=(1, 0))
        self.padding = conv_utils.resolve_padding(
            self.module_name, padding, self.kernel_shape, self.kernel_dilation,
            empty_error=IndexError,
        )

    def __call__(self, inputs: jax.Array, *, precision: jax.lax.Precision | None = None) -> jax.Array:
        """Connects ``ConvND`` layer.

        Args:
          inputs: An array of shape ``[spatial_dims, C]`` and rank-N+1 if
            unbatched, or an array of shape ``[N, spatial_dims, C]`` and rank-N+2
            if batched (channels first for channels-first data formats).
          precision: Optional ``jax.lax.Precision`` to pass to
            ``jax.lax.conv_general_dilated``.

        Returns:
          An array of shape ``[spatial_dims, output_channels]`` and rank-N+1 if
          unbatched, or an array of shape ``[N, spatial_dims, output_channels]``
          and rank-N+2 if batched.
        """
        name = self.module_name
        inputs, unbatched = conv_utils.batch_input(
            name, "ConvND", inputs, self.num_spatial_dims, self.data_format, self.channel_index
        )
        input_channels = inputs.shape[self.channel_index]
        groups = self.feature_group_count
        if input_channels % groups:
            raise ValueError(
                f"Inputs channels {input_channels} should be a multiple of feature_group_count "
                f"{groups} ({name}: inputs of shape {tuple(inputs.shape)}, data_format "
                f"{self.data_format!r}.)"
            )
        if self.output_channels % groups:
            raise ValueError(
                f"{name}: output_channels={self.output_channels} must be a multiple of "
                f"feature_group_count={groups}."
            )
        w_shape = self.kernel_shape + (input_channels // groups, self.output_channels)
        conv_utils.check_mask(name, self.mask, w_shape)
        w_init = self.w_init
        if w_init is None:
            w_init = conv_utils.default_w_init(conv_utils.prod(w_shape[:-1]))
        w = hk.get_parameter("w", w_shape, inputs.dtype, init=w_init)
        if self.mask is not None:
            w = w * self.mask
        out = jax.lax.conv_general_dilated(
            inputs,
            w,
            window_strides=self.stride,
            padding=self.padding,
            lhs_dilation=self.lhs_dilation,
            rhs_dilation=self.kernel_dilation,
            dimension_numbers=self.dimension_numbers,
            feature_group_count=groups,
            precision=precision,
        )
        if self.with_bias:
            out = conv_utils.add_bias(
                out, self.output_channels, self.channel_index, self.num_spatial_dims, self.b_init
            )
        return out[0] if unbatched else out


class Conv1D(ConvND):
    """One dimensional convolution.

    >>> conv = hk.Conv1D(output_channels=4, kernel_shape=3, stride=2)
    >>> conv(jnp.ones([2, 10, 3])).shape
    (2, 5, 4)
    """

    def __init__(
        self,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: PaddingLike = "SAME",
        with_bias: bool = True,
        w_init: hk.initializers.Initializer | None = None,
        b_init: hk.initializers.Initializer | None = None,
        data_format: str = "NWC",
        mask: jax.Array | None = None,
        feature_group_count: int = 1,
        name: str | None = None,
    ):
        """:class:`ConvND` with ``num_spatial_dims=1``; its arguments less that one.

        ``kernel_shape``, ``stride`` and ``rate`` are an int or a sequence of
        1; ``data_format`` is ``NWC`` (the default) or ``NCW``.
        """
        super().__init__(
            num_spatial_dims=1,
            output_channels=output_channels,
            kernel_shape=kernel_shape,
            stride=stride,
            rate=rate,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
            mask=mask,
            feature_group_count=feature_group_count,
            name=name,
        )


class Conv2D(ConvND):
    """Two dimensional convolution.

    >>> conv = hk.Conv2D(output_channels=4, kernel_shape=3, data_format="NCHW")
    >>> conv(jnp.ones([2, 3, 16, 16])).shape
    (2, 4, 16, 16)
    >>> hk.get_params()["conv2_d"]["b"].shape
    (4, 1, 1)
    """

    def __init__(
        self,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: PaddingLike = "SAME",
        with_bias: bool = True,
        w_init: hk.initializers.Initializer | None = None,
        b_init: hk.initializers.Initializer | None = None,
        data_format: str = "NHWC",
        mask: jax.Array | None = None,
        feature_group_count: int = 1,
        name: str | None = None,
    ):
        """:class:`ConvND` with ``num_spatial_dims=2``; its arguments less that one.

        ``kernel_shape``, ``stride`` and ``rate`` are an int or a sequence of
        2; ``data_format`` is ``NHWC`` (the default) or ``NCHW``.
        """
        super().__init__(
            num_spatial_dims=2,
            output_channels=output_channels,
            kernel_shape=kernel_shape,
            stride=stride,
            rate=rate,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
            mask=mask,
            feature_group_count=feature_group_count,
            name=name,
        )


class Conv3D(ConvND):
    """Three dimensional convolution.

    >>> conv = hk.Conv3D(output_channels=4, kernel_shape=3, padding="VALID")
    >>> conv(jnp.ones([2, 5, 8, 8, 3])).shape
    (2, 3, 6, 6, 4)
    """

    def __init__(
        self,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: PaddingLike = "SAME",
        with_bias: bool = True,
        w_init: hk.initializers.Initializer | None = None,
        b_init: hk.initializers.Initializer | None = None,
        data_format: str = "NDHWC",
        mask: jax.Array | None = None,
        feature_group_count: int = 1,
        name: str | None = None,
    ):
        """:class:`ConvND` with ``num_spatial_dims=3``; its arguments less that one.

        ``kernel_shape``, ``stride`` and ``rate`` are an int or a sequence of
        3; ``data_format`` is ``NDHWC`` (the default) or ``NCDHW``.
        """
        super().__init__(
            num_spatial_dims=3,
            output_channels=output_channels,
            kernel_shape=kernel_shape,
            stride=stride,
            rate=rate,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
            mask=mask,
            feature_group_count=feature_group_count,
            name=name,
        )
