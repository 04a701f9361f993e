"""Merging leading axes around a call: :class:`BatchApply`."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

__all__ = ["BatchApply"]


def _is_array(x: Any) -> bool:
    return isinstance(x, (jax.Array, np.ndarray)) or (
        hasattr(x, "shape") and hasattr(x, "reshape") and hasattr(x, "ndim"))


class BatchApply:
    """Temporarily merges the leading axes of the inputs of a callable.

    The first ``num_dims`` axes of every array input (with at least
    ``num_dims`` axes) are merged into one, ``f`` is called, and the leading
    axis of every output array is split back. Inputs of lower rank (and
    non-array inputs) are passed unchanged. Useful to apply a module to each
    step of a ``[Time, Batch, ...]`` array; for some functions and platforms
    this is faster than :func:`jax.vmap`.

    >>> x = jnp.ones([5, 2, 4])                      # [T, B, D]
    >>> hk.BatchApply(hk.Linear(3))(x).shape         # Linear sees [T * B, D]
    (5, 2, 3)

    Inputs and outputs may be any pytrees:

    >>> f = lambda a, b: {"sum": a + b["y"], "rows": a}  # a and b["y"]: [10, 4]
    >>> out = hk.BatchApply(f)(x, {"y": x})
    >>> out["sum"].shape
    (5, 2, 4)

    ``BatchApply`` is not a :class:`~haiku.Module`: it adds no name scope, so
    the parameters of ``f`` are named as if it were called directly.
    """

    def __init__(self, f: Callable[..., Any], num_dims: int = 2):
        """Constructs a :class:`BatchApply`.

        Args:
          f: The callable to apply to the reshaped inputs.
          num_dims: The number of leading axes to merge (at least 1).

        Raises:
          TypeError: If ``num_dims`` is smaller than 1.
        """
        if int(num_dims) < 1:
            # TypeError: what dm-haiku's reshape raises for it.
            raise TypeError(f"BatchApply: num_dims must be at least 1, got {num_dims}.")
        self._f = f
        self.num_dims = int(num_dims)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Applies ``f`` with the leading axes of its array inputs merged."""
        num_dims = self.num_dims
        leaves = jax.tree_util.tree_leaves((args, kwargs))
        batched = [x for x in leaves if _is_array(x) and x.ndim >= num_dims]
        if not batched:
            shapes = [tuple(x.shape) for x in leaves if _is_array(x)]
            raise ValueError(
                f"BatchApply requires at least one input with ndim >= {num_dims}. "
                f"(BatchApply: num_dims={num_dims}; got inputs of shapes {shapes}.)")
        batch_shape = tuple(batched[0].shape[:num_dims])
        for x in batched[1:]:
            if tuple(x.shape[:num_dims]) != batch_shape:
                raise ValueError(
                    f"BatchApply: the inputs to merge must share their first {num_dims} axes; "
                    f"got shapes {tuple(batched[0].shape)} and {tuple(x.shape)}.")
        merged = math.prod(batch_shape)

        def merge(x):
            if _is_array(x) and x.ndim >= num_dims:
                return x.reshape((merged,) + tuple(x.shape[num_dims:]))
            return x

        def split(y):
            shape = tuple(np.shape(y))
            if not shape or shape[0] != merged:
                raise ValueError(
                    f"BatchApply: every output of f must have a leading axis of size {merged} "
                    f"(the merged axes {batch_shape}) to split back, got an output of shape "
                    f"{shape}.")
            if not _is_array(y):
                y = np.asarray(y)
            return y.reshape(batch_shape + shape[1:])

        args, kwargs = jax.tree_util.tree_map(merge, (args, kwargs))
        outputs = self._f(*args, **kwargs)
        return jax.tree_util.tree_map(split, outputs)
