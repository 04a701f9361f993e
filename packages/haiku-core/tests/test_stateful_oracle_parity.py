"""Oracle parity of hk's stateful JAX transforms and control flow.

``scenarios/stateful_scenarios.py`` holds scenarios written against the
public ``hk`` API only: each wrapper (``scan``, ``map``, ``fori_loop``,
``while_loop``, ``cond``, ``switch``, ``grad``, ``value_and_grad``, ``remat``,
``eval_shape``, ``vmap``) at init and apply, nested, under ``jax.jit``, with
reserved keys and typed keys. Each runs here under our haiku and, on this
same machine, under dm-haiku 0.0.17 (the ``dm_haiku`` fixture of
``tests/oracle``): parameter and state trees with their order, outputs, keys
drawn inside and after must agree bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from haiku_oracle import load_module

from haiku._src import base

scenarios = load_module(Path(__file__).parent / "scenarios" / "stateful_scenarios.py")


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_scenario_matches_dm_haiku(name, dm_haiku):
    dm_haiku.assert_matches(scenarios, name)
    assert base._FRAMES.get() == ()
