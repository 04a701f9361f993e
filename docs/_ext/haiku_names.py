"""The public names of every installed haiku distribution, found at build time.

The API reference documents exactly these names: what ``dir()`` lists in
``haiku`` and in each of its namespaces (nested ones included, however a
plugin adds them) and in ``haiku.plugins`` and ``haiku.extend`` (the plugin
author's modules), so a new name or namespace shows
up in the docs without editing them.
"""

from __future__ import annotations

import importlib
import types
from typing import Any, Iterator

ROOT_MODULES = ("haiku", "haiku.plugins", "haiku.extend")


def _is_namespace(parent: str, name: str, value: Any) -> bool:
    return isinstance(value, types.ModuleType) and value.__name__ == f"{parent}.{name}"


def namespaces() -> list[str]:
    """The root modules and every namespace below them, parents first."""
    found: list[str] = []
    todo = list(ROOT_MODULES)
    while todo:
        module_name = todo.pop(0)
        if module_name in found:  # a root module may also be an attribute of haiku
            continue
        found.append(module_name)
        module = importlib.import_module(module_name)
        todo += [f"{module_name}.{name}" for name in sorted(dir(module))
                 if not name.startswith("_") and _is_namespace(module_name, name,
                                                                getattr(module, name))]
    return found


def public_names() -> Iterator[tuple[str, Any]]:
    """``(qualified name, object)`` for every public name that is not a namespace."""
    for module_name in namespaces():
        module = importlib.import_module(module_name)
        for name in sorted(dir(module)):
            if name.startswith("_"):
                continue
            value = getattr(module, name)
            if _is_namespace(module_name, name, value) or isinstance(value, types.ModuleType):
                continue
            yield f"{module_name}.{name}", value
