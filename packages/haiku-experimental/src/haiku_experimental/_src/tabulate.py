"""``hk.experimental.tabulate``: a table of the module method calls of a function.

Each row is one :class:`~haiku.experimental.MethodInvocation` of
:func:`~haiku.experimental.eval_summary`; each column is a function of the
invocation. The table is drawn by the ``tabulate`` package.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import tabulate as tabulate_lib

from haiku_experimental._src.eval_summary import Summary, original_function, run_summary
from haiku_experimental._src.records import MethodInvocation, ModuleDetails

__all__ = ["Column", "format_bytes", "tabulate"]

DEFAULT_COLUMNS = (
    "module",
    "config",
    "owned_params",
    "input",
    "output",
    "params_size",
    "params_bytes",
)
DEFAULT_FILTERS = ("has_output",)
NO_ROWS = "No modules matching filters."


@dataclasses.dataclass(frozen=True)
class Column:
    """A column of :func:`tabulate`.

    Attributes:
      header: The column title.
      cell: Computes the cell text from a row's invocation and the
        :class:`Summary` of the whole run (whose ``params`` and ``state``
        map each module name to its own parameters, in creation order).
      align: ``"left"`` or ``"right"`` (numbers).
    """

    header: str
    cell: Callable[[MethodInvocation, Summary], str]
    align: str = "left"


def format_bytes(num_bytes: float) -> str:
    """A byte count in decimal units, two decimals.

    >>> format_bytes(60), format_bytes(942_000), format_bytes(1_066_440)
    ('60.00 B', '942.00 KB', '1.07 MB')
    """
    for unit in ("B", "KB", "MB", "GB"):
        if num_bytes < 1000:
            return f"{num_bytes:.2f} {unit}"
        num_bytes /= 1000
    return f"{num_bytes:.2f} TB"


def _describe(details: ModuleDetails) -> str:
    method = "" if details.method_name == "__call__" else f".{details.method_name}"
    return f"{details.module.module_name} ({type(details.module).__name__}{method})"


def _module_cell(inv: MethodInvocation, summary: Summary) -> str:
    lines = [_describe(inv.module_details)]
    lines += [f" └ {_describe(d)}" for d in inv.call_stack[1:]]
    return "\n".join(lines)


def _config_cell(inv: MethodInvocation, summary: Summary) -> str:
    return repr(inv.module_details.module)


def _owned_params_cell(inv: MethodInvocation, summary: Summary) -> str:
    owned = summary.params.get(inv.module_details.module.module_name, {})
    return "\n".join(f"{name}: {spec}" for name, spec in owned.items())


def _input_cell(inv: MethodInvocation, summary: Summary) -> str:
    lines = []
    if inv.args_spec:
        lines.append(", ".join(repr(a) for a in inv.args_spec))
    if inv.kwargs_spec:
        lines.append(", ".join(f"{k}={v!r}" for k, v in sorted(inv.kwargs_spec.items())))
    return "\n".join(lines)


def _output_cell(inv: MethodInvocation, summary: Summary) -> str:
    return repr(inv.output_spec)


def _params_size_cell(inv: MethodInvocation, summary: Summary) -> str:
    return f"{sum(s.size for s in inv.module_details.params.values()):,}"


def _params_bytes_cell(inv: MethodInvocation, summary: Summary) -> str:
    return format_bytes(sum(s.nbytes for s in inv.module_details.params.values()))


BUILTIN_COLUMNS: Mapping[str, Column] = {
    "module": Column("Module", _module_cell),
    "config": Column("Config", _config_cell),
    "owned_params": Column("Module params", _owned_params_cell),
    "input": Column("Input", _input_cell),
    "output": Column("Output", _output_cell),
    "params_size": Column("Param count", _params_size_cell, "right"),
    "params_bytes": Column("Param bytes", _params_bytes_cell, "right"),
}

BUILTIN_FILTERS: Mapping[str, Callable[[MethodInvocation], bool]] = {
    "has_output": lambda inv: inv.output_spec is not None,
    "has_params": lambda inv: bool(inv.module_details.params),
}


def available_columns() -> dict[str, Column]:
    """The built-in columns, then those that plugins add."""
    from haiku_experimental._src import extensions

    added = extensions.plugin_columns(BUILTIN_COLUMNS)
    return {**BUILTIN_COLUMNS, **{name: Column(*column) for name, column in added.items()}}


def _check(kind: str, requested: Sequence[str], valid: Sequence[str]) -> None:
    """Raises, in dm-haiku's words first, unless every requested name is valid.

    dm-haiku lists its built-in names; names plugins add come after, in our
    context.
    """
    invalid = [c for c in requested if c not in valid]
    if not invalid:
        return
    builtin = list(BUILTIN_COLUMNS if kind == "column" else BUILTIN_FILTERS)
    message = f"Invalid {kind}(s) {invalid}, valid {kind}s {[v for v in valid if v in builtin]}"
    context = []
    if added := [v for v in valid if v not in builtin]:
        context.append(f"plugins add the {kind}s {added}")
    if isinstance(requested, str):  # Its characters are not names.
        context.append(
            f"{kind}s must be a sequence of names, got the string {requested!r}; did you "
            f"mean ({requested!r},)?"
        )
    raise ValueError(message + (f" (tabulate: {'; '.join(context)})" if context else ""))


def tabulate(
    f: Any,
    *,
    columns: Sequence[str] | None = DEFAULT_COLUMNS,
    filters: Sequence[str] | None = DEFAULT_FILTERS,
    tabulate_kwargs: Mapping[str, Any] | None = None,
) -> Callable[..., str]:
    """Produces a summarised view of the execution of ``f``.

    Each row is a module method call (see
    :func:`~haiku.experimental.eval_summary`, which runs ``f`` abstractly):

    >>> class Affine(hk.Module):
    ...   def __init__(self, size, name=None):
    ...     super().__init__(name=name)
    ...     self.size = size
    ...   def __call__(self, x):
    ...     w = hk.get_parameter("w", [x.shape[-1], self.size], init=jnp.ones)
    ...     b = hk.get_parameter("b", [self.size], init=jnp.zeros)
    ...     return x @ w + b
    >>> f = hk.transform(lambda x: Affine(3)(x))
    >>> print(hk.experimental.tabulate(f)(jnp.ones([8, 2])))
    +-----------------+----------------+-----------------+----------+----------+---------------+---------------+
    | Module          | Config         | Module params   | Input    | Output   |   Param count |   Param bytes |
    +=================+================+=================+==========+==========+===============+===============+
    | affine (Affine) | Affine(size=3) | w: f32[2,3]     | f32[8,2] | f32[8,3] |             9 |       36.00 B |
    |                 |                | b: f32[3]       |          |          |               |               |
    +-----------------+----------------+-----------------+----------+----------+---------------+---------------+

    Possible values for ``columns``: ``module`` (module and method name, then
    the calling modules), ``config`` (the constructor arguments),
    ``owned_params`` (parameters owned directly by this module), ``input``,
    ``output``, ``params_size`` (number of parameters, submodules included),
    ``params_bytes`` (their size in bytes), and any column a plugin adds
    through the ``haiku_experimental_tabulate_columns`` hook.

    Possible values for ``filters``: ``has_output`` (only methods returning a
    value other than None) and ``has_params`` (only modules with parameters).

    Args:
      f: A function to transform OR one of the init/apply functions from
        Haiku or the result of ``hk.transform`` or ``hk.transform_with_state``.
      columns: The column names to show, in order (None: the default ones).
      filters: The filters to apply to remove certain module methods (None:
        no filter).
      tabulate_kwargs: Keyword arguments to pass to ``tabulate.tabulate(..)``
        (default ``{"tablefmt": "grid"}``).

    Returns:
      A callable that takes the same arguments as ``f`` but returns a string
      summarising the modules used during the execution of ``f``
      (``"No modules matching filters."`` if no call is left).
    """
    if columns is None:
        columns = DEFAULT_COLUMNS
    if filters is None:
        filters = ()
    if tabulate_kwargs is None:
        tabulate_kwargs = {"tablefmt": "grid"}
    known_columns = available_columns()
    _check("column", columns, list(known_columns))
    _check("filter", filters, list(BUILTIN_FILTERS))
    chosen = [known_columns[c] for c in columns]
    keep = [BUILTIN_FILTERS[name] for name in filters]
    original = original_function(f, "tabulate")
    kwargs_for_table = dict(tabulate_kwargs)

    def wrapper(*args: Any, **kwargs: Any) -> str:
        summary = run_summary(original, args, kwargs)
        invocations = [i for i in summary.invocations if all(k(i) for k in keep)]
        if not invocations:
            return NO_ROWS
        if not chosen:
            return ""
        rows = [[c.cell(inv, summary) for c in chosen] for inv in invocations]
        return tabulate_lib.tabulate(
            rows,
            headers=[c.header for c in chosen],
            colalign=[c.align for c in chosen],
            **kwargs_for_table,
        )

    return wrapper
