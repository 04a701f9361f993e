"""Oracle parity of the moving averages and spectral norms: same code, same seed, same bits.

``scenarios/moving_averages_scenarios.py`` holds scenarios written against
the public ``hk`` API (``ExponentialMovingAverage`` with and without
zero-debias, warmup, bf16/f16/int32 values, ``update_stats=False``,
``initialize``, a bf16 policy, jit; ``EMAParamsTree`` with ``ignore_regex``
and odd names; ``SpectralNorm`` on matrices, rank > 2 arrays, several power
iteration steps, bf16/f16; ``SNParamsTree``). Each runs here under our haiku
and, on this same machine, under dm-haiku 0.0.17 (the ``dm_haiku`` fixture
of ``tests/oracle``): the state names and order, shapes, dtypes and values
after ``init`` and after every ``apply`` step, and the outputs, must agree
bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from haiku_oracle import entry_path, load_module

scenarios = load_module(Path(__file__).parent / "scenarios" / "moving_averages_scenarios.py")


def test_dm_haiku_results_hold_state_and_outputs(dm_haiku):
    # A guard against scenarios that silently lost their content: dm-haiku's
    # own results hold the state entries (in creation order) and their dtypes.
    def values(name: str) -> dict:
        return {entry_path(e): e for e in dm_haiku.theirs(scenarios, name)}

    ema = values("ema_debias")
    assert [ema[f"init/state_order/[{i}]"]["value"] for i in range(3)] == [
        "exponential_moving_average/counter", "exponential_moving_average/hidden",
        "exponential_moving_average/average"]
    assert ema["step4/state/exponential_moving_average/counter"]["dtype"] == "int32"
    assert "step4/out/0" in ema
    sn = values("sn_tree")
    assert sn["init/state_order/[0]"]["value"] == "sn_params_tree/block___tilde__linear__w/u0"


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_scenario_matches_dm_haiku(name, dm_haiku):
    dm_haiku.assert_matches(scenarios, name)
