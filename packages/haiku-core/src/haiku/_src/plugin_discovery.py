"""Finding plugins: entry points, the autoload variables, the API version check.

Nothing here registers anything; :mod:`haiku._src.plugin_registry` decides
what to do with the candidates and checks this module returns.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from haiku._src import plugin_spec
from haiku._src.plugin_official_names import normalise

_FALSE = frozenset({"", "0", "false", "no", "off"})


@dataclasses.dataclass(frozen=True)
class Candidate:
    """An entry point in the ``haiku`` group."""

    name: str  # the entry point's name, e.g. "nets"
    value: str  # e.g. "haiku_nets._plugin"
    distribution: str | None  # normalised, e.g. "haiku-nets"
    version: str | None
    entry_point: object  # importlib.metadata.EntryPoint

    def load(self) -> object:
        return self.entry_point.load()  # type: ignore[attr-defined]


@dataclasses.dataclass(frozen=True)
class AutoloadPolicy:
    """What ``HAIKU_DISABLE_PLUGIN_AUTOLOAD`` and ``HAIKU_PLUGINS`` allow."""

    disabled_by: str | None  # the value of the disabling variable, if it disables
    allowed: frozenset[str] | None  # None: no allow-list
    allow_list: str | None  # the allow-list variable's raw value

    def blocked_reason(self, name: str) -> str | None:
        """Why the entry point ``name`` must not be autoloaded, or None."""
        if self.disabled_by is not None:
            return (
                f"{plugin_spec.DISABLE_AUTOLOAD_ENV}={self.disabled_by} disables "
                "plugin autoloading; unset it, or register the plugin with "
                "haiku.plugins.register()"
            )
        if self.allowed is not None and name not in self.allowed:
            return (
                f"{plugin_spec.ALLOW_LIST_ENV}={self.allow_list!r} does not list "
                f"{name!r}; add it to {plugin_spec.ALLOW_LIST_ENV}, or register "
                "the plugin with haiku.plugins.register()"
            )
        return None


def autoload_policy(environ: Mapping[str, str] | None = None) -> AutoloadPolicy:
    """Reads the autoload variables.

    ``HAIKU_DISABLE_PLUGIN_AUTOLOAD`` disables autoloading unless it is unset,
    empty, ``0``, ``false``, ``no`` or ``off``. ``HAIKU_PLUGINS``, when set,
    is a comma-separated allow-list of entry-point names; set but empty, it
    allows none.

    >>> autoload_policy({"HAIKU_PLUGINS": "nets, rnn"}).allowed == {"nets", "rnn"}
    True
    >>> autoload_policy({}).blocked_reason("nets") is None
    True
    """
    if environ is None:
        environ = os.environ
    disabled = environ.get(plugin_spec.DISABLE_AUTOLOAD_ENV)
    if disabled is not None and disabled.strip().lower() in _FALSE:
        disabled = None
    raw = environ.get(plugin_spec.ALLOW_LIST_ENV)
    allowed = None
    if raw is not None:
        allowed = frozenset(p.strip() for p in raw.split(",") if p.strip())
    return AutoloadPolicy(disabled, allowed, raw)


def entry_points() -> list[Candidate]:
    """Every entry point of the ``haiku`` group, in a stable order."""
    from importlib import metadata

    candidates = []
    for ep in metadata.entry_points(group=plugin_spec.ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        dist_name = version = None
        if dist is not None:
            dist_name = normalise(dist.metadata["Name"] or "") or None
            version = dist.version
        candidates.append(Candidate(ep.name, ep.value, dist_name, version, ep))
    candidates.sort(key=lambda c: (c.distribution or "", c.name, c.value))
    return candidates


def api_version_error(plugin: object, who: str) -> str | None:
    """Why ``plugin`` must not be loaded for its API version, or None.

    ``who`` describes the plugin for the message, e.g.
    ``"plugin 'nets' (haiku-nets 0.1.0, module haiku_nets._plugin)"``.
    """
    from haiku._version import __version__

    attribute = plugin_spec.API_VERSION_ATTRIBUTE
    expected = plugin_spec.PLUGIN_API_VERSION
    declared = getattr(plugin, attribute, None)
    if declared is None:
        return (
            f"{who} does not define {attribute}; haiku-core {__version__} "
            f"expects {attribute} = {expected} (define it in the plugin "
            "module, or install a version of the plugin made for this "
            "haiku-core)"
        )
    if type(declared) is not int or declared != expected:
        return (
            f"{who} declares {attribute} = {declared!r}, but haiku-core "
            f"{__version__} expects {attribute} = {expected}; install versions "
            "of haiku-core and of the plugin that match"
        )
    return None
