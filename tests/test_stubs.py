"""The type stubs of the lazy namespaces list exactly the names the plugins serve."""

from __future__ import annotations

import ast
import pathlib

import haiku
import haiku.plugins
import pytest

HAIKU_DIR = pathlib.Path(haiku.__file__).parent
OFFICIAL_PLUGINS = {"core", "nets", "rnn", "flax", "experimental"}


def stub_names(namespace: str) -> set[str]:
    """Names a stub file re-exports: ``from x import y as y``, and ``alias = y``."""
    parts = namespace.split(".")[1:]
    path = HAIKU_DIR.joinpath(*parts[:-1], f"{parts[-1]}.pyi") if parts else HAIKU_DIR / "__init__.pyi"
    tree = ast.parse(path.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                assert alias.asname == alias.name, f"{path}: re-export {alias.name} as itself"
                names.add(alias.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
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


@pytest.mark.parametrize(
    "namespace",
    ["haiku", "haiku.initializers", "haiku.data_structures", "haiku.config", "haiku.testing",
     "haiku.experimental", "haiku.mixed_precision", "haiku.nets", "haiku.pad",
     "haiku.experimental.jaxpr_info", "haiku.experimental.flax"],
)
def test_stub_lists_every_registered_name(namespace):
    stubbed = stub_names(namespace)
    if namespace == "haiku":
        submodules = {"config", "data_structures", "experimental", "initializers", "mixed_precision",
                      "nets", "pad", "plugins", "testing"}
        assert submodules <= stubbed
        stubbed -= submodules
    if namespace == "haiku.experimental":
        # Namespaces of their own (experimental/jaxpr_info.pyi, experimental/flax.pyi).
        stubbed -= {"jaxpr_info", "flax"}
    assert stubbed == registered_names(namespace)


def test_stub_targets_are_the_runtime_objects():
    """Each stub import names the object the lazy namespace returns."""
    tree = ast.parse((HAIKU_DIR / "__init__.pyi").read_text())
    import importlib

    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module.startswith(("haiku._src", "haiku_")):
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert getattr(haiku, alias.name) is getattr(module, alias.name), alias.name
