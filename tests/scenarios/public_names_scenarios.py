"""The ``__all__`` of each public haiku namespace, as lists of strings.

Run under our haiku and under dm-haiku 0.0.17 by
``tests/test_public_names_oracle.py``. Public API only.
"""

import importlib

NAMESPACES = (
    "haiku",
    "haiku.config",
    "haiku.data_structures",
    "haiku.experimental",
    "haiku.experimental.flax",
    "haiku.experimental.jaxpr_info",
    "haiku.initializers",
    "haiku.mixed_precision",
    "haiku.nets",
    "haiku.pad",
    "haiku.testing",
)


def _all_of(namespace):
    return lambda: list(importlib.import_module(namespace).__all__)


SCENARIOS = {namespace: _all_of(namespace) for namespace in NAMESPACES}
