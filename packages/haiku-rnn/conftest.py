"""Doctest support for haiku-rnn: the spec examples and the docstrings.

Every ``*.txt`` file in ``tests/spec/`` is collected as a doctest file (each
holds the ``>>>`` examples of sections of the API reference). Those and the
``--doctest-modules`` docstrings run as ``haiku.pytest_doctest`` describes:
names imported, an active ``init`` frame with an RNG key.
"""

from pathlib import Path

from haiku.pytest_doctest import haiku_doctest_frame, haiku_doctest_namespace, spec_file_collector

__all__ = ["haiku_doctest_frame", "haiku_doctest_namespace"]

pytest_collect_file = spec_file_collector(Path(__file__).parent / "tests" / "spec")
