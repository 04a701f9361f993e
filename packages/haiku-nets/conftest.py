"""Doctest support for haiku-nets: the spec examples and the docstrings.

Every ``*.txt`` file in ``tests/spec/`` is collected as a doctest file (each
holds the ``>>>`` examples of sections of the API reference). Those and the
``--doctest-modules`` docstrings run as ``haiku.pytest_doctest`` describes:
names imported, an active ``init`` frame with an RNG key.
"""

pytest_plugins = ["haiku.pytest_doctest"]
