"""Batch normalisation: :class:`BatchNorm`.

Training mode normalises with the statistics of the batch (optionally
averaged over devices with ``jax.lax.pmean``) and updates exponential moving
averages of them held as state by two
:class:`~haiku.ExponentialMovingAverage` submodules, ``mean_ema`` and
``var_ema``; test mode normalises with those averages.
"""

from __future__ import annotations

from collections.abc import Sequence

import haiku as hk
import jax
import jax.numpy as jnp

from haiku_nets._src.data_format import get_channel_index
from haiku_nets._src.norm_helpers import (
    broadcast_to_rank,
    check_call_scale_offset,
    check_scale_offset_init,
)
from haiku_nets._src.moving_averages import ExponentialMovingAverage

__all__ = ["BatchNorm"]


class BatchNorm(hk.Module):
    """Normalizes inputs to maintain a mean of ~0 and stddev of ~1.

    See https://arxiv.org/abs/1502.03167. In training mode the statistics of
    the batch normalise the input and update moving averages (state); in test
    mode the moving averages are used (or the batch's own statistics with
    ``test_local_stats=True``).

    Scale and offset can be absent (``create_*=False``, nothing passed at call
    time), trainable parameters owned by the module (``create_*=True``) or
    given at call time (``create_*=False`` and ``scale=``/``offset=``, e.g. for
    conditional normalisation).

    >>> def forward(x, is_training):
    ...   return hk.BatchNorm(True, True, decay_rate=0.9)(x, is_training)
    >>> f = hk.transform_with_state(forward)
    >>> x = jnp.array([[1., 2.], [3., 6.]])
    >>> params, state = f.init(None, x, is_training=True)
    >>> jax.tree_util.tree_map(jnp.shape, params)
    {'batch_norm': {'offset': (1, 2), 'scale': (1, 2)}}
    >>> sorted(state)
    ['batch_norm/~/mean_ema', 'batch_norm/~/var_ema']
    >>> y, state = f.apply(params, state, None, x, is_training=True)
    >>> print(y.round(3))
    [[-1. -1.]
     [ 1.  1.]]
    >>> print(state['batch_norm/~/mean_ema']['average'].round(3))
    [[2. 4.]]

    Note: ``jax.vmap`` of a transformed BatchNorm normalises each vmapped
    example separately; normalising across a vmapped axis is not supported
    except by naming it in ``cross_replica_axis``.
    """

    def __init__(
        self,
        create_scale: bool,
        create_offset: bool,
        decay_rate: float,
        eps: float = 1e-5,
        scale_init: hk.initializers.Initializer | None = None,
        offset_init: hk.initializers.Initializer | None = None,
        axis: Sequence[int] | None = None,
        cross_replica_axis: str | Sequence[str] | None = None,
        cross_replica_axis_index_groups: Sequence[Sequence[int]] | None = None,
        data_format: str = "channels_last",
        name: str | None = None,
    ):
        """Constructs a BatchNorm module.

        Args:
          create_scale: Whether to include a trainable scaling factor.
          create_offset: Whether to include a trainable offset.
          decay_rate: Decay rate for the moving averages of the statistics.
          eps: Small epsilon added to the variance to avoid division by zero.
            Defaults to ``1e-5``.
          scale_init: Optional initializer for the scale; only with
            ``create_scale=True``. By default, one.
          offset_init: Optional initializer for the offset; only with
            ``create_offset=True``. By default, zero.
          axis: Which axes to reduce over. ``None`` (the default) reduces over
            every axis but the channel axis.
          cross_replica_axis: If not ``None``, the name (or sequence of names)
            of the mapped axes (``jax.pmap``, ``jax.vmap``, ``shard_map``) over
            which the batch statistics are averaged.
          cross_replica_axis_index_groups: How devices are grouped for the
            cross-replica average (``jax.lax.pmean``'s ``axis_index_groups``).
            Needs ``cross_replica_axis``.
          data_format: The data format of the input: ``channels_first``,
            ``channels_last``, ``N...C`` or ``NC...`` (see
            :func:`~haiku.get_channel_index`). Defaults to ``channels_last``.
          name: The module name.
        """
        super().__init__(name=name)
        check_scale_offset_init(self.module_name, create_scale=create_scale,
                                create_offset=create_offset, scale_init=scale_init,
                                offset_init=offset_init)
        if cross_replica_axis is None and cross_replica_axis_index_groups is not None:
            # dm-haiku's wording, missing space included, so that regexes match.
            raise ValueError(
                "`cross_replica_axis` name must be specifiedif "
                "`cross_replica_axis_index_groups` are used. "
                f"({self.module_name}: pass the name of the mapped axis as well.)"
            )
        self.create_scale = create_scale
        self.create_offset = create_offset
        self.eps = eps
        self.scale_init = scale_init or jnp.ones
        self.offset_init = offset_init or jnp.zeros
        self.axis = axis
        self.cross_replica_axis = cross_replica_axis
        self.cross_replica_axis_index_groups = cross_replica_axis_index_groups
        self.channel_index = get_channel_index(data_format)
        self.mean_ema = ExponentialMovingAverage(decay_rate, name="mean_ema")
        self.var_ema = ExponentialMovingAverage(decay_rate, name="var_ema")

    def __call__(
        self,
        inputs: jax.Array,
        is_training: bool,
        test_local_stats: bool = False,
        scale: jax.Array | None = None,
        offset: jax.Array | None = None,
    ) -> jax.Array:
        """Computes the normalized version of the input.

        Args:
          inputs: An array, where the data format is ``[..., C]`` (or as given
            by ``data_format``).
          is_training: Whether this is during training: use the batch
            statistics and update the moving averages.
          test_local_stats: Whether the batch statistics are used when
            ``is_training=False``.
          scale: An array broadcastable to ``inputs``, the scale applied to the
            normalized inputs. Not allowed with ``create_scale=True``.
          offset: An array broadcastable to ``inputs``, the offset applied to
            the normalized inputs. Not allowed with ``create_offset=True``.

        Returns:
          The array, normalized across the reduction axes.
        """
        check_call_scale_offset(self.module_name, create_scale=self.create_scale,
                                create_offset=self.create_offset, scale=scale, offset=offset)

        shape = tuple(inputs.shape)
        rank = len(shape)
        if self.axis is not None:
            axis = tuple(self.axis)
            for a in axis:
                if not -rank <= a < rank:
                    # IndexError: what dm-haiku's indexing of the input's shape raises.
                    raise IndexError(
                        f"{self.module_name}: `axis` {axis} is out of range for inputs of "
                        f"shape {shape} (rank {rank})."
                    )
        elif rank == 0:
            axis = ()
        else:
            channel_index = self.channel_index % rank
            axis = tuple(i for i in range(rank) if i != channel_index)

        if is_training or test_local_stats:
            mean, var = _batch_moments(
                inputs, axis, self.cross_replica_axis, self.cross_replica_axis_index_groups)
        else:
            mean = self.mean_ema.average.astype(inputs.dtype)
            var = self.var_ema.average.astype(inputs.dtype)

        if is_training:
            self.mean_ema(mean)
            self.var_ema(var)

        # Parameters keep every input dimension that is not listed in `axis`
        # (compared as given: a negative axis keeps its dimension here).
        param_shape = tuple(1 if i in axis else d for i, d in enumerate(shape))
        if self.create_scale:
            scale = hk.get_parameter("scale", param_shape, inputs.dtype, self.scale_init)
        if self.create_offset:
            offset = hk.get_parameter("offset", param_shape, inputs.dtype, self.offset_init)

        scale = broadcast_to_rank(scale, rank)
        offset = broadcast_to_rank(offset, rank)
        inv = jax.lax.rsqrt(var + self.eps)
        if scale is not None:
            inv = inv * scale
        out = (inputs - mean) * inv
        if offset is not None:
            out = out + offset
        return out


def _batch_moments(
    inputs: jax.Array,
    axis: tuple[int, ...],
    cross_replica_axis: str | Sequence[str] | None,
    axis_index_groups: Sequence[Sequence[int]] | None,
) -> tuple[jax.Array, jax.Array]:
    """Mean and variance over ``axis`` (kept as size 1), across replicas if named.

    The variance is ``E[x^2] - E[x]^2`` so that both moments can be averaged
    across replicas before it is formed.
    """
    mean = jnp.mean(inputs, axis, keepdims=True)
    mean_of_squares = jnp.mean(jnp.square(inputs), axis, keepdims=True)
    if cross_replica_axis is not None:
        axis_name = (
            cross_replica_axis if isinstance(cross_replica_axis, str)
            else tuple(cross_replica_axis))
        mean = jax.lax.pmean(mean, axis_name, axis_index_groups=axis_index_groups)
        mean_of_squares = jax.lax.pmean(
            mean_of_squares, axis_name, axis_index_groups=axis_index_groups)
    var = mean_of_squares - jnp.square(mean)
    return mean, var
