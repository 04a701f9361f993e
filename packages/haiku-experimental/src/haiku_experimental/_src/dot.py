"""``hk.to_dot`` and ``hk.experimental.abstract_to_dot``: graphviz graphs of operations.

The function is traced to a jaxpr (see :mod:`module_scopes`); every
equation becomes a node, every value flowing from one equation to another an
edge. Nodes sit in clusters, one per Haiku module method call (nested as the
calls nest) and one per named call (``jax.jit`` functions such as
``jax.nn.relu``, ``jax.named_scope``). Calls of jitted functions and of
``custom_jvp``/``custom_vjp`` functions are opened up; control flow
(``cond``, ``scan``, ``while``) stays one node.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from haiku_experimental._src import jax_compat
from haiku_experimental._src.module_scopes import TOKEN_PREFIX, Traced, split_name_stack, trace
from haiku_experimental._src.records import ArraySpec

__all__ = ["abstract_to_dot", "to_dot", "graph_of", "Graph"]

# Primitives whose sub-jaxpr is drawn in place of the equation. Those with a
# ``name`` parameter get a cluster of that name.
INLINED = frozenset({
    "pjit", "jit", "closed_call", "core_call", "custom_jvp_call", "custom_vjp_call",
    "custom_vjp_call_jaxpr", "remat", "remat2", "checkpoint", "custom_lin",
})
_TOKEN = re.compile(re.escape(TOKEN_PREFIX) + r"\d+")


@dataclasses.dataclass
class Node:
    id: str
    label: str
    kind: str  # "op", "input", "output", "const"
    scope: tuple[str, ...] = ()


@dataclasses.dataclass
class Graph:
    """Nodes, edges and clusters of a traced function."""

    nodes: list[Node]
    edges: list[tuple[str, str]]
    clusters: dict[tuple[str, ...], str]  # scope path -> label


def _spec(aval: Any) -> str:
    return repr(ArraySpec(aval.shape, aval.dtype)) if hasattr(aval, "dtype") else str(aval)


def _inlined_jaxpr(eqn: Any) -> tuple[Any, list[Any]] | None:
    """(jaxpr, consts) to draw in place of ``eqn``, if it is a call we open up."""
    if eqn.primitive.name not in INLINED:
        return None
    subs = [v for v in eqn.params.values() if isinstance(v, jax_compat.JAXPR_TYPES)]
    if len(subs) != 1:
        return None
    sub = subs[0]
    jaxpr, consts = jax_compat.open_jaxpr(sub), jax_compat.jaxpr_consts(sub)
    if len(jaxpr.invars) != len(eqn.invars) or len(jaxpr.outvars) != len(eqn.outvars):
        return None
    return jaxpr, consts


class _Builder:
    def __init__(self, traced: Traced):
        self.traced = traced
        self.nodes: list[Node] = []
        self.edges: list[tuple[str, str]] = []
        self.clusters: dict[tuple[str, ...], str] = {}
        self._count = 0

    def new_id(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}{self._count}"

    def scope_of(self, prefix: tuple[str, ...], eqn: Any) -> tuple[str, ...]:
        scope = list(prefix)
        for part in split_name_stack(eqn.source_info.name_stack):
            match = _TOKEN.search(part)
            if match:
                token = match.group(0)
                key = token
                label = self.traced.calls[token].label
            else:
                key = f"{'/'.join(scope)}|{part}"
                label = part
            scope.append(key)
            self.clusters.setdefault(tuple(scope), label)
        return tuple(scope)

    def walk(self, jaxpr: Any, env: dict[Any, str], prefix: tuple[str, ...]) -> None:
        def source(v: Any) -> str | None:
            if isinstance(v, jax_compat.Literal):
                return None
            return env.get(v)

        for eqn in jaxpr.eqns:
            scope = self.scope_of(prefix, eqn)
            inlined = _inlined_jaxpr(eqn)
            if inlined is not None:
                sub, consts = inlined
                name = eqn.params.get("name")
                inner_scope = scope
                if isinstance(name, str) and name:
                    inner_scope = scope + (self.new_id(f"call:{name}:"),)
                    self.clusters[inner_scope] = name
                inner_env: dict[Any, str] = {}
                for cv, c in zip(sub.constvars, consts):
                    inner_env[cv] = self.const_node(c, inner_scope)
                for inner, outer in zip(sub.invars, eqn.invars):
                    src = source(outer)
                    if src is not None:
                        inner_env[inner] = src
                self.walk(sub, inner_env, inner_scope)
                for inner, outer in zip(sub.outvars, eqn.outvars):
                    if not isinstance(inner, jax_compat.Literal) and inner in inner_env:
                        env[outer] = inner_env[inner]
                continue
            out_specs = ", ".join(_spec(v.aval) for v in eqn.outvars)
            node = Node(self.new_id("op"), f"{eqn.primitive.name}\n{out_specs}", "op", scope)
            self.nodes.append(node)
            for v in eqn.invars:
                src = source(v)
                if src is not None and (src, node.id) not in self.edges:
                    self.edges.append((src, node.id))
            for v in eqn.outvars:
                env[v] = node.id

    def const_node(self, value: Any, scope: tuple[str, ...]) -> str:
        node = Node(self.new_id("const"), f"const\n{_spec(value)}", "const", scope)
        self.nodes.append(node)
        return node.id


def graph_of(traced: Traced) -> Graph:
    """The :class:`Graph` of a traced function."""
    b = _Builder(traced)
    jaxpr = jax_compat.open_jaxpr(traced.jaxpr)
    env: dict[Any, str] = {}
    for v, path in zip(jaxpr.invars, traced.in_paths):
        node = Node(b.new_id("in"), f"{path}\n{_spec(v.aval)}", "input")
        b.nodes.append(node)
        env[v] = node.id
    for cv, c in zip(jaxpr.constvars, jax_compat.jaxpr_consts(traced.jaxpr)):
        env[cv] = b.const_node(c, ())
    b.walk(jaxpr, env, ())
    for v, path in zip(jaxpr.outvars, traced.out_paths):
        label = f"{path}\n{_spec(v.aval)}"
        node = Node(b.new_id("out"), label, "output")
        b.nodes.append(node)
        if isinstance(v, jax_compat.Literal):
            node.label = f"{path}\n{v.val!r}"
        elif v in env:
            b.edges.append((env[v], node.id))
    return Graph(b.nodes, b.edges, b.clusters)


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


_STYLE = {
    "op": 'shape=box, style="rounded,filled", fillcolor="#ffffff"',
    "input": 'shape=box, style=filled, fillcolor="#cfe8ff"',
    "output": 'shape=box, style=filled, fillcolor="#d7f5d0"',
    "const": 'shape=box, style=filled, fillcolor="#eeeeee"',
}


def render(graph: Graph, name: str = "G") -> str:
    """The graphviz dot source of ``graph``."""
    lines = [f"digraph {_quote(name)} {{", "  rankdir=TB;", '  node [fontname="monospace"];']
    by_scope: dict[tuple[str, ...], list[Node]] = {}
    for node in graph.nodes:
        by_scope.setdefault(node.scope, []).append(node)
    children: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for scope in graph.clusters:
        children.setdefault(scope[:-1], []).append(scope)
    cluster_ids = {scope: f"cluster_{i}" for i, scope in enumerate(graph.clusters)}

    def emit(scope: tuple[str, ...], indent: str) -> None:
        for node in by_scope.get(scope, ()):
            lines.append(f"{indent}{node.id} [label={_quote(node.label)}, {_STYLE[node.kind]}];")
        for child in children.get(scope, ()):
            lines.append(f"{indent}subgraph {cluster_ids[child]} {{")
            lines.append(f"{indent}  label={_quote(graph.clusters[child])};")
            lines.append(f'{indent}  style="rounded,filled"; fillcolor="#00000010";')
            emit(child, indent + "  ")
            lines.append(f"{indent}}}")

    emit((), "  ")
    for src, dst in graph.edges:
        lines.append(f"  {src} -> {dst};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_function(fun: Callable[..., Any], what: str) -> Callable[..., str]:
    if not callable(fun):
        raise TypeError(f"{what} expects a function, got {type(fun).__name__}: {fun!r}")

    def wrapped(*args: Any, **kwargs: Any) -> str:
        traced = trace(fun, args, kwargs)
        name = getattr(fun, "__name__", "G")
        return render(graph_of(traced), name)

    return wrapped


def to_dot(fun: Callable[..., Any]) -> Callable[..., str]:
    """Converts a function using Haiku modules to a dot graph.

    To view the resulting graph in Google Colab or an iPython notebook use the
    ``graphviz`` package (``pip install "haiku-experimental[graphviz]"``)::

      dot = hk.to_dot(f)(x)
      import graphviz
      graphviz.Source(dot)

    Each operation is a node, clustered by the Haiku module (method call) it
    runs in; inputs (named by their path in the arguments) and outputs are
    nodes too:

    >>> class Scale(hk.Module):
    ...   def __call__(self, x):
    ...     return x * hk.get_parameter("s", [], init=jnp.ones)
    >>> f = hk.transform(lambda x: jax.nn.relu(Scale()(x)))
    >>> params = f.init(None, jnp.ones([2]))
    >>> dot = hk.to_dot(f.apply)(params, None, jnp.ones([2]))
    >>> print(dot)  # doctest: +ELLIPSIS
    digraph "apply_fn" {
    ...
      subgraph cluster_0 {
        label="scale (Scale)";
    ...

    The function is traced like :func:`jax.make_jaxpr` does: the arguments
    are used for their shapes and dtypes only, and Python control flow may
    not depend on array values. Arguments that are not arrays are passed to
    ``fun`` as they are.

    Args:
      fun: A function using Haiku modules (typically the ``apply`` or
        ``init`` function of a transformed function).

    Returns:
      A function that returns the source code string to a graphviz graph
      describing the operations executed by the given function clustered by
      Haiku module.
    """
    return _dot_function(fun, "hk.to_dot")


def abstract_to_dot(fun: Callable[..., Any]) -> Callable[..., str]:
    """Converts a function using Haiku modules to a dot graph.

    Same as :func:`haiku.to_dot` but with abstract inputs: valid inputs for
    the wrapped function include :class:`jax.ShapeDtypeStruct`. Like
    :func:`haiku.to_dot` it does not support data-dependent control flow.

    >>> f = hk.transform(lambda x: hk.to_module(jnp.tanh)(name="act")(x))
    >>> x = jax.ShapeDtypeStruct((2, 3), jnp.float32)
    >>> dot = hk.experimental.abstract_to_dot(f.apply)({}, None, x)
    >>> 'label="act (ToModuleWrapper)"' in dot and 'tanh\\\\nf32[2,3]' in dot
    True

    Args:
      fun: A function using Haiku modules.

    Returns:
      A function that returns the source code string to a graphviz graph
      describing the operations executed by the given function clustered by
      Haiku module.
    """
    return _dot_function(fun, "hk.experimental.abstract_to_dot")
