"""Oracle parity of the core runtime: same code, same seed, same bits.

``scenarios/core_scenarios.py`` holds scenarios written against the public
``hk`` API only. Each runs here under our haiku and, on this same machine,
under dm-haiku 0.0.17 (the ``dm_haiku`` fixture of ``tests/oracle``):
parameter and state trees (names, order, shapes, dtypes, values), outputs,
PRNG keys and module names must agree bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from haiku_oracle import load_module

from haiku._src import base

scenarios = load_module(Path(__file__).parent / "scenarios" / "core_scenarios.py")


@pytest.mark.parametrize("name", list(scenarios.CORE_SCENARIOS))
def test_scenario_matches_dm_haiku(name, dm_haiku):
    dm_haiku.assert_matches(scenarios, name, registry="CORE_SCENARIOS")
    assert base._FRAMES.get() == ()
