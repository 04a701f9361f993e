"""Root-mean-square normalisation: :class:`RMSNorm`."""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp

from haiku_nets._src.norm_helpers import AxisOrAxes, check_axis, param_shape, resolve_axes

__all__ = ["RMSNorm"]


class RMSNorm(hk.Module):
    """RMSNorm module.

    See https://arxiv.org/abs/1910.07467. Divides the inputs by their root
    mean square over ``axis`` (plus ``eps``) and multiplies by a learned scale;
    unlike :class:`LayerNorm` it does not subtract the mean, which makes it
    cheaper and often as good.

    >>> norm = hk.RMSNorm(axis=-1)
    >>> y = norm(jnp.array([[3., 4.]]))  # root mean square 3.536
    >>> print(np.asarray(y, np.float64).round(3))
    [[0.849 1.131]]
    >>> jax.tree_util.tree_map(jnp.shape, hk.get_params())
    {'rms_norm': {'scale': (2,)}}
    """

    def __init__(
        self,
        axis: AxisOrAxes,
        eps: float = 1e-5,
        scale_init: hk.initializers.Initializer | None = None,
        name: str | None = None,
        create_scale: bool = True,
        *,
        param_axis: AxisOrAxes | None = None,
    ):
        """Constructs a RMSNorm module.

        Args:
          axis: Integer, list of integers, or slice indicating which axes to
            normalize over.
          eps: Small epsilon added to the mean square to avoid division by
            zero. Defaults to ``1e-5``.
          scale_init: Optional initializer for the scale; only with
            ``create_scale=True``. By default, one.
          name: The module name.
          create_scale: Whether to create a trainable scale applied after the
            normalization.
          param_axis: Axis (or axes) used to determine the shape of the
            learnable scale. ``None`` defaults to ``(-1,)``.
        """
        super().__init__(name=name)
        if not create_scale and scale_init is not None:
            raise ValueError(
                f"Cannot set `scale_init` if `create_scale=False`. ({self.module_name})")
        self.axis = check_axis(axis, self.module_name)
        self.param_axis = check_axis((-1,) if param_axis is None else param_axis,
                                     self.module_name, "param_axis")
        self.eps = eps
        self.create_scale = create_scale
        self.scale_init = scale_init or jnp.ones

    def __call__(self, inputs: jax.Array) -> jax.Array:
        """Connects the RMSNorm module.

        Args:
          inputs: An array, where the data format is ``[N, ..., C]``.

        Returns:
          The normalized array, of the same shape as the inputs.
        """
        name = self.module_name
        shape = tuple(inputs.shape)
        if not shape:
            raise ValueError(f"{name}: inputs must have at least one dimension, got shape ().")
        # IndexError: what dm-haiku's indexing of the input's shape raises for it.
        axes = resolve_axes(self.axis, shape, name, error=IndexError)
        scale = None
        if self.create_scale:
            p_shape = param_shape(resolve_axes(self.param_axis, shape, name, "param_axis"), shape)
            scale = hk.get_parameter("scale", p_shape, inputs.dtype, init=self.scale_init)
            scale = jnp.broadcast_to(scale, shape)
        # The mean square is broadcast to the full shape before `eps` and the
        # rsqrt, and the ops are traced in dm-haiku's order: XLA then fuses the
        # backward pass the same way, so even gradients agree bit for bit.
        mean_squared = jnp.mean(jnp.square(inputs), axes, keepdims=True)
        mean_squared = jnp.broadcast_to(mean_squared, shape)
        scaled = inputs if scale is None else inputs * scale
        return scaled * jax.lax.rsqrt(mean_squared + self.eps)
