"""Doctest support for the spec examples that need more than haiku-core.

Every ``*.txt`` file in this folder is collected as a doctest file (each holds
the ``>>>`` examples of one section of the API reference that use haiku-nets).
They run with ``hk``, ``jax``, ``jnp``, ``np``, ``chex`` and the few standard
modules the examples use already imported, with the ``ELLIPSIS`` and
``NORMALIZE_WHITESPACE`` flags on, and inside an active Haiku frame with an
RNG key: like dm-haiku's own docs, examples may call ``hk.get_parameter``,
``hk.next_rng_key`` or a module at the top level, as if inside ``init``.

``packages/haiku-core/conftest.py`` does the same for haiku-core's examples.
"""

from __future__ import annotations

import collections
import doctest
import functools
import importlib.util
import io
import itertools
import unittest
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _pytest.doctest import DoctestItem, DoctestTextfile

import haiku as hk
from haiku._src import base, rng

SPEC_DIR = Path(__file__).parent

# Flags every example gets unless it sets the flag itself (``# doctest: -FLAG``).
DOCTEST_FLAGS = (doctest.ELLIPSIS, doctest.NORMALIZE_WHITESPACE)

# Files whose examples need an optional test dependency: file -> module.
NEEDS = {"testing_chex.txt": "chex"}


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix == ".txt" and file_path.parent == SPEC_DIR:
        if _collected_by_pytest(file_path, parent):
            return None
        return DoctestTextfile.from_parent(parent, path=file_path)
    return None


def _collected_by_pytest(file_path: Path, parent: pytest.Collector) -> bool:
    """Whether pytest's doctest plugin collects this file itself.

    It does for a file named on the command line and for one matching
    ``--doctest-glob`` (``test*.txt`` by default); collecting such a file
    here too would run it twice.
    """
    globs = parent.config.getoption("doctestglob") or ["test*.txt"]
    return parent.session.isinitpath(file_path) or any(file_path.match(g) for g in globs)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not isinstance(item, DoctestItem) or item.path.parent != SPEC_DIR:
            continue
        module = NEEDS.get(item.path.name)
        if module is not None and importlib.util.find_spec(module) is None:
            reason = f"{item.path.name} needs {module} (pip install {module})"
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True, scope="session")
def _haiku_doctest_namespace(doctest_namespace: dict) -> None:
    doctest_namespace.update(
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
    if importlib.util.find_spec("chex") is not None:
        import chex

        doctest_namespace["chex"] = chex


@pytest.fixture(autouse=True)
def _haiku_doctest_frame(request: pytest.FixtureRequest):
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
    frame = base.Frame({}, {}, rng.PRNGSequence(42), params_frozen=False, is_init=True)
    with hk.config.context(), base.new_frame(frame):
        yield
