"""What plugins export: the registry a hook fills, and the index built from them.

A plugin's ``haiku_register_exports`` hook receives an :class:`ExportRegistry`
bound to that plugin. The registry only records (and validates) what the
plugin asks for; nothing is imported. Once every plugin has run, the records
of all plugins are merged into one :class:`ExportIndex`, which answers "what
is ``haiku.<namespace>.<name>``?" and knows which names two plugins fight
over.
"""

from __future__ import annotations

import dataclasses
import keyword
from collections.abc import Iterable

from haiku._src.plugin_hooks import merge_claims

ROOT = "haiku"

# Real submodules of the ``haiku`` package: no plugin may shadow them.
RESERVED = frozenset({"haiku.extend", "haiku.plugins"})

Row = tuple[str, str, str]
"""One row of an export table: ``(namespace, name, "pkg.module:attr")``."""


@dataclasses.dataclass(frozen=True)
class Export:
    """One lazy name: ``namespace.name`` resolves to ``target`` on first use."""

    namespace: str
    name: str
    target: str
    plugin: str

    @property
    def qualname(self) -> str:
        return f"{self.namespace}.{self.name}"


@dataclasses.dataclass(frozen=True)
class NamespaceDecl:
    """A namespace declared explicitly by a plugin, with its docstring."""

    namespace: str
    doc: str
    plugin: str


def _is_identifier(part: str) -> bool:
    return part.isidentifier() and not keyword.iskeyword(part)


def check_namespace(namespace: object) -> str:
    """Returns ``namespace`` if it is a valid namespace string, else raises."""
    if not isinstance(namespace, str):
        raise TypeError(
            f"a haiku namespace must be a str such as 'haiku.contrib', "
            f"got {type(namespace).__name__}: {namespace!r}"
        )
    parts = namespace.split(".")
    if parts[0] != ROOT or not all(_is_identifier(p) for p in parts):
        raise ValueError(
            f"invalid haiku namespace {namespace!r}: it must be 'haiku' or a "
            "dotted name under it such as 'haiku.contrib' or "
            "'haiku.experimental.flax'"
        )
    if any(p.startswith("_") for p in parts[1:]):
        raise ValueError(
            f"invalid haiku namespace {namespace!r}: its parts must not start "
            "with '_' (private names are not exported)"
        )
    for reserved in RESERVED:
        if namespace == reserved or namespace.startswith(reserved + "."):
            raise ValueError(
                f"invalid haiku namespace {namespace!r}: {reserved!r} is a "
                "module of haiku-core and cannot be extended"
            )
    return namespace


def check_name(namespace: str, name: object) -> str:
    """Returns ``name`` if it may be exported from ``namespace``, else raises."""
    if not isinstance(name, str):
        raise TypeError(f"an exported name must be a str, got {type(name).__name__}: {name!r}")
    if not _is_identifier(name) or name.startswith("_"):
        raise ValueError(
            f"invalid name {name!r} for namespace {namespace!r}: it must be a "
            "Python identifier that does not start with '_'"
        )
    if f"{namespace}.{name}" in RESERVED:
        raise ValueError(
            f"invalid name {name!r} for namespace {namespace!r}: "
            f"'{namespace}.{name}' is a module of haiku-core"
        )
    return name


def check_target(target: object) -> str:
    """Returns ``target`` if it is ``"pkg.module"`` or ``"pkg.module:attr"``."""
    if not isinstance(target, str):
        raise TypeError(
            "a target must be an import string such as 'pkg.module:attr', got "
            f"{type(target).__name__}: {target!r}"
        )
    module, sep, attr = target.partition(":")
    ok = all(_is_identifier(p) for p in module.split("."))
    if sep:
        ok = ok and all(_is_identifier(p) for p in attr.split("."))
    if not ok:
        raise ValueError(
            f"invalid target {target!r}: use 'pkg.module:attr' for an object "
            "or 'pkg.module' for a whole module"
        )
    return target


def parents(namespace: str) -> list[str]:
    """``"haiku.a.b"`` -> ``["haiku", "haiku.a", "haiku.a.b"]``."""
    parts = namespace.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


