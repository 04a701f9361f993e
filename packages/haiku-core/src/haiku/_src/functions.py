"""Deprecated helpers kept for compatibility: ``hk.one_hot``, ``hk.multinomial``."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["multinomial", "one_hot"]


def one_hot(x: Any, num_classes: int, dtype: Any = jnp.float32) -> jax.Array:
    """Returns a one-hot version of indices.

    DEPRECATED: Use ``jax.nn.one_hot(x, num_classes).astype(dtype)`` instead.

    Indices outside ``[0, num_classes)`` give a row of zeros.

    >>> hk.one_hot(jnp.array([0, 2, 5]), 3)
    Array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 0., 0.]], dtype=float32)

    Args:
      x: A tensor of indices.
      num_classes: Number of classes in the one-hot dimension.
      dtype: The dtype.

    Returns:
      The one-hot tensor. If indices' shape is ``[A, B, ...]``, shape is
        ``[A, B, ..., num_classes]``.
    """
    return jax.nn.one_hot(x, num_classes).astype(dtype)


def multinomial(rng: jax.Array, logits: Any, num_samples: int) -> jax.Array:
    """Draws samples from a multinomial distribution.

    DEPRECATED: Use ``jax.random.categorical`` instead.

    Equivalent to ``jax.random.categorical(rng, logits, shape=(num_samples,
    *logits.shape[:-1]))`` with the sample axis moved last, which gives the
    same samples as dm-haiku for the same key.

    >>> logits = jnp.log(jnp.array([[0.0, 1.0], [1.0, 0.0]]))
    >>> hk.multinomial(jax.random.PRNGKey(0), logits, 3)
    Array([[1, 1, 1],
           [0, 0, 0]], dtype=int32)

    Args:
      rng: A JAX PRNGKey.
      logits: Unnormalized log-probabilities, where last dimension is categories.
      num_samples: Number of samples to draw.

    Returns:
      Chosen categories, of shape ``logits.shape[:-1] + (num_samples,)``.

    Raises:
      IndexError: if ``logits`` is a scalar (it has no category axis).
    """
    logits = jnp.asarray(logits)
    if logits.ndim < 1:
        raise IndexError(
            "multinomial needs logits with at least one dimension (the categories), "
            f"got shape {logits.shape}."
        )
    batch_shape = logits.shape[:-1]
    samples = jax.random.categorical(rng, logits, axis=-1, shape=(num_samples, *batch_shape))
    return jnp.moveaxis(samples, 0, -1)
