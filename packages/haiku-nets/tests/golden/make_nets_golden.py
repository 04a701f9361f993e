"""Writes the oracle goldens of the hk.nets networks.

Run it with the *oracle* interpreter, the one with dm-haiku 0.0.17 installed
(never install dm-haiku into the development venv)::

    /work/.venv-oracle/bin/python packages/haiku-nets/tests/golden/make_nets_golden.py

It runs every scenario of ``nets_scenarios.py`` (the same code the tests
run under our haiku) and writes ``nets_golden.json`` (per scenario and
entry: a JSON value, or the dtype and shape of an array) and
``nets_golden.npz`` (the raw bytes of each array, so comparisons are bit
exact for every dtype, bfloat16 included). Pass scenario names to regenerate
only those (the others are kept).
"""

from __future__ import annotations

import json
import pathlib
import sys
import time

import haiku as hk  # dm-haiku 0.0.17, the oracle.
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import nets_scenarios  # noqa: E402

STEM = HERE / "nets_golden"


def main(names: list[str]) -> None:
    assert hk.__version__ == "0.0.17", f"run this with dm-haiku 0.0.17, not {hk.__version__}"
    meta, arrays = {}, {}
    if names and STEM.with_suffix(".json").exists():
        meta, npz = nets_scenarios.load(STEM)
        arrays = dict(npz)
    for name in names or list(nets_scenarios.SCENARIOS):
        start = time.perf_counter()
        new_meta, new_arrays = nets_scenarios.encode({name: nets_scenarios.SCENARIOS[name]()})
        meta.update(new_meta)
        arrays = {k: v for k, v in arrays.items() if not k.startswith(f"{name}/")}
        arrays.update(new_arrays)
        print(f"{name}: {time.perf_counter() - start:.1f}s", flush=True)
    meta = {name: meta[name] for name in nets_scenarios.SCENARIOS if name in meta}
    STEM.with_suffix(".json").write_text(json.dumps(meta, indent=1, sort_keys=False) + "\n")
    np.savez_compressed(STEM.with_suffix(".npz"), **arrays)
    print(f"wrote {len(meta)} scenarios, {len(arrays)} arrays")


if __name__ == "__main__":
    main(sys.argv[1:])
