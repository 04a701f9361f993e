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

from collections.abc import Mapping
from typing import Any

__all__ = ["plugin_columns", "plugin_flop_estimators"]


def _results(hook_name: str) -> list[tuple[str, Mapping[str, Any]]]:
    """``(plugin name, result)`` of every loaded plugin implementing the hook."""
    import haiku.plugins
    from haiku_experimental import hookspecs

    pm = haiku.plugins.plugin_manager()  # loads the plugins, once
    hookspecs.install(pm)
    hook = getattr(pm.hook, hook_name)
    results = []
    for impl in hook.get_hookimpls():
        value = impl.function()
        if value:
            if not isinstance(value, Mapping):
                raise TypeError(
                    f"plugin {impl.plugin_name!r}: {hook_name} must return a mapping, "
                    f"got {type(value).__name__}"
                )
            results.append((impl.plugin_name, value))
    return results


def _merge(hook_name: str, builtin: Mapping[str, Any], kind: str) -> dict[str, tuple[str, Any]]:
    merged: dict[str, tuple[str, Any]] = {}
    for plugin, value in _results(hook_name):
        for name, item in value.items():
            if name in merged:
                raise ValueError(
                    f"{kind} {name!r} is registered by plugins {merged[name][0]!r} and {plugin!r}"
                )
            merged[name] = (plugin, item)
    return merged


def plugin_columns(builtin: Mapping[str, Any]) -> dict[str, Any]:
    """Extra ``tabulate`` columns from plugins, as ``tabulate.Column`` objects."""
    from haiku_experimental._src.tabulate import Column

    columns = {}
    for name, (plugin, item) in _merge("haiku_experimental_tabulate_columns", builtin,
                                       "tabulate column").items():
        if name in builtin:
            raise ValueError(f"plugin {plugin!r} redefines the built-in tabulate column {name!r}")
        try:
            header, cell = item
        except (TypeError, ValueError) as e:
            raise TypeError(
                f"plugin {plugin!r}: tabulate column {name!r} must be (header, cell), got {item!r}"
            ) from e
        columns[name] = Column(header, _cell_text(cell))
    return columns


def _cell_text(cell: Any) -> Any:
    def text(invocation: Any, summary: Any) -> str:
        return str(cell(invocation))

    return text


def plugin_flop_estimators() -> dict[str, Any]:
    """``{primitive name: estimator}`` from plugins."""
    return {name: fn for name, (_, fn) in
            _merge("haiku_experimental_flop_estimators", {}, "flop estimator").items()}
