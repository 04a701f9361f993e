"""Pytest plugin: stand-ins for TensorFlow, so dm-haiku's files that import it collect.

Loaded by both runs of the compat session (dm-haiku's and ours) as ``-p
haiku_compat_standins``, with this folder on ``PYTHONPATH``. Where TensorFlow
is not installed, ``import tensorflow`` and ``from jax.experimental import
jax2tf`` give modules whose every attribute raises ``ModuleNotFoundError``:
``reshape_test.py`` and ``transform_test.py`` collect, their tests that use
TensorFlow fail in both runs (and are listed as left out, with this reason),
and their other tests are compared. Nothing is stood in where TensorFlow is
installed. The stand-ins go in when pytest loads this plugin, not on import:
``--doctest-modules`` imports every file of ``haiku_oracle``, and a stand-in
left in ``sys.modules`` there breaks ``importlib.util.find_spec("tensorflow")``
for the rest of that process (etils calls it when JAX opens its compilation
cache).
"""

from __future__ import annotations

import importlib.util
import sys
import types

REASON = "TensorFlow is not installed (the compat session does not install it)"


def _stand_in(name: str) -> types.ModuleType:
    module = types.ModuleType(name, f"Stand-in for {name}: {REASON}.")

    def __getattr__(attribute: str):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        raise ModuleNotFoundError(f"{name}.{attribute}: {REASON}", name=name)

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    return module


def pytest_configure(config) -> None:
    """Stands in for TensorFlow and jax2tf where TensorFlow is not installed."""
    del config
    if importlib.util.find_spec("tensorflow") is None:
        for name in ("tensorflow", "jax.experimental.jax2tf"):
            sys.modules.setdefault(name, _stand_in(name))
