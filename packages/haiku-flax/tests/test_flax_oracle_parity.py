"""Oracle parity of the Flax bridge: same code, same seed, same names and bits.

``golden/flax_scenarios.py`` holds scenarios written against the public API
(lift of linen modules with and without state, naming of lifts, Module of
transforms and Haiku classes, Module inside a Flax parent,
flatten_flax_to_haiku); ``golden/make_flax_golden.py`` ran them under dm-haiku
0.0.17 (with the same flax) and saved every result. Here they run under our
haiku and must give the same parameter and state names in the same order, the
same shapes, dtypes and values, bit for bit.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"


def _load_scenarios():
    name = "haiku_flax_scenarios"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, GOLDEN_DIR / "flax_scenarios.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


scenarios = _load_scenarios()
GOLDEN, BLOBS = scenarios.load(GOLDEN_DIR / "flax_golden")


def test_goldens_cover_every_scenario():
    assert [k for k in GOLDEN if not k.startswith("_")] == list(scenarios.SCENARIOS)


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_scenario_matches_dm_haiku(name):
    expected = GOLDEN[name]
    actual_meta, actual_arrays = scenarios.encode({name: scenarios.SCENARIOS[name]()})
    actual = actual_meta[name]
    assert list(actual) == list(expected), "entries differ (names, order or kinds of values)"
    problems = []
    for entry, want in expected.items():
        got = actual[entry]
        if want["kind"] == "json" or got["kind"] == "json":
            if got != want:
                problems.append(f"{entry}: {got} != {want}")
            continue
        if (got["dtype"], got["shape"]) != (want["dtype"], want["shape"]):
            problems.append(f"{entry}: {got['dtype']}{got['shape']} != {want['dtype']}{want['shape']}")
            continue
        key = f"{name}/{entry}"
        if not np.array_equal(actual_arrays[key], BLOBS[key]):
            diff = np.max(np.abs(actual_arrays[key].astype(np.float64) - BLOBS[key]))
            problems.append(f"{entry}: values differ, max abs diff {diff}")
    assert not problems, f"{name}: {len(problems)} differences:\n" + "\n".join(problems)
