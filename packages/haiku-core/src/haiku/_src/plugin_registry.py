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
import sys
import threading
import types
from typing import Any

import pluggy

from haiku._src import plugin_discovery, plugin_explain, plugin_namespace, plugin_spec
from haiku._src.plugin_errors import PluginError, PluginImportError
from haiku._src.plugin_exports import Export, ExportIndex, ExportRegistry
from haiku._version import __version__

CORE_NAME = "core"
CORE_MODULE = "haiku._src.core_plugin"

LOADED = "loaded"
BLOCKED = "blocked"
FAILED = "failed"
INCOMPATIBLE = "incompatible"


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
    """

    name: str
    distribution: str | None
    version: str | None
    module: str
    source: str
    status: str
    error: str | None = None
    exports: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()


@dataclasses.dataclass
class _Record:
    name: str
    distribution: str | None
    version: str | None
    module: str
    source: str
    status: str = FAILED
    error: str | None = None
    cause: BaseException | None = None
    registry: ExportRegistry | None = None

    def describe(self) -> str:
        origin = []
        if self.source == "builtin":
            origin.append("built into haiku-core")
        elif self.distribution:
            origin.append(f"distribution {self.distribution} {self.version or ''}")
        elif self.source == "register":
            origin.append("registered with haiku.plugins.register()")
        origin.append(f"module {self.module}")
        return f"plugin {self.name!r} ({', '.join(s.strip() for s in origin)})"

    def fail(self, status: str, error: str, cause: BaseException | None = None):
        self.status, self.error, self.cause = status, error, cause


class _State:
    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(plugin_spec.PROJECT_NAME)
        self.pm.add_hookspecs(plugin_spec.HaikuHookSpecs)
        self.records: list[_Record] = []
        self.index = ExportIndex()
        self.cached: set[tuple[str, str]] = set()
        self.aliases: set[str] = set()

    def record(self, name: str) -> _Record | None:
        for record in self.records:
            if record.name == name:
                return record
        return None

    def reindex(self) -> None:
        self.index = ExportIndex(r.registry for r in self.records if r.registry)


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
    core = _Record(CORE_NAME, "haiku-core", __version__, CORE_MODULE, "builtin")
    state.records.append(core)
    try:
        core_plugin = importlib.import_module(CORE_MODULE)
    except Exception as err:
        core.fail(FAILED, f"importing {CORE_MODULE} raised {_describe_error(err)}", err)
    else:
        _activate(state, core, core_plugin)
    # Plugins may use haiku-core's names while they load.
    state.reindex()

    policy = plugin_discovery.autoload_policy()
    for candidate in plugin_discovery.entry_points():
        if candidate.value == CORE_MODULE:
            core.distribution = candidate.distribution or core.distribution
            core.version = candidate.version or core.version
            continue
        record = _Record(
            candidate.name,
            candidate.distribution,
            candidate.version,
            candidate.value,
            "entry point",
        )
        state.records.append(record)
        blocked = policy.blocked_reason(candidate.name)
        if blocked is not None:
            record.fail(BLOCKED, blocked)
            continue
        try:
            plugin = candidate.load()
        except Exception as err:
            record.fail(FAILED, f"importing {candidate.value} raised {_describe_error(err)}", err)
            continue
        _activate(state, record, plugin)
    state.reindex()  # Once: re-indexing after each plugin redid the work every time.


def _activate(state: _State, record: _Record, plugin: object) -> None:
    """Registers ``plugin`` and runs its export hook; records any failure.

    The caller re-indexes the exports (``state.reindex()``) afterwards.
    """
    version_error = plugin_discovery.api_version_error(plugin, record.describe())
    if version_error is not None:
        record.fail(INCOMPATIBLE, version_error)
        return
    other = state.record(record.name)
    if other is not None and other is not record and other.status == LOADED:
        record.fail(
            FAILED,
            f"the name {record.name!r} is already taken by {other.describe()}",
        )
        return
    try:
        state.pm.register(plugin, name=record.name)
    except Exception as err:
        record.fail(FAILED, f"it could not be registered: {_describe_error(err)}", err)
        return
    registry = ExportRegistry(record.name)
    step = "its hooks are invalid:"
    try:
        state.pm.check_pending()
        step = "its haiku_register_exports hook raised"
        for impl in state.pm.hook.haiku_register_exports.get_hookimpls():
            if impl.plugin_name != record.name:
                continue
            if impl.hookwrapper or impl.wrapper:
                raise TypeError("haiku_register_exports cannot be a hook wrapper")
            kwargs = {"registry": registry}
            impl.function(*(kwargs[arg] for arg in impl.argnames))
    except Exception as err:
        state.pm.unregister(name=record.name)
        message = f"{step} {_describe_error(err)}"
        if "unknown hook" in str(err):
            message += (
                " (a hook that another distribution specifies, e.g. haiku-experimental's, "
                "must be marked @hookimpl(optionalhook=True): its specification is only "
                "added when that distribution is used)"
            )
        record.fail(FAILED, message, err)
        return
    record.status, record.error, record.cause = LOADED, None, None
    record.registry = registry


def _info(state: _State, record: _Record) -> PluginInfo:
    registry = record.registry
    exports = tuple(e.qualname for e in registry.exports) if registry else ()
    namespaces = tuple(d.namespace for d in registry.namespaces) if registry else ()
    conflicts = []
    for conflict in state.index.conflicts.values():
        if record.status == LOADED and record.name in conflict.plugins:
            others = ", ".join(repr(p) for p in conflict.plugins if p != record.name)
            if others:
                conflicts.append(f"{conflict.qualname} (also registered by plugin {others})")
            else:
                conflicts.append(f"{conflict.qualname} (registered twice by this plugin)")
    return PluginInfo(
        name=record.name,
        distribution=record.distribution,
        version=record.version,
        module=record.module,
        source=record.source,
        status=record.status,
        error=record.error,
        exports=exports,
        namespaces=namespaces,
        conflicts=tuple(conflicts),
    )


def list_plugins() -> list[PluginInfo]:
    state = _get_state()
    with _lock:
        return [_info(state, record) for record in state.records]


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
        module_name, _, attr = plugin.partition(":")
        target = importlib.import_module(module_name)
        for part in attr.split(".") if attr else ():
            target = getattr(target, part)
        plugin = target
    module = _plugin_module_name(plugin)
    with _lock:
        state = _get_state()
        replaces = None
        for record in state.records:
            if record.status == LOADED:
                continue
            if record.name == name or (name is None and record.module == module):
                replaces = record
                break
        if name is None:
            name = replaces.name if replaces else module
        taken = state.record(name)
        if taken is not None and taken.status == LOADED:
            raise PluginError(
                f"a haiku plugin named {name!r} is already registered: {taken.describe()}"
            )
        if state.pm.is_registered(plugin):
            raise PluginError(
                f"{plugin!r} is already registered as haiku plugin {state.pm.get_name(plugin)!r}"
            )
        record = _Record(name, None, None, module, "register")
        if replaces is not None and replaces.module == module:
            record.distribution = replaces.distribution
            record.version = replaces.version
        _activate(state, record, plugin)
        if record.status == INCOMPATIBLE:
            raise PluginError(f"cannot register: {record.error}")
        if record.status != LOADED:
            message = f"cannot register {record.describe()}: {record.error}"
            raise PluginError(message) from record.cause
        if replaces is not None:
            state.records[state.records.index(replaces)] = record
        else:
            state.records.append(record)
        _changed(state)
        return _info(state, record)


def unregister(name: str) -> None:
    with _lock:
        state = _get_state()
        if name == CORE_NAME:
            raise PluginError("haiku-core's built-in plugin 'core' cannot be unregistered")
        records = [r for r in state.records if r.name == name]
        if not records:
            raise PluginError(f"no haiku plugin named {name!r} is registered")
        if state.pm.has_plugin(name):
            state.pm.unregister(name=name)
        state.records = [r for r in state.records if r.name != name]
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
    module_name, _, attr = export.target.partition(":")
    try:
        value: Any = importlib.import_module(module_name)
        for part in attr.split(".") if attr else ():
            value = getattr(value, part)
    except Exception as err:
        raise plugin_explain.target_error(state.records, export, err) from err
    return value


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
        raise plugin_explain.conflict_error(state.records, entry)
    error = plugin_explain.missing_error(state.records, namespace, name)
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
