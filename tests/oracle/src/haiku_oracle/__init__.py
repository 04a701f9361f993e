"""Live parity with dm-haiku 0.0.17: the test harness of the haiku monorepo.

Tests run a scenario module under our haiku and, through :class:`Oracle`,
under dm-haiku 0.0.17 in a venv of its own on the same machine, then compare
the results bit for bit (:func:`differences`). Nothing the CPU computes is
stored in the repository: the files beside the tests hold scenarios, and
dm-haiku's results live in a cache outside it (README.md says where).
"""

from haiku_oracle.compare import differences
from haiku_oracle.encoding import Entry, decode, entry_path, flatten, load, save
from haiku_oracle.environment import cache_dir, oracle_python, requirements
from haiku_oracle.loading import load_module
from haiku_oracle.runner import Oracle

__all__ = [
    "Entry",
    "Oracle",
    "cache_dir",
    "decode",
    "differences",
    "entry_path",
    "flatten",
    "load",
    "load_module",
    "oracle_python",
    "requirements",
    "save",
]
