"""Writes the oracle goldens of lifting and layer_stack (haiku-core only).

Run it with the *oracle* interpreter, the one that has dm-haiku 0.0.17::

    /work/.venv-oracle/bin/python packages/haiku-core/tests/golden/make_lift_golden.py

It runs every scenario of ``lift_scenarios.py`` and writes
``lift_golden.json`` / ``lift_golden.npz`` next to this script, in the format
of ``make_core_golden.py`` (whose ``encode``/``dumps`` it uses). They are
checked by ``packages/haiku-core/tests/test_lift_oracle.py``.
"""

from __future__ import annotations

import pathlib
import sys

import haiku as hk  # dm-haiku 0.0.17, the oracle.
import jax
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import lift_scenarios  # noqa: E402
import make_core_golden  # noqa: E402


def write(stem: pathlib.Path, scenarios: dict, generator: str) -> None:
    """Runs ``scenarios`` and writes ``<stem>.json`` and ``<stem>.npz``."""
    doc, arrays = make_core_golden.encode({n: fn() for n, fn in scenarios.items()})
    meta = {
        "generator": generator,
        "dm_haiku": hk.__version__,
        "jax": jax.__version__,
        "jax_threefry_partitionable": bool(jax.config.jax_threefry_partitionable),
    }
    stem.with_suffix(".json").write_text(make_core_golden.dumps(meta, doc))
    np.savez_compressed(stem.with_suffix(".npz"), **arrays)
    print(f"wrote {stem.name}.json and {stem.name}.npz: {len(doc)} scenarios")


def main() -> int:
    if "haiku-core" in str(getattr(hk, "__file__", "")):
        print("run this with the oracle interpreter (dm-haiku)", file=sys.stderr)
        return 2
    write(HERE / "lift_golden", lift_scenarios.SCENARIOS, "make_lift_golden.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
