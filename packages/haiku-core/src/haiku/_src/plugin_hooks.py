"""Calling a hook plugin by plugin, and merging what several plugins claim.

Every extension point of haiku (exports, conformance examples,
haiku-experimental's ``tabulate`` columns and FLOP estimators) needs the same
two things, re-exported by :mod:`haiku.plugins`:

- :func:`call_each` calls each plugin's implementation of a hook and tags the
  result with its plugin, so errors and conflicts can name the plugin;
- :func:`merge_claims` merges ``(plugin, key, value)`` claims into the keys
  claimed once and the keys several claims fight over.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Any, TypeVar

from haiku._src.plugin_errors import PluginHookError

K = TypeVar("K")
V = TypeVar("V")


def call_each(
    hook: Any, /, *, plugins: Collection[str] | None = None, **kwargs: Any
) -> Iterator[tuple[str, Any]]:
    """Calls each plugin's implementation of ``hook``, yielding ``(plugin name, result)``.

    Plugins are called in registration order; a ``None`` result is skipped
    (as pluggy does). Each implementation receives the ``kwargs`` it names.

    Args:
      hook: A hook of the plugin manager, e.g.
        ``haiku.plugins.plugin_manager().hook.haiku_conformance_examples``.
      plugins: Only call the implementations of these plugin names.
      **kwargs: The hook's arguments.

    Yields:
      ``(plugin name, result)`` for each implementation that returns a value.

    Raises:
      PluginHookError: If an implementation raises (naming its plugin and
        the hook; the original error is chained), or is a hook wrapper.

    Example:

    >>> import haiku.plugins
    >>> hook = haiku.plugins.plugin_manager().hook.haiku_conformance_examples
    >>> "core" in [plugin for plugin, _ in haiku.plugins.call_each(hook)]
    False
    """
    for impl in hook.get_hookimpls():
        if plugins is not None and impl.plugin_name not in plugins:
            continue
        try:
            if impl.hookwrapper or impl.wrapper:
                raise TypeError(f"{hook.name} cannot be a hook wrapper")
            result = impl.function(*(kwargs[arg] for arg in impl.argnames))
        except Exception as err:
            raise PluginHookError(impl.plugin_name, hook.name, err) from err
        if result is not None:
            yield impl.plugin_name, result


def merge_claims(
    claims: Iterable[tuple[str, K, V]],
) -> tuple[dict[K, tuple[str, V]], dict[K, list[tuple[str, V]]]]:
    """Merges ``(plugin, key, value)`` claims, keeping their order.

    Returns:
      ``(unique, conflicts)``: ``unique[key] = (plugin, value)`` for each key
      claimed once; ``conflicts[key]`` lists every ``(plugin, value)`` of a key
      claimed more than once (by several plugins, or twice by one).

    Example:

    >>> import haiku.plugins
    >>> unique, conflicts = haiku.plugins.merge_claims(
    ...     [("a", "x", 1), ("b", "y", 2), ("c", "x", 3)])
    >>> unique, conflicts
    ({'y': ('b', 2)}, {'x': [('a', 1), ('c', 3)]})
    """
    claimed: dict[K, list[tuple[str, V]]] = {}
    for plugin, key, value in claims:
        claimed.setdefault(key, []).append((plugin, value))
    unique = {key: found[0] for key, found in claimed.items() if len(found) == 1}
    conflicts = {key: found for key, found in claimed.items() if len(found) > 1}
    return unique, conflicts
