"""An initializer that a plugin adds to ``hk.initializers``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp


class HalfOnes:
    """Initializes every element to ``0.5``.

    >>> import haiku as hk
    >>> import jax.numpy as jnp
    >>> hk.initializers.HalfOnes()([2], jnp.float32)
    Array([0.5, 0.5], dtype=float32)
    """

    def __call__(self, shape: Sequence[int], dtype: Any = jnp.float32) -> jax.Array:
        return jnp.full(shape, 0.5, dtype)
