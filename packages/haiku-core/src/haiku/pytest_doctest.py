"""pytest support for running Haiku examples as doctests.

Each haiku distribution (and any third-party plugin that wants the same
behaviour) runs the ``>>>`` examples of the API reference and of its
docstrings the way Haiku's own documentation shows them: with ``hk``,
``jax``, ``jnp``, ``np`` and a few standard modules already imported, with
``ELLIPSIS`` and ``NORMALIZE_WHITESPACE`` on, and inside an active Haiku
``init`` frame seeded with 42, so an example may call ``hk.get_parameter``,
``hk.next_rng_key`` or a module at the top level.

Use it as a pytest plugin, from a ``conftest.py`` at the project's root::

    pytest_plugins = ["haiku.pytest_doctest"]

It then also collects every ``*.txt`` file of ``tests/spec/`` (the ini
option ``haiku_doctest_spec_dir`` changes the folder, relative to pytest's
root) as a doctest file. Its two fixtures are ``autouse``; they do nothing
for items that are not doctests.
"""

from __future__ import annotations

import collections
import doctest
import functools
import io
import itertools
import unittest
from collections.abc import Callable, Iterator
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _pytest.doctest import DoctestItem, DoctestTextfile

import haiku as hk
from haiku._src import base as _base
from haiku._src import plugin_namespace as _namespace
from haiku._src import rng as _rng

__all__ = [
    "haiku_doctest_frame",
    "haiku_doctest_namespace",
    "pytest_addoption",
    "pytest_collect_file",
    "pytest_configure",
    "spec_file_collector",
]


def __dir__() -> list[str]:
    """``__all__`` and the dunders: a walk over ``dir()`` never reaches ``haiku._src``."""
    return _namespace.module_dir(globals())

# Flags every example gets unless it sets the flag itself (``# doctest: -FLAG``).
DOCTEST_FLAGS = (doctest.ELLIPSIS, doctest.NORMALIZE_WHITESPACE)

# Names every doctest sees without importing them.
NAMESPACE = dict(
    hk=hk,
    jax=jax,
    jnp=jnp,
    np=np,
    collections=collections,
    functools=functools,
    io=io,
    itertools=itertools,
    unittest=unittest,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("haiku_doctest_spec_dir",
                  "folder whose *.txt files are doctest files (relative to the root)",
                  default="tests/spec")


def spec_file_collector(spec_dir: Path) -> Callable[..., pytest.Collector | None]:
    """A ``pytest_collect_file`` hook collecting ``spec_dir/*.txt`` as doctests.

    For a conftest below the root, where ``pytest_plugins`` is not allowed:
    ``pytest_collect_file = spec_file_collector(Path(__file__).parent)``
    (with the fixtures imported by name). A file pytest's own doctest plugin
    already collects (named on the command line, or matching
    ``--doctest-glob``) is left to it, so it runs once.
    """
    spec_dir = Path(spec_dir).resolve()

    def pytest_collect_file(file_path: Path, parent: pytest.Collector):
        if file_path.suffix != ".txt" or file_path.parent.resolve() != spec_dir:
            return None
        globs = parent.config.getoption("doctestglob") or ["test*.txt"]
        if parent.session.isinitpath(file_path) or any(file_path.match(g) for g in globs):
            return None
        return DoctestTextfile.from_parent(parent, path=file_path)

    return pytest_collect_file


_SPEC_COLLECTOR = pytest.StashKey[Callable[..., "pytest.Collector | None"]]()


def pytest_configure(config: pytest.Config) -> None:
    spec_dir = config.rootpath / config.getini("haiku_doctest_spec_dir")
    config.stash[_SPEC_COLLECTOR] = spec_file_collector(spec_dir)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """The plugin's hook: the ``haiku_doctest_spec_dir`` folder's ``*.txt`` files."""
    return parent.config.stash[_SPEC_COLLECTOR](file_path, parent)


@pytest.fixture(autouse=True, scope="session")
def haiku_doctest_namespace(doctest_namespace: dict) -> None:
    """Puts ``hk``, ``jax``, ``jnp``, ``np`` and friends into every doctest."""
    doctest_namespace.update(NAMESPACE)


@pytest.fixture(autouse=True)
def haiku_doctest_frame(request: pytest.FixtureRequest) -> Iterator[None]:
    """Runs each doctest inside a Haiku ``init`` frame seeded with 42.

    The Haiku options (``hk.config``) get back their values afterwards, so an
    example that changes them cannot leak into other tests.
    """
    item = request.node
    if not isinstance(item, DoctestItem):
        yield
        return
    for example in item.dtest.examples:
        for flag in DOCTEST_FLAGS:
            example.options.setdefault(flag, True)
    frame = _base.Frame({}, {}, _rng.PRNGSequence(42), params_frozen=False, is_init=True)
    with hk.config.context(), _base.new_frame(frame):
        yield
