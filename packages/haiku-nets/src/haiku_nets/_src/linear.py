"""Dense layers: :class:`Linear` and :class:`Bias`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["Bias", "Linear"]


class Linear(hk.Module):
    """Linear module: ``y = x @ w + b``.

    >>> linear = hk.Linear(3)
    >>> linear(jnp.ones([2, 4])).shape
    (2, 3)
    >>> jax.tree_util.tree_map(jnp.shape, hk.get_params())
    {'linear': {'b': (3,), 'w': (4, 3)}}
    """

    def __init__(
        self,
        output_size: int,
        with_bias: bool = True,
        w_init: hk.initializers.Initializer | None = None,
        b_init: hk.initializers.Initializer | None = None,
        name: str | None = None,
    ):
        """Constructs the Linear module.

        Args:
          output_size: Output dimensionality.
          with_bias: Whether to add a bias to the output.
          w_init: Optional initializer for weights. By default, uses random
            values from a truncated normal with stddev ``1 / sqrt(fan_in)``
            (https://arxiv.org/abs/1502.03167v3).
          b_init: Optional initializer for bias. By default, zero.
          name: Name of the module.
        """
        super().__init__(name=name)
        self.input_size: int | None = None
        self.output_size = output_size
        self.with_bias = with_bias
        self.w_init = w_init
        self.b_init = b_init or jnp.zeros

    def __call__(self, inputs: jax.Array, *, precision: jax.lax.Precision | None = None) -> jax.Array:
        """Computes a linear transform of the input (over its last axis)."""
        if not inputs.shape:
            raise ValueError(f"Input must not be scalar. ({self.module_name}: Linear got shape ().)")
        input_size = self.input_size = inputs.shape[-1]
        output_size = self.output_size
        dtype = inputs.dtype
        w_init = self.w_init
        if w_init is None:
            w_init = hk.initializers.TruncatedNormal(stddev=1.0 / np.sqrt(input_size))
        w = hk.get_parameter("w", [input_size, output_size], dtype, init=w_init)
        out = _dot(inputs, w, precision)
        if self.with_bias:
            b = hk.get_parameter("b", [output_size], dtype, init=self.b_init)
            out = _add_bias(out, b)
        return out


# Linear layers are the most frequent modules, so their forward pass binds
# JAX's primitives itself where that is what jax.numpy would do anyway: the
# equations are the same, without jax.numpy's dispatch (about 100 µs per layer
# when tracing). Anything else (dtypes to promote, a bias of another shape
# from a custom getter) goes through jax.numpy.


def _dot(x: jax.Array, w: jax.Array, precision: jax.lax.Precision | None) -> jax.Array:
    """``jnp.dot(x, w, precision=precision)`` for a matrix ``w``."""
    if x.dtype != w.dtype or not jnp.issubdtype(x.dtype, jnp.inexact) or w.ndim != 2:
        return jnp.dot(x, w, precision=precision)
    dimensions = (((x.ndim - 1,), (0,)), ((), ()))
    return jax.lax.dot_general(x, w, dimensions, precision=precision, preferred_element_type=x.dtype)


def _add_bias(out: jax.Array, b: jax.Array) -> jax.Array:
    """``out + jnp.broadcast_to(b, out.shape)`` for a bias over the last axis."""
    if b.dtype != out.dtype or b.shape != out.shape[-1:]:
        return out + jnp.broadcast_to(b, out.shape)
    if out.ndim > 1:
        b = jax.lax.broadcast_in_dim(b, out.shape, (out.ndim - 1,))
    return jax.lax.add(out, b)


def _bias_shape(
    input_shape: tuple[int, ...], bias_dims: Sequence[int] | None, module_name: str
) -> tuple[int, ...]:
    """The shape of the bias of a :class:`Bias` over inputs of ``input_shape``.

    Every dimension of ``bias_dims`` (negative ones count from the end) keeps
    its size, the others become 1, and leading size-1 dimensions are dropped:
    the bias broadcasts against the input without covering the batch axis.
    """
    if bias_dims is None:
        return input_shape[1:]
    rank = len(input_shape)
    shape = [1] * rank
    for dim in bias_dims:
        if dim < 0:
            dim %= rank
        if dim == 0:
            raise ValueError(
                "Cannot apply bias across the minibatch dimension. "
                f"({module_name}: bias_dims={tuple(bias_dims)} picks axis 0 of inputs of "
                f"shape {input_shape}; use axes 1 to {rank - 1} or negative ones.)")
        if dim >= rank:
            raise ValueError(
                f"Dimension {dim} (bias_dims={tuple(bias_dims)}) out of range for input of "
                f"rank {rank}. ({module_name}: inputs of shape {input_shape}.)")
        shape[dim] = input_shape[dim]
    kept = [dim for dim in range(1, rank) if shape[dim] != 1]
    return tuple(shape[kept[0]:]) if kept else ()


class Bias(hk.Module):
    """Adds a bias to inputs.

    By default the bias covers every non-batch dimension; ``bias_dims``
    picks which input dimensions it keeps (others broadcast, leading ones are
    dropped):

    >>> x = jnp.ones([1, 2, 3, 4])
    >>> first_bias = hk.Bias(bias_dims=[1])
    >>> _ = first_bias(x)
    >>> first_bias.bias_shape
    (2, 1, 1)

    The same bias can be subtracted and added back with ``multiplier``:

    >>> bias = hk.Bias(b_init=jnp.ones)
    >>> bool((bias(bias(x, multiplier=-1)) == x).all())
    True
    """

    def __init__(
        self,
        output_size: Sequence[int] | None = None,
        bias_dims: Sequence[int] | None = None,
        b_init: hk.initializers.Initializer | None = None,
        name: str | None = None,
    ):
        """Constructs a :class:`Bias` module that supports broadcasting.

        Args:
          output_size: Output size (output shape without batch dimension). If
            ``None``, the size is inferred from the input.
          bias_dims: Which dimensions of the input the bias keeps; the rest are
            broadcast over (size 1) and leading ones are removed.
          b_init: Optional initializer for the bias. Default to zeros.
          name: Name of the module.
        """
        super().__init__(name=name)
        self.output_size = tuple(output_size) if output_size is not None else None
        self.bias_dims = bias_dims
        self.b_init = b_init or jnp.zeros
        self.bias_shape: tuple[int, ...] | None = None
        self.input_size: tuple[int, ...] | None = None

    def __call__(self, inputs: jax.Array, multiplier: Any = None) -> jax.Array:
        """Adds the bias to ``inputs``, first multiplied by ``multiplier``.

        Args:
          inputs: An array of shape ``[batch_size, input_size1, ...]``.
          multiplier: Optional factor of the bias (anything that works in
            ``bias * multiplier``), e.g. ``-1`` to subtract it.

        Returns:
          ``inputs + bias * multiplier``, of the shape of ``inputs``.

        Raises:
          ValueError: If ``inputs`` has rank below 2, does not match
            ``output_size``, or ``bias_dims`` names the batch axis or an axis
            out of range.
        """
        input_shape = tuple(inputs.shape)
        if len(input_shape) < 2:
            raise ValueError(
                f"Input {inputs!r} must have rank >= 2 ({self.module_name}: inputs are "
                f"[batch_size, input_size1, ...], got shape {input_shape}).")
        if self.output_size is not None and self.output_size != input_shape[1:]:
            raise ValueError(
                f"Input shape must be {(-1,) + self.output_size} not {input_shape} "
                f"({self.module_name}: output_size={self.output_size} fixes every axis but "
                "the batch axis).")
        self.bias_shape = _bias_shape(input_shape, self.bias_dims, self.module_name)
        self.input_size = input_shape[1:]
        b = hk.get_parameter("b", self.bias_shape, inputs.dtype, init=self.b_init)
        b = jnp.broadcast_to(b, input_shape)
        if multiplier is not None:
            b = b * multiplier
        return inputs + b
