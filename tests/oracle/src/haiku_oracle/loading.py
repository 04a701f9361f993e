"""Importing a scenario module by its path, once per interpreter."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_module(path: str | Path) -> ModuleType:
    """The module at ``path``, imported under a name made from that path.

    Scenario modules live in test folders that are not packages; importing
    them by path lets the tests (under our haiku) and the oracle worker
    (under dm-haiku) run the very same file. Importing the same path again
    returns the same module object.
    """
    path = Path(path).resolve()
    name = f"haiku_oracle_scenarios_{path.stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return sys.modules[name]
