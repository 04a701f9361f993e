"""Each official plugin's public export modules are fresh, complete and public.

They are generated from the plugin's table by ``nox -s stubs``
(tests/export_modules.py); haiku-core's stubs re-export them.
"""

from __future__ import annotations

import importlib
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import export_modules  # noqa: E402

FILES = export_modules.expected_files()


def _namespaces() -> list[tuple[str, str]]:
    """``(plugin package, namespace)`` of every export module."""
    found = {}
    for _, package in export_modules.PLUGINS:
        for namespace, _, _ in importlib.import_module(f"{package}._plugin").EXPORTS:
            found[(package, namespace)] = None
    return list(found)


def test_every_export_module_is_fresh():
    assert export_modules.stale_files() == [], "run: nox -s stubs"


def test_check_mode_reports_and_the_default_mode_rewrites_a_stale_module(
    tmp_path, monkeypatch, capsys
):
    stale = tmp_path / "hk.py"
    stale.write_text("# edited by hand\n")
    monkeypatch.setattr(export_modules, "ROOT", tmp_path)
    monkeypatch.setattr(export_modules, "expected_files", lambda: {stale: "fresh\n"})
    assert export_modules.main(["--check"]) == 1
    assert capsys.readouterr().out == "stale: hk.py (run nox -s stubs)\n"
    assert export_modules.main([]) == 0
    assert stale.read_text() == "fresh\n"
    assert export_modules.main(["--check"]) == 0


@pytest.mark.parametrize("package, namespace", _namespaces())
def test_an_export_module_serves_what_its_namespace_serves(package, namespace):
    module = importlib.import_module(f"{package}.{export_modules.module_name(namespace)}")
    served = importlib.import_module(namespace)
    table = importlib.import_module(f"{package}._plugin").EXPORTS
    assert module.__all__ == [name for ns, name, _ in table if ns == namespace]
    for name in module.__all__:
        assert getattr(module, name) is getattr(served, name), name


def test_module_names_mirror_namespaces():
    assert export_modules.module_name("haiku") == "hk"
    assert export_modules.module_name("haiku.nets") == "hk_nets"
    assert {p.stem for p in FILES if p.parent.name == "haiku_nets"} == {"hk", "hk_nets", "hk_pad"}


@pytest.mark.parametrize("package", [package for _, package in export_modules.PLUGINS])
def test_every_row_names_a_name_its_module_declares(package):
    """Each row's attribute is in its module's ``__all__``.

    Not the converse: a private module's ``__all__`` also lists what the
    distribution's other modules import from it (``zeros_state``,
    ``BlockV1``), which is not public API.
    """
    table = importlib.import_module(f"{package}._plugin").EXPORTS
    for namespace, name, target in table:
        module, _, attr = target.partition(":")
        assert attr in importlib.import_module(module).__all__, (namespace, name, target)
