"""Oracle parity of the core runtime: same code, same seed, same bits.

``golden/core_scenarios.py`` holds scenarios written against the public
``hk`` API only; ``golden/make_core_golden.py`` ran them under dm-haiku 0.0.17
(see its docstring to regenerate) and saved every result: parameter and
state trees (names, order, shapes, dtypes, values), outputs, PRNG keys and
module names. Here the same scenarios run under our haiku and must give
exactly the same entries, bit for bit.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from haiku._src import base

GOLDEN_DIR = Path(__file__).parent / "golden"


def _load_scenarios():
    name = "haiku_core_golden_scenarios"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, GOLDEN_DIR / "core_scenarios.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


scenarios = _load_scenarios()
GOLDEN, BLOBS = scenarios.load_golden(GOLDEN_DIR / "core_golden")


def test_goldens_cover_every_scenario():
    assert list(GOLDEN) == list(scenarios.CORE_SCENARIOS)


@pytest.mark.parametrize("name", list(scenarios.CORE_SCENARIOS))
def test_scenario_matches_dm_haiku(name):
    actual = scenarios.flatten(scenarios.CORE_SCENARIOS[name]())
    problems = scenarios.diff(GOLDEN[name], BLOBS[name], actual)
    assert not problems, f"{name}: {len(problems)} differences:\n" + "\n".join(problems[:30])
    assert base._FRAMES.get() == ()
