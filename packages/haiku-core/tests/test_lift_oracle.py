"""Oracle parity of lifting and layer_stack: same code, same seed, same bits.

``golden/lift_scenarios.py`` holds the scenarios (public ``hk`` API only);
``golden/make_lift_golden.py`` ran them under dm-haiku 0.0.17 and saved the
parameter and state trees (names, order, shapes, dtypes, values), outputs,
keys and interceptor contexts. They must come out identical here. This pins
dm-haiku's key scheme of layer_stack: the same seed gives the same stacked
parameters and the same per-layer random numbers.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from haiku._src import base

GOLDEN_DIR = Path(__file__).parent / "golden"


def _load_scenarios():
    name = "haiku_core_lift_scenarios"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, GOLDEN_DIR / "lift_scenarios.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


scenarios = _load_scenarios()
GOLDEN, BLOBS = scenarios.load_golden(GOLDEN_DIR / "lift_golden")


def test_goldens_cover_every_scenario():
    assert list(GOLDEN) == list(scenarios.SCENARIOS)


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_scenario_matches_dm_haiku(name):
    actual = scenarios.flatten(scenarios.SCENARIOS[name]())
    problems = scenarios.diff(GOLDEN[name], BLOBS[name], actual)
    assert not problems, f"{name}: {len(problems)} differences:\n" + "\n".join(problems[:30])
    assert base._FRAMES.get() == ()
