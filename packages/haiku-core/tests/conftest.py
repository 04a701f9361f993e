"""Fixtures for the plugin-system tests: fake distributions on a fake site.

A fake distribution is a real ``<name>-<version>.dist-info`` folder (METADATA
and entry_points.txt) plus its source files, in a temporary folder put on
``sys.path``, so plugin discovery goes through ``importlib.metadata`` for real.

``plugin_site`` isolates the test process: ``sys.path`` keeps only the
standard library and the fake site (installed plugins such as haiku-nets
become invisible), the registry is reset before and after, and the
``HAIKU_*`` variables are cleared. ``isolated_python`` runs code in a fresh
``python -S`` whose path holds only the fake site, pluggy and haiku-core.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pluggy
import pytest

import haiku
from haiku._src import plugin_registry

_PLUGIN_HEADER = """\
from haiku.plugins import hookimpl

HAIKU_PLUGIN_API_VERSION = {api_version}
"""

_HOOK = """

@hookimpl
def haiku_register_exports(registry):
{body}
"""


class FakeSite:
    """A folder of fake installed distributions."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch | None = None):
        self.root = root
        self._monkeypatch = monkeypatch
        root.mkdir(parents=True, exist_ok=True)

    def write(self, relpath: str, text: str) -> Path:
        """Writes a source file (dedented) under the site."""
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def add_dist(
        self,
        name: str,
        version: str = "1.0",
        entry_points: dict[str, str] | None = None,
        files: dict[str, str] | None = None,
    ) -> None:
        """Installs distribution ``name`` with ``haiku`` entry points and files."""
        info = self.root / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        if entry_points:
            lines = ["[haiku]"] + [f"{k} = {v}" for k, v in entry_points.items()]
            (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        for relpath, text in (files or {}).items():
            self.write(relpath, text)
            self._shadow(relpath.split("/")[0].removesuffix(".py"))
        importlib.invalidate_caches()

    def _shadow(self, package: str) -> None:
        """Hides an already imported ``package`` (e.g. the real haiku_nets)."""
        if self._monkeypatch is None:
            return
        for name in list(sys.modules):
            if name == package or name.startswith(package + "."):
                self._monkeypatch.delitem(sys.modules, name)

    def add_plugin(
        self,
        dist: str,
        ep_name: str,
        exports: list[tuple[str, str, str]] = (),
        *,
        namespaces: list[tuple[str, str]] = (),
        api_version: object = 1,
        extra: str = "",
        version: str = "1.0",
        files: dict[str, str] | None = None,
    ) -> str:
        """A distribution whose plugin module registers ``exports``.

        Returns the plugin module's name, ``<package>._plugin`` where the
        package is the distribution name with ``_`` for ``-``.
        """
        package = dist.replace("-", "_")
        body = [f"    registry.add_namespace({ns!r}, {doc!r})" for ns, doc in namespaces]
        body += [f"    registry.add({ns!r}, {n!r}, {t!r})" for ns, n, t in exports]
        header = _PLUGIN_HEADER.format(api_version=api_version)
        if api_version is None:
            header = "from haiku.plugins import hookimpl\n"
        source = header + textwrap.dedent(extra) + _HOOK.format(body="\n".join(body) or "    pass")
        all_files = {f"{package}/__init__.py": "", f"{package}/_plugin.py": source}
        all_files.update(files or {})
        module = f"{package}._plugin"
        self.add_dist(dist, version, {ep_name: module}, all_files)
        return module


def _stdlib_path() -> list[str]:
    return [p for p in sys.path if p and p.startswith(sys.base_prefix) and "-packages" not in p]


@pytest.fixture
def plugin_site(tmp_path, monkeypatch):
    """A fresh registry whose only entry-point plugins live in a fake site."""
    # Everything the registry imports lazily is imported before sys.path is
    # narrowed down.
    for module in ("core_plugin", "plugin_registry", "plugin_explain"):
        importlib.import_module(f"haiku._src.{module}")
    site = FakeSite(tmp_path / "site", monkeypatch)
    for var in ("HAIKU_DISABLE_PLUGIN_AUTOLOAD", "HAIKU_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(sys, "path", [str(site.root), *_stdlib_path()])
    importlib.invalidate_caches()
    before = set(sys.modules)
    plugin_registry.reset()
    yield site
    plugin_registry.reset()
    for name in set(sys.modules) - before:
        module = sys.modules.get(name)
        path = getattr(module, "__file__", None) or ""
        if path.startswith(str(tmp_path)):
            del sys.modules[name]
    importlib.invalidate_caches()


def _deps_folder(tmp_path: Path) -> Path:
    """pluggy and haiku (only), linked into a folder for ``python -S``."""
    deps = tmp_path / "deps"
    deps.mkdir(exist_ok=True)
    for package in (pluggy, haiku):
        link = deps / package.__name__
        if not link.exists():
            link.symlink_to(Path(package.__path__[0]), target_is_directory=True)
    return deps


@pytest.fixture
def isolated_python(tmp_path):
    """Runs code in ``python -S`` with only the fake site, pluggy and haiku.

    Returns ``run(code, env=None, site=None) -> CompletedProcess``; the code's
    last line may print JSON, which ``run(...).json`` parses.
    """
    deps = _deps_folder(tmp_path)

    def run(code: str, *, site: FakeSite | None = None, env: dict | None = None):
        path = [str(site.root)] if site is not None else []
        path.append(str(deps))
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("HAIKU_", "PYTHON"))}
        environ["PYTHONPATH"] = os.pathsep.join(path)
        environ["PYTHONDONTWRITEBYTECODE"] = "1"
        environ.update(env or {})
        proc = subprocess.run(
            [sys.executable, "-S", "-c", textwrap.dedent(code)],
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if proc.returncode != 0:
            raise AssertionError(f"subprocess failed:\n{proc.stdout}\n{proc.stderr}")
        lines = proc.stdout.strip().splitlines()
        proc.json = json.loads(lines[-1]) if lines else None
        return proc

    return run
