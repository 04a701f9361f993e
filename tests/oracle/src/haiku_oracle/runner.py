"""Running scenario modules under dm-haiku on this machine, and comparing.

A scenario module is a Python file using only the public ``hk`` API (plus
jax and numpy) with a registry: a dict ``{name: function of no arguments}``
whose functions return trees of arrays, PRNG keys and JSON scalars. The
same file runs under our haiku in the test process and under dm-haiku 0.0.17
in the oracle's venv (:mod:`haiku_oracle.worker`), on the same machine, so
the two must agree bit for bit.

dm-haiku's results are kept in the cache folder under a key made of
everything that decides them: the scenario folder's Python files, this
harness's encoding, the oracle venv's versions, the environment variables
that steer XLA, JAX and OpenBLAS, and this CPU's model and features. A run
with ``XLA_FLAGS=--xla_cpu_max_isa=AVX`` or on another CPU therefore gets
results computed there. Delete the cache folder to recompute everything.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import filelock

from haiku_oracle import compare, encoding, environment

# Environment variables that change what XLA or the BLAS compute; JAX_* ones
# that only say where compiled programs are cached are left out.
_STEERING_PREFIXES = ("XLA_", "JAX_", "OPENBLAS_", "MKL_", "OMP_", "TF_CPP_")
_NOT_STEERING = ("JAX_COMPILATION_CACHE_DIR", "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS",
                 "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "TF_CPP_MIN_LOG_LEVEL")
_WORKER_TIMEOUT_S = 1800


def cpu_fingerprint() -> str:
    """This machine's CPU: architecture, and on Linux its model and feature flags."""
    parts = [platform.machine(), platform.processor()]
    try:
        with open("/proc/cpuinfo") as f:
            seen = set()
            for line in f:
                key = line.split(":", 1)[0].strip()
                if key in ("model name", "flags", "Features", "CPU part") and key not in seen:
                    seen.add(key)
                    parts.append(line.strip())
    except OSError:
        pass
    return "\n".join(parts)


def steering_environment() -> dict[str, str]:
    """The environment variables that may change the oracle's numbers."""
    return {k: v for k, v in sorted(os.environ.items())
            if k.startswith(_STEERING_PREFIXES) and k not in _NOT_STEERING}


class Oracle:
    """dm-haiku 0.0.17, run on this machine for the scenarios the tests name.

    Results are computed once per cache key (see the module docstring) and
    shared by every test process: a file lock makes the other processes of a
    ``pytest -n`` run wait for the one that computes.
    """

    def __init__(self, python: Path, versions: Mapping[str, Any], cache: Path):
        self.python = python
        self.versions = dict(versions)
        self.cache = cache
        self._memo: dict[str, dict[str, list[encoding.Entry] | str]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls) -> Oracle:
        """The oracle of :mod:`haiku_oracle.environment` (its venv built if missing)."""
        python, versions = environment.oracle_python()
        return cls(python, versions, environment.cache_dir() / "results")

    def _key(self, module_path: Path, registry: str) -> str:
        digest = hashlib.sha256()
        harness = Path(__file__).resolve().parent
        sources = [harness / "encoding.py", harness / "loading.py", harness / "worker.py",
                   *sorted(module_path.parent.glob("*.py"))]
        for source in sources:
            digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
        digest.update(json.dumps([encoding.FORMAT, module_path.name, registry, self.versions,
                                  steering_environment(), cpu_fingerprint()]).encode())
        return f"{module_path.stem}-{registry}-{digest.hexdigest()[:20]}"

    def results(self, module: ModuleType | str | Path, registry: str = "SCENARIOS"
                ) -> dict[str, list[encoding.Entry] | str]:
        """``{scenario: entries, or the traceback dm-haiku raised}`` for a registry."""
        module_path = Path(getattr(module, "__file__", module)).resolve()
        key = self._key(module_path, registry)
        with self._lock:
            if key not in self._memo:
                self._memo[key] = self._compute(module_path, registry, key)
            return self._memo[key]

    def _compute(self, module_path: Path, registry: str, key: str
                 ) -> dict[str, list[encoding.Entry] | str]:
        self.cache.mkdir(parents=True, exist_ok=True)
        path = self.cache / f"{key}.npz"
        with filelock.FileLock(str(path) + ".lock"):
            if not path.exists():
                command = [str(self.python), "-I", str(Path(__file__).with_name("worker.py")),
                           str(module_path), registry, str(path)]
                done = subprocess.run(command, capture_output=True, text=True, check=False,
                                      env=environment.worker_environment(),
                                      timeout=_WORKER_TIMEOUT_S)
                if done.returncode or not path.exists():
                    raise RuntimeError(
                        f"dm-haiku could not run {module_path.name}:{registry} (exit "
                        f"{done.returncode}):\n{done.stdout[-4000:]}{done.stderr[-8000:]}")
            return encoding.load(path)

    def theirs(self, module: ModuleType, name: str, registry: str = "SCENARIOS"
               ) -> list[encoding.Entry]:
        """dm-haiku's entries for one scenario; fails the test if dm-haiku raised."""
        results = self.results(module, registry)
        if name not in results:
            raise AssertionError(f"{name} is not a scenario of {registry} under dm-haiku; it "
                                 f"has {sorted(results)}")
        result = results[name]
        if isinstance(result, str):
            raise AssertionError(f"dm-haiku 0.0.17 raised running {name}:\n{result}")
        return result

    def assert_matches(self, module: ModuleType, name: str, registry: str = "SCENARIOS", *,
                       ulps: Mapping[str, float] | None = None) -> None:
        """Runs scenario ``name`` here and under dm-haiku; fails on any difference.

        For ``ulps`` see :func:`haiku_oracle.compare.differences`.
        """
        theirs = self.theirs(module, name, registry)
        ours = encoding.flatten(getattr(module, registry)[name]())
        problems = compare.differences(ours, theirs, ulps=ulps)
        if problems:
            raise AssertionError(f"{name}: {len(problems)} differences from dm-haiku 0.0.17:\n"
                                 + "\n".join(problems))
