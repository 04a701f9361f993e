"""The README's test command, .ci/run and the noxfile name the same sessions."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_sessions() -> list[str]:
    commands = re.findall(r"^python -m pip install nox uv && nox -s ([\w ]+)$",
                          (ROOT / "README.md").read_text(), flags=re.M)
    assert len(commands) == 1, "README.md must hold exactly one test command"
    return commands[0].split()


def _ci_run_sessions() -> list[str]:
    match = re.search(r"^SESSIONS=\(([\w ]+)\)$", (ROOT / ".ci" / "run").read_text(), flags=re.M)
    assert match, ".ci/run must define SESSIONS=(...)"
    return match.group(1).split()


def _noxfile_sessions() -> tuple[list[str], set[str]]:
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    default: list[str] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and ast.unparse(node.targets[0]) == "nox.options.sessions"
        ):
            default = ast.literal_eval(node.value)
    defined = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any("nox.session" in ast.unparse(d) for d in node.decorator_list)
    }
    for node in tree.body:  # DISTRIBUTIONS = {"core": ..., ...}: one session per key
        if isinstance(node, ast.AnnAssign | ast.Assign):
            target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
            if ast.unparse(target) == "DISTRIBUTIONS" and isinstance(node.value, ast.Dict):
                defined |= {ast.literal_eval(k) for k in node.value.keys if k is not None}
    return default, defined


def test_readme_and_ci_run_agree():
    assert _readme_sessions() == _ci_run_sessions()


def test_ci_runs_every_default_session():
    default, defined = _noxfile_sessions()
    assert _ci_run_sessions() == default
    assert set(default) <= defined
