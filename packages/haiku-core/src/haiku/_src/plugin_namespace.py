"""Lazy namespaces that behave like modules.

``haiku`` itself resolves unknown attributes through PEP 562 module
``__getattr__``/``__dir__`` (see ``haiku/__init__.py``); every other
namespace (``haiku.nets``, ``haiku.contrib``, ``haiku.experimental.flax``) is
a :class:`Namespace`, a module object created on first use and kept in
``sys.modules``. A meta-path finder makes the import statement work for them:
``import haiku.nets``, ``from haiku.experimental import flax``,
``import haiku.experimental.jaxpr_info as ji``.

This module is imported by ``import haiku`` and must stay cheap: it only uses
the standard library, and imports the registry (and pluggy) on first use.
"""

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.abc import Loader
    from types import ModuleType
    from typing import Any
else:
    Loader = object  # importlib.abc is not worth importing at startup
    ModuleType = type(sys)  # types.ModuleType, without importing types

_ROOT = "haiku"


def _registry() -> "Any":
    from haiku._src import plugin_registry

    return plugin_registry


def get_attribute(namespace: str, name: str) -> "Any":
    """Resolves ``namespace.name``; the ``__getattr__`` of every namespace."""
    if name == "__all__":
        return _registry().names(namespace)
    if name.startswith("_"):
        # Private and dunder lookups (copy, pickle, IPython, doctest, ...)
        # never trigger plugin loading.
        raise AttributeError(
            f"module {namespace!r} has no attribute {name!r}",
            name=name,
            obj=sys.modules.get(namespace),
        )
    return _registry().resolve(namespace, name)


def list_attributes(namespace: str, module: ModuleType) -> list[str]:
    """``dir()`` of a namespace: what it holds plus every lazy name.

    Private names (``_src``, ``_sys``, ...) are left out, as in dm-haiku, whose
    ``haiku`` deletes ``_src``: tools that walk ``dir(hk)`` for modules and
    classes see the public API only. Dunder names stay.
    """
    held = {n for n in module.__dict__ if not n.startswith("_") or n.startswith("__")}
    return sorted(held | set(_registry().names(namespace)))


def module_dir(module_globals: "dict[str, Any]") -> list[str]:
    """``dir()`` of a plain haiku module: its ``__all__`` and its dunder names.

    For modules such as ``haiku.plugins`` that import from ``haiku._src``: a
    walk over ``dir()`` (as dm-haiku's tests do) never reaches ``haiku._src``.
    Use it as ``def __dir__(): return module_dir(globals())``.
    """
    dunders = (n for n in module_globals if n.startswith("__"))
    return sorted({*module_globals["__all__"], *dunders})


class Namespace(ModuleType):
    """A haiku namespace populated lazily by plugins.

    Attribute access imports the registered target on first use and caches
    it in the module's ``__dict__``; ``dir()`` lists every available name.
    """

    def __getattr__(self, name: str) -> "Any":
        return get_attribute(self.__name__, name)

    def __dir__(self) -> list[str]:
        return list_attributes(self.__name__, self)

    def __repr__(self) -> str:
        return f"<haiku namespace {self.__name__!r}>"


class NamespaceLoader(Loader):
    """Creates the :class:`Namespace` module for a namespace's spec."""

    def __init__(self, doc: str):
        self._doc = doc

    def create_module(self, spec: "Any") -> Namespace:
        return Namespace(spec.name, self._doc or None)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: names are resolved lazily."""


class AliasLoader(Loader):
    """Makes ``import haiku.x.y`` give an existing module registered as y.

    For a name whose target is a whole module (``"pkg.module"``). The import
    system sets ``__spec__`` on the module it is given; the original is put
    back, so the module keeps its real identity.
    """

    def __init__(self, module: ModuleType):
        self._module = module
        self._spec = getattr(module, "__spec__", None)

    def create_module(self, spec: "Any") -> ModuleType:
        return self._module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self._spec


class NamespaceFinder:
    """A meta-path finder for haiku's registered namespaces.

    It sits first on ``sys.meta_path`` so that a stub-only directory beside
    the lazy modules (``haiku/experimental/flax.pyi``) never becomes a
    namespace package, but it steps aside for real modules of the ``haiku``
    package (``haiku.plugins``, ``haiku._src.*``).
    """

    _haiku_namespace_finder = True

    @classmethod
    def find_spec(cls, fullname: str, path: "Any" = None, target: "Any" = None) -> "Any":
        if not fullname.startswith(_ROOT + "."):
            return None
        namespace, _, name = fullname.rpartition(".")
        if any(part.startswith("_") for part in fullname.split(".")):
            return None
        from importlib.machinery import PathFinder

        real = PathFinder.find_spec(fullname, path)
        if real is not None and real.origin is not None:
            return None  # a real file of the haiku package
        return _registry().find_spec(namespace, name)

    @classmethod
    def invalidate_caches(cls) -> None:
        """Nothing cached here; the registry owns its state."""


def install() -> None:
    """Puts :class:`NamespaceFinder` first on ``sys.meta_path`` (once)."""
    for finder in sys.meta_path:
        if getattr(finder, "_haiku_namespace_finder", False):
            return
    sys.meta_path.insert(0, NamespaceFinder)
