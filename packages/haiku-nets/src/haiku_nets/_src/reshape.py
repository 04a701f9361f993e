"""Reshaping that keeps leading (batch) axes: :class:`Reshape`, :class:`Flatten`."""

from __future__ import annotations

import math
from collections.abc import Sequence

import haiku as hk
import jax
import numpy as np

__all__ = ["Flatten", "Reshape"]


def _kept_dims(ndim: int, preserve_dims: int) -> int:
    """How many leading axes of a rank-``ndim`` input are kept as they are."""
    if preserve_dims > 0:
        return preserve_dims
    return max(ndim + preserve_dims, 0)


class Reshape(hk.Module):
    """Reshapes the input, keeping its leading (batch) axes.

    Take an input of shape ``[B, H, W, C, D]``:

    >>> B, H, W, C, D = range(1, 6)
    >>> x = jnp.ones([B, H, W, C, D])

    ``output_shape`` replaces every axis after the first; ``-1`` is inferred:

    >>> hk.Reshape(output_shape=(-1, D))(x).shape
    (1, 24, 5)

    ``preserve_dims`` sets how many leading axes are kept:

    >>> hk.Reshape(output_shape=(-1, D), preserve_dims=2)(x).shape
    (1, 2, 12, 5)
    >>> hk.Reshape(output_shape=(-1, D), preserve_dims=4)(x).shape
    (1, 2, 3, 4, 1, 5)

    A negative ``preserve_dims`` counts the trailing axes to replace instead,
    so the same module serves batched and unbatched inputs:

    >>> mod = hk.Reshape(output_shape=(-1, D), preserve_dims=-3)
    >>> mod(x).shape, mod(x[0]).shape
    ((1, 2, 12, 5), (2, 12, 5))

    An input with no more than ``preserve_dims`` axes is returned unchanged.
    """

    def __init__(
        self,
        output_shape: Sequence[int],
        preserve_dims: int = 1,
        name: str | None = None,
    ):
        """Constructs a :class:`Reshape` module.

        Args:
          output_shape: Shape of the non-preserved part of the output. One
            entry may be ``-1``: its size is inferred. To flatten every
            non-batch axis use :class:`Flatten`.
          preserve_dims: Number of leading axes that are not reshaped. If
            negative, the number of trailing axes to replace with
            ``output_shape``.
          name: Name of the module.

        Raises:
          ValueError: If ``preserve_dims`` is zero, or ``output_shape`` holds
            more than one ``-1``.
          TypeError: If ``output_shape`` holds something other than integers,
            or a negative size other than ``-1``.
        """
        super().__init__(name=name)
        output_shape = tuple(output_shape)
        if preserve_dims == 0:
            raise ValueError(
                f"Argument preserve_dims should be non-zero. ({self.module_name}: a positive "
                "number of leading axes to keep, or a negative number of trailing axes to "
                "replace.)")
        if output_shape.count(-1) > 1:
            raise ValueError(
                f"-1 can only occur once in `output_shape`. ({self.module_name}: got "
                f"{output_shape}.)")
        if not all(hasattr(d, "__index__") for d in output_shape):
            raise TypeError(
                "Shapes must be 1D sequences of concrete values of integer type, got "
                f"{output_shape!r}. ({self.module_name}: `output_shape` must hold "
                "integers.)")
        output_shape = tuple(d.__index__() for d in output_shape)
        if any(d < -1 for d in output_shape):
            raise TypeError(
                f"{self.module_name}: `output_shape` sizes must be non-negative or -1, got "
                f"{output_shape}.")
        self.output_shape = output_shape
        self.preserve_dims = preserve_dims

    def __call__(self, inputs: jax.Array) -> jax.Array:
        """Reshapes ``inputs`` (a NumPy input stays a NumPy array).

        Raises:
          TypeError: If the trailing axes cannot be reshaped to
            ``output_shape`` (``ValueError`` for a NumPy input, which NumPy
            reshapes: the errors of ``jnp.reshape`` and ``np.reshape``).
        """
        shape = tuple(inputs.shape)
        if len(shape) <= self.preserve_dims:
            return inputs
        kept = _kept_dims(len(shape), self.preserve_dims)
        leading, trailing = shape[:kept], shape[kept:]
        size = math.prod(trailing)
        known = math.prod(d for d in self.output_shape if d != -1)
        new_shape = self.output_shape
        if -1 in new_shape and known != 0 and size % known == 0:
            new_shape = tuple(size // known if d == -1 else d for d in new_shape)
        if math.prod(new_shape) != size or -1 in new_shape:
            error = ValueError if isinstance(inputs, np.ndarray) else TypeError
            raise error(
                f"{self.module_name}: cannot reshape the trailing axes {trailing} (size "
                f"{size}) of the input of shape {shape} to {self.output_shape} "
                f"(preserve_dims={self.preserve_dims}).")
        return inputs.reshape(leading + new_shape)


class Flatten(Reshape):
    """Flattens the input, keeping its leading (batch) axes.

    By default every axis but the first is merged:

    >>> x = jnp.ones([3, 2, 4])
    >>> flat = hk.Flatten()
    >>> flat(x).shape
    (3, 8)

    An input with no more than ``preserve_dims`` axes is returned unchanged:

    >>> flat(jnp.ones([3])).shape
    (3,)

    A negative ``preserve_dims`` is the number of trailing axes to flatten,
    so one module handles one element or a batch of them:

    >>> negative_flat = hk.Flatten(preserve_dims=-2)
    >>> negative_flat(x).shape, negative_flat(x[0]).shape
    ((3, 8), (8,))
    """

    def __init__(self, preserve_dims: int = 1, name: str | None = None):
        """Constructs a :class:`Flatten` module.

        Args:
          preserve_dims: Number of leading axes that are not flattened. If
            negative, the number of trailing axes to flatten.
          name: Name of the module.

        Raises:
          ValueError: If ``preserve_dims`` is zero.
        """
        super().__init__(output_shape=(-1,), preserve_dims=preserve_dims, name=name)
