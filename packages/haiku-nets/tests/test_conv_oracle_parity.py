"""Oracle parity of the convolutions: same code, same seed, same bits.

``scenarios/conv_scenarios.py`` describes the cases as plain data, in groups,
one scenario per group. Each runs here under our haiku and, on this same
machine, under dm-haiku 0.0.17 (the ``dm_haiku`` fixture of
``tests/oracle``): the parameters (names, creation order, shapes, dtypes,
values: same initializers, fan-ins and RNG keys) and every case's output
must agree bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from haiku_oracle import load_module

scenarios = load_module(Path(__file__).parent / "scenarios" / "conv_scenarios.py")


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_group_matches_dm_haiku(name, dm_haiku):
    dm_haiku.assert_matches(scenarios, name)
