"""Oracle parity of lifting and layer_stack: same code, same seed, same bits.

``scenarios/lift_scenarios.py`` holds the scenarios (public ``hk`` API only).
Each runs here under our haiku and, on this same machine, under dm-haiku
0.0.17 (the ``dm_haiku`` fixture of ``tests/oracle``): parameter and state
trees (names, order, shapes, dtypes, values), outputs, keys and interceptor
contexts must be identical. This pins dm-haiku's key scheme of layer_stack:
the same seed gives the same stacked parameters and the same per-layer
random numbers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from haiku_oracle import load_module

from haiku._src import base

scenarios = load_module(Path(__file__).parent / "scenarios" / "lift_scenarios.py")


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_scenario_matches_dm_haiku(name, dm_haiku):
    dm_haiku.assert_matches(scenarios, name)
    assert base._FRAMES.get() == ()
