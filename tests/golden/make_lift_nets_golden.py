"""Writes the oracle goldens of lifting and layer_stack with ``hk.Linear``.

Run it with the *oracle* interpreter, the one that has dm-haiku 0.0.17::

    /work/.venv-oracle/bin/python tests/golden/make_lift_nets_golden.py

It runs every scenario of ``lift_nets_scenarios.py`` and writes
``lift_nets_golden.json`` / ``lift_nets_golden.npz`` next to this script, in
the format of haiku-core's ``tests/golden/make_core_golden.py`` (whose
``encode``/``dumps`` it uses). They are checked by ``tests/test_lift_nets.py``.
"""

from __future__ import annotations

import pathlib
import sys

import haiku as hk  # dm-haiku 0.0.17, the oracle.
import jax
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "packages" / "haiku-core" / "tests" / "golden"))

import lift_nets_scenarios  # noqa: E402
import make_core_golden  # noqa: E402


def main() -> int:
    if "haiku-core" in str(getattr(hk, "__file__", "")):
        print("run this with the oracle interpreter (dm-haiku)", file=sys.stderr)
        return 2
    results = {n: fn() for n, fn in lift_nets_scenarios.SCENARIOS.items()}
    doc, arrays = make_core_golden.encode(results)
    meta = {
        "generator": "make_lift_nets_golden.py",
        "dm_haiku": hk.__version__,
        "jax": jax.__version__,
        "jax_threefry_partitionable": bool(jax.config.jax_threefry_partitionable),
    }
    stem = HERE / "lift_nets_golden"
    stem.with_suffix(".json").write_text(make_core_golden.dumps(meta, doc))
    np.savez_compressed(stem.with_suffix(".npz"), **arrays)
    print(f"wrote {stem.name}.json and {stem.name}.npz: {len(doc)} scenarios")
    return 0


if __name__ == "__main__":
    sys.exit(main())
