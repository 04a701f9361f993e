"""Doctest support for the spec examples that need more than haiku-core.

Every ``*.txt`` file in this folder is collected as a doctest file (each holds
the ``>>>`` examples of one section of the API reference that use haiku-nets).
They run as ``haiku.pytest_doctest`` describes (names imported, an active
``init`` frame with an RNG key), with ``chex`` imported too.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem

from haiku.pytest_doctest import haiku_doctest_frame, spec_file_collector

__all__ = ["haiku_doctest_frame"]

SPEC_DIR = Path(__file__).parent

# Files whose examples need an optional test dependency: file -> module.
NEEDS = {"testing_chex.txt": "chex"}

pytest_collect_file = spec_file_collector(SPEC_DIR)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not isinstance(item, DoctestItem) or item.path.parent != SPEC_DIR:
            continue
        module = NEEDS.get(item.path.name)
        if module is not None and importlib.util.find_spec(module) is None:
            reason = f"{item.path.name} needs {module} (pip install {module})"
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True, scope="session")
def haiku_doctest_namespace(doctest_namespace: dict) -> None:
    """The usual doctest names (``haiku.pytest_doctest``), plus ``chex``."""
    from haiku.pytest_doctest import NAMESPACE

    doctest_namespace.update(NAMESPACE)
    if importlib.util.find_spec("chex") is not None:
        import chex

        doctest_namespace["chex"] = chex
