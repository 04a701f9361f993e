"""Oracle parity of ``hk.nets``: same code, same seed, same bits as dm-haiku 0.0.17.

``golden/nets_scenarios.py`` holds scenarios written against the public ``hk``
API (MLP with dropout and reverse, VectorQuantizer and VectorQuantizerEMA over
several state updates, MobileNetV1 with and without batch norm, tiny ResNets
v1/v2 with and without bottleneck and every constructor option, ResNet18 on
small images, the parameter/state tables of every ResNetN); ``golden/
make_nets_golden.py`` ran them under dm-haiku 0.0.17 and saved every result
(see its docstring to regenerate). Here the same scenarios run under our haiku
and must give the same parameter and state names and order, shapes, dtypes and
values, bit for bit.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"


def _load_scenarios():
    name = "haiku_nets_nets_scenarios"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, GOLDEN_DIR / "nets_scenarios.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


scenarios = _load_scenarios()
GOLDEN, BLOBS = scenarios.load(GOLDEN_DIR / "nets_golden")


def test_goldens_cover_every_scenario():
    assert list(GOLDEN) == list(scenarios.SCENARIOS)


def _json_difference(entry: str, got, want) -> str:
    if isinstance(got, list) and isinstance(want, list):
        for index, (g, w) in enumerate(zip(got, want)):
            if g != w:
                return f"{entry}[{index}]: {g} != {w}"
        return f"{entry}: {len(got)} items != {len(want)}"
    return f"{entry}: {got} != {want}"


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_scenario_matches_dm_haiku(name):
    expected = GOLDEN[name]
    actual_meta, actual_blobs = scenarios.encode({name: scenarios.SCENARIOS[name]()})
    actual = actual_meta[name]
    assert list(actual) == list(expected), "entries differ"
    problems = []
    for entry, want in expected.items():
        got = actual[entry]
        if want["kind"] == "json" or got["kind"] == "json":
            if got != want:
                problems.append(_json_difference(entry, got.get("value"), want.get("value")))
            continue
        if (got["dtype"], got["shape"]) != (want["dtype"], want["shape"]):
            problems.append(f"{entry}: {got['dtype']}{got['shape']} != "
                            f"{want['dtype']}{want['shape']}")
            continue
        key = f"{name}/{entry}"
        if not np.array_equal(actual_blobs[key], BLOBS[key]):
            g = scenarios.decode(got, actual_blobs[key]).astype(np.float64)
            w = scenarios.decode(want, BLOBS[key]).astype(np.float64)
            problems.append(f"{entry}: values differ, max abs diff {np.nanmax(np.abs(g - w))}")
    assert not problems, f"{name}: {len(problems)} differences:\n" + "\n".join(problems[:30])
