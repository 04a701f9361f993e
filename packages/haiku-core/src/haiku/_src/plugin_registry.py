"""The plugin registry: loads plugins once, resolves lazy names, tracks status.

State is built on first use (``hk.anything``, ``import haiku.nets``,
``dir(hk)``, ``haiku.plugins.list_plugins()``), under a lock, exactly once:

1. haiku-core's built-in plugin (:mod:`haiku._src.core_plugin`) is always
   registered first, through the same hook as every other plugin.
2. Every entry point of the ``haiku`` group is then loaded, unless
   ``HAIKU_DISABLE_PLUGIN_AUTOLOAD`` or ``HAIKU_PLUGINS`` blocks it. A plugin
   whose import or hook raises, or whose ``HAIKU_PLUGIN_API_VERSION`` does not
   match, is recorded with its error and skipped; the others still load.

Each plugin only records import strings; a target is imported the first time
its name is used, then cached on the namespace module.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.machinery
import pkgutil
import sys
import threading
import types
from typing import Any, Literal

import pluggy

from haiku._src import plugin_discovery, plugin_explain, plugin_namespace, plugin_spec
from haiku._src.plugin_errors import PluginError, PluginHookError, PluginImportError
from haiku._src.plugin_exports import Export, ExportIndex, ExportRegistry
from haiku._src.plugin_hooks import call_each
from haiku._version import __version__

CORE_NAME = "core"
CORE_MODULE = "haiku._src.core_plugin"

#: The ``status`` of a :class:`haiku.plugins.PluginInfo`: what became of the plugin
#: (loaded, blocked, failed to load, or written for another plugin API version).
Status = Literal["loaded", "blocked", "failed", "incompatible"]
Source = Literal["builtin", "entry point", "register"]


@dataclasses.dataclass(frozen=True)
class PluginInfo:
    """What :func:`haiku.plugins.list_plugins` reports about one plugin.

    Attributes:
      name: The plugin's name: its entry-point name, ``"core"`` for
        haiku-core, or the name given to :func:`haiku.plugins.register`.
      distribution: The distribution that declares the entry point
        (normalised, e.g. ``"haiku-nets"``), or None.
      version: That distribution's version, or None.
      module: The plugin module (the entry point's value).
      source: ``"builtin"``, ``"entry point"`` or ``"register"``.
      status: ``"loaded"``; ``"blocked"`` (by ``HAIKU_DISABLE_PLUGIN_AUTOLOAD``
        or ``HAIKU_PLUGINS``); ``"failed"`` (its import or hook raised); or
        ``"incompatible"`` (its ``HAIKU_PLUGIN_API_VERSION`` does not match).
      error: Why it is not loaded, or None when it is.
      exports: The qualified names it registers, e.g. ``"haiku.nets.MLP"``.
      namespaces: The namespaces it declares with ``add_namespace``.
      conflicts: Names it registers that another plugin registers too, e.g.
        ``"haiku.Linear (also registered by plugin 'other')"``; using one
        raises :class:`haiku.plugins.PluginConflictError`.
      cause: The exception behind ``error``, if there is one.
    """

    name: str
    distribution: str | None
    version: str | None
    module: str
    source: Source
    status: Status = "failed"
    error: str | None = None
    exports: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    cause: BaseException | None = dataclasses.field(default=None, repr=False, compare=False)

    def describe(self) -> str:
        """How messages name the plugin: ``plugin 'nets' (distribution haiku-nets 1.0, module ...)``."""
        origin = []
        if self.source == "builtin":
            origin.append("built into haiku-core")
        elif self.distribution:
            origin.append(f"distribution {self.distribution} {self.version or ''}")
        elif self.source == "register":
            origin.append("registered with haiku.plugins.register()")
        origin.append(f"module {self.module}")
        return f"plugin {self.name!r} ({', '.join(s.strip() for s in origin)})"

    def failed(self, status: Status, error: str, cause: BaseException | None = None) -> PluginInfo:
        """This plugin, not loaded for ``error``."""
        return dataclasses.replace(
            self, status=status, error=error, cause=cause, exports=(), namespaces=()
        )


class _State:
    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(plugin_spec.PROJECT_NAME)
        self.pm.add_hookspecs(plugin_spec.HaikuHookSpecs)
        # Historic: each plugin's specifications are added as it registers.
        self.pm.hook.haiku_add_hookspecs.call_historic(kwargs={"plugin_manager": self.pm})
        self.plugins: list[PluginInfo] = []
        self.registries: dict[str, ExportRegistry] = {}  # of the loaded plugins
        self.index = ExportIndex()
        self.cached: set[tuple[str, str]] = set()
        self.aliases: set[str] = set()

    def find(self, name: str) -> PluginInfo | None:
        """The plugin called ``name``: the loaded one if several were found."""
        return plugin_explain.find_record(self.plugins, name)

    def replace(self, old: PluginInfo, new: PluginInfo) -> None:
        self.plugins[self.plugins.index(old)] = new

    def reindex(self) -> None:
        loaded = (info.name for info in self.plugins if info.status == "loaded")
        self.index = ExportIndex(self.registries[name] for name in loaded)


_lock = threading.RLock()
_state: _State | None = None
_loading: _State | None = None


def _get_state() -> _State:
    global _state, _loading
    state = _state
    if state is not None:
        return state
    with _lock:
        if _state is not None:
            return _state
        if _loading is not None:
            # A plugin being loaded uses haiku on this thread; other threads
            # wait on the lock until loading is complete.
            return _loading
        _loading = _State()
        try:
            _load(_loading)
            _state = _loading
        finally:
            _loading = None
        return _state


def _describe_error(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


def _load(state: _State) -> None:
    core = PluginInfo(CORE_NAME, "haiku-core", __version__, CORE_MODULE, "builtin")
    try:
        core_plugin = importlib.import_module(CORE_MODULE)
    except Exception as err:
        state.plugins.append(
            core.failed("failed", f"importing {CORE_MODULE} raised {_describe_error(err)}", err)
        )
    else:
        state.plugins.append(_activate(state, core, core_plugin))
    # Plugins may use haiku-core's names while they load.
    state.reindex()

    policy = plugin_discovery.autoload_policy()
    for candidate in plugin_discovery.entry_points():
        if candidate.value == CORE_MODULE:
            state.plugins[0] = dataclasses.replace(
                state.plugins[0],
                distribution=candidate.distribution or core.distribution,
                version=candidate.version or core.version,
            )
            continue
        info = PluginInfo(
            candidate.name, candidate.distribution, candidate.version, candidate.value, "entry point"
        )
        blocked = policy.blocked_reason(candidate.name)
        if blocked is not None:
            state.pm.set_blocked(candidate.name)
            state.plugins.append(info.failed("blocked", blocked))
            continue
        try:
            plugin = candidate.load()
        except Exception as err:
            message = f"importing {candidate.value} raised {_describe_error(err)}"
            state.plugins.append(info.failed("failed", message, err))
            continue
        state.plugins.append(_activate(state, info, plugin))
    for name, error in _reject_unspecified_hooks(state).items():
        found = state.find(name)
        if found is not None:
            state.replace(found, found.failed("failed", error))
    state.reindex()  # Once: re-indexing after each plugin redid the work every time.


def _activate(state: _State, info: PluginInfo, plugin: object) -> PluginInfo:
    """Registers ``plugin`` and runs its export hook; returns its new info.

    The caller checks pending hooks and re-indexes the exports afterwards.
    """
    version_error = plugin_discovery.api_version_error(plugin, info.describe())
    if version_error is not None:
        return info.failed("incompatible", version_error)
    other = state.find(info.name)
    if other is not None and other.status == "loaded":
        return info.failed("failed", f"the name {info.name!r} is already taken by {other.describe()}")
    state.pm.unblock(info.name)  # registering a blocked plugin by hand
    try:
        state.pm.register(plugin, name=info.name)
    except Exception as err:
        return info.failed("failed", f"it could not be registered: {_describe_error(err)}", err)
    registry = ExportRegistry(info.name)
    try:
        for _ in call_each(
            state.pm.hook.haiku_register_exports, plugins=(info.name,), registry=registry
        ):
            pass
    except PluginHookError as err:
        state.pm.unregister(name=info.name)
        return info.failed("failed", err.reason, err.__cause__)
    state.registries[info.name] = registry
    return dataclasses.replace(
        info,
        status="loaded",
        error=None,
        cause=None,
        exports=tuple(e.qualname for e in registry.exports),
        namespaces=tuple(d.namespace for d in registry.namespaces),
    )


def _reject_unspecified_hooks(state: _State) -> dict[str, str]:
    """Unregisters each plugin implementing a hook no plugin specifies; says why.

    Run once after plugins load (and after each hand registration): a
    plugin's specifications arrive through ``haiku_add_hookspecs`` when it
    registers, so only then is every specification known.

    Returns:
      ``{plugin name: why it failed}``.
    """
    unknown: dict[str, list[str]] = {}
    for hook_name, hook in vars(state.pm.hook).items():
        if hook_name.startswith("_") or hook.has_spec():
            continue
        for impl in hook.get_hookimpls():
            if not impl.optionalhook:
                unknown.setdefault(impl.plugin_name, []).append(repr(hook_name))
    for name in unknown:
        state.pm.unregister(name=name)
        state.registries.pop(name, None)
    state.pm.check_pending()
    return {
        name: (
            f"it implements {', '.join(hooks)}, a hook that no loaded plugin specifies: "
            "install (and load) the distribution that specifies it, or mark the "
            "implementation @hookimpl(optionalhook=True) if that distribution is optional"
        )
        for name, hooks in unknown.items()
    }


def _with_conflicts(state: _State, info: PluginInfo) -> PluginInfo:
    if info.status != "loaded":
        return info
    conflicts = []
    for conflict in state.index.conflicts.values():
        if info.name in conflict.plugins:
            others = ", ".join(repr(p) for p in conflict.plugins if p != info.name)
            if others:
                conflicts.append(f"{conflict.qualname} (also registered by plugin {others})")
            else:
                conflicts.append(f"{conflict.qualname} (registered twice by this plugin)")
    return dataclasses.replace(info, conflicts=tuple(conflicts))


def list_plugins() -> list[PluginInfo]:
    state = _get_state()
    with _lock:
        return [_with_conflicts(state, info) for info in state.plugins]


def plugin_manager() -> pluggy.PluginManager:
    return _get_state().pm


def _plugin_module_name(plugin: object) -> str:
    """What a registered plugin is called in messages: its module or class."""
    if isinstance(plugin, types.ModuleType):
        return plugin.__name__
    cls = plugin if isinstance(plugin, type) else type(plugin)
    return f"{cls.__module__}.{cls.__qualname__}"


def register(plugin: object, *, name: str | None = None) -> PluginInfo:
    if isinstance(plugin, str):
        plugin = pkgutil.resolve_name(plugin)
    module = _plugin_module_name(plugin)
    with _lock:
        state = _get_state()
        replaces = None
        for known in state.plugins:
            if known.status == "loaded":
                continue
            if known.name == name or (name is None and known.module == module):
                replaces = known
                break
        if name is None:
            name = replaces.name if replaces else module
        taken = state.find(name)
        if taken is not None and taken.status == "loaded":
            raise PluginError(
                f"a haiku plugin named {name!r} is already registered: {taken.describe()}"
            )
        if state.pm.is_registered(plugin):
            raise PluginError(
                f"{plugin!r} is already registered as haiku plugin {state.pm.get_name(plugin)!r}"
            )
        info = PluginInfo(name, None, None, module, "register")
        if replaces is not None and replaces.module == module:
            info = dataclasses.replace(
                info, distribution=replaces.distribution, version=replaces.version
            )
        info = _activate(state, info, plugin)
        if info.status == "loaded":
            error = _reject_unspecified_hooks(state).get(info.name)
            if error is not None:
                info = info.failed("failed", error)
        if info.status == "incompatible":
            raise PluginError(f"cannot register: {info.error}")
        if info.status != "loaded":
            message = f"cannot register {info.describe()}: {info.error}"
            raise PluginError(message) from info.cause
        if replaces is not None:
            state.replace(replaces, info)
        else:
            state.plugins.append(info)
        _changed(state)
        return _with_conflicts(state, info)


def unregister(name: str) -> None:
    with _lock:
        state = _get_state()
        if name == CORE_NAME:
            raise PluginError("haiku-core's built-in plugin 'core' cannot be unregistered")
        if state.find(name) is None:
            raise PluginError(f"no haiku plugin named {name!r} is registered")
        if state.pm.has_plugin(name):
            state.pm.unregister(name=name)
        state.pm.unblock(name)
        state.registries.pop(name, None)
        state.plugins = [info for info in state.plugins if info.name != name]
        _changed(state)


def _changed(state: _State) -> None:
    """Re-indexes, and forgets cached resolutions, after plugins changed."""
    state.reindex()
    _drop_caches(state, keep=state.index)


def _drop_caches(state: _State, keep: ExportIndex | None) -> None:
    for namespace, name in state.cached:
        module = sys.modules.get(namespace)
        if module is not None and name in module.__dict__:
            delattr(module, name)
    state.cached.clear()
    for qualname in state.aliases:
        sys.modules.pop(qualname, None)
    state.aliases.clear()
    for qualname, module in list(sys.modules.items()):
        if not isinstance(module, plugin_namespace.Namespace):
            continue
        if keep is not None and keep.lookup(*qualname.rsplit(".", 1))[0] == "namespace":
            continue
        del sys.modules[qualname]
        parent_name, _, child = qualname.rpartition(".")
        parent = sys.modules.get(parent_name)
        if parent is not None and parent.__dict__.get(child) is module:
            delattr(parent, child)


def reset() -> None:
    """Forgets all plugins, namespaces and cached names (for tests).

    The next use of haiku loads plugins again, reading the environment anew.
    """
    global _state
    with _lock:
        if _state is not None:
            _drop_caches(_state, keep=None)
        _state = None


def _import_target(state: _State, export: Export) -> Any:
    try:
        return pkgutil.resolve_name(export.target)
    except Exception as err:
        raise plugin_explain.target_error(state.plugins, export, err) from err


def resolve(namespace: str, name: str) -> Any:
    """The value of ``namespace.name``: imported, cached, or an explained error."""
    state = _get_state()
    kind, entry = state.index.lookup(namespace, name)
    if kind == "namespace":
        return importlib.import_module(f"{namespace}.{name}")
    if kind == "export":
        value = _import_target(state, entry)
        module = sys.modules.get(namespace)
        if module is not None:
            setattr(module, name, value)
            state.cached.add((namespace, name))
        return value
    if kind == "conflict":
        raise plugin_explain.conflict_error(state.plugins, entry)
    error = plugin_explain.missing_error(state.plugins, namespace, name)
    if error is None:
        error = AttributeError(
            f"module {namespace!r} has no attribute {name!r}",
            name=name,
            obj=sys.modules.get(namespace),
        )
    raise error


def names(namespace: str) -> list[str]:
    """The names ``namespace`` provides (exports and child namespaces)."""
    return _get_state().index.names(namespace)


def find_spec(namespace: str, name: str) -> importlib.machinery.ModuleSpec | None:
    """The import-system view of ``namespace.name`` (see plugin_namespace)."""
    state = _get_state()
    qualname = f"{namespace}.{name}"
    kind, doc = state.index.lookup(namespace, name)
    if kind == "namespace":
        namespace_loader = plugin_namespace.NamespaceLoader(doc)
        return importlib.machinery.ModuleSpec(qualname, namespace_loader, is_package=True)
    try:
        value = resolve(namespace, name)
    except PluginError as err:
        package = None
        if isinstance(err.__cause__, ModuleNotFoundError):
            package = err.__cause__.name
        error = PluginImportError(str(err), name=package)
        raise error from err.__cause__
    except AttributeError:
        return None
    if not isinstance(value, types.ModuleType):
        return None
    state.aliases.add(qualname)
    loader = plugin_namespace.AliasLoader(value)
    return importlib.machinery.ModuleSpec(qualname, loader, is_package=hasattr(value, "__path__"))
