"""Layer normalisation: :class:`LayerNorm` and :class:`InstanceNorm`."""

from __future__ import annotations


import haiku as hk
import jax
import jax.numpy as jnp

from haiku_nets._src.data_format import get_channel_index
from haiku_nets._src.norm_helpers import (
    AxisOrAxes,
    broadcast_to_rank,
    check_axis,
    check_call_scale_offset,
    check_scale_offset_init,
    mean_and_variance,
    param_shape,
    resolve_axes,
)

__all__ = ["InstanceNorm", "LayerNorm"]

class LayerNorm(hk.Module):
    """LayerNorm module.

    See https://arxiv.org/abs/1607.06450. Normalises each example over
    ``axis`` to zero mean and unit variance, then applies a scale and offset
    whose shape ``param_axis`` selects (``param_axis=None`` means ``-1``, the
    feature axis).

    >>> ln = hk.LayerNorm(axis=-1, param_axis=-1,
    ...                   create_scale=True, create_offset=True)
    >>> x = ln(jnp.array([[1., 2., 3., 6.]]))
    >>> print(np.asarray(x, np.float64).round(3))
    [[-1.069 -0.535  0.     1.604]]
    >>> jax.tree_util.tree_map(jnp.shape, hk.get_params())
    {'layer_norm': {'offset': (4,), 'scale': (4,)}}
    """

    def __init__(
        self,
        axis: AxisOrAxes,
        create_scale: bool,
        create_offset: bool,
        eps: float = 1e-5,
        scale_init: hk.initializers.Initializer | None = None,
        offset_init: hk.initializers.Initializer | None = None,
        use_fast_variance: bool = False,
        name: str | None = None,
        *,
        param_axis: AxisOrAxes | None = None,
    ):
        """Constructs a LayerNorm module.

        Args:
          axis: Integer, list of integers, or slice indicating which axes to
            normalize over. The shape of the scale/offset parameters is given
            by ``param_axis``.
          create_scale: Whether to create a trainable scale applied after the
            normalization.
          create_offset: Whether to create a trainable offset applied after
            normalization and scaling.
          eps: Small epsilon added to the variance to avoid division by zero.
            Defaults to ``1e-5``.
          scale_init: Optional initializer for the scale; only with
            ``create_scale=True``. By default, one.
          offset_init: Optional initializer for the offset; only with
            ``create_offset=True``. By default, zero.
          use_fast_variance: If true, compute the variance as
            ``E[x^2] - E[x]^2``: faster but less numerically stable.
          name: The module name.
          param_axis: Axis (or axes) used to determine the shape of the
            learnable scale/offset. ``None`` means ``-1`` (the channel axis of
            ``NHWC`` inputs, as Sonnet does); other libraries use the reduction
            axes (``param_axis=axis``).
        """
        super().__init__(name=name)
        check_scale_offset_init(self.module_name, create_scale=create_scale,
                                create_offset=create_offset, scale_init=scale_init,
                                offset_init=offset_init)
        self.axis = check_axis(axis, self.module_name)
        self.param_axis = check_axis((-1,) if param_axis is None else param_axis,
                                     self.module_name, "param_axis")
        self.create_scale = create_scale
        self.create_offset = create_offset
        self.eps = eps
        self.scale_init = scale_init or jnp.ones
        self.offset_init = offset_init or jnp.zeros
        self.use_fast_variance = use_fast_variance

    def __call__(
        self,
        inputs: jax.Array,
        scale: jax.Array | None = None,
        offset: jax.Array | None = None,
    ) -> jax.Array:
        """Connects the layer norm.

        Args:
          inputs: An array, where the data format is ``[N, ..., C]``.
          scale: An array broadcastable to ``inputs``, the scale applied to the
            normalized inputs. Not allowed with ``create_scale=True``.
          offset: An array broadcastable to ``inputs``, the offset applied to
            the normalized inputs. Not allowed with ``create_offset=True``.

        Returns:
          The array, normalized.
        """
        name = self.module_name
        check_call_scale_offset(name, create_scale=self.create_scale,
                                create_offset=self.create_offset, scale=scale, offset=offset)
        shape = tuple(inputs.shape)
        if not shape:
            raise ValueError(f"{name}: inputs must have at least one dimension, got shape ().")
        axes = resolve_axes(self.axis, shape, name)
        mean, variance = mean_and_variance(inputs, axes, self.use_fast_variance)

        p_shape = param_shape(resolve_axes(self.param_axis, shape, name, "param_axis"), shape)
        if self.create_scale:
            scale = hk.get_parameter("scale", p_shape, inputs.dtype, init=self.scale_init)
        if self.create_offset:
            offset = hk.get_parameter("offset", p_shape, inputs.dtype, init=self.offset_init)

        rank = len(shape)
        scale = broadcast_to_rank(scale, rank)
        offset = broadcast_to_rank(offset, rank)
        inv = jax.lax.rsqrt(variance + self.eps)
        if scale is not None:
            inv = inv * scale
        out = (inputs - mean) * inv
        if offset is not None:
            out = out + offset
        return out


class InstanceNorm(LayerNorm):
    """Normalizes inputs along the spatial dimensions.

    A :class:`LayerNorm` over every axis between the batch and the channel
    axis, with one scale/offset per channel. See :class:`LayerNorm`.

    >>> norm = hk.InstanceNorm(create_scale=True, create_offset=True)
    >>> y = norm(jnp.arange(6.).reshape([1, 3, 1, 2]))  # N, H, W, C
    >>> print(np.asarray(y[0, :, 0, 0], np.float64).round(3))
    [-1.225  0.     1.225]
    >>> jax.tree_util.tree_map(jnp.shape, hk.get_params())
    {'instance_norm': {'offset': (2,), 'scale': (2,)}}
    """

    def __init__(
        self,
        create_scale: bool,
        create_offset: bool,
        eps: float = 1e-5,
        scale_init: hk.initializers.Initializer | None = None,
        offset_init: hk.initializers.Initializer | None = None,
        data_format: str = "channels_last",
        name: str | None = None,
    ):
        """Constructs an :class:`InstanceNorm` module.

        This method creates a module which normalizes over the spatial
        dimensions.

        Args:
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
        channel_index = get_channel_index(data_format)
        if channel_index == 1:
            axis = slice(2, None)
        else:
            axis = slice(1, -1)
        super().__init__(
            axis=axis,
            create_scale=create_scale,
            create_offset=create_offset,
            eps=eps,
            scale_init=scale_init,
            offset_init=offset_init,
            name=name,
            param_axis=channel_index,
        )
        self.data_format = data_format
