"""Type aliases of the public API."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

import jax

__all__ = ["MutableParams", "MutableState", "PRNGKey", "Params", "State"]

PRNGKey = jax.Array

Params = Mapping[str, Mapping[str, jax.Array]]
"""Parameters: module name to parameter name to value."""

State = Mapping[str, Mapping[str, jax.Array]]
"""State: module name to state name to value."""

MutableParams = MutableMapping[str, MutableMapping[str, jax.Array]]
"""Parameters as returned by ``init``."""

MutableState = MutableMapping[str, MutableMapping[str, jax.Array]]
"""State as returned by ``init`` and ``apply``."""
