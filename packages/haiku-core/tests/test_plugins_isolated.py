"""The plugin system in fresh interpreters: what ``import haiku`` costs.

``isolated_python`` runs ``python -S`` with only the fake site, pluggy and
haiku-core on the path: no jax, no installed plugin.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _lazy_site(site):
    site.add_plugin(
        "fake-lazy",
        "lazy",
        [
            ("haiku", "first", "fake_lazy.first:VALUE"),
            ("haiku", "second", "fake_lazy.second:VALUE"),
            ("haiku.lazyns", "third", "fake_lazy.second:VALUE"),
        ],
        files={
            "fake_lazy/first.py": "VALUE = 1\n",
            "fake_lazy/second.py": "VALUE = 2\n",
        },
    )


def test_import_haiku_imports_no_plugin_and_no_jax(plugin_site, isolated_python):
    _lazy_site(plugin_site)
    proc = isolated_python(
        """
        import json, sys
        before = set(sys.modules)
        import haiku
        new = sorted(set(sys.modules) - before)
        print(json.dumps(new))
        """,
        site=plugin_site,
    )
    assert proc.json == ["haiku", "haiku._src", "haiku._src.plugin_namespace", "haiku._version"]


def test_first_use_imports_plugin_modules_but_not_other_targets(plugin_site, isolated_python):
    _lazy_site(plugin_site)
    proc = isolated_python(
        """
        import json, sys
        import haiku as hk
        assert hk.first == 1
        state = {m: m in sys.modules for m in
                 ["fake_lazy._plugin", "fake_lazy.first", "fake_lazy.second", "jax"]}
        from haiku.lazyns import third
        state["after"] = "fake_lazy.second" in sys.modules
        print(json.dumps(state))
        """,
        site=plugin_site,
    )
    assert proc.json == {
        "fake_lazy._plugin": True,
        "fake_lazy.first": True,
        "fake_lazy.second": False,
        "jax": False,
        "after": True,
    }


def test_missing_official_distributions_in_a_bare_environment(isolated_python):
    proc = isolated_python(
        """
        import json
        import haiku as hk
        out = {}
        try:
            hk.Linear
        except AttributeError as e:
            out["attr"] = [type(e).__name__, str(e)]
        try:
            from haiku.nets import MLP
        except ImportError as e:
            out["import"] = [type(e).__name__, str(e)]
        out["plugins"] = [(p.name, p.status) for p in hk.plugins.list_plugins()]
        print(json.dumps(out))
        """
    )
    hint = 'is provided by the haiku-nets distribution: pip install "haiku[nets]"'
    assert proc.json["attr"] == ["MissingPluginError", "hk.Linear " + hint]
    assert proc.json["import"] == ["PluginImportError", "hk.nets " + hint]
    assert proc.json["plugins"] == [["core", "loaded"]]


@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, {"lazy": "loaded"}),
        ({"HAIKU_DISABLE_PLUGIN_AUTOLOAD": "1"}, {"lazy": "blocked"}),
        ({"HAIKU_PLUGINS": "other"}, {"lazy": "blocked"}),
        ({"HAIKU_PLUGINS": "other,lazy"}, {"lazy": "loaded"}),
    ],
)
def test_autoload_variables_at_startup(plugin_site, isolated_python, env, expected):
    _lazy_site(plugin_site)
    proc = isolated_python(
        """
        import json, sys
        import haiku.plugins
        status = {p.name: p.status for p in haiku.plugins.list_plugins()}
        assert status.pop("core") == "loaded"
        status["imported"] = "fake_lazy._plugin" in sys.modules
        print(json.dumps(status))
        """,
        site=plugin_site,
        env=env,
    )
    expected["imported"] = expected["lazy"] == "loaded"
    assert proc.json == expected


def test_import_haiku_in_the_installed_environment():
    """With whatever is installed here (the dev venv, a nox venv)."""
    code = (
        "import json, sys\n"
        "import haiku\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('haiku', 'jax',"
        " 'pluggy', 'importlib.metadata')))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(proc.stdout)
    assert loaded == ["haiku", "haiku._src", "haiku._src.plugin_namespace", "haiku._version"]
