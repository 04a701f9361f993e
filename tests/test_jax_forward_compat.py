"""The next JAX releases do not break us: JAX's unstable API stays in jax_compat.

Checked without the new JAX, by reading the project's own Python files:

1. **JAX internals in one module per distribution.** Only a distribution's
   ``_src/jax_compat.py`` imports ``jax.extend``, ``jax.core``, ``jax._src``
   or ``jax.interpreters``: the names JAX renames, merges (``ClosedJaxpr``
   into ``Jaxpr``, JAX 0.11) or removes between releases. Each use there has
   a fallback for the other API (``packages/haiku-core/tests/test_jax_compat.py``).
2. **Nothing JAX removed.** No file uses a name JAX's changelog lists as
   removed by JAX 0.11/0.12 (:data:`REMOVED`, each with its replacement),
   enters a mesh with ``with mesh:`` (``jax.set_mesh``), or compares a
   ``PartitionSpec`` with a tuple (a ``PartitionSpec`` is no tuple). The
   jax_compat modules may name removed API as the fallback for an older JAX.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

INTERNAL = ("jax.extend", "jax.core", "jax._src", "jax.interpreters")

# Removed name -> what replaces it.
REMOVED = {
    "jax.tree_map": "jax.tree.map",
    "jax.tree_leaves": "jax.tree.leaves",
    "jax.tree_flatten": "jax.tree.flatten",
    "jax.tree_unflatten": "jax.tree.unflatten",
    "jax.tree_structure": "jax.tree.structure",
    "jax.tree_transpose": "jax.tree.transpose",
    "jax.xla_computation": "jax.jit(f).lower(...).compiler_ir()",
    "jax.experimental.pjit": "jax.jit with in_shardings/out_shardings",
    "jax.experimental.shard_map": "jax.shard_map",
    "jax.experimental.maps": "jax.sharding.Mesh and jax.jit",
    "jax.device_put_sharded": "jax.device_put with a jax.sharding.NamedSharding",
    "jax.device_put_replicated": "jax.device_put with a jax.sharding.NamedSharding",
    "jax.core.ClosedJaxpr": "jax.extend.core, inside jax_compat",
    "jax.core.Jaxpr": "jax.extend.core, inside jax_compat",
    "jax.core.JaxprEqn": "jax.extend.core, inside jax_compat",
    "jax.core.jaxpr_as_fun": "jax.extend.core, inside jax_compat",
    "jax.core.get_opaque_trace_state": "jax.extend.core, inside jax_compat",
    "jax.linear_util": "jax.extend.linear_util, inside jax_compat",
    "jax.abstract_arrays": "jax.core.ShapedArray, inside jax_compat",
}

PARTITION_SPECS = ("jax.sharding.PartitionSpec", "jax.P")


def _is_within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


class _Uses(ast.NodeVisitor):
    """The dotted JAX names a module uses, with the line of each use."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.names: list[tuple[int, str]] = []
        self.problems: list[tuple[int, str]] = []

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.names.append((node.lineno, alias.name))
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                root = alias.name.split(".")[0]
                self.aliases[root] = root

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module is None or node.level:
            return
        self.names.append((node.lineno, node.module))
        for alias in node.names:
            full = f"{node.module}.{alias.name}"
            self.names.append((node.lineno, full))
            self.aliases[alias.asname or alias.name] = full

    def dotted(self, node: ast.AST) -> str | None:
        """``jax.tree_map`` for ``jax.tree_map`` (or ``j.tree_map`` after ``import jax as j``)."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.aliases:
            return None
        return ".".join([self.aliases[node.id], *reversed(parts)])

    def visit_Attribute(self, node: ast.Attribute) -> None:
        name = self.dotted(node)
        if name is not None:
            self.names.append((node.lineno, name))
        else:
            self.generic_visit(node)

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            expr = item.context_expr
            target = expr.func if isinstance(expr, ast.Call) else expr
            name = self.dotted(target) or getattr(target, "id", "") or getattr(target, "attr", "")
            if name.rsplit(".", 1)[-1] in ("Mesh", "make_mesh") or (
                not isinstance(expr, ast.Call) and "mesh" in name.lower()
            ):
                self.problems.append(
                    (node.lineno, f"`with {ast.unparse(expr)}:` enters a mesh the removed way; "
                                  "use `with jax.set_mesh(mesh):`"))
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        sides = [node.left, *node.comparators]
        specs = [s for s in sides if isinstance(s, ast.Call) and self._is_partition_spec(s.func)]
        if specs and any(isinstance(s, ast.Tuple) for s in sides):
            self.problems.append(
                (node.lineno, f"`{ast.unparse(node)}` compares a PartitionSpec with a tuple; "
                              "compare with another PartitionSpec"))
        self.generic_visit(node)

    def _is_partition_spec(self, func: ast.AST) -> bool:
        name = self.dotted(func)
        return name is not None and any(_is_within(name, spec) for spec in PARTITION_SPECS)


def uses(source: str) -> _Uses:
    visitor = _Uses()
    visitor.visit(ast.parse(source))
    return visitor


def removed_uses(source: str) -> list[str]:
    """What ``source`` uses that JAX removed, one line each (``line: use -> fix``)."""
    found = uses(source)
    out = [f"{line}: {name} -> {REMOVED[prefix]}"
           for line, name in found.names for prefix in REMOVED if _is_within(name, prefix)]
    return sorted(set(out)) + [f"{line}: {problem}" for line, problem in found.problems]


def internal_uses(source: str) -> list[str]:
    """The JAX internals ``source`` imports or reads, one line each."""
    return sorted({f"{line}: {name}" for line, name in uses(source).names
                   if any(_is_within(name, prefix) for prefix in INTERNAL)})


def _python_files(*folders: str) -> list[Path]:
    files = []
    for folder in folders:
        for path in sorted((ROOT / folder).glob("**/*.py")):
            if not any(part.startswith(".") or part in ("build", "dist") for part in path.parts):
                files.append(path)
    return files


SHIPPED = [p for p in _python_files("packages") if "src" in p.relative_to(ROOT / "packages").parts]
EVERYTHING = _python_files("packages", "tests", "examples", "benchmarks") + [ROOT / "noxfile.py"]


def test_the_files_are_found():
    assert len(SHIPPED) > 100 and len(EVERYTHING) > len(SHIPPED)
    assert ROOT / "packages/haiku-core/src/haiku/_src/jax_compat.py" in SHIPPED


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_jax_compat_uses_jax_internals(path):
    if path.name == "jax_compat.py":
        return
    found = internal_uses(path.read_text())
    assert not found, f"{path.relative_to(ROOT)} uses JAX internals outside jax_compat: {found}"


def test_each_distribution_reading_jax_internals_has_one_jax_compat():
    with_internals = sorted({p.relative_to(ROOT).parts[1] for p in SHIPPED
                             if p.name == "jax_compat.py" and internal_uses(p.read_text())})
    assert with_internals == ["haiku-core", "haiku-experimental"]


@pytest.mark.parametrize("path", EVERYTHING, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_jax_api_removed_by_jax_0_11_or_0_12(path):
    # This file names them, as data; jax_compat and its tests name them as
    # the fallbacks for the older JAX releases we support (JAX 0.6).
    if path == Path(__file__) or path.name in ("jax_compat.py", "test_jax_compat.py"):
        return
    assert removed_uses(path.read_text()) == []


# The checks themselves find what they look for.


@pytest.mark.parametrize("source, expected", [
    ("import jax\njax.tree_map(f, x)", ["2: jax.tree_map -> jax.tree.map"]),
    ("import jax as j\ny = j.tree_leaves(x)", ["2: jax.tree_leaves -> jax.tree.leaves"]),
    ("from jax import tree_flatten", ["1: jax.tree_flatten -> jax.tree.flatten"]),
    ("from jax.experimental.shard_map import shard_map",
     ["1: jax.experimental.shard_map -> jax.shard_map",
      "1: jax.experimental.shard_map.shard_map -> jax.shard_map"]),
    ("from jax.experimental import pjit",
     ["1: jax.experimental.pjit -> jax.jit with in_shardings/out_shardings"]),
    ("import jax\njax.device_put_replicated(x, devices)",
     ["2: jax.device_put_replicated -> jax.device_put with a jax.sharding.NamedSharding"]),
    ("import jax\njax.core.ClosedJaxpr", ["2: jax.core.ClosedJaxpr -> jax.extend.core, inside "
                                           "jax_compat"]),
    ("mesh = make()\nwith mesh:\n  pass",
     ["2: `with mesh:` enters a mesh the removed way; use `with jax.set_mesh(mesh):`"]),
    ("from jax.sharding import Mesh\nwith Mesh(d, ('x',)):\n  pass",
     ["2: `with Mesh(d, ('x',)):` enters a mesh the removed way; use "
      "`with jax.set_mesh(mesh):`"]),
    ("from jax.sharding import PartitionSpec as P\nassert P('x', None) == ('x', None)",
     ["2: `P('x', None) == ('x', None)` compares a PartitionSpec with a tuple; compare with "
      "another PartitionSpec"]),
    ("import jax\njax.tree.map(f, x)\nwith jax.set_mesh(mesh):\n  pass", []),
    ("import jax\nassert jax.P('x') == jax.P('x')", []),
])
def test_removed_uses_are_found(source, expected):
    assert removed_uses(source) == expected


def test_internal_uses_are_found():
    source = ("import jax\nimport jax.extend.core as jex\nfrom jax._src import core\n"
              "jax.core.Tracer\njax.numpy.ones(3)\n")
    assert internal_uses(source) == [
        "2: jax.extend.core", "3: jax._src", "3: jax._src.core", "4: jax.core.Tracer"]
