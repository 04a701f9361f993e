"""Running dm-haiku's test files, one pytest process per file, and reading the outcomes.

One process per file because several of dm-haiku's files change JAX's global
configuration (``jax_enable_x64``, ``jax_numpy_rank_promotion``, the default
PRNG) for their whole module. Outcomes come back as JUnit XML.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path

FILE_TIMEOUT_S = 900

Outcomes = dict[str, str]
"""``{"Class::test": "passed" | "failed" | "error" | "skipped"}`` of one file; a
file that could not be collected has the single entry ``"<collection>"``."""


@dataclasses.dataclass(frozen=True)
class FileRun:
    """What one pytest process reported for one file."""

    outcomes: Outcomes
    messages: dict[str, str]  # The first line of each failure or error.


def _read_junit(path: Path) -> FileRun:
    outcomes: Outcomes = {}
    messages: dict[str, str] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        test = f"{case.get('classname', '').rpartition('.')[2]}::{case.get('name')}"
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed"}.get(child.tag, child.tag)
                if outcome == "error" and not case.get("name"):
                    test = "<collection>"
                message = (child.get("message") or child.text or "").strip().splitlines()
                messages[test] = message[0][:300] if message else ""
                break
        outcomes[test] = outcome
    return FileRun(outcomes, messages)


def run_file(python: Path, root: Path, relative: str, env: Mapping[str, str],
             extra_args: Sequence[str] = ()) -> FileRun:
    """Runs ``root/relative`` with ``python -m pytest`` and returns its outcomes."""
    with tempfile.TemporaryDirectory() as scratch:
        junit = Path(scratch) / "junit.xml"
        ini = Path(scratch) / "pytest.ini"
        ini.write_text("[pytest]\n")  # Neither our repository's settings nor anyone else's.
        command = [str(python), "-m", "pytest", "-c", str(ini), "--rootdir", str(root),
                   "-p", "no:cacheprovider", "--import-mode=importlib", "-q",
                   "-o", "junit_family=xunit1", f"--junitxml={junit}", *extra_args,
                   str(root / relative)]
        try:
            done = subprocess.run(command, cwd=scratch, env=dict(env), capture_output=True,
                                  text=True, timeout=FILE_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            return FileRun({"<collection>": "error"},
                           {"<collection>": f"timed out after {FILE_TIMEOUT_S} s"})
        if not junit.exists():
            tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
            return FileRun({"<collection>": "error"},
                           {"<collection>": " / ".join(tail) or f"pytest exited {done.returncode}"})
        return _read_junit(junit)


def run_files(python: Path, root: Path, files: Sequence[str], env: Mapping[str, str],
              extra_args: Sequence[str] = (), jobs: int | None = None) -> dict[str, FileRun]:
    """:func:`run_file` for each of ``files``, ``jobs`` at a time (default: one per CPU)."""
    jobs = jobs or os.cpu_count() or 1
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = {f: pool.submit(run_file, python, root, f, env, extra_args) for f in files}
        return {f: futures[f].result() for f in files}


STANDINS = Path(__file__).with_name("standins") / "haiku_compat_standins.py"
"""The stand-ins plugin both runs load (TensorFlow, where it is not installed)."""

THEIRS_ARGS = ("-p", STANDINS.stem)
"""The pytest arguments of a run on dm-haiku."""

OURS_ARGS = (*THEIRS_ARGS, "-p", "haiku_oracle.compat.shim")
"""The pytest arguments of a run against our haiku: the shim too."""


def theirs_environment() -> dict[str, str]:
    """The oracle's environment, with the stand-ins plugin importable."""
    from haiku_oracle import environment

    return {**environment.worker_environment(), "PYTHONPATH": str(STANDINS.parent)}


def ours_environment(dm_haiku_package: Path) -> dict[str, str]:
    """This environment, the stand-ins plugin, and what the shim needs to find dm-haiku."""
    from haiku_oracle.compat import shim

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(STANDINS.parent)
    env[shim.ENV] = str(dm_haiku_package)
    return env
