"""Oracle parity of ``hk.nets``: same code, same seed, same bits as dm-haiku 0.0.17.

``scenarios/nets_scenarios.py`` holds scenarios written against the public
``hk`` API (MLP with dropout and reverse, VectorQuantizer and
VectorQuantizerEMA over several state updates, MobileNetV1 with and without
batch norm, tiny ResNets v1/v2 with and without bottleneck and every
constructor option, ResNet18 on small images, the parameter/state tables of
every ResNetN). Each runs here under our haiku and, on this same machine,
under dm-haiku 0.0.17 (the ``dm_haiku`` fixture of ``tests/oracle``);
parameter and state names and order, shapes, dtypes and values must agree
bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from haiku_oracle import load_module

scenarios = load_module(Path(__file__).parent / "scenarios" / "nets_scenarios.py")


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_scenario_matches_dm_haiku(name, dm_haiku):
    dm_haiku.assert_matches(scenarios, name)
