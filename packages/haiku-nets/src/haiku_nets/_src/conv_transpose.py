"""Transposed convolutions: :class:`ConvNDTranspose` and its 1-, 2- and 3-D forms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import haiku as hk
import jax
import jax.numpy as jnp

from haiku_nets._src import conv_utils
from haiku_nets._src.data_format import dimension_numbers

__all__ = ["Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "ConvNDTranspose"]

TransposePadding = Union[str, Sequence[tuple[int, int]]]


def output_shape_padding(
    module: str,
    input_size: int,
    output_size: int,
    kernel: int,
    stride: int,
    padding: str,
) -> tuple[int, int]:
    """Explicit ``jax.lax.conv_transpose`` padding giving ``output_size``.

    The transposed convolution is the gradient of a forward convolution from
    ``output_size`` to ``input_size`` with the same kernel, stride and padding
    algorithm: that forward convolution pads ``(pb, pa)``, so its transpose pads
    the stride-dilated input with ``(kernel - 1 - pb, kernel - 1 - pa + r)``,
    where ``r`` are the trailing positions the forward strides never reach.
    """
    if padding == "SAME":
        expected = -(-output_size // stride)
        total = max((expected - 1) * stride + kernel - output_size, 0)
        before = total // 2
        after = total - before
    else:  # VALID
        expected = -(-(output_size - kernel + 1) // stride)
        before = after = 0
    if expected != input_size:
        raise ValueError(
            "The expected input size with the current set of input parameters is "
            f"{expected} which doesn't match the actual input size {input_size}. ({module}: "
            f"output_shape {output_size} needs a spatial input size of {expected} with "
            f"kernel {kernel}, stride {stride} and padding {padding!r}.)"
        )
    remainder = (output_size + before + after - kernel) % stride
    return (kernel - 1 - before, kernel - 1 - after + remainder)


class ConvNDTranspose(hk.Module):
    """General n-dimensional transposed convolution (aka. deconvolution).

    The weights ``w`` have shape ``kernel_shape + [output_channels, C]``:

    >>> deconv = hk.ConvNDTranspose(num_spatial_dims=2, output_channels=3, kernel_shape=3,
    ...                             stride=2)
    >>> deconv(jnp.ones([8, 16, 16, 4])).shape
    (8, 32, 32, 3)
    >>> jax.tree_util.tree_map(jnp.shape, hk.get_params())
    {'conv_nd_transpose': {'b': (3,), 'w': (3, 3, 3, 4)}}

    ``output_shape`` picks one of the sizes a stride allows:

    >>> deconv = hk.ConvNDTranspose(2, 3, kernel_shape=3, stride=2, output_shape=(31, 32))
    >>> deconv(jnp.ones([8, 16, 16, 4])).shape
    (8, 31, 32, 3)
    """

    def __init__(
        self,
        num_spatial_dims: int,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        output_shape: int | Sequence[int] | None = None,
        padding: TransposePadding = "SAME",
        with_bias: bool = True,
        w_init: hk.initializers.Initializer | None = None,
        b_init: hk.initializers.Initializer | None = None,
        data_format: str = "channels_last",
        mask: jax.Array | None = None,
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
          output_shape: Output shape of the spatial dimensions of a transpose
            convolution. Can be either an integer or an iterable of integers.
            If ``None``, a default shape is automatically calculated. Needs a
            ``SAME`` or ``VALID`` padding.
          padding: Optional padding algorithm. Either ``VALID`` or ``SAME``, or
            ``(low, high)`` pairs passed to ``jax.lax.conv_transpose``.
            Defaults to ``SAME``.
          with_bias: Whether to add a bias. By default, true.
          w_init: Optional weight initialization. By default, truncated normal.
          b_init: Optional bias initialization. By default, zeros.
          data_format: The data format of the input. Can be either
            ``channels_first``, ``channels_last``, ``N...C`` or ``NC...``. By
            default, ``channels_last``.
          mask: Optional mask of the weights.
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
        self.output_shape = (
            None if output_shape is None
            else conv_utils.replicate(
                self.module_name, output_shape, n, "output_shape", "output_shape"))
        self.with_bias = with_bias
        self.stride = conv_utils.replicate(self.module_name, stride, n, "strides", "stride")
        self.w_init = w_init
        self.b_init = b_init or jnp.zeros
        self.mask = mask
        self.padding = conv_utils.resolve_padding(
            self.module_name, padding, self.kernel_shape, (1,) * n, allow_padfn=False
        )
        if self.padding == "SAME_LOWER":
            raise ValueError(f"{self.module_name}: padding must be 'SAME' or 'VALID' or pairs.")
        if self.output_shape is not None and not isinstance(self.padding, str):
            # dm-haiku's wording ("paddding" included), so that regexes match.
            raise ValueError(
                "When specifying `output_shape`, ensure that paddding is 'VALID' or 'SAME'. "
                f"({self.module_name}: got padding {padding!r}.)"
            )
        self.data_format = data_format
        self.channel_index = conv_utils.check_data_format(self.module_name, data_format)
        self.dimension_numbers = dimension_numbers(n, self.channel_index, kernel_io=(0, 1))

    def __call__(self, inputs: jax.Array, *, precision: jax.lax.Precision | None = None) -> jax.Array:
        """Computes the transposed convolution of the input.

        Args:
          inputs: An array of shape ``[spatial_dims, C]`` and rank-N+1 if
            unbatched, or an array of shape ``[N, spatial_dims, C]`` and rank-N+2
            if batched (channels first for channels-first data formats).
          precision: Optional ``jax.lax.Precision`` to pass to
            ``jax.lax.conv_transpose``.

        Returns:
          An array of shape ``[spatial_dims, output_channels]`` and rank-N+1 if
          unbatched, or an array of shape ``[N, spatial_dims, output_channels]``
          and rank-N+2 if batched.
        """
        name = self.module_name
        n = self.num_spatial_dims
        inputs, unbatched = conv_utils.batch_input(
            name, "ConvNDTranspose", inputs, n, self.data_format, self.channel_index
        )
        padding = self.padding
        if self.output_shape is not None:
            mode = padding
            assert isinstance(mode, str)  # checked by the constructor
            spatial = inputs.shape[2:] if self.channel_index == 1 else inputs.shape[1:-1]
            padding = tuple(
                output_shape_padding(name, i, o, k, s, mode)
                for i, o, k, s in zip(spatial, self.output_shape, self.kernel_shape, self.stride)
            )
        input_channels = inputs.shape[self.channel_index]
        w_shape = self.kernel_shape + (self.output_channels, input_channels)
        conv_utils.check_mask(name, self.mask, w_shape)
        w_init = self.w_init
        if w_init is None:
            fan_in = conv_utils.prod(self.kernel_shape) * input_channels
            w_init = conv_utils.default_w_init(fan_in)
        w = hk.get_parameter("w", w_shape, inputs.dtype, init=w_init)
        if self.mask is not None:
            w = w * self.mask

        out = jax.lax.conv_transpose(
            inputs,
            w,
            strides=self.stride,
            padding=padding,
            dimension_numbers=self.dimension_numbers,
            precision=precision,
        )
        if self.with_bias:
            out = conv_utils.add_bias(out, self.output_channels, self.channel_index, n, self.b_init)
        return out[0] if unbatched else out


class Conv1DTranspose(ConvNDTranspose):
    """One dimensional transposed convolution (aka. deconvolution).

    >>> deconv = hk.Conv1DTranspose(output_channels=3, kernel_shape=3, stride=2,
    ...                             padding="VALID")
    >>> deconv(jnp.ones([2, 10, 4])).shape
    (2, 21, 3)
    """

    def __init__(
        self,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        output_shape: int | Sequence[int] | None = None,
        padding: TransposePadding = "SAME",
        with_bias: bool = True,
        w_init: hk.initializers.Initializer | None = None,
        b_init: hk.initializers.Initializer | None = None,
        data_format: str = "NWC",
        mask: jax.Array | None = None,
        name: str | None = None,
    ):
        """:class:`ConvNDTranspose` with ``num_spatial_dims=1``; its arguments less that one.

        ``kernel_shape``, ``stride`` and ``rate`` are an int or a sequence of
        1; ``data_format`` is ``NWC`` (the default) or ``NCW``.
        """
        super().__init__(
            num_spatial_dims=1,
            output_channels=output_channels,
            kernel_shape=kernel_shape,
            stride=stride,
            output_shape=output_shape,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
            mask=mask,
            name=name,
        )


class Conv2DTranspose(ConvNDTranspose):
    """Two dimensional transposed convolution (aka. deconvolution).

    >>> deconv = hk.Conv2DTranspose(output_channels=3, kernel_shape=3, stride=2)
    >>> deconv(jnp.ones([2, 8, 8, 4])).shape
    (2, 16, 16, 3)
    """

    def __init__(
        self,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        output_shape: int | Sequence[int] | None = None,
        padding: TransposePadding = "SAME",
        with_bias: bool = True,
        w_init: hk.initializers.Initializer | None = None,
        b_init: hk.initializers.Initializer | None = None,
        data_format: str = "NHWC",
        mask: jax.Array | None = None,
        name: str | None = None,
    ):
        """:class:`ConvNDTranspose` with ``num_spatial_dims=2``; its arguments less that one.

        ``kernel_shape``, ``stride`` and ``rate`` are an int or a sequence of
        2; ``data_format`` is ``NHWC`` (the default) or ``NCHW``.
        """
        super().__init__(
            num_spatial_dims=2,
            output_channels=output_channels,
            kernel_shape=kernel_shape,
            stride=stride,
            output_shape=output_shape,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
            mask=mask,
            name=name,
        )


class Conv3DTranspose(ConvNDTranspose):
    """Three dimensional transposed convolution (aka. deconvolution).

    >>> deconv = hk.Conv3DTranspose(output_channels=3, kernel_shape=3, stride=2,
    ...                             data_format="NCDHW")
    >>> deconv(jnp.ones([2, 4, 4, 4, 4])).shape
    (2, 3, 8, 8, 8)
    """

    def __init__(
        self,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        output_shape: int | Sequence[int] | None = None,
        padding: TransposePadding = "SAME",
        with_bias: bool = True,
        w_init: hk.initializers.Initializer | None = None,
        b_init: hk.initializers.Initializer | None = None,
        data_format: str = "NDHWC",
        mask: jax.Array | None = None,
        name: str | None = None,
    ):
        """:class:`ConvNDTranspose` with ``num_spatial_dims=3``; its arguments less that one.

        ``kernel_shape``, ``stride`` and ``rate`` are an int or a sequence of
        3; ``data_format`` is ``NDHWC`` (the default) or ``NCDHW``.
        """
        super().__init__(
            num_spatial_dims=3,
            output_channels=output_channels,
            kernel_shape=kernel_shape,
            stride=stride,
            output_shape=output_shape,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
            mask=mask,
            name=name,
        )
