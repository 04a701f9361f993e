"""Oracle parity of the Flax bridge: same code, same seed, same names and bits.

``scenarios/flax_scenarios.py`` holds scenarios written against the public
API (lift of linen modules with and without state, naming of lifts, Module of
transforms and Haiku classes, Module inside a Flax parent,
flatten_flax_to_haiku). Each runs here under our haiku and, on this same
machine, under dm-haiku 0.0.17 with the same Flax (the ``dm_haiku`` fixture of
``tests/oracle``; the ``versions`` scenario checks the Flax is the same);
parameter and state names and their order, shapes, dtypes and values must
agree bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from haiku_oracle import load_module

scenarios = load_module(Path(__file__).parent / "scenarios" / "flax_scenarios.py")


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_scenario_matches_dm_haiku(name, dm_haiku):
    dm_haiku.assert_matches(scenarios, name)
