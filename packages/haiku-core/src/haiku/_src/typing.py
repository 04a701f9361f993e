"""Type aliases of Haiku's public API (``hk.Params``, ``hk.State``, ...).

These are plain aliases, usable in annotations and at runtime alike. This
module imports nothing from Haiku, so any other module can import it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any

import jax

__all__ = [
    "Initializer",
    "MutableParams",
    "MutableState",
    "PRNGKey",
    "Params",
    "State",
]

PRNGKey = jax.Array
"""A JAX random key: a ``uint32[2]`` raw key or a typed key array."""

Params = Mapping[str, Mapping[str, jax.Array]]
"""Parameters: ``{module_name: {parameter_name: array}}`` (read-only view)."""

State = Mapping[str, Mapping[str, jax.Array]]
"""State: ``{module_name: {state_name: array}}`` (read-only view)."""

MutableParams = MutableMapping[str, MutableMapping[str, jax.Array]]
"""Parameters as returned by ``init``: a two level ``dict``."""

MutableState = MutableMapping[str, MutableMapping[str, jax.Array]]
"""State as returned by ``init`` and ``apply``: a two level ``dict``."""

Initializer = Callable[[Sequence[int], Any], jax.Array]
"""An initializer: ``init(shape, dtype) -> jax.Array`` (``hk.initializers.Initializer``)."""
