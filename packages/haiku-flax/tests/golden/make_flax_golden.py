"""Writes the oracle goldens of the Flax bridge (``flax_golden.json``/``.npz``).

Run it with the *oracle* interpreter (dm-haiku 0.0.17 and flax installed)::

    /work/.venv-oracle/bin/python packages/haiku-flax/tests/golden/make_flax_golden.py

It runs every scenario of ``flax_scenarios.py`` (the code the parity test runs
under our haiku) and saves the JSON entries and the arrays.
"""

from __future__ import annotations

import json
import pathlib
import sys

import flax
import haiku as hk  # dm-haiku 0.0.17, the oracle.
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import flax_scenarios  # noqa: E402

STEM = HERE / "flax_golden"


def main() -> None:
    assert hk.__version__ == "0.0.17", f"run this with dm-haiku 0.0.17, not {hk.__version__}"
    results = {name: fn() for name, fn in flax_scenarios.SCENARIOS.items()}
    meta, arrays = flax_scenarios.encode(results)
    meta["_versions"] = {"dm-haiku": hk.__version__, "flax": flax.__version__}
    STEM.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    np.savez_compressed(STEM.with_suffix(".npz"), **arrays)
    print(f"wrote {len(results)} scenarios, {len(arrays)} arrays")


if __name__ == "__main__":
    main()
