"""Dropout: :func:`dropout`."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from haiku.extend import substitute_in_fast_eval_shape

__all__ = ["dropout"]


def _concrete_rate(rate) -> float | None:
    """``rate`` as a Python float when it is known at trace time, else None."""
    if isinstance(rate, (numbers.Real, np.ndarray, np.generic)):
        return float(rate)
    try:
        return float(rate)
    except (TypeError, jax.errors.ConcretizationTypeError):
        return None


def _checked_mask_shape(rng, rate, x, broadcast_dims) -> list[int] | None:
    """The mask's shape after checking the arguments; None when ``rate`` is 0."""
    concrete = _concrete_rate(rate)
    if concrete is not None:
        if not 0.0 <= concrete < 1.0:
            raise ValueError(f"rate must be in [0, 1). (dropout: got {rate!r}.)")
        if concrete == 0.0:
            return None
    if rng is None:
        raise TypeError(
            "dropout: rng must be a JAX random key (e.g. hk.next_rng_key()), got None.")

    x_shape = list(np.shape(x))
    shape = list(x_shape)
    for axis in broadcast_dims:
        if axis > len(shape):
            raise ValueError(
                f"Broadcast dimension does not exist. Got dimension {axis} for shape "
                f"{x_shape}. (dropout: broadcast_dims {tuple(broadcast_dims)} must be axes "
                "of x.)")
        if not -len(shape) <= axis < len(shape):
            # IndexError: what dm-haiku's assignment into the shape list raises for it.
            raise IndexError(
                f"list assignment index out of range (dropout: broadcast dimension {axis} for "
                f"shape {x_shape}; broadcast_dims {tuple(broadcast_dims)} must be axes of x.)")
        shape[axis] = 1
    return shape


def _without_mask(rng, rate, x, broadcast_dims=()):
    """``dropout`` under ``fast_eval_shape``: the same checks and output type, no mask."""
    if _checked_mask_shape(rng, rate, x, broadcast_dims) is None:
        return x
    return jnp.asarray(x) / (1.0 - rate)


@substitute_in_fast_eval_shape(_without_mask)
def dropout(
    rng: jax.Array,
    rate: float,
    x: jax.Array,
    broadcast_dims: Sequence[int] = (),
) -> jax.Array:
    """Randomly drops units in the input at a given rate.

    Each element of ``x`` is kept with probability ``1 - rate`` and scaled by
    ``1 / (1 - rate)``, so the expected value is unchanged; the others become 0
    (https://www.cs.toronto.edu/~hinton/absps/dropout.pdf).

    >>> x = jnp.ones([2, 5])
    >>> hk.dropout(jax.random.PRNGKey(0), 0.5, x)
    Array([[0., 0., 2., 2., 0.],
           [2., 2., 0., 0., 2.]], dtype=float32)

    ``broadcast_dims`` share one mask along the given axes, here every row is
    dropped or kept as a whole:

    >>> y = hk.dropout(jax.random.PRNGKey(0), 0.5, x, broadcast_dims=[1])
    >>> bool((y == y[:, :1]).all())
    True

    A rate of 0 returns ``x`` itself.

    Args:
      rng: A JAX random key.
      rate: Probability that each element of ``x`` is discarded, in ``[0, 1)``.
        Generating the mask compares ``x.size`` uniform samples with
        ``1 - rate`` in the precision of ``rate`` (float32 for a Python float);
        pass e.g. ``np.float16(rate)`` to use less.
      x: The value to be dropped out.
      broadcast_dims: Axes of ``x`` that share the same dropout mask.

    Returns:
      ``x``, dropped out and scaled by ``1 / (1 - rate)``.

    Raises:
      ValueError: If ``rate`` is known and outside ``[0, 1)``, or an axis of
        ``broadcast_dims`` is above the rank of ``x``.
      IndexError: If an axis of ``broadcast_dims`` is the rank of ``x``, or
        below minus the rank.
      TypeError: If ``rng`` is not a JAX random key.
    """
    shape = _checked_mask_shape(rng, rate, x, broadcast_dims)
    if shape is None:
        return x
    keep_rate = 1.0 - rate
    keep = jax.random.bernoulli(rng, keep_rate, shape)
    keep = jnp.broadcast_to(keep, np.shape(x))
    # A select, not ``mask * x``: dropped elements are +0 even where x is
    # negative or not finite, eagerly and under jit alike.
    return jnp.where(keep, jnp.asarray(x) / keep_rate, 0)
