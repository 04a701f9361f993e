"""Oracle parity of the recurrent cores and unrolls: same code, same seed, same bits.

``scenarios/recurrent_scenarios.py`` holds scenarios written against the
public ``hk`` API (every core unrolled statically and dynamically, batch- and
time-major, reversed, with all states; one unbatched step; the convolutional
LSTMs; DeepRNN with and without skip connections; ResetCore with per-example
and per-entry resets; initial states; module names; bfloat16 inputs). Each
runs here under our haiku and, on this same machine, under dm-haiku 0.0.17
(the ``dm_haiku`` fixture of ``tests/oracle``); parameter names and order,
shapes, dtypes and values must agree bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from haiku_oracle import load_module

scenarios = load_module(Path(__file__).parent / "scenarios" / "recurrent_scenarios.py")


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_scenario_matches_dm_haiku(name, dm_haiku):
    dm_haiku.assert_matches(scenarios, name)
