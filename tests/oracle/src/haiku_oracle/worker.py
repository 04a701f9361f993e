"""Runs scenarios under dm-haiku: ``python -I worker.py MODULE REGISTRY OUT``.

Started by :class:`haiku_oracle.runner.Oracle` with the oracle venv's
interpreter, so ``import haiku`` here is dm-haiku 0.0.17. It imports the
scenario module at ``MODULE``, calls every function of its ``REGISTRY`` dict
(``{name: function of no arguments}``) and saves each result, or the error it
raised, with :func:`haiku_oracle.encoding.save` to ``OUT``.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType


def _sibling(name: str) -> ModuleType:
    """A module of this harness, imported by path.

    Its folder is never put on ``sys.path``: installed, that folder is the
    site-packages of our venv, where ``haiku`` is ours, not dm-haiku.
    """
    spec = importlib.util.spec_from_file_location(
        f"haiku_oracle_{name}", Path(__file__).resolve().parent / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> None:
    module_path, registry, out = argv
    import haiku

    encoding, loading = _sibling("encoding"), _sibling("loading")
    if haiku.__version__ != "0.0.17":
        raise SystemExit(f"the oracle must be dm-haiku 0.0.17, not {haiku.__version__}")
    scenarios = getattr(loading.load_module(module_path), registry)
    results: dict[str, object] = {}
    for name, scenario in scenarios.items():
        try:
            results[name] = encoding.flatten(scenario())
        except Exception:  # noqa: BLE001 - reported by the test of this scenario.
            results[name] = traceback.format_exc()
    encoding.save(Path(out), results)


if __name__ == "__main__":
    main(sys.argv[1:])
