"""Doctest support for haiku-flax: the spec examples and the docstrings.

Every ``*.txt`` file in ``tests/spec/`` is collected as a doctest file (the
``>>>`` examples of the "Flax Interop" section of the API reference), as are
the docstrings (``--doctest-modules``). Every doctest runs with ``hk``,
``jax``, ``jnp``, ``np`` and ``nn`` (``flax.linen``) already imported, with the
``ELLIPSIS`` and ``NORMALIZE_WHITESPACE`` flags on. Unlike haiku-nets'
examples, these build their own transforms, so no Haiku frame is opened
around them. This mirrors ``packages/haiku-nets/conftest.py``.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _pytest.doctest import DoctestItem, DoctestTextfile

import haiku as hk

SPEC_DIR = Path(__file__).parent / "tests" / "spec"

# Flags every example gets unless it sets the flag itself (``# doctest: -FLAG``).
DOCTEST_FLAGS = (doctest.ELLIPSIS, doctest.NORMALIZE_WHITESPACE)


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix == ".txt" and file_path.parent == SPEC_DIR:
        if _collected_by_pytest(file_path, parent):
            return None
        return DoctestTextfile.from_parent(parent, path=file_path)
    return None


def _collected_by_pytest(file_path: Path, parent: pytest.Collector) -> bool:
    """Whether pytest's doctest plugin collects this file itself (named on the
    command line, or matching ``--doctest-glob``); collecting it here too would
    run it twice."""
    globs = parent.config.getoption("doctestglob") or ["test*.txt"]
    return parent.session.isinitpath(file_path) or any(file_path.match(g) for g in globs)


@pytest.fixture(autouse=True, scope="session")
def _haiku_doctest_namespace(doctest_namespace: dict) -> None:
    doctest_namespace.update(hk=hk, jax=jax, jnp=jnp, np=np, nn=nn)


@pytest.fixture(autouse=True)
def _haiku_doctest_flags(request: pytest.FixtureRequest):
    """Turns the default flags on for each doctest; Haiku options are restored after it."""
    item = request.node
    if not isinstance(item, DoctestItem):
        yield
        return
    for example in item.dtest.examples:
        for flag in DOCTEST_FLAGS:
            example.options.setdefault(flag, True)
    with hk.config.context():
        yield
