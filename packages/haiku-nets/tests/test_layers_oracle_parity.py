"""Oracle parity of the non-convolution layers: same code, same seed, same bits.

``scenarios/layers_scenarios.py`` holds scenarios written against the public
``hk`` API (pooling, dropout masks, attention, embeddings, Sequential,
BatchApply, Reshape/Flatten, Linear precision, Bias). Each runs here under
our haiku and, on this same machine, under dm-haiku 0.0.17 (the ``dm_haiku``
fixture of ``tests/oracle``); parameter names and order, shapes, dtypes and
values must agree bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from haiku_oracle import load_module

scenarios = load_module(Path(__file__).parent / "scenarios" / "layers_scenarios.py")

# Entries where only the sign of zeros may differ (0 ulps: equal values, other
# bits allowed). dm-haiku's dropout computes ``mask * x``, which XLA turns into
# a select (+0 where dropped) for float16/32 but not for bfloat16 on CPU (-0
# where a negative x is dropped); ours is a select for every dtype.
SIGNED_ZEROS = {"dropout_dtypes": {"bf16": 0}}


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_scenario_matches_dm_haiku(name, dm_haiku):
    dm_haiku.assert_matches(scenarios, name, ulps=SIGNED_ZEROS.get(name))
