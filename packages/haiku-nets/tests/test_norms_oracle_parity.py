"""Oracle parity of the normalisers: same code, same seed, same bits.

``golden/norms_scenarios.py`` holds scenarios written against the public
``hk`` API (BatchNorm over several training steps and in test mode,
LayerNorm, InstanceNorm, GroupNorm, RMSNorm, in float32 and bfloat16, eager
and jitted, gradients, a vmapped cross-replica BatchNorm and a bf16
mixed-precision policy); ``golden/make_norms_golden.py`` ran them under
dm-haiku 0.0.17 and saved every result (see its docstring to regenerate).
Here the same scenarios run under our haiku and must give the same parameter
and state names and order, shapes, dtypes and values, bit for bit.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"


def _load_scenarios():
    name = "haiku_nets_norms_scenarios"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, GOLDEN_DIR / "norms_scenarios.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


scenarios = _load_scenarios()
GOLDEN, BLOBS = scenarios.load(GOLDEN_DIR / "norms_golden")

# Input gradients that may differ from dm-haiku's in the last bits.
# LayerNorm and GroupNorm trace their variance before their mean (XLA's CPU
# compiler then builds a 12-block Transformer's train step 3x faster): the
# outputs and the parameter gradients stay bit-identical, but JAX sums the
# input's cotangents from its uses in another order. dm-haiku's own input
# gradients differ this much between eager and jitted runs.
INPUT_GRADIENTS = {("layer_norm_grads", "grad_x"), ("layer_norm_grads", "fast_grad_x"),
                   ("group_norm_grads", "grad_x")}
ROUNDING = 4 * np.finfo(np.float32).eps  # Relative to the gradient's largest entry.


def test_goldens_cover_every_scenario():
    assert list(GOLDEN) == list(scenarios.SCENARIOS)


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
                problems.append(f"{entry}: {got} != {want}")
            continue
        if (got["dtype"], got["shape"]) != (want["dtype"], want["shape"]):
            problems.append(f"{entry}: {got['dtype']}{got['shape']} != "
                            f"{want['dtype']}{want['shape']}")
            continue
        key = f"{name}/{entry}"
        if not np.array_equal(actual_blobs[key], BLOBS[key]):
            g = scenarios.decode(got, actual_blobs[key]).astype(np.float64)
            w = scenarios.decode(want, BLOBS[key]).astype(np.float64)
            if ((name, entry) in INPUT_GRADIENTS
                    and np.max(np.abs(g - w)) <= ROUNDING * np.max(np.abs(w))):
                continue
            problems.append(f"{entry}: values differ, max abs diff {np.nanmax(np.abs(g - w))}")
    assert not problems, f"{name}: {len(problems)} differences:\n" + "\n".join(problems)
