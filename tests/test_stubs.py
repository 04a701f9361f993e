"""The type stubs of the lazy namespaces list exactly the names the plugins serve.

haiku-core's stubs import its own names from the modules its table names,
and each official plugin's names with one ``from <plugin>.hk... import *`` of
that plugin's public export module (generated from the plugin's own table, see
tests/export_modules.py), so a plugin can add a name without a haiku-core
change.
"""

from __future__ import annotations

import ast
import importlib
import pathlib

import pytest

import haiku
import haiku.plugins
from haiku._src import core_plugin

HAIKU_DIR = pathlib.Path(haiku.__file__).parent
OFFICIAL_PLUGINS = {"core", "nets", "rnn", "flax", "experimental"}
PLUGIN_PACKAGES = ("haiku_nets", "haiku_rnn", "haiku_flax", "haiku_experimental")
NAMESPACES = [
    "haiku", "haiku.initializers", "haiku.data_structures", "haiku.config", "haiku.testing",
    "haiku.experimental", "haiku.mixed_precision", "haiku.nets", "haiku.pad",
    "haiku.experimental.jaxpr_info", "haiku.experimental.flax",
    "haiku.experimental.partitioning",
]
# Real modules and namespaces of their own, listed in their parent's stub.
SUBMODULES = {
    "haiku": {"config", "data_structures", "experimental", "extend", "initializers",
              "mixed_precision", "nets", "pad", "plugins", "testing"},
    "haiku.experimental": {"jaxpr_info", "flax", "partitioning"},
}


def _stub_path(namespace: str) -> pathlib.Path:
    parts = namespace.split(".")[1:]
    if not parts:
        return HAIKU_DIR / "__init__.pyi"
    return HAIKU_DIR.joinpath(*parts[:-1], f"{parts[-1]}.pyi")


def stub_imports(namespace: str) -> dict[str, tuple[str, str]]:
    """``{name: (module, attribute)}`` of what a stub re-exports.

    ``from x import y as y`` gives ``y: (x, y)``; ``from x import *`` gives
    each name of ``x.__all__``; ``alias = y`` gives ``alias`` what ``y`` has.
    """
    path = _stub_path(namespace)
    names: dict[str, tuple[str, str]] = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    module = importlib.import_module(node.module)
                    names.update({n: (node.module, n) for n in module.__all__})
                    continue
                assert alias.asname == alias.name, f"{path}: re-export {alias.name} as itself"
                names[alias.name] = (node.module, alias.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                names[target.id] = names[node.value.id]
    return names


def registered_names(namespace: str) -> set[str]:
    names = set()
    for info in haiku.plugins.list_plugins():
        if info.name not in OFFICIAL_PLUGINS:
            continue
        for qualname in info.exports:
            owner, _, name = qualname.rpartition(".")
            if owner == namespace:
                names.add(name)
    return names


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_stub_lists_every_registered_name(namespace):
    stubbed = set(stub_imports(namespace))
    submodules = SUBMODULES.get(namespace, set())
    assert submodules <= stubbed
    assert stubbed - submodules == registered_names(namespace)


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_stubs_name_only_public_modules_of_plugins(namespace):
    """A plugin's names come from ``from <plugin>.hk... import *`` lines, nothing else."""
    tree = ast.parse(_stub_path(namespace).read_text())
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module.startswith(PLUGIN_PACKAGES):
            package, _, module = node.module.partition(".")
            assert module.startswith("hk") and "." not in module, node.module
            assert [a.name for a in node.names] == ["*"], node.module


def test_core_stubs_import_each_name_from_its_registered_module():
    """One home per name: the stub and the registry agree on where it lives."""
    for namespace, name, target in core_plugin.EXPORTS:
        module, _, attr = target.partition(":")
        assert stub_imports(namespace)[name] == (module, attr), f"{namespace}.{name}"


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_stub_targets_are_the_runtime_objects(namespace):
    """Each stub import names the object the lazy namespace returns."""
    served = importlib.import_module(namespace)
    for name, (module, attr) in stub_imports(namespace).items():
        if name in SUBMODULES.get(namespace, ()):
            continue
        assert getattr(served, name) is getattr(importlib.import_module(module), attr), name
