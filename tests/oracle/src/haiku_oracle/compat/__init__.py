"""dm-haiku 0.0.17's own test suite and docstring examples, run against our haiku.

``python -m haiku_oracle.compat`` (the ``compat`` nox session) is the proof of
"code written for dm-haiku runs unchanged" on material we did not write:
:mod:`~haiku_oracle.compat.sources` copies dm-haiku's test files from the
oracle's venv into the cache with their private imports pointed at
:mod:`~haiku_oracle.compat.shim`, :mod:`~haiku_oracle.compat.running` runs
them file by file, on dm-haiku and on ours, and
:mod:`~haiku_oracle.compat.doctests` does the same for dm-haiku's docstring
examples.
"""

TOOLS = ("absl-py", "pytest", "dm-tree", "chex", "dill", "cloudpickle")
"""What dm-haiku's test files import besides dm-haiku's own dependencies
(tensorflow aside: its jax2tf test fails without it, on both sides)."""
