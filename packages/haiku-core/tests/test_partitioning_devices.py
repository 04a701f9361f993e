"""hk.experimental.partitioning on 8 host devices: real shardings, same numbers.

Runs ``partitioning_on_devices.py`` in a fresh process (the device count is
fixed when JAX starts): sharded init with per-device shard shapes, rules
equal to logical names, constrained activations and the one-device numbers,
``hk.vmap(spmd_axis_name=...)`` and ``hk.experimental.shard_map``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("partitioning_on_devices.py")


def test_partitioning_on_eight_devices():
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env["XLA_FLAGS"] = " ".join(filter(None, [
        env.get("XLA_FLAGS"), "--xla_force_host_platform_device_count=8"]))
    result = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == [
        "sharded_init", "ok", "match_rules", "ok", "constrain", "ok",
        "spmd_axis_name", "ok", "shard_map", "ok"], result.stdout + result.stderr
