"""A real multi-process run: two local processes with ``jax.distributed``, 4 CPU devices each.

Each example is started as two processes (process 0 is the coordinator, on a
free port of 127.0.0.1; CPU collectives through gloo) that train across all
8 devices for a few steps. Each example fails itself unless its sharded loss
curve equals the one-device run of the same steps (``data_parallel.py``: its
``single`` run; ``model_parallel.py``: after an orbax checkpoint saved and
restored onto another mesh by both processes); here both processes must
succeed and report the same losses. A process that hangs is killed at the
timeout, and every process is killed if one fails.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TIMEOUT_S = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_two_processes(script: str, *args: str) -> list[str]:
    """Runs ``script`` as processes 0 and 1 of a 2-process job; their outputs."""
    port = free_port()
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env.pop("XLA_FLAGS", None)  # each script sets its own device count
    procs = [
        subprocess.Popen(
            [sys.executable, str(EXAMPLES / script), "--distributed", "--cpu-devices", "4",
             "--coordinator", f"127.0.0.1:{port}", "--num-processes", "2",
             "--process-id", str(i), *args],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for i in range(2)
    ]
    outputs = []
    try:
        for proc in procs:
            out, _ = proc.communicate(timeout=TIMEOUT_S)
            outputs.append(out)
            assert proc.returncode == 0, f"{script} process failed:\n{out}"
    except subprocess.TimeoutExpired:
        pytest.fail(f"{script}: the two processes did not finish in {TIMEOUT_S}s")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()
    return outputs


def losses(output: str, run: str) -> list[str]:
    """The losses of ``run`` printed on each ``step`` line."""
    return re.findall(rf"^step +\d+ .*?\b{run} (\d+\.\d+)", output, re.MULTILINE)


def test_data_parallel_across_two_processes():
    outputs = run_two_processes("data_parallel.py", "--steps", "3", "--batch-size", "32")
    for out in outputs:
        assert "8 devices (2 process(es)): cpu" in out, out
        assert re.search(r"^loss curves agree within 0\.0001", out, re.MULTILINE), out
        assert len(losses(out, "sharded")) == 3 and len(losses(out, "single")) == 3, out
    assert losses(outputs[0], "sharded") == losses(outputs[1], "sharded")


def test_model_parallel_across_two_processes(tmp_path):
    outputs = run_two_processes(
        "model_parallel.py", "--steps", "4", "--d-model", "16", "--heads", "4", "--seq-len", "16",
        "--batch-size", "8", "--layers", "1", "--checkpoint-dir", str(tmp_path))
    for out in outputs:
        assert "8 devices (2 process(es)): cpu" in out, out
        assert "restored onto mesh {'data': 4, 'model': 2}" in out, out
        assert re.search(r"^loss curves agree within 0\.0001", out, re.MULTILINE), out
        assert len(losses(out, "sharded")) == 4, out
    assert losses(outputs[0], "sharded") == losses(outputs[1], "sharded")
