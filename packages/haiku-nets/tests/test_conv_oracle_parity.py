"""Oracle parity of the convolutions: same code, same seed, same parameters and outputs.

``golden/conv_scenarios.py`` describes the cases as plain data, in groups;
``golden/make_conv_golden.py`` ran each group under dm-haiku 0.0.17 and saved
the parameters (names, creation order, shapes, dtypes, values) and every
case's output. Here the same groups run under our haiku: parameters must
match bit for bit (same initializers, fan-ins and RNG keys), outputs to
float32 rounding.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"


def _load_scenarios():
    name = "haiku_nets_conv_scenarios"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, GOLDEN_DIR / "conv_scenarios.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


scenarios = _load_scenarios()
GOLDEN = json.loads((GOLDEN_DIR / "conv_golden.json").read_text())
BLOBS = np.load(GOLDEN_DIR / "conv_golden.npz")


def test_goldens_cover_every_group():
    assert sorted(GOLDEN) == sorted(scenarios.GROUPS)
    for group, (_, cases) in scenarios.GROUPS.items():
        assert sorted(GOLDEN[group]["outs"]) == sorted(c["name"] for c in cases)


@pytest.mark.parametrize("group", list(scenarios.GROUPS))
def test_group_matches_dm_haiku(group):
    params, outs = scenarios.run_group(group)
    expected = GOLDEN[group]
    actual_meta = [
        [module, name, list(value.shape), str(value.dtype)]
        for module, values in params.items()
        for name, value in values.items()
    ]
    assert actual_meta == expected["params"]
    for module, name, _, _ in expected["params"]:
        np.testing.assert_array_equal(
            np.asarray(params[module][name], np.float32), BLOBS[f"{group}|{module}/{name}"],
            err_msg=f"{group}: {module}/{name}",
        )
    _, cases = scenarios.GROUPS[group]
    for c, out in zip(cases, outs):
        shape, dtype = expected["outs"][c["name"]]
        assert [list(out.shape), str(out.dtype)] == [shape, dtype], c["name"]
        tol = 1e-2 if dtype == "bfloat16" else 1e-5
        np.testing.assert_allclose(
            np.asarray(out, np.float32), BLOBS[f"{group}|out|{c['name']}"], rtol=tol, atol=tol,
            err_msg=c["name"],
        )
