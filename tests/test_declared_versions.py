"""The Python and JAX ranges are declared once and agree everywhere.

haiku-core's ``jax>=X`` is the floor; the noxfile's ``MATRIX_PYTHONS`` are
the Pythons tested (``nox -s matrix``). Every distribution's pyproject, the
README's "Supported versions" line and the cells CI runs must say the same.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTIONS = sorted((ROOT / "packages").glob("*/pyproject.toml"))


def _noxfile_constant(name: str):
    for node in ast.parse((ROOT / "noxfile.py").read_text()).body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == name:
            return ast.literal_eval(node.value)
    raise LookupError(name)


def _project(pyproject: Path) -> dict:
    return tomllib.loads(pyproject.read_text())["project"]


def _jax_requirement(pyproject: Path) -> Requirement | None:
    for requirement in map(Requirement, _project(pyproject).get("dependencies", [])):
        if requirement.name == "jax":
            return requirement
    return None


PYTHONS = _noxfile_constant("MATRIX_PYTHONS")
FLOOR = next(s.version for s in _jax_requirement(ROOT / "packages/haiku-core/pyproject.toml")
             .specifier if s.operator == ">=")


def test_the_matrix_is_every_python_from_the_declared_floor():
    assert len(DISTRIBUTIONS) == 5
    assert PYTHONS == [f"3.{minor}" for minor in range(10, 14)]
    for pyproject in [*DISTRIBUTIONS, ROOT / "pyproject.toml"]:
        assert _project(pyproject)["requires-python"] == f">={PYTHONS[0]}", pyproject


def test_every_distribution_importing_jax_declares_the_same_floor():
    for pyproject in DISTRIBUTIONS:
        sources = "\n".join(p.read_text() for p in (pyproject.parent / "src").glob("**/*.py"))
        if not re.search(r"^\s*(import jax|from jax)", sources, flags=re.M):
            continue
        requirement = _jax_requirement(pyproject)
        assert requirement is not None, f"{pyproject.parent.name} imports jax, declares none"
        assert str(requirement.specifier) == f">={FLOOR}", (pyproject, requirement)


def test_the_readme_states_the_ranges():
    readme = (ROOT / "README.md").read_text()
    assert (f"**Supported versions:** Python {PYTHONS[0]} to {PYTHONS[-1]} and JAX {FLOOR} or "
            "newer.") in readme
    assert f"tested on JAX {FLOOR} and on the newest JAX" in " ".join(readme.split())


def test_ci_runs_the_newest_jax_on_the_newest_and_oldest_python_and_the_floor_on_one():
    cells = _noxfile_constant("CI_MATRIX")
    # Every cell runs our own tests in full; only the dm-haiku parity tests
    # (run on the main JAX by the package sessions) may be left out.
    assert all(args in ([], ["-m", "not oracle"]) for args in cells.values())
    assert f"matrix-{PYTHONS[-1]}(jax='newest')" in cells
    assert f"matrix-{PYTHONS[0]}(jax='newest')" in cells
    assert any(re.fullmatch(r"matrix-3\.\d+\(jax='lowest'\)", cell) for cell in cells)
    assert all(re.fullmatch(r"matrix-(3\.\d+)\(jax='(lowest|newest)'\)", cell)
               and cell.split("-")[1].split("(")[0] in PYTHONS for cell in cells)
