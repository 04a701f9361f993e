"""Haiku's plugin system: how distributions add names to ``haiku``.

Every name in ``haiku`` comes from a plugin, haiku-core's own included. A
distribution announces a plugin with an entry point in the ``haiku`` group
whose value is a module of hook implementations::

    # pyproject.toml
    [project.entry-points.haiku]
    contrib = "my_pkg._plugin"

    # my_pkg/_plugin.py
    from haiku.plugins import hookimpl

    HAIKU_PLUGIN_API_VERSION = 1

    @hookimpl
    def haiku_register_exports(registry):
        registry.add("haiku.contrib", "Scale", "my_pkg._src.scale:Scale")

Once installed, ``hk.contrib.Scale``, ``import haiku.contrib`` and
``from haiku.contrib import Scale`` work; ``my_pkg._src.scale`` is imported
the first time the name is used, never by ``import haiku``.

Plugins are loaded once, on first use of any ``haiku`` namespace. Two
environment variables control autoloading (haiku-core's built-in plugin is
always loaded):

- ``HAIKU_DISABLE_PLUGIN_AUTOLOAD=1`` loads no entry-point plugin;
  :func:`register` can still add plugins by hand.
- ``HAIKU_PLUGINS=nets,rnn`` loads only the entry points with these names.

Names that a blocked, broken, incompatible or missing plugin would provide
raise an error that says why and what to do; :func:`list_plugins` shows the
status of every plugin.
"""

from haiku._src import plugin_namespace as _namespace
from haiku._src import plugin_registry as _registry
from haiku._src.plugin_errors import (
    MissingPluginError,
    PluginConflictError,
    PluginError,
    PluginHookError,
    PluginImportError,
    PluginTargetError,
)
from haiku._src.plugin_exports import ExportRegistry, exports_from
from haiku._src.plugin_hooks import call_each, merge_claims
from haiku._src.plugin_registry import PluginInfo, Status
from haiku._src.plugin_spec import (
    ALLOW_LIST_ENV,
    DISABLE_AUTOLOAD_ENV,
    ENTRY_POINT_GROUP,
    PLUGIN_API_VERSION,
    HaikuHookSpecs,
    hookimpl,
    hookspec,
)

__all__ = [
    "ALLOW_LIST_ENV",
    "DISABLE_AUTOLOAD_ENV",
    "ENTRY_POINT_GROUP",
    "PLUGIN_API_VERSION",
    "ExportRegistry",
    "HaikuHookSpecs",
    "MissingPluginError",
    "PluginConflictError",
    "PluginError",
    "PluginHookError",
    "PluginImportError",
    "PluginInfo",
    "PluginTargetError",
    "Status",
    "call_each",
    "exports_from",
    "hookimpl",
    "hookspec",
    "list_plugins",
    "merge_claims",
    "plugin_manager",
    "register",
    "unregister",
]


def __dir__() -> list[str]:
    """``__all__`` and the dunders: a walk over ``dir()`` never reaches ``haiku._src``."""
    return _namespace.module_dir(globals())


def register(plugin: object, *, name: str | None = None) -> PluginInfo:
    """Registers a plugin by hand, e.g. when autoloading is disabled.

    The plugin is registered at once: its ``haiku_register_exports`` hook
    runs and its names become available (loading the entry-point plugins
    first, if that has not happened yet).

    Args:
      plugin: A module (or any object) with hook implementations and
        ``HAIKU_PLUGIN_API_VERSION``, or the import string of one
        (``"pkg.module"`` or ``"pkg.module:attr"``).
      name: The plugin's name. Defaults to the name of the entry point that
        was blocked for this module (so registering a blocked plugin by hand
        keeps its name and distribution), else the module's name.

    Returns:
      The new plugin's :class:`PluginInfo`.

    Raises:
      PluginError: If the name is taken, the plugin is already registered, its
        ``HAIKU_PLUGIN_API_VERSION`` does not match, or its hook raises (the
        original exception is chained).

    Example:

    >>> import types
    >>> import haiku as hk
    >>> import haiku.plugins
    >>> plugin = types.ModuleType("my_plugin")
    >>> plugin.HAIKU_PLUGIN_API_VERSION = 1
    >>> @haiku.plugins.hookimpl
    ... def haiku_register_exports(registry):
    ...     registry.add("haiku.contrib_demo", "sqrt", "math:sqrt")
    >>> plugin.haiku_register_exports = haiku_register_exports
    >>> haiku.plugins.register(plugin, name="demo").status
    'loaded'
    >>> hk.contrib_demo.sqrt(9.0)
    3.0
    >>> haiku.plugins.unregister("demo")
    """
    return _registry.register(plugin, name=name)


def unregister(name: str) -> None:
    """Removes the plugin ``name`` and forgets its names.

    Works for any plugin except haiku-core's built-in ``"core"``; names it
    provided are no longer available (cached values are dropped).

    Raises:
      PluginError: If no plugin has this name, or it is ``"core"``.

    Example:

    >>> import types
    >>> import haiku as hk
    >>> import haiku.plugins
    >>> plugin = types.ModuleType("my_plugin")
    >>> plugin.HAIKU_PLUGIN_API_VERSION = 1
    >>> plugin.haiku_register_exports = haiku.plugins.hookimpl(
    ...     lambda registry: registry.add("haiku.contrib_demo", "pi", "math:pi"))
    >>> _ = haiku.plugins.register(plugin, name="demo")
    >>> hk.contrib_demo.pi
    3.141592653589793
    >>> haiku.plugins.unregister("demo")
    >>> hasattr(hk, "contrib_demo")
    False
    """
    _registry.unregister(name)


def list_plugins() -> list[PluginInfo]:
    """Every known plugin, loaded or not, with its status and error.

    haiku-core's built-in plugin comes first, then entry-point plugins sorted
    by distribution, then plugins registered by hand. Plugins that were
    blocked, failed or are incompatible are listed with ``error`` saying why.

    Example:

    >>> import haiku.plugins
    >>> core = haiku.plugins.list_plugins()[0]
    >>> core.name, core.status, core.source
    ('core', 'loaded', 'builtin')
    >>> "haiku.transform" in core.exports
    True
    """
    return _registry.list_plugins()


def plugin_manager():
    """The :class:`pluggy.PluginManager` holding every loaded plugin.

    For calling hooks beyond the exports hook, and for introspection.

    Example:

    >>> import haiku.plugins
    >>> pm = haiku.plugins.plugin_manager()
    >>> pm.project_name
    'haiku'
    >>> pm.has_plugin("core")
    True
    """
    return _registry.plugin_manager()
