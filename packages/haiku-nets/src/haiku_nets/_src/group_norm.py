"""Group normalisation: :class:`GroupNorm`."""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp

from haiku_nets._src.data_format import get_channel_index
from haiku_nets._src.norm_helpers import (
    AxisOrAxes,
    check_axis,
    check_call_scale_offset,
    check_scale_offset_init,
    broadcast_to_rank,
    mean_and_variance,
    resolve_axes,
)

__all__ = ["GroupNorm"]


class GroupNorm(hk.Module):
    r"""Group normalization module.

    See https://arxiv.org/abs/1803.08494. The channels are split into
    ``groups`` groups of consecutive channels; each group is normalised with
    the mean and variance over ``axis`` (by default every axis but the batch
    axis), taken within the group only:

    .. math::
       \mathrm{outputs} = \mathrm{scale}
           \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \mathrm{offset}

    ``axis`` counts the axes of the input; the channel axis in it stands for
    the channels of one group. The statistics are never taken across groups.
    (Negative axes count from the end of the input too. dm-haiku 0.0.17
    resolves them against its internal grouped array instead, so there e.g.
    ``axis=-2`` of an NHWC input reduces over the groups; both agree on
    non-negative axes, slices and ``axis=-1`` with channels last.)
    Scale and offset (one per channel) can be absent, created by the module
    (``create_*=True``) or given at call time.

    As in dm-haiku, the first call fixes the rank of the inputs: it sets
    ``rank``, ``group_shape`` and ``first_input_shape`` (the grouped and the
    input shape, batch axis ``-1``) and turns ``axis`` into the reduced axes of
    the grouped array; a later call with another rank is an error.

    >>> gn = hk.GroupNorm(groups=2)
    >>> x = jnp.array([[1., 3., 10., 30.]])
    >>> print(gn(x).round(3))
    [[-1.  1. -1.  1.]]
    >>> jax.tree_util.tree_map(jnp.shape, hk.get_params())
    {'group_norm': {'offset': (4,), 'scale': (4,)}}
    """

    def __init__(
        self,
        groups: int,
        axis: AxisOrAxes = slice(1, None),
        create_scale: bool = True,
        create_offset: bool = True,
        eps: float = 1e-5,
        scale_init: hk.initializers.Initializer | None = None,
        offset_init: hk.initializers.Initializer | None = None,
        data_format: str = "channels_last",
        name: str | None = None,
    ):
        """Constructs a :class:`GroupNorm` module.

        Args:
          groups: Number of groups to divide the channels by. The number of
            channels must be divisible by this.
          axis: ``int``, ``slice`` or sequence of ints: the input axes to
            normalize across. By default all but the first (batch) axis; for
            time series use ``slice(2, None)`` to average over all but the
            batch and time axes.
          create_scale: Whether to create a trainable scale per channel applied
            after the normalization.
          create_offset: Whether to create a trainable offset per channel
            applied after normalization and scaling.
          eps: Small epsilon added to the variance to avoid division by zero.
            Defaults to ``1e-5``.
          scale_init: Optional initializer for the scale; only with
            ``create_scale=True``. By default, one.
          offset_init: Optional initializer for the offset; only with
            ``create_offset=True``. By default, zero.
          data_format: The data format of the input: ``channels_first``,
            ``channels_last``, ``N...C`` or ``NC...`` (see
            :func:`~haiku.get_channel_index`). Defaults to ``channels_last``.
          name: Name of the module.
        """
        super().__init__(name=name)
        check_scale_offset_init(self.module_name, create_scale=create_scale,
                                create_offset=create_offset, scale_init=scale_init,
                                offset_init=offset_init)
        self.groups = groups
        self.axis = check_axis(axis, self.module_name)
        self.create_scale = create_scale
        self.create_offset = create_offset
        self.eps = eps
        self.scale_init = scale_init or jnp.ones
        self.offset_init = offset_init or jnp.zeros
        self.data_format = data_format
        self.channel_index = get_channel_index(data_format)
        self.rank: int | None = None
        self.group_shape: tuple[int, ...] | None = None
        self.first_input_shape: tuple[int, ...] | None = None

    def __call__(
        self,
        x: jax.Array,
        scale: jax.Array | None = None,
        offset: jax.Array | None = None,
    ) -> jax.Array:
        """Returns normalized inputs.

        Args:
          x: An n-D array of the ``data_format`` given to the constructor.
          scale: An array broadcastable to ``x``, the scale applied to the
            normalized ``x``. Not allowed with ``create_scale=True``.
          offset: An array broadcastable to ``x``, the offset applied to the
            normalized ``x``. Not allowed with ``create_offset=True``.

        Returns:
          An n-D array of the same shape as ``x``, normalized.
        """
        name = self.module_name
        shape = tuple(x.shape)
        rank = len(shape)
        if self.rank is not None and rank != self.rank:
            raise ValueError(
                "The rank of the inputs cannot change between calls, the original call was "
                f"rank={self.rank} but this call was rank={rank}. ({name}: got inputs of "
                f"shape {shape}; the first call had shape {self.first_input_shape}.)")
        check_call_scale_offset(name, create_scale=self.create_scale,
                                create_offset=self.create_offset, scale=scale, offset=offset)
        if not shape:
            raise ValueError(f"{name}: inputs must have at least one dimension, got shape ().")
        channel_axis = self.channel_index % rank
        channels = shape[channel_axis]
        groups = self.groups
        if groups <= 0 or channels % groups:
            raise ValueError(
                "The number of channels must be divisible by the number of groups, "
                f"was channels={channels}, groups={groups} ({name}: input shape {shape}, "
                f"data_format={self.data_format!r}.)"
            )
        # Split the channel axis into (groups, channels // groups); the channel
        # axis named in `axis` becomes the axis of channels within a group and
        # the axes after it move one place right. After the first call
        # `self.axis` holds these grouped axes.
        if self.rank is None:
            axes = resolve_axes(self.axis, shape, name)
            grouped_axes = tuple(a if a < channel_axis else a + 1 for a in axes)
        else:
            assert isinstance(self.axis, tuple)  # set to the grouped axes by the first call
            grouped_axes = self.axis
        grouped_shape = shape[:channel_axis] + (groups, channels // groups) + shape[channel_axis + 1:]

        grouped = x.reshape(grouped_shape)
        mean, variance = mean_and_variance(grouped, grouped_axes)
        out = ((grouped - mean) * jax.lax.rsqrt(variance + self.eps)).reshape(shape)

        if channel_axis == rank - 1:
            p_shape: tuple[int, ...] = (channels,)
        else:
            p_shape = (channels,) + (1,) * (rank - 1 - channel_axis)
        if self.create_scale:
            scale = hk.get_parameter("scale", p_shape, x.dtype, init=self.scale_init)
        if self.create_offset:
            offset = hk.get_parameter("offset", p_shape, x.dtype, init=self.offset_init)

        scale = broadcast_to_rank(scale, rank)
        offset = broadcast_to_rank(offset, rank)
        if scale is not None:
            out = out * scale
        if offset is not None:
            out = out + offset

        if self.rank is None:
            self.rank = rank
            self.axis = grouped_axes
            self.group_shape = (-1,) + grouped_shape[1:]
            self.first_input_shape = (-1,) + shape[1:]
        return out
