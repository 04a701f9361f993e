"""``hk.experimental.jaxpr_info``: FLOPs, parameters and state of each module, from the jaxpr.

:func:`make_model_info` traces a function to a jaxpr (see
:mod:`module_scopes`) and folds the equations its outputs depend on into a
tree: a :class:`Module` per name scope (each Haiku module call, each
``jax.named_scope``) and per call-like equation (a ``jax.jit`` function such
as ``jax.nn.relu``, ``custom_jvp``, ``scan``...), holding the
:class:`Expression` of each equation. :func:`format_module` prints the tree in
dm-haiku's text format; :mod:`jaxpr_info_html` draws it as an interactive
HTML page.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import Any, Optional


import haiku as hk
from haiku_experimental._src import jax_compat
from haiku_experimental._src.module_scopes import TOKEN_PREFIX, trace
from haiku_experimental._src.records import ArraySpec

__all__ = ["ComputeFlopsFn", "Expression", "Module", "format_module", "make_model_info"]

_TOKEN = re.compile(re.escape(TOKEN_PREFIX) + r"\d+")


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
    name_stack: Sequence[str] = dataclasses.field(default_factory=list)


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

def _call_body(eqn: Any) -> Optional[tuple[str, Any, int]]:
    """``(name, body jaxpr, how many times it runs)`` of a call-like equation, else None.

    The body of such an equation is drawn as a submodule named ``name``.
    """
    prim, params = eqn.primitive.name, eqn.params
    if prim in ("named_call", "xla_call"):
        body = (params["name"], params["call_jaxpr"], 1)
    elif prim in ("remat_call", "xla_pmap"):
        body = (f"{prim} {params['name']}", params["call_jaxpr"], 1)
    elif prim == "remat2":
        body = ("remat", params["jaxpr"], 1)
    elif prim == "while":  # The body; its cond_jaxpr is not shown.
        body = ("while", params["body_jaxpr"], 1)
    elif prim == "scan":
        length = params["length"]
        body = (f"scan length={length} unroll={params['unroll']}", params["jaxpr"], length)
    elif prim in ("jit", "pjit"):
        body = (params["name"], params["jaxpr"], 1)
    elif prim == "shard_map":
        body = ("shard_map", params["jaxpr"], params["mesh"].size)
    elif prim in ("custom_jvp_call", "custom_vjp_call"):
        body = (prim.removesuffix("_call"), params["call_jaxpr"], 1)
    elif prim in ("custom_jvp_call_jaxpr", "custom_vjp_call_jaxpr"):
        body = (prim.removesuffix("_call_jaxpr"), params["fun_jaxpr"], 1)
    else:
        return None
    name, jaxpr, times = body
    return name, jax_compat.open_jaxpr(jaxpr), times


def _var_name(index: int) -> str:
    """The name of the ``index``-th variable a jaxpr binds: a, b, ..., z, ba, bb, ..."""
    name = ""
    while not name or index:
        index, digit = divmod(index, 26)
        name = chr(ord("a") + digit) + name
    return name


def _outvar_order(name: str) -> tuple[int, str]:
    """Variables in the order JAX binds them (shorter names first), ``_`` last."""
    return (1000 if name == "_" else len(name), name)


def _live_eqns(jaxpr: Any) -> list[Any]:
    """The equations the outputs of ``jaxpr`` depend on, in order."""
    needed = {v for v in jaxpr.outvars if isinstance(v, jax_compat.Var)}
    live = []
    for eqn in reversed(jaxpr.eqns):
        if any(v in needed for v in eqn.outvars):
            live.append(eqn)
            needed.update(v for v in eqn.invars if isinstance(v, jax_compat.Var))
    return live[::-1]


def _shape(atom: Any) -> str:
    return atom.aval.str_short().replace("float", "f")


@dataclasses.dataclass
class _ModuleStats:
    total_param_size: int
    param_info: dict[str, str]
    total_state_size: int
    state_info: dict[str, str]


def _relative(path: str, values: dict[str, Any]) -> tuple[int, dict[str, str]]:
    """The total size of ``values`` and their specs by name relative to ``path``."""
    info, total = {}, 0
    for key in sorted(values):
        spec = ArraySpec.from_array(values[key])
        name = key.replace("/~/", "/")
        info["." + name[len(path):] if name.startswith(path + "/") else name] = repr(spec)
        total += spec.size
    return total, info


class _Builder:
    """Builds the :class:`Module` of a jaxpr, one per call-like equation inside it."""

    def __init__(self, compute_flops: Optional[ComputeFlopsFn], scope_names: Callable[[str], list[str]]):
        self.compute_flops = compute_flops
        self.scope_names = scope_names

    def module(self, jaxpr: Any, name: str) -> tuple[Module, Optional[int]]:
        """The module of ``jaxpr`` (its live equations grouped by name scope) and its FLOPs."""
        names = {v: _var_name(i) for i, v in enumerate([*jaxpr.constvars, *jaxpr.invars]
                                                        + [v for e in jaxpr.eqns for v in e.outvars])}
        expressions = [e for e in (self._expression(eqn, names) for eqn in _live_eqns(jaxpr))
                       if e is not None]
        total = None if self.compute_flops is None else sum(e.flops or 0 for e in expressions)
        module = Module(name=name, flops=None if total is None else 0)
        _group_by_scope(module, expressions)
        return module, total

    def _expression(self, eqn: Any, names: dict[Any, str]) -> Optional[Expression]:
        def var(atom: Any) -> str:
            if isinstance(atom, jax_compat.Literal):
                return str(atom)
            return "_" if isinstance(atom, jax_compat.DropVar) else names[atom]

        outvars = sorted((var(v) for v in eqn.outvars), key=_outvar_order)
        stack = str(eqn.source_info.name_stack)
        expression = Expression(
            primitive=eqn.primitive.name,
            invars=" ".join(var(v) for v in eqn.invars) if len(eqn.invars) < 10
            else f"{len(eqn.invars)} inputs",
            outvars=" ".join(outvars) if len(outvars) < 10
            else f"{outvars[0]}, {len(outvars) - 1} more outputs",
            first_outvar=outvars[0],
            name_stack=[n for part in stack.split("/") for n in self.scope_names(part)] if stack else [],
        )
        call = _call_body(eqn)
        if call is None:
            details = []
            if eqn.invars:
                details.append("in " + ", ".join(_shape(v) for v in eqn.invars))
            if eqn.outvars:
                details.append("out " + ", ".join(_shape(v) for v in eqn.outvars))
            expression.details = ", ".join(details)
            expression.params = {k: str(v) for k, v in eqn.params.items()}
            if self.compute_flops is not None:
                expression.flops = self.compute_flops(eqn, expression)
            return expression
        name, body, times = call
        expression.submodule, flops = self.module(body, name)
        if flops is not None:
            # The body runs `times` times; the submodule shows one run.
            expression.flops = flops * times
            if expression.flops <= 0:
                return None  # Calls that cost nothing are left out of FLOP counts.
        return expression


def _group_by_scope(module: Module, expressions: list[Expression]) -> None:
    """Adds ``expressions`` to ``module``, each inside a submodule per name scope.

    Consecutive expressions with the same scope names share the submodules;
    each module's FLOPs are the sum over the expressions inside it.
    """
    stack = [module]  # stack[i] is the module of name_stack[i - 1].
    for e in expressions:
        scopes = e.name_stack
        depth = 1
        while depth < len(stack) and depth <= len(scopes) and stack[depth].name == scopes[depth - 1]:
            depth += 1
        del stack[depth:]
        for scope in scopes[depth - 1:]:
            submodule = Module(name=scope)
            stack[-1].expressions.append(
                Expression(primitive="name_scope", invars="", outvars="", submodule=submodule))
            stack.append(submodule)
        stack[-1].expressions.append(e)
        if e.flops:
            for m in stack:
                m.flops = (m.flops or 0) + e.flops


def _add_stats(module: Module, path: str, stats: dict[str, _ModuleStats]) -> None:
    """Gives each module whose scope path is a Haiku module's name that module's counts."""
    found = stats.get(path)
    if found is not None:
        module.total_param_size, module.param_info = found.total_param_size, found.param_info
        module.total_state_size, module.state_info = found.total_state_size, found.state_info
    for e in module.expressions:
        if e.submodule is not None:
            _add_stats(e.submodule, f"{path}/{e.submodule.name}", stats)


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
    apply_fn
      affine 12 params
        dot_general in f32[8,4], f32[4,3], out f32[8,3]
        tanh in f32[8,3], out f32[8,3]
    <BLANKLINE>

    With ``compute_flops=hk.experimental.jaxpr_info.estimate_flops`` (our
    estimate, which plugins extend) each line says its FLOPs too:

    >>> info = hk.experimental.jaxpr_info.make_model_info(
    ...     f.apply, compute_flops=hk.experimental.jaxpr_info.estimate_flops)(params, None, x)
    >>> print(hk.experimental.jaxpr_info.format_module(info))
    apply_fn 216 flops
      affine 216 flops 12 params
        dot_general 192 flops in f32[8,4], f32[4,3], out f32[8,3]
        tanh 24 flops in f32[8,3], out f32[8,3]
    <BLANKLINE>

    Only the equations the outputs depend on are shown. A Haiku module call
    is a submodule named after the module (a method other than ``__call__``
    adds a submodule named after the method around it), as are JAX name
    scopes and call-like equations (``jax.jit`` functions, ``custom_jvp``,
    ``scan``, ``while``, ``remat``, ``shard_map``). Parameter and state counts
    are given to the submodules whose scope path is the module's name, so
    not to a module under a JAX transformation (``jvp(my_model)``).

    Args:
      f: The function for which to compute information. Haiku modules and
        ``jax.named_call`` expressions will be represented as nested Modules
        in the result.
      name: Optional, the name of the root expression (default: the name of
        ``f``).
      include_module_info: Whether to include parameter and state count
        information for haiku modules.
      compute_flops: Optional, a function ``(eqn, expression) -> int`` that
        returns an estimate of the number of flops required to execute an
        equation, such as :func:`estimate_flops`. Without it no FLOPs are
        counted. With it, a call-like equation costs its body's FLOPs times
        the number of times the body runs (a ``scan``'s length), and calls
        that cost nothing are left out.
      axis_env: Sizes of pmapped axes. See docs of :func:`jax.make_jaxpr`.

    Returns:
      A wrapped version of ``f`` that when applied to example arguments
      returns a :class:`Module` representation of ``f`` for those arguments.
    """
    if not callable(f):
        raise TypeError(f"make_model_info expects a function, got {type(f).__name__}: {f!r}")
    root_name: str = name or getattr(f, "__name__", None) or "f"

    def wrapped(*args: Any, **kwargs: Any) -> Module:
        stats: dict[str, _ModuleStats] = {}
        describing = []

        def on_call(token: str, context: hk.MethodContext) -> None:
            del token
            module = context.module
            describing.append(True)
            try:
                params, state = module.params_dict(), module.state_dict()
            finally:
                describing.pop()
            path = module.module_name.replace("/~/", "/")
            stats[path] = _ModuleStats(*_relative(path, params), *_relative(path, state))

        traced = trace(f, args, kwargs, axis_env=axis_env,
                       on_call=on_call if include_module_info else None,
                       skip=lambda: bool(describing))

        def scope_names(part: str) -> list[str]:
            # Haiku names a module's scope after the module, inside a scope
            # named after the method for methods other than __call__; a JAX
            # transformation wraps the outer one: "jvp(encode)/enc".
            match = _TOKEN.search(part)
            if match is None:
                return [part]
            call = traced.calls[match.group(0)]
            local = call.module.module_name.rsplit("/", 1)[-1]
            if call.method_name == "__call__":
                return [_TOKEN.sub(local, part)]
            return [_TOKEN.sub(call.method_name, part), local]

        builder = _Builder(compute_flops, scope_names)
        root, _ = builder.module(jax_compat.open_jaxpr(traced.jaxpr), root_name)
        for e in root.expressions:
            if e.submodule is not None:
                _add_stats(e.submodule, e.submodule.name, stats)
        return root

    return wrapped


