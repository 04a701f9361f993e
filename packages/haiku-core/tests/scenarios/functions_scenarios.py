"""Scenarios of ``hk.multinomial``, run by both dm-haiku and haiku.

Public ``hk`` API only (plus ``jax``/``numpy``), so the same code runs under
our haiku and, live on the same machine, under dm-haiku 0.0.17 in
``tests/test_functions.py`` (through the ``dm_haiku`` fixture of
``tests/oracle``). The samples are integers, but they come from float math
(a softmax of the logits and Gumbel noise), so they are compared live too.

Each case of :data:`CASES` draws with ``PRNGKey(100 + seed)`` from logits
``2 * normal(PRNGKey(200 + seed))`` cast to the case's dtype, ``seed`` being
the case's index (``peaked`` has fixed logits, one category per row). It
returns the logits, the samples, and the samples under ``jax.jit`` and with
the same key as a typed key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

# (name, logits shape, num_samples, dtype); a case's seed is its index.
CASES: list[tuple[str, tuple[int, ...], int, str]] = [
    ("rank1_one", (5,), 1, "float32"),
    ("rank1_many", (5,), 7, "float32"),
    ("rank2_one", (4, 6), 1, "float32"),
    ("rank2_many", (4, 6), 9, "float32"),
    ("rank2_bf16", (3, 4), 5, "bfloat16"),
    ("rank2_zero_samples", (3, 4), 0, "float32"),
    ("rank3_many", (2, 3, 4), 6, "float32"),
    ("peaked", (2, 3), 8, "float32"),
]

PEAKED = np.array([[-np.inf, 0.0, -np.inf], [0.0, -np.inf, -np.inf]], np.float32)


def _scenario(seed: int, case: tuple) -> Callable[[], dict[str, Any]]:
    """The scenario of ``case`` (see the module docstring)."""
    name, shape, num_samples, dtype = case

    def scenario():
        key = jax.random.PRNGKey(100 + seed)
        if name == "peaked":
            logits = jnp.asarray(PEAKED, dtype)
        else:
            logits = (jax.random.normal(jax.random.PRNGKey(200 + seed), shape) * 2).astype(dtype)
        return {
            "logits": logits,
            "out": hk.multinomial(key, logits, num_samples),
            "out_jit": jax.jit(hk.multinomial, static_argnums=2)(key, logits, num_samples),
            "out_typed_key": hk.multinomial(jax.random.wrap_key_data(key), logits, num_samples),
        }

    return scenario


SCENARIOS: dict[str, Callable[[], dict[str, Any]]] = {
    case[0]: _scenario(seed, case) for seed, case in enumerate(CASES)
}
