"""Serves dm-haiku's private module names from our public API, to dm-haiku's tests.

The copies of dm-haiku's test files (:mod:`haiku_oracle.compat.sources`)
import :data:`~haiku_oracle.compat.sources.SHIM_PACKAGE` where dm-haiku's
import ``haiku._src``. Loaded as a pytest plugin (``-p
haiku_oracle.compat.shim``), this module puts a finder on ``sys.meta_path``
that answers those imports:

- ``SHIM_PACKAGE.base`` (any private module of dm-haiku's library) is a proxy
  whose attributes are the public names dm-haiku's public modules give them:
  ``base.get_parameter`` is ``hk.get_parameter`` of the haiku installed here.
  A name with no public home fails loudly, naming it: dm-haiku's tests that
  need it test dm-haiku's internals, not the API we promise.
- The modules of :data:`~haiku_oracle.compat.sources.SUPPORT_MODULES` (the
  suite's own helpers) run as dm-haiku wrote them, their private imports
  served the same way.

``HAIKU_COMPAT_DM_HAIKU`` names the folder of dm-haiku's ``haiku`` package.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from haiku_oracle.compat import sources

ENV = "HAIKU_COMPAT_DM_HAIKU"


class PrivateModule(ModuleType):
    """A private module of dm-haiku's, made of our public objects of the same names."""

    def __init__(self, private: str, public: dict[str, str]):
        super().__init__(f"{sources.SHIM_PACKAGE}.{private}")
        self._private = private
        self._public = public

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        home = self._public.get(name)
        if home is None:
            raise AttributeError(
                f"haiku._src.{self._private}.{name} is internal to dm-haiku 0.0.17: none of its "
                f"public modules exports it, so the compat shim does not serve it")
        module, _, attribute = home.partition(":")
        value = importlib.import_module("haiku")
        for part in [*module.split(".")[1:], *filter(None, [attribute])]:
            try:
                value = getattr(value, part)
            except AttributeError:
                raise AttributeError(
                    f"haiku._src.{self._private}.{name} is dm-haiku 0.0.17's public "
                    f"{module}.{attribute}, which this haiku lacks") from None
        return value


class _SupportLoader(importlib.abc.SourceLoader):
    """Runs a helper module of dm-haiku's test suite with its private imports rewritten."""

    def __init__(self, path: Path):
        self.path = path

    def get_filename(self, fullname: str) -> str:
        return str(self.path)

    def get_data(self, path: str) -> bytes:
        return sources.rewrite(Path(path).read_text()).encode()

    def path_stats(self, path: str):  # No bytecode cache: the source is rewritten.
        raise OSError


class _ProxyLoader(importlib.abc.Loader):
    def __init__(self, package: bool, public: dict[str, str]):
        self.package = package
        self.public = public

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        private = spec.name.removeprefix(sources.SHIM_PACKAGE).lstrip(".")
        module = PrivateModule(private, self.public)
        if self.package:
            module.__path__ = []
        return module

    def exec_module(self, module: ModuleType) -> None:
        pass


class Finder(importlib.abc.MetaPathFinder):
    """Finds :data:`~haiku_oracle.compat.sources.SHIM_PACKAGE` and its submodules."""

    def __init__(self, package: Path):
        self.package = package
        self.names = sources.public_names(package)

    def find_spec(self, fullname, path=None, target=None):
        prefix = sources.SHIM_PACKAGE
        if fullname != prefix and not fullname.startswith(prefix + "."):
            return None
        private = fullname.removeprefix(prefix).lstrip(".")
        if private in sources.SUPPORT_MODULES:
            file = sources.support_path(self.package, private)
            return importlib.util.spec_from_file_location(fullname, file,
                                                          loader=_SupportLoader(file))
        is_package = (self.package / "_src" / Path(*private.split("."))).is_dir()
        return importlib.machinery.ModuleSpec(
            fullname, _ProxyLoader(is_package or not private, self.names.get(private, {})),
            is_package=is_package or not private)


def install(package: Path) -> None:
    """Puts a :class:`Finder` for dm-haiku's package folder ``package`` on ``sys.meta_path``."""
    if not any(isinstance(f, Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, Finder(package))


if ENV in os.environ:
    install(Path(os.environ[ENV]))