_DECIMAL_PREFIXES = (("E", 18), ("P", 15), ("T", 12), ("G", 9), ("M", 6), ("k", 3))


def _count(n: int, unit: str) -> str:
    """``"4.624 kparams"``: four significant digits and a decimal prefix above 1000."""
    for prefix, exponent in _DECIMAL_PREFIXES:
        if n > 10**exponent:
            return f"{n / 10**exponent:.4g} {prefix}{unit}"
    return f"{n} {unit}"


def format_module(module: Module, depth: int = 0) -> str:
    """Recursively formats module information as a human readable string.

    One line per module (name, then its FLOPs, parameter and state counts
    where known) and per expression (primitive, FLOPs, input and output
    shapes), indented by two spaces a level; counts above 1000 get a decimal
    prefix (``4.624 kparams``, ``9.454 Mflops``). See :func:`make_model_info`.

    >>> m = hk.experimental.jaxpr_info.Module(name="root", flops=3, expressions=[
    ...     hk.experimental.jaxpr_info.Expression("add", "a b", "c", flops=3,
    ...                                           details="in f32[3], f32[3], out f32[3]")],
    ...     total_param_size=4624)
    >>> print(hk.experimental.jaxpr_info.format_module(m), end="")
    root 3 flops 4.624 kparams
      add 3 flops in f32[3], f32[3], out f32[3]

    Args:
      module: The module to format.
      depth: The indentation level of ``module``.

    Returns:
      The formatted tree, one line per entry, each ending in a newline.
    """
    header = "  " * depth + module.name
    if module.flops is not None:
        header += " " + _count(module.flops, "flops")
    if module.total_param_size > 0:
        header += " " + _count(module.total_param_size, "params")
    if module.total_state_size > 0:
        header += " " + _count(module.total_state_size, "state")
    lines = [header + "\n"]
    for e in module.expressions:
        if e.submodule is not None:
            lines.append(format_module(e.submodule, depth + 1))
            continue
        line = "  " * (depth + 1) + e.primitive
        if e.flops is not None:
            line += " " + _count(e.flops, "flops")
        lines.append(f"{line} {e.details}\n")
    return "".join(lines)
