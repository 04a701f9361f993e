"""Writes the oracle goldens of the core runtime (and of Linear/Bias).

Run it with the *oracle* interpreter, the one that has dm-haiku 0.0.17
installed (never install dm-haiku into the development venv)::

    /work/.venv-oracle/bin/python packages/haiku-core/tests/golden/make_core_golden.py

It runs every scenario of ``core_scenarios.py`` (the same source the tests
run under our haiku) and writes, next to this script:

``core_golden.json`` / ``core_golden.npz``
  The results of ``core_scenarios.CORE_SCENARIOS`` (haiku-core only), checked
  by ``packages/haiku-core/tests/test_core_oracle_parity.py``.
``core_nets_golden.json`` / ``core_nets_golden.npz``
  The results of ``core_scenarios.NETS_SCENARIOS`` (they use ``hk.Linear`` and
  ``hk.Bias``), checked by ``tests/test_core_nets_oracle_parity.py`` at the
  repository root.

The JSON holds, per scenario, the ordered list of entries made by
``core_scenarios.flatten`` (path, kind, dtype, shape, JSON values). The raw
bytes of all array and PRNG-key entries of a scenario are concatenated into
one ``uint8`` array of the ``.npz``, named after the scenario; each such entry
records its ``offset`` and ``nbytes`` there. Comparisons are therefore
bit-exact for every dtype (bfloat16 included). Pass scenario names to
regenerate only those (the others are kept).
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

import core_scenarios  # noqa: E402


def encode(results: dict[str, object]) -> tuple[dict, dict[str, np.ndarray]]:
    """JSON entries and npz arrays (one byte blob per scenario) for ``{scenario: result}``."""
    scenarios: dict[str, list] = {}
    arrays: dict[str, np.ndarray] = {}
    for name, result in results.items():
        entries, blobs, offset = [], [], 0
        for entry in core_scenarios.flatten(result):
            entry = dict(entry)
            data = entry.pop("data", None)
            if data is not None:
                entry.update(offset=offset, nbytes=int(data.size))
                offset += int(data.size)
                blobs.append(data)
            entries.append(entry)
        scenarios[name] = entries
        arrays[name] = np.concatenate(blobs) if blobs else np.zeros([0], np.uint8)
    return scenarios, arrays


def dumps(meta: dict, scenarios: dict[str, list]) -> str:
    """Compact JSON with one line per entry (small, and readable in diffs)."""
    lines = ["{", f' "meta": {json.dumps(meta)},', ' "scenarios": {']
    for n, (name, entries) in enumerate(scenarios.items()):
        lines.append(f"  {json.dumps(name)}: [")
        lines += [
            f"   {json.dumps(e, separators=(',', ':'))}{',' if i + 1 < len(entries) else ''}"
            for i, e in enumerate(entries)
        ]
        lines.append("  ]" + ("," if n + 1 < len(scenarios) else ""))
    lines += [" }", "}"]
    return "\n".join(lines) + "\n"


def write(stem: str, scenarios: dict, only: set[str]) -> None:
    json_path, npz_path = HERE / f"{stem}.json", HERE / f"{stem}.npz"
    results = {n: fn() for n, fn in scenarios.items() if not only or n in only}
    if not results:
        return
    doc, arrays = encode(results)
    if only and json_path.exists():
        old = json.loads(json_path.read_text())["scenarios"]
        with np.load(npz_path) as f:
            for name in old:
                if name not in doc and name in scenarios:
                    doc[name] = old[name]
                    arrays[name] = f[name]
        doc = {n: doc[n] for n in scenarios if n in doc}
    meta = {
        "generator": "make_core_golden.py",
        "dm_haiku": hk.__version__,
        "jax": jax.__version__,
        "jax_threefry_partitionable": bool(jax.config.jax_threefry_partitionable),
    }
    json_path.write_text(dumps(meta, doc))
    np.savez_compressed(npz_path, **arrays)
    print(f"wrote {json_path.name} and {npz_path.name}: {len(doc)} scenarios")


def main(argv: list[str]) -> int:
    if not hasattr(hk, "running_init") or "haiku-core" in str(getattr(hk, "__file__", "")):
        print("run this with the oracle interpreter (dm-haiku)", file=sys.stderr)
        return 2
    only = set(argv)
    unknown = only - set(core_scenarios.CORE_SCENARIOS) - set(core_scenarios.NETS_SCENARIOS)
    if unknown:
        print(f"unknown scenarios: {sorted(unknown)}", file=sys.stderr)
        return 2
    write("core_golden", core_scenarios.CORE_SCENARIOS, only)
    write("core_nets_golden", core_scenarios.NETS_SCENARIOS, only)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