class ExportRegistry:
    """The object that ``haiku_register_exports`` receives.

    Each plugin gets its own registry, so every name is attributed to the
    plugin that added it. Calls only record and validate; nothing is imported
    until a name is used.
    """

    def __init__(self, plugin: str):
        self._plugin = plugin
        self.exports: list[Export] = []
        self.namespaces: list[NamespaceDecl] = []

    @property
    def plugin_name(self) -> str:
        """The name of the plugin this registry records for."""
        return self._plugin

    def add(self, namespace: str, name: str, target: str) -> None:
        """Registers the lazy name ``namespace.name``, imported from ``target``.

        Args:
          namespace: A dotted namespace starting with ``"haiku"``, for example
            ``"haiku"`` (``hk.Linear``), ``"haiku.nets"`` or a new one such as
            ``"haiku.contrib"``. A namespace that does not exist yet is
            created, together with its parents.
          name: The attribute name, a Python identifier without a leading
            underscore.
          target: ``"pkg.module:attr"`` for an object in a module, or
            ``"pkg.module"`` for a whole module. It is imported the first
            time the name is used.

        Example:

        >>> from haiku.plugins import ExportRegistry
        >>> registry = ExportRegistry("my-plugin")
        >>> registry.add("haiku.contrib", "Scale", "my_pkg._src.scale:Scale")
        >>> registry.exports[0].qualname
        'haiku.contrib.Scale'
        """
        check_namespace(namespace)
        check_name(namespace, name)
        check_target(target)
        self.exports.append(Export(namespace, name, target, self._plugin))

    def add_namespace(self, namespace: str, doc: str = "") -> None:
        """Declares ``namespace`` (and its parents), even if it stays empty.

        Adding a name to a namespace declares it implicitly; call this to give
        the namespace a docstring, or to make it exist before any name does.

        Example:

        >>> from haiku.plugins import ExportRegistry
        >>> registry = ExportRegistry("my-plugin")
        >>> registry.add_namespace("haiku.contrib", "Community modules.")
        >>> registry.namespaces[0].doc
        'Community modules.'
        """
        check_namespace(namespace)
        if not isinstance(doc, str):
            raise TypeError(f"a namespace doc must be a str, got {doc!r}")
        self.namespaces.append(NamespaceDecl(namespace, doc, self._plugin))

    def add_table(
        self, exports: Iterable[Row], namespaces: Iterable[tuple[str, str]] = ()
    ) -> None:
        """Registers a distribution's whole table: its namespaces, then its names.

        Every official distribution keeps its public names in one table in
        its plugin module (``EXPORTS``, built with :func:`exports_from`) and
        registers it with this call.

        Args:
          exports: ``(namespace, name, target)`` rows, as for :meth:`add`.
          namespaces: ``(namespace, doc)`` pairs, as for :meth:`add_namespace`.

        Example:

        >>> from haiku.plugins import ExportRegistry, exports_from
        >>> registry = ExportRegistry("my-plugin")
        >>> registry.add_table(
        ...     exports_from("haiku.contrib", "my_pkg._src.scale", "Scale", "scale"),
        ...     namespaces=[("haiku.contrib", "Community modules.")])
        >>> [e.target for e in registry.exports]
        ['my_pkg._src.scale:Scale', 'my_pkg._src.scale:scale']
        """
        for namespace, doc in namespaces:
            self.add_namespace(namespace, doc)
        for namespace, name, target in exports:
            self.add(namespace, name, target)

    def __repr__(self) -> str:
        return f"<haiku ExportRegistry for plugin {self._plugin!r}>"


def exports_from(namespace: str, module: str, *names: str) -> tuple[Row, ...]:
    """The export-table rows for ``names`` of ``module``, all in ``namespace``.

    Example:

    >>> from haiku.plugins import exports_from
    >>> exports_from("haiku", "my_pkg._src.linear", "Linear", "Bias")
    (('haiku', 'Linear', 'my_pkg._src.linear:Linear'), ('haiku', 'Bias', 'my_pkg._src.linear:Bias'))
    """
    return tuple((namespace, name, f"{module}:{name}") for name in names)


@dataclasses.dataclass(frozen=True)
class Conflict:
    """Several plugins claim one qualified name."""

    qualname: str
    claims: tuple[tuple[str, str], ...]  # (plugin, what it registered)

    @property
    def plugins(self) -> tuple[str, ...]:
        return tuple(plugin for plugin, _ in self.claims)


class ExportIndex:
    """All plugins' exports merged, keyed by qualified name.

    ``lookup(namespace, name)`` returns one of ``("namespace", doc)``,
    ``("export", Export)``, ``("conflict", Conflict)`` or ``(None, None)``.
    """

    def __init__(self, registries: Iterable[ExportRegistry] = ()):
        exports: list[Export] = []
        docs: dict[str, str] = {ROOT: ""}
        declared_by: dict[str, list[str]] = {}
        order: dict[str, None] = {}

        def declare(namespace: str, plugin: str) -> None:
            for ns in parents(namespace):
                order.setdefault(ns)
                docs.setdefault(ns, "")
                if plugin not in declared_by.setdefault(ns, []):
                    declared_by[ns].append(plugin)

        for registry in registries:
            for decl in registry.namespaces:
                declare(decl.namespace, decl.plugin)
                if decl.doc and not docs[decl.namespace]:
                    docs[decl.namespace] = decl.doc
            for export in registry.exports:
                declare(export.namespace, export.plugin)
                order.setdefault(export.qualname)
                exports.append(export)

        self.namespaces = docs
        # A name is claimed by each export of it and, if it is a namespace
        # too, by each plugin declaring that namespace.
        claims: list[tuple[str, str, Export | str]] = [(e.plugin, e.qualname, e) for e in exports]
        claims += [
            (plugin, qualname, "a namespace")
            for qualname in dict.fromkeys(e.qualname for e in exports)
            if qualname in docs
            for plugin in declared_by[qualname]
        ]
        unique, conflicts = merge_claims(claims)
        self.exports = {q: e for q, (_, e) in unique.items() if isinstance(e, Export)}
        self.conflicts: dict[str, Conflict] = {
            qualname: Conflict(qualname, tuple(
                (plugin, what if isinstance(what, str) else repr(what.target))
                for plugin, what in found
            ))
            for qualname, found in conflicts.items()
        }

        # Members in registration order (a dict as an ordered set): plugins in
        # load order, each plugin's names in the order it added them; a
        # namespace counts as added with its first declaration or export.
        self.members: dict[str, dict[str, None]] = {ns: {} for ns in docs}
        for qualname in order:
            if qualname not in self.conflicts and qualname != ROOT:
                namespace, _, name = qualname.rpartition(".")
                self.members[namespace].setdefault(name)

    def lookup(self, namespace: str, name: str):
        qualname = f"{namespace}.{name}"
        if qualname in self.conflicts:
            return "conflict", self.conflicts[qualname]
        if qualname in self.exports:
            return "export", self.exports[qualname]
        if qualname in self.namespaces:
            return "namespace", self.namespaces[qualname]
        return None, None

    def names(self, namespace: str) -> list[str]:
        """The available (resolvable, conflict-free) names of ``namespace``.

        In registration order, which is the order of the namespace's
        ``__all__``: a plugin lists its names as it wants them listed.
        """
        return list(self.members.get(namespace, ()))
