"""Writes the oracle goldens of hk's stateful transforms and control flow.

Run it with the *oracle* interpreter, the one that has dm-haiku 0.0.17
installed (never install dm-haiku into the development venv)::

    /work/.venv-oracle/bin/python packages/haiku-core/tests/golden/make_stateful_golden.py

It runs every scenario of ``stateful_scenarios.py`` (the same source the
tests run under our haiku) and writes ``stateful_golden.json`` /
``stateful_golden.npz`` next to this script, in the format of
``make_core_golden.py`` (one JSON entry per leaf, one byte blob per scenario),
checked by ``packages/haiku-core/tests/test_stateful_oracle_parity.py``. Pass
scenario names to regenerate only those (the others are kept).
"""

from __future__ import annotations

import json
import pathlib
import sys

import haiku as hk  # dm-haiku 0.0.17, the oracle.
import jax
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import make_core_golden  # noqa: E402
import stateful_scenarios  # noqa: E402

STEM = "stateful_golden"


def main(argv: list[str]) -> int:
    if not hasattr(hk, "running_init") or "haiku-core" in str(getattr(hk, "__file__", "")):
        print("run this with the oracle interpreter (dm-haiku)", file=sys.stderr)
        return 2
    scenarios = stateful_scenarios.SCENARIOS
    only = set(argv)
    unknown = only - set(scenarios)
    if unknown:
        print(f"unknown scenarios: {sorted(unknown)}", file=sys.stderr)
        return 2
    json_path, npz_path = HERE / f"{STEM}.json", HERE / f"{STEM}.npz"
    results = {n: fn() for n, fn in scenarios.items() if not only or n in only}
    doc, arrays = make_core_golden.encode(results)
    if only and json_path.exists():
        old = json.loads(json_path.read_text())["scenarios"]
        with np.load(npz_path) as f:
            for name in old:
                if name not in doc and name in scenarios:
                    doc[name] = old[name]
                    arrays[name] = f[name]
    doc = {n: doc[n] for n in scenarios if n in doc}
    meta = {
        "generator": "make_stateful_golden.py",
        "dm_haiku": hk.__version__,
        "jax": jax.__version__,
        "jax_threefry_partitionable": bool(jax.config.jax_threefry_partitionable),
    }
    json_path.write_text(make_core_golden.dumps(meta, doc))
    np.savez_compressed(npz_path, **arrays)
    print(f"wrote {json_path.name} and {npz_path.name}: {len(doc)} scenarios")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
