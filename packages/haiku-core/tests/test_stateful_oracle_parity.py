"""Oracle parity of hk's stateful JAX transforms and control flow.

``golden/stateful_scenarios.py`` holds scenarios written against the public
``hk`` API only: each wrapper (``scan``, ``map``, ``fori_loop``,
``while_loop``, ``cond``, ``switch``, ``grad``, ``value_and_grad``, ``remat``,
``eval_shape``, ``vmap``) at init and apply, nested, under ``jax.jit``, with
reserved keys and typed keys. ``golden/make_stateful_golden.py`` ran them
under dm-haiku 0.0.17 and saved every result (parameter and state trees with
their order, outputs, keys drawn inside and after); here the same scenarios
run under our haiku and must give the same entries, bit for bit.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from haiku._src import base

GOLDEN_DIR = Path(__file__).parent / "golden"


def _load_scenarios():
    name = "haiku_stateful_golden_scenarios"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, GOLDEN_DIR / "stateful_scenarios.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


scenarios = _load_scenarios()
GOLDEN, BLOBS = scenarios.load_golden(GOLDEN_DIR / "stateful_golden")


def test_goldens_cover_every_scenario():
    assert list(GOLDEN) == list(scenarios.SCENARIOS)


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_scenario_matches_dm_haiku(name):
    actual = scenarios.flatten(scenarios.SCENARIOS[name]())
    problems = scenarios.diff(GOLDEN[name], BLOBS[name], actual)
    assert not problems, f"{name}: {len(problems)} differences:\n" + "\n".join(problems[:30])
    assert base._FRAMES.get() == ()
