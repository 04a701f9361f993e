"""Error messages that say why a haiku name is unavailable and what to do.

Each function returns an exception (with ``__cause__`` set where there is an
underlying error) for the registry to raise. ``records`` are the registry's
:class:`~haiku.plugins.PluginInfo` objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from haiku._src import plugin_official_names as official
from haiku._src.plugin_errors import (
    MissingPluginError,
    PluginConflictError,
    PluginTargetError,
    display,
)
from haiku._src.plugin_exports import Conflict, Export
from haiku._src.plugin_spec import ALLOW_LIST_ENV

_LOADED = "loaded"
_WHY = {"blocked": "was not loaded", "failed": "failed to load"}


def _status(record: Any) -> str:
    """``plugin 'x' (...) failed to load: <error>``."""
    why = _WHY.get(record.status, f"is {record.status}")
    return f"{record.describe()} {why}: {record.error}"


def _with_cause(error: BaseException, cause: BaseException | None) -> BaseException:
    if cause is not None:
        error.__cause__ = cause
    return error


def find_record(records: Sequence[Any], name: str) -> Any:
    """The plugin called ``name``: the loaded one if several were found, else None."""
    found = [record for record in records if record.name == name]
    return next((r for r in found if r.status == _LOADED), found[0] if found else None)


def _describe(records: Sequence[Any], plugin: str) -> str:
    record = find_record(records, plugin)
    return record.describe() if record is not None else f"plugin {plugin!r}"


def _from_distribution(record: Any, dist: official.Distribution) -> bool:
    if record.distribution is not None:
        return official.normalise(record.distribution) == dist.name
    return record.module.split(".")[0] == dist.package


def missing_error(records: Sequence[Any], namespace: str, name: str) -> BaseException | None:
    """Why ``namespace.name`` is not registered, or None for a plain miss."""
    qualname = f"{namespace}.{name}"
    dist = official.provider(qualname)
    if dist is not None:
        return _missing_official(records, qualname, name, dist)
    unloaded = [r for r in records if r.status != _LOADED]
    if not unloaded:
        return None
    lines = [
        f"module {namespace!r} has no attribute {name!r}; a haiku plugin that "
        "is not loaded may provide it:"
    ]
    lines += [f"  - {_status(r)}" for r in unloaded]
    lines.append("See haiku.plugins.list_plugins().")
    cause = next((r.cause for r in unloaded if r.cause is not None), None)
    return _with_cause(MissingPluginError("\n".join(lines), name=name), cause)


def _missing_official(
    records: Sequence[Any], qualname: str, name: str, dist: official.Distribution
) -> BaseException:
    shown = display(qualname)
    if dist is official.CORE:
        core = find_record(records, "core")
        if core is not None and core.status != _LOADED:
            message = f"{shown} is provided by haiku-core, but its {_status(core)}"
            return _with_cause(MissingPluginError(message, name=name), core.cause)
        from haiku._version import __version__

        message = (
            f"{shown} is part of the haiku API provided by haiku-core, but "
            f"haiku-core {__version__} does not implement it yet; it will be "
            f"available in a later release ({dist.upgrade})"
        )
        return MissingPluginError(message, name=name)

    mine = [r for r in records if _from_distribution(r, dist)]
    if not mine:
        message = f"{shown} is provided by the {dist.name} distribution: {dist.install}"
        return MissingPluginError(message, name=name)
    for record in mine:
        if record.status != _LOADED:
            message = (
                f"{shown} is provided by the {dist.name} distribution, but its {_status(record)}"
            )
            return _with_cause(MissingPluginError(message, name=name), record.cause)
    version = mine[0].version
    installed = f"{dist.name} {version}" if version else dist.name
    message = (
        f"{shown} is provided by the {dist.name} distribution, but the "
        f"installed {installed} does not register it: {dist.upgrade}"
    )
    return MissingPluginError(message, name=name)


def conflict_error(records: Sequence[Any], conflict: Conflict) -> BaseException:
    """Two or more plugins registered ``conflict.qualname``."""
    claims = [
        f"{_describe(records, plugin)} registers it as {what}" for plugin, what in conflict.claims
    ]
    message = (
        f"{display(conflict.qualname)} is registered by {len(claims)} haiku "
        f"plugins: {'; '.join(claims)}. Uninstall all but one of them, or "
        f"choose which plugins load with {ALLOW_LIST_ENV}."
    )
    return PluginConflictError(message, name=conflict.qualname.rpartition(".")[2])


def target_error(records: Sequence[Any], export: Export, err: BaseException) -> BaseException:
    """Importing ``export.target`` raised ``err`` (the caller chains it)."""
    message = (
        f"{display(export.qualname)} could not be imported: "
        f"{_describe(records, export.plugin)} registers it as "
        f"{export.target!r}, and importing that raised "
        f"{type(err).__name__}: {err}"
    )
    return PluginTargetError(message, name=export.name)
