"""Haiku: neural network modules for JAX, API-compatible with dm-haiku.

>>> import haiku as hk

Every public name (``hk.transform``, ``hk.Linear``, ``hk.nets.MLP``, ...) is
registered by a plugin, haiku-core's own included, and imported the first
time it is used, so ``import haiku`` is cheap. ``dir(hk)`` lists every
available name; ``haiku.plugins.list_plugins()`` shows which distribution
provides what.
"""

import sys as _sys

from haiku._src import plugin_namespace as _plugin_namespace
from haiku._version import __version__ as __version__

_plugin_namespace.install()


# Real modules of haiku-core beside the lazy names (see _src.plugin_exports.RESERVED).
_SUBMODULES = ("extend", "plugins")


def __getattr__(name: str):
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"haiku.{name}")
    return _plugin_namespace.get_attribute(__name__, name)


def __dir__() -> list[str]:
    names = _plugin_namespace.list_attributes(__name__, _sys.modules[__name__])
    return sorted({*names, *_SUBMODULES})
