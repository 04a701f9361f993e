"""Applying a sequence function to a single step: :func:`expand_apply`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["expand_apply"]


def expand_apply(f: Callable[..., Any], axis: int = 0) -> Callable[..., Any]:
    """Wraps ``f`` to temporarily add a size-1 axis to its inputs.

    The wrapper inserts a size-1 axis at ``axis`` in every array of its
    arguments, calls ``f`` and removes that axis from every array ``f``
    returns. Useful to apply a function built for ``[T, B, ...]`` arrays to a
    single step:

    >>> batch_apply = hk.BatchApply(hk.Linear(4))  # wants [T, B, ...]
    >>> hk.expand_apply(batch_apply)(jnp.ones([2, 3])).shape
    (2, 4)

    Args:
      f: The callable to apply to the expanded inputs.
      axis: Where to add the extra axis: ``0`` or ``-1``.

    Returns:
      ``f``, wrapped as described above.
    """
    if axis not in (0, -1):
        raise ValueError(
            f"expand_apply currently only supports axis=0 or axis=-1. (Got axis={axis!r}.)"
        )

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        args, kwargs = jax.tree.map(lambda x: jnp.expand_dims(x, axis), (args, kwargs))
        out = f(*args, **kwargs)
        return jax.tree.map(lambda x: jnp.squeeze(x, axis), out)

    return wrapper
