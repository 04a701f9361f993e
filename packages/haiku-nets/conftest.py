"""Doctest support for haiku-nets: the spec examples and the docstrings.

Every ``*.txt`` file in ``tests/spec/`` is collected as a doctest file (each
holds the ``>>>`` examples of sections of the API reference), as are the
docstrings (``--doctest-modules``). Every doctest runs with ``hk``, ``jax``, ``jnp`` and ``np`` already imported,
with the ``ELLIPSIS`` and ``NORMALIZE_WHITESPACE`` flags on, and inside an
active Haiku frame with an RNG key: like dm-haiku's own docs, examples may
create and call modules at the top level, as if inside ``init``. This mirrors
``packages/haiku-core/conftest.py``.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _pytest.doctest import DoctestItem, DoctestTextfile

import haiku as hk
from haiku._src import base, rng

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
    doctest_namespace.update(hk=hk, jax=jax, jnp=jnp, np=np)


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
