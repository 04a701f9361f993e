"""Start-up stays small: each step imports only what it needs (every plugin installed).

Checked in fresh interpreters, by the modules each step leaves in
``sys.modules``: ``import haiku`` imports no plugin; the first ``hk.transform``
registers the plugins (their small ``_plugin`` modules) but imports none of
their layers; a name of one plugin imports that plugin's code and no other.
``benchmarks/import_time.py`` measures the milliseconds.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("jax.extend", "flax", "tabulate", "haiku_nets._src", "haiku_rnn._src",
         "haiku_flax._src", "haiku_experimental._src")


def _loaded_after(code: str) -> set[str]:
    """Which of ``HEAVY`` (or their submodules) are imported after ``code``."""
    program = (
        "import sys, json, jax\n"
        f"{code}\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps(sorted({h for h in heavy for m in sys.modules "
        "if m == h or m.startswith(h + '.')})))\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            check=True)
    return set(json.loads(result.stdout))


@pytest.mark.parametrize("code, expected", [
    ("import haiku as hk", set()),
    ("import haiku as hk\nhk.transform", set()),
    ("import haiku as hk\nimport jax.numpy as jnp\n"
     "hk.transform(lambda x: hk.get_parameter('w', [], init=jnp.ones) * x).init(None, 1.0)",
     set()),
    ("import haiku as hk\nhk.Linear", {"haiku_nets._src"}),
    ("import haiku as hk\nhk.LSTM", {"haiku_rnn._src"}),
    ("import haiku as hk\nhk.experimental.tabulate", {"haiku_experimental._src", "tabulate"}),
])
def test_each_step_imports_only_what_it_uses(code, expected):
    assert _loaded_after(code) == expected
