"""Importing a scenario module by its path, once per interpreter."""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_module(path: str | Path) -> ModuleType:
    """The module at ``path``, imported as a submodule of a package made for its folder.

    Scenario modules live in test folders that are not packages; importing
    them by path lets the tests (under our haiku) and the oracle worker
    (under dm-haiku) run the very same file. The folder becomes a package of
    its own, named from its path, so a scenario module imports its siblings
    with relative imports (``from . import core_scenarios``) under both
    libraries, and nothing is put on ``sys.path``. Importing the same path
    again returns the same module object.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "base.py").write_text("SIZE = 3\\n")
    >>> _ = (folder / "uses_base.py").write_text("from .base import SIZE\\nDOUBLE = 2 * SIZE\\n")
    >>> load_module(folder / "uses_base.py").DOUBLE
    6
    >>> load_module(folder / "uses_base.py") is load_module(folder / "uses_base.py")
    True
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise ImportError(f"cannot import {path}: no such file")
    return importlib.import_module(f"{_folder_package(path.parent)}.{path.stem}")


def _folder_package(folder: Path) -> str:
    """The name of a package whose modules are the ``*.py`` files of ``folder``."""
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    name = f"haiku_oracle_scenarios_{digest}"
    if name not in sys.modules:
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = [str(folder)]
        sys.modules[name] = importlib.util.module_from_spec(spec)
    return name
