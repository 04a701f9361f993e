"""The oracle's venv: dm-haiku 0.0.17 beside the very numerics stack we test on.

dm-haiku and our haiku share the import name ``haiku``, so the oracle lives in
a venv of its own, made from the registry the first time it is needed and
kept in the cache folder (``$HAIKU_ORACLE_CACHE``, else
``$XDG_CACHE_HOME/haiku-oracle``, else ``~/.cache/haiku-oracle``), outside
the repository. It gets dm-haiku 0.0.17 and, pinned to the versions this
interpreter has, every installed distribution that decides numbers or text
the tests compare (jax, jaxlib, numpy, ...): a venv per combination, so a
run on another JAX gets an oracle on that JAX.

``HAIKU_ORACLE_PYTHON`` names an interpreter to use instead (it must have
dm-haiku 0.0.17 importable).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import filelock

DM_HAIKU = "dm-haiku==0.0.17"

# Installed here, these are installed in the oracle's venv at the same
# version: they decide the values (jax, jaxlib, numpy, ml_dtypes, opt_einsum,
# scipy, jmp), what the flax and optax scenarios run (flax, optax), or the
# summary tables' text (tabulate).
PINNED = ("jax", "jaxlib", "numpy", "ml_dtypes", "opt_einsum", "scipy", "jmp", "flax", "optax",
          "tabulate")


def cache_dir() -> Path:
    """Where oracle venvs and results are kept (created if missing)."""
    explicit = os.environ.get("HAIKU_ORACLE_CACHE")
    if explicit:
        path = Path(explicit)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        path = Path(base) / "haiku-oracle"
    path.mkdir(parents=True, exist_ok=True)
    return path


def requirements(extra: Sequence[str] = ()) -> list[str]:
    """dm-haiku 0.0.17 and ``name==version`` for each :data:`PINNED` installed here.

    ``extra`` names more distributions for the venv (the test tools dm-haiku's
    own suite needs, for :mod:`haiku_oracle.compat`): pinned to the version
    installed here if there is one, else the registry's newest.
    """
    pins = [DM_HAIKU]
    for name in (*PINNED, *extra):
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            if name in extra:
                pins.append(name)
    return pins


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _create(venv: Path, pins: list[str]) -> None:
    uv = shutil.which("uv")
    if uv:
        commands = [[uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
                    [uv, "pip", "install", "--quiet", "--python", str(_venv_python(venv)), *pins]]
    else:
        commands = [[sys.executable, "-m", "venv", str(venv)],
                    [str(_venv_python(venv)), "-m", "pip", "install", "--quiet",
                     "--disable-pip-version-check", *pins]]
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(
                f"could not build the dm-haiku oracle venv in {venv}: {' '.join(command)} "
                f"exited {done.returncode}\n{done.stdout}{done.stderr}")


def _check(python: Path) -> dict[str, str]:
    """The versions the oracle's interpreter reports; fails unless it has dm-haiku 0.0.17."""
    code = ("import json, sys, haiku, jax, numpy; print(json.dumps({'dm_haiku': haiku.__version__,"
            " 'jax': jax.__version__, 'numpy': numpy.__version__, 'python': sys.version}))")
    done = subprocess.run([str(python), "-I", "-c", code], capture_output=True, text=True,
                          check=False, env=worker_environment())
    if done.returncode:
        raise RuntimeError(f"the oracle interpreter {python} cannot import dm-haiku:\n{done.stderr}")
    versions = json.loads(done.stdout)
    if versions["dm_haiku"] != "0.0.17":
        raise RuntimeError(f"{python} has dm-haiku {versions['dm_haiku']}, not 0.0.17")
    return versions


def worker_environment() -> dict[str, str]:
    """This process's environment, less what would put our packages on the oracle's path."""
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}


def oracle_python(extra: Sequence[str] = ()) -> tuple[Path, dict[str, str]]:
    """The oracle's interpreter (built on first use) and the versions it runs.

    The versions are part of every result's cache key: a result is reused
    only for the same oracle. ``extra``: see :func:`requirements` (a venv per
    set of requirements; ``HAIKU_ORACLE_PYTHON`` must then have them too).
    """
    explicit = os.environ.get("HAIKU_ORACLE_PYTHON")
    if explicit:
        return Path(explicit), _check(Path(explicit))
    pins = requirements(extra)
    digest = hashlib.sha256(json.dumps([sys.version_info[:2], pins]).encode()).hexdigest()[:16]
    venv = cache_dir() / "venvs" / f"py{sys.version_info[0]}{sys.version_info[1]}-{digest}"
    ready = venv / "haiku-oracle-ready.json"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(str(venv) + ".lock"):
        if not ready.exists():
            shutil.rmtree(venv, ignore_errors=True)  # A build that was cut short.
            _create(venv, pins)
            ready.write_text(json.dumps({"requirements": pins, **_check(_venv_python(venv))}))
    return _venv_python(venv), json.loads(ready.read_text())
