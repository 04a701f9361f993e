"""dm-haiku 0.0.17's own test files, read from the oracle's installed wheel.

dm-haiku ships its unit tests inside its package (``haiku/_src/*_test.py``).
They import the library's private modules (``from haiku._src import base``),
which our haiku does not have under those names. This module finds them in
the oracle's venv (the one download of dm-haiku that the parity tests use
too), reads dm-haiku's public modules to learn which public name each private
one is (``haiku/__init__.py`` says ``from haiku._src.base import
get_parameter``: ``haiku._src.base.get_parameter`` is ``hk.get_parameter``),
and copies the test files into the cache with their ``haiku._src`` imports
pointed at :mod:`haiku_oracle.compat.shim`, which serves those public names
from the haiku installed here. Nothing of dm-haiku's is kept in the
repository.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import re
import subprocess
from pathlib import Path

from haiku_oracle import environment

SHIM_PACKAGE = "haiku_oracle_dm_haiku_src"
"""The package the copied tests import instead of ``haiku._src``."""

SUPPORT_MODULES = {
    "test_utils": "the helpers of dm-haiku's tests (parameterisation, transform_and_run)",
    "integration.descriptors": "the list of modules dm-haiku's integration tests run",
    "integration.common": "the base test case of dm-haiku's integration tests",
    "integration.checkpoint_utils": "how dm-haiku's checkpoint test summarises trees",
}
"""Modules of dm-haiku's ``_src`` that are part of its test suite, not of the
library: the shim runs dm-haiku's own code for them (their ``haiku._src``
imports pointed at the shim too), not our public API."""

_IMPORT = re.compile(r"^(\s*)(from|import)(\s+)haiku\._src\b", re.MULTILINE)


def locate() -> Path:
    """The folder of dm-haiku's ``haiku`` package in the oracle's venv (built if missing)."""
    python, _ = environment.oracle_python()
    done = subprocess.run([str(python), "-I", "-c", "import haiku; print(haiku.__file__)"],
                          capture_output=True, text=True, check=True,
                          env=environment.worker_environment())
    return Path(done.stdout.strip()).parent


def public_names(package: Path) -> dict[str, dict[str, str]]:
    """``{private module: {name: "public.module:name"}}`` from dm-haiku's public modules.

    Every ``from haiku._src.X import Y as Z`` of a public module ``haiku.M``
    (any ``.py`` outside ``_src`` and ``benchmarks``) says that the private
    ``haiku._src.X.Y`` is the public ``haiku.M.Z``. The first public home
    found wins, top-level ``haiku`` first.

    dm-haiku's private modules also define a namespace ``class hk`` that
    stands, by their own comment, for ``import haiku as hk``; its tests reach
    it as ``basic.hk.Module``. It is served as the public ``haiku`` (a home
    without ``:`` is a whole module).
    """
    names: dict[str, dict[str, str]] = {}
    for path in sorted((package / "_src").rglob("*.py")):
        tree = ast.parse(path.read_text())
        if any(isinstance(n, ast.ClassDef) and n.name == "hk" for n in tree.body):
            private = ".".join(path.relative_to(package / "_src").with_suffix("").parts)
            names.setdefault(private, {})["hk"] = "haiku"
    files = sorted(p for p in package.rglob("*.py")
                   if p.relative_to(package).parts[0] not in ("_src", "benchmarks"))
    files.sort(key=lambda p: len(p.relative_to(package).parts))
    for path in files:
        parts = list(path.relative_to(package).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        public = ".".join(["haiku", *parts])
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("haiku._src."):
                private = node.module.removeprefix("haiku._src.")
                for alias in node.names:
                    names.setdefault(private, {}).setdefault(
                        alias.name, f"{public}:{alias.asname or alias.name}")
    return names


def rewrite(source: str) -> str:
    """``source`` with each ``haiku._src`` import aimed at :data:`SHIM_PACKAGE`.

    Only import statements change, on their own lines, so line numbers (and
    tracebacks) stay those of dm-haiku's file.
    """
    return _IMPORT.sub(rf"\1\2\3{SHIM_PACKAGE}", source)


@dataclasses.dataclass(frozen=True)
class TestFile:
    """One test file of dm-haiku's, as the compat run sees it.

    Attributes:
      path: Relative to dm-haiku's package, e.g. ``_src/bias_test.py``.
      internals: The ``haiku._src`` names it uses that have no public home,
        as ``module.name`` (empty: the file tests public API only).
    """

    path: str
    internals: tuple[str, ...]

    @property
    def public(self) -> bool:
        return not self.internals


def _private_uses(tree: ast.AST) -> tuple[dict[str, str], set[tuple[str, str]]]:
    """The private modules a file binds (``{local name: module}``) and the names it uses."""
    bound: dict[str, str] = {}
    used: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("haiku._src"):
            parent = node.module.removeprefix("haiku._src").lstrip(".")
            for alias in node.names:
                local = alias.asname or alias.name
                if parent in ("", "nets", "flax", "integration"):
                    bound[local] = f"{parent}.{alias.name}".lstrip(".")
                else:
                    used.add((parent, alias.name))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("haiku._src."):
                    used.add((alias.name.removeprefix("haiku._src."), "*"))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in bound):
            used.add((bound[node.value.id], node.attr))
    return bound, used


def internals(source: str, names: dict[str, dict[str, str]], package: Path) -> tuple[str, ...]:
    """The private names ``source`` (or a support module it imports) uses without a public home."""
    missing: set[str] = set()
    seen: set[str] = set()
    pending = [source]
    while pending:
        tree = ast.parse(pending.pop())
        # A module named in a string (``importlib.import_module("haiku._src")``) is
        # dm-haiku's own layout, which no public API can stand in for.
        missing.update(f"{node.value} (named in a string)" for node in ast.walk(tree)
                       if isinstance(node, ast.Constant) and isinstance(node.value, str)
                       and node.value.startswith("haiku._src"))
        bound, used = _private_uses(tree)
        for module in set(bound.values()) | {m for m, _ in used}:
            if module in SUPPORT_MODULES and module not in seen:
                seen.add(module)
                pending.append(support_path(package, module).read_text())
        for module, name in used:
            if module not in SUPPORT_MODULES and name not in names.get(module, {}):
                missing.add(f"{module}.{name}")
    return tuple(sorted(missing))


def support_path(package: Path, module: str) -> Path:
    """The file of the support module ``module`` (``integration.common``) in dm-haiku."""
    return package / "_src" / Path(*module.split(".")).with_suffix(".py")


def files_digest(package: Path, files: list[Path], seed: bytes) -> str:
    """A cache key (16 hex digits) of ``seed`` and ``files`` of ``package``: names and contents."""
    digest = hashlib.sha256(seed)
    for path in files:
        digest.update(str(path.relative_to(package)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def materialise(package: Path) -> tuple[Path, list[TestFile]]:
    """Copies dm-haiku's test files, rewritten, into the cache; returns the folder and the files.

    The folder is named from a digest of dm-haiku's package and of this
    module, so another dm-haiku or another rewrite gets a fresh copy.
    """
    tests = sorted(package.rglob("*_test.py"))
    key = files_digest(package, tests, Path(__file__).read_bytes())
    root = environment.cache_dir() / "compat" / f"dm-haiku-0.0.17-{key}"
    index = root / "files.json"
    names = public_names(package)
    if not index.exists():
        files = []
        for path in tests:
            relative = path.relative_to(package)
            source = path.read_text()
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(rewrite(source))
            files.append(TestFile(str(relative), internals(source, names, package)))
        index.write_text(json.dumps([dataclasses.asdict(f) for f in files], indent=1))
    files = [TestFile(f["path"], tuple(f["internals"])) for f in json.loads(index.read_text())]
    return root, files
