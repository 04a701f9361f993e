"""Writes the oracle goldens of the core ``hk.experimental`` functions.

Run it with the *oracle* interpreter, the one that has dm-haiku 0.0.17::

    /work/.venv-oracle/bin/python packages/haiku-core/tests/golden/make_experimental_golden.py

It runs every scenario of ``experimental_scenarios.py`` and writes
``experimental_golden.json`` / ``experimental_golden.npz`` next to this
script, in the format of ``make_core_golden.py`` (whose ``encode``/``dumps`` it
uses). They are checked by ``packages/haiku-core/tests/test_experimental_core.py``.
"""

from __future__ import annotations

import pathlib
import sys

import haiku as hk  # dm-haiku 0.0.17, the oracle.
import jax
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import experimental_scenarios  # noqa: E402
import make_core_golden  # noqa: E402


def main() -> int:
    if "haiku-core" in str(getattr(hk, "__file__", "")):
        print("run this with the oracle interpreter (dm-haiku)", file=sys.stderr)
        return 2
    scenarios = experimental_scenarios.SCENARIOS
    doc, arrays = make_core_golden.encode({n: fn() for n, fn in scenarios.items()})
    meta = {
        "generator": "make_experimental_golden.py",
        "dm_haiku": hk.__version__,
        "jax": jax.__version__,
        "jax_threefry_partitionable": bool(jax.config.jax_threefry_partitionable),
    }
    stem = HERE / "experimental_golden"
    stem.with_suffix(".json").write_text(make_core_golden.dumps(meta, doc))
    np.savez_compressed(stem.with_suffix(".npz"), **arrays)
    print(f"wrote {stem.name}.json and {stem.name}.npz: {len(doc)} scenarios")
    return 0


if __name__ == "__main__":
    sys.exit(main())
