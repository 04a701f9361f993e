"""Extension points that plugins fill: extra ``tabulate`` columns and flop estimators.

Both are hooks of :class:`haiku_experimental.hookspecs.ExperimentalHookSpecs`,
called on every loaded plugin each time they are needed (so a plugin
registered by hand is seen at once):

- ``haiku_experimental_tabulate_columns()`` returns ``{name: (header,
  cell)}``: ``cell(invocation)`` returns the text of the column for one
  :class:`~haiku.experimental.MethodInvocation`.
- ``haiku_experimental_flop_estimators()`` returns ``{primitive_name:
  estimator}``: ``estimator(eqn)`` returns the FLOPs of one jaxpr equation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import haiku.plugins

__all__ = ["plugin_columns", "plugin_flop_estimators"]


def _merged(hook_name: str, kind: str) -> dict[str, tuple[str, Any]]:
    """``{name: (plugin, item)}`` over the mappings every loaded plugin's hook returns."""
    hook = getattr(haiku.plugins.plugin_manager().hook, hook_name)
    claims = []
    for plugin, value in haiku.plugins.call_each(hook):
        if not isinstance(value, Mapping):
            raise TypeError(
                f"plugin {plugin!r}: {hook_name} must return a mapping, got {type(value).__name__}"
            )
        claims += [(plugin, name, item) for name, item in value.items()]
    unique, conflicts = haiku.plugins.merge_claims(claims)
    for name, found in conflicts.items():
        plugins = " and ".join(repr(plugin) for plugin, _ in found)
        raise ValueError(f"{kind} {name!r} is registered by plugins {plugins}")
    return unique


def plugin_columns(builtin: Mapping[str, Any]) -> dict[str, tuple[str, Callable[..., str]]]:
    """``{name: (header, cell)}`` of the ``tabulate`` columns plugins add.

    ``cell(invocation, summary)`` returns the cell text.
    """
    columns = {}
    for name, (plugin, item) in _merged(
        "haiku_experimental_tabulate_columns", "tabulate column"
    ).items():
        if name in builtin:
            raise ValueError(f"plugin {plugin!r} redefines the built-in tabulate column {name!r}")
        try:
            header, cell = item
        except (TypeError, ValueError) as e:
            raise TypeError(
                f"plugin {plugin!r}: tabulate column {name!r} must be (header, cell), got {item!r}"
            ) from e
        columns[name] = (header, _cell_text(cell))
    return columns


def _cell_text(cell: Any) -> Callable[..., str]:
    def text(invocation: Any, summary: Any) -> str:
        return str(cell(invocation))

    return text


def plugin_flop_estimators() -> dict[str, Any]:
    """``{primitive name: estimator}`` from plugins."""
    merged = _merged("haiku_experimental_flop_estimators", "flop estimator")
    return {name: fn for name, (_, fn) in merged.items()}
