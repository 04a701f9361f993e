"""``hk.experimental.jaxpr_info``: FLOPs, parameters and state of each module, from the jaxpr.

:func:`make_model_info` traces a function to a jaxpr (see
:mod:`module_scopes`) and folds its equations into a tree: a
:class:`Module` per Haiku module call and per named call (a ``jax.jit``
function such as ``jax.nn.relu``, a ``jax.named_scope``), holding the
:class:`Expression` of each equation. :func:`format_module` prints the tree;
:mod:`jaxpr_info_html` draws it as an interactive HTML page.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import Any, Optional

import jax.extend.core as jex

import haiku as hk
from haiku_experimental._src import flops as flops_lib
from haiku_experimental._src.module_scopes import TOKEN_PREFIX, split_name_stack, trace
from haiku_experimental._src.records import ArraySpec

__all__ = ["ComputeFlopsFn", "Expression", "Module", "format_module", "make_model_info"]

_TOKEN = re.compile(re.escape(TOKEN_PREFIX) + r"\d+")
# Calls whose body is drawn as a submodule (named after the call), and calls
# that are see-through (their body joins the enclosing module).
_NAMED_CALLS = frozenset({"pjit", "jit", "closed_call", "core_call"})
_TRANSPARENT_CALLS = frozenset({
    "custom_jvp_call", "custom_vjp_call", "custom_vjp_call_jaxpr", "remat", "remat2", "checkpoint",
})


@dataclasses.dataclass
class Expression:
    """Information about a single JAX expression (one equation of the jaxpr).

    Attributes:
      primitive: The primitive's name (``"dot_general"``), or
        ``"name_scope"`` for an expression that stands for a submodule.
      invars: The input variables, space separated (literals by value).
      outvars: The output variables, space separated.
      flops: The estimated FLOPs (of the submodule, for a ``name_scope``).
      details: ``"in f32[8,4], f32[4,3], out f32[8,3]"``.
      params: The primitive's parameters, as strings.
      submodule: The :class:`Module` this expression stands for, if any.
      first_outvar: The first output variable.
      name_stack: The names of the enclosing modules, outermost first.
    """

    primitive: str
    invars: str
    outvars: str
    flops: Optional[int] = None
    details: str = ""
    params: dict[str, str] = dataclasses.field(default_factory=dict)
    submodule: Optional[Module] = None
    first_outvar: str = ""
    name_stack: Sequence[str] = ()


@dataclasses.dataclass
class Module:
    """Information about a Haiku module (one method call), or a named call.

    Attributes:
      name: The module's name (the last part of ``module_name``:
        ``"linear_0"``), or the call's name (``"relu"``).
      flops: The estimated FLOPs of all its expressions.
      expressions: Its expressions, in order; submodules are
        ``name_scope`` expressions.
      total_param_size: The number of parameters of the module and its
        submodules.
      param_info: Their specs by name relative to the module
        (``{"./w": "f32[4,3]"}``).
      total_state_size: Likewise for state.
      state_info: Likewise for state.
    """

    name: str
    flops: Optional[int] = None
    expressions: list[Expression] = dataclasses.field(default_factory=list)
    total_param_size: int = 0
    param_info: dict[str, str] = dataclasses.field(default_factory=dict)
    total_state_size: int = 0
    state_info: dict[str, str] = dataclasses.field(default_factory=dict)


ComputeFlopsFn = Callable[[Any, Expression], int]
"""``compute_flops(eqn, expression)``: the FLOPs of one ``JaxprEqn``."""


def _spec(aval: Any) -> str:
    return repr(ArraySpec(aval.shape, aval.dtype)) if hasattr(aval, "dtype") else str(aval)


def _var_names():
    letters = "abcdefghijklmnopqrstuvwxyz"
    n = 0
    while True:
        name, k = "", n
        while True:
            name = letters[k % 26] + name
            k = k // 26 - 1
            if k < 0:
                break
        yield name
        n += 1


@dataclasses.dataclass
class _ModuleStats:
    name: str
    total_param_size: int
    param_info: dict[str, str]
    total_state_size: int
    state_info: dict[str, str]


def _relative(prefix: str, values: dict[str, Any]) -> tuple[int, dict[str, str]]:
    info, total = {}, 0
    for key in sorted(values):
        spec = ArraySpec.from_array(values[key])
        info["./" + key[len(prefix) + 1:]] = repr(spec)
        total += spec.size
    return total, info


class _Folder:
    """Folds equations into the Module tree."""

    def __init__(self, stats: dict[str, _ModuleStats], compute_flops: ComputeFlopsFn):
        self.stats = stats
        self.compute_flops = compute_flops
        self.names: dict[Any, str] = {}
        self._fresh = _var_names()

    def var(self, v: Any) -> str:
        if isinstance(v, jex.Literal):
            return f"Literal({v.val})"
        if v not in self.names:
            self.names[v] = next(self._fresh)
        return self.names[v]

    def fold(self, jaxpr: Any, root: Module, base_stack: list[tuple[str, str]]) -> None:
        # open_[i]: (scope key, Module) of the i-th open scope below root.
        open_: list[tuple[str, Module]] = []
        for eqn in jaxpr.eqns:
            scopes = self._scopes(eqn)
            common = 0
            while (common < len(open_) and common < len(scopes)
                   and open_[common][0] == scopes[common][0]):
                common += 1
            del open_[common:]
            for key, label in scopes[common:]:
                parent = open_[-1][1] if open_ else root
                module = self._new_module(key, label)
                parent.expressions.append(Expression(
                    "name_scope", "", "", submodule=module,
                    name_stack=[m.name for _, m in open_]))
                open_.append((key, module))
            target = open_[-1][1] if open_ else root
            stack = [name for _, name in base_stack] + [m.name for _, m in open_]
            self.add_eqn(eqn, target, stack)

    def _scopes(self, eqn: Any) -> list[tuple[str, str]]:
        scopes = []
        for part in split_name_stack(eqn.source_info.name_stack):
            match = _TOKEN.search(part)
            if match:
                scopes.append((match.group(0), match.group(0)))
            else:
                scopes.append((f"{len(scopes)}|{part}", part))
        return scopes

    def _new_module(self, key: str, label: str) -> Module:
        stats = self.stats.get(key)
        if stats is None:
            return Module(name=label)
        return Module(
            name=stats.name,
            total_param_size=stats.total_param_size,
            param_info=stats.param_info,
            total_state_size=stats.total_state_size,
            state_info=stats.state_info,
        )

    def add_eqn(self, eqn: Any, target: Module, stack: list[str]) -> None:
        name = eqn.primitive.name
        sub = _single_sub_jaxpr(eqn)
        if sub is not None and name in _TRANSPARENT_CALLS:
            self._alias(sub, eqn)
            self.fold(sub, target, [(n, n) for n in stack])
            self._alias_out(sub, eqn)
            return
        outvars = " ".join(self.var(v) for v in eqn.outvars)
        expression = Expression(
            primitive=name,
            invars=" ".join(self.var(v) for v in eqn.invars),
            outvars=outvars,
            details="in " + ", ".join(_spec(v.aval) for v in eqn.invars)
            + ", out " + ", ".join(_spec(v.aval) for v in eqn.outvars),
            params={k: str(v) for k, v in eqn.params.items()
                    if not isinstance(v, (jex.ClosedJaxpr, jex.Jaxpr))},
            first_outvar=self.var(eqn.outvars[0]) if eqn.outvars else "",
            name_stack=list(stack),
        )
        if sub is not None and name in _NAMED_CALLS:
            module = Module(name=str(eqn.params.get("name", name)))
            self._alias(sub, eqn)
            self.fold(sub, module, [(n, n) for n in stack] + [(module.name, module.name)])
            self._alias_out(sub, eqn)
            module.flops = _total_flops(module)
            expression.primitive = "name_scope"
            expression.submodule = module
            expression.flops = module.flops
        else:
            expression.flops = self.compute_flops(eqn, expression)
        target.expressions.append(expression)

    def _alias(self, sub: Any, eqn: Any) -> None:
        for inner, outer in zip(sub.invars, eqn.invars):
            self.names[inner] = self.var(outer)

    def _alias_out(self, sub: Any, eqn: Any) -> None:
        for inner, outer in zip(sub.outvars, eqn.outvars):
            if not isinstance(inner, jex.Literal):
                self.names[outer] = self.var(inner)


def _single_sub_jaxpr(eqn: Any) -> Any:
    subs = [v for v in eqn.params.values() if isinstance(v, (jex.ClosedJaxpr, jex.Jaxpr))]
    if len(subs) != 1:
        return None
    sub = subs[0].jaxpr if isinstance(subs[0], jex.ClosedJaxpr) else subs[0]
    if len(sub.invars) != len(eqn.invars) or len(sub.outvars) != len(eqn.outvars):
        return None
    return sub


def _total_flops(module: Module) -> Optional[int]:
    values = []
    for e in module.expressions:
        if e.submodule is not None and e.primitive == "name_scope":
            e.submodule.flops = _total_flops(e.submodule)
            e.flops = e.submodule.flops
        if e.flops is not None:
            values.append(e.flops)
    return sum(values) if values else None


def make_model_info(
    f: Callable[..., Any],
    name: Optional[str] = None,
    include_module_info: bool = True,
    compute_flops: Optional[ComputeFlopsFn] = None,
    axis_env: Optional[Sequence[tuple[Any, int]]] = None,
) -> Callable[..., Module]:
    """Creates a function that computes flop, param and state information.

    >>> class Affine(hk.Module):
    ...   def __call__(self, x):
    ...     w = hk.get_parameter("w", [x.shape[-1], 3], init=jnp.ones)
    ...     return jnp.tanh(x @ w)
    >>> f = hk.transform(lambda x: Affine()(x))
    >>> x = jnp.ones([8, 4])
    >>> params = f.init(None, x)
    >>> info = hk.experimental.jaxpr_info.make_model_info(f.apply)(params, None, x)
    >>> print(hk.experimental.jaxpr_info.format_module(info))
    apply_fn 216 flops
      affine 216 flops 12 params
        dot_general 192 flops in f32[8,4], f32[4,3], out f32[8,3]
        tanh 24 flops in f32[8,3], out f32[8,3]
    <BLANKLINE>

    Args:
      f: The function for which to compute information. Haiku modules and
        ``jax.named_call`` expressions (``jax.jit`` functions, named scopes)
        will be represented as nested Modules in the result.
      name: Optional, the name of the root expression (default: the name of
        ``f``).
      include_module_info: Whether to include parameter and state count
        information for haiku modules.
      compute_flops: Optional, a function ``(eqn, expression) -> int`` that
        returns an estimate of the number of flops required to execute an
        equation. Defaults to an estimate that counts matrix products,
        convolutions, elementwise operations and reductions, extended by
        plugins (the ``haiku_experimental_flop_estimators`` hook).
      axis_env: Sizes of pmapped axes. See docs of :func:`jax.make_jaxpr`.

    Returns:
      A wrapped version of ``f`` that when applied to example arguments
      returns a :class:`Module` representation of ``f`` for those arguments.
    """
    if not callable(f):
        raise TypeError(f"make_model_info expects a function, got {type(f).__name__}: {f!r}")
    flop_fn = compute_flops if compute_flops is not None else flops_lib.estimate_flops

    def wrapped(*args: Any, **kwargs: Any) -> Module:
        stats: dict[str, _ModuleStats] = {}
        describing = []

        def on_call(token: str, context: hk.MethodContext) -> None:
            module = context.module
            short = module.module_name.rsplit("/", 1)[-1]
            if not include_module_info:
                stats[token] = _ModuleStats(short, 0, {}, 0, {})
                return
            describing.append(True)
            try:
                params = module.params_dict()
                state = module.state_dict()
            finally:
                describing.pop()
            p_total, p_info = _relative(module.module_name, params)
            s_total, s_info = _relative(module.module_name, state)
            stats[token] = _ModuleStats(short, p_total, p_info, s_total, s_info)

        traced = trace(f, args, kwargs, axis_env=axis_env, on_call=on_call,
                       skip=lambda: bool(describing))
        root = Module(name=name if name is not None else getattr(f, "__name__", "f"))
        folder = _Folder(stats, flop_fn)
        folder.fold(traced.jaxpr.jaxpr, root, [])
        root.flops = _total_flops(root)
        return root

    return wrapped


def format_module(module: Module, depth: int = 0) -> str:
    """Recursively formats module information as a human readable string.

    One line per module (name, then its FLOPs, parameter and state counts
    where known) and per expression (primitive, FLOPs, input and output
    shapes), indented by two spaces a level; see :func:`make_model_info`.

    >>> m = hk.experimental.jaxpr_info.Module(name="root", flops=3, expressions=[
    ...     hk.experimental.jaxpr_info.Expression("add", "a b", "c", flops=3,
    ...                                           details="in f32[3], f32[3], out f32[3]")])
    >>> print(hk.experimental.jaxpr_info.format_module(m), end="")
    root 3 flops
      add 3 flops in f32[3], f32[3], out f32[3]

    Args:
      module: The module to format.
      depth: The indentation level of ``module``.

    Returns:
      The formatted tree, one line per entry, each ending in a newline.
    """
    indent = "  " * depth
    parts = [module.name]
    if module.flops is not None:
        parts.append(f"{module.flops} flops")
    if module.total_param_size:
        parts.append(f"{module.total_param_size} params")
    if module.total_state_size:
        parts.append(f"{module.total_state_size} state")
    lines = [indent + " ".join(parts) + "\n"]
    for e in module.expressions:
        if e.submodule is not None:
            lines.append(format_module(e.submodule, depth + 1))
            continue
        parts = [e.primitive]
        if e.flops is not None:
            parts.append(f"{e.flops} flops")
        if e.details:
            parts.append(e.details)
        lines.append("  " * (depth + 1) + " ".join(parts) + "\n")
    return "".join(lines)
