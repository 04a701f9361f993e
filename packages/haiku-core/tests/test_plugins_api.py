"""The public API of haiku.plugins: hooks, register, list, autoload variables."""

from __future__ import annotations

import importlib
import inspect
import sys
import threading
import types
from pathlib import Path

import pluggy
import pytest

import haiku as hk
import haiku.plugins
from haiku._src import plugin_registry
from haiku.plugins import MissingPluginError, PluginError


def _plugin(name="handmade", exports=(("haiku", "handmade_pi", "math:pi"),), version=1):
    module = types.ModuleType(name)
    if version is not None:
        module.HAIKU_PLUGIN_API_VERSION = version

    @haiku.plugins.hookimpl
    def haiku_register_exports(registry):
        for namespace, export, target in exports:
            registry.add(namespace, export, target)

    module.haiku_register_exports = haiku_register_exports
    return module


def _status(name):
    return {p.name: p for p in haiku.plugins.list_plugins()}[name]


# -- the contract --------------------------------------------------------------


def test_constants():
    assert haiku.plugins.PLUGIN_API_VERSION == 1
    assert haiku.plugins.ENTRY_POINT_GROUP == "haiku"
    assert haiku.plugins.DISABLE_AUTOLOAD_ENV == "HAIKU_DISABLE_PLUGIN_AUTOLOAD"
    assert haiku.plugins.ALLOW_LIST_ENV == "HAIKU_PLUGINS"


def test_markers_belong_to_the_haiku_project():
    assert isinstance(haiku.plugins.hookimpl, pluggy.HookimplMarker)
    assert isinstance(haiku.plugins.hookspec, pluggy.HookspecMarker)
    assert haiku.plugins.hookimpl.project_name == "haiku"
    assert haiku.plugins.hookspec.project_name == "haiku"


def _hook_names():
    return [
        name
        for name, _ in inspect.getmembers(haiku.plugins.HaikuHookSpecs)
        if name.startswith("haiku_")
    ]


def test_every_hook_is_documented_with_an_example():
    names = _hook_names()
    assert names == ["haiku_add_hookspecs", "haiku_conformance_examples", "haiku_register_exports"]
    for name in names:
        doc = inspect.getdoc(getattr(haiku.plugins.HaikuHookSpecs, name))
        assert doc and "Example" in doc and ">>>" in doc, name


def test_every_hook_is_tested():
    tests = "".join(p.read_text() for p in Path(__file__).parent.glob("test_plugins*.py"))
    for name in _hook_names():
        assert tests.count(name) >= 3, name


def test_every_public_function_is_documented_with_an_example():
    for name in haiku.plugins.__all__:
        obj = getattr(haiku.plugins, name)
        assert obj is not None, name
        if inspect.isfunction(obj):
            doc = inspect.getdoc(obj)
            assert doc and ">>>" in doc, name
    assert haiku.plugins.__doc__


def test_hook_spec_names_the_registry_argument():
    pm = haiku.plugins.plugin_manager()
    hook = pm.hook.haiku_register_exports
    assert hook.spec is not None
    assert hook.spec.argnames == ("registry",)


def test_export_registry_records_without_importing():
    registry = haiku.plugins.ExportRegistry("demo")
    registry.add("haiku.demo", "Thing", "no_such_package.module:Thing")
    registry.add_namespace("haiku.demo.sub", "Sub.")
    assert registry.plugin_name == "demo"
    assert [e.qualname for e in registry.exports] == ["haiku.demo.Thing"]
    assert [(d.namespace, d.doc) for d in registry.namespaces] == [("haiku.demo.sub", "Sub.")]
    assert "no_such_package" not in sys.modules
    with pytest.raises(TypeError, match="must be a str"):
        registry.add_namespace("haiku.demo", doc=3)
    with pytest.raises(TypeError, match="namespace must be a str"):
        registry.add(None, "x", "m:x")


def test_plugin_manager_holds_loaded_plugins(plugin_site):
    plugin_site.add_plugin("fake-pm", "pm", [("haiku", "pm_name", "math:pi")])
    pm = haiku.plugins.plugin_manager()
    assert isinstance(pm, pluggy.PluginManager)
    assert pm.has_plugin("core") and pm.has_plugin("pm")
    assert pm.get_plugin("pm") is sys.modules["fake_pm._plugin"]


# -- register / unregister -----------------------------------------------------


def test_register_a_module_object(plugin_site):
    info = haiku.plugins.register(_plugin(), name="handmade")
    assert info.name == "handmade"
    assert info.status == "loaded"
    assert info.source == "register"
    assert info.distribution is None
    assert info.exports == ("haiku.handmade_pi",)
    assert hk.handmade_pi == pytest.approx(3.14159, abs=1e-5)
    assert "handmade_pi" in dir(hk)
    assert _status("handmade").module == "handmade"


def test_register_defaults_the_name_to_the_module_name(plugin_site):
    info = haiku.plugins.register(_plugin("my_mod"))
    assert info.name == "my_mod"


def test_register_an_import_string(plugin_site):
    plugin_site.write(
        "handmade_pkg/plug.py",
        """\
        from haiku.plugins import hookimpl
        HAIKU_PLUGIN_API_VERSION = 1
        @hookimpl
        def haiku_register_exports(registry):
            registry.add("haiku", "from_string", "math:e")
        """,
    )
    info = haiku.plugins.register("handmade_pkg.plug")
    assert info.name == "handmade_pkg.plug"
    assert hk.from_string == pytest.approx(2.718281828)


def test_register_an_object_by_import_string(plugin_site):
    plugin_site.write(
        "handmade_obj.py",
        """\
        from haiku.plugins import hookimpl
        class Plugin:
            HAIKU_PLUGIN_API_VERSION = 1
            @hookimpl
            def haiku_register_exports(self, registry):
                registry.add("haiku", "from_obj", "math:tau")
        PLUGIN = Plugin()
        """,
    )
    info = haiku.plugins.register("handmade_obj:PLUGIN", name="obj")
    assert info.module == "handmade_obj.Plugin"
    assert hk.from_obj == pytest.approx(6.2831853)


def test_register_rejects_a_taken_name(plugin_site):
    haiku.plugins.register(_plugin(), name="twice")
    with pytest.raises(PluginError, match="a haiku plugin named 'twice' is already registered"):
        haiku.plugins.register(_plugin(), name="twice")
    with pytest.raises(PluginError, match="named 'core' is already registered"):
        haiku.plugins.register(_plugin(), name="core")


def test_register_rejects_the_same_object_twice(plugin_site):
    plugin = _plugin()
    haiku.plugins.register(plugin, name="first")
    with pytest.raises(PluginError, match="already registered as haiku plugin 'first'"):
        haiku.plugins.register(plugin, name="second")


def test_register_checks_the_api_version(plugin_site):
    with pytest.raises(PluginError) as info:
        haiku.plugins.register(_plugin(version=7), name="seven")
    message = str(info.value)
    assert message.startswith(
        "cannot register: plugin 'seven' (registered with "
        "haiku.plugins.register(), module handmade) declares "
        "HAIKU_PLUGIN_API_VERSION = 7"
    )
    with pytest.raises(PluginError, match="does not define HAIKU_PLUGIN_API_VERSION"):
        haiku.plugins.register(_plugin(version=None), name="none")
    assert "seven" not in {p.name for p in haiku.plugins.list_plugins()}


def test_register_chains_a_hook_error(plugin_site):
    with pytest.raises(PluginError, match="hook raised ValueError") as info:
        haiku.plugins.register(_plugin(exports=[("bad", "x", "m:x")]), name="bad")
    assert isinstance(info.value.__cause__, ValueError)
    assert not haiku.plugins.plugin_manager().has_plugin("bad")


def test_unregister_forgets_names_and_caches(plugin_site):
    haiku.plugins.register(
        _plugin(exports=[("haiku", "temp", "math:pi"), ("haiku.tempns", "x", "math:e")]),
        name="temp",
    )
    assert hk.temp == pytest.approx(3.14159, abs=1e-5)
    tempns = importlib.import_module("haiku.tempns")
    assert sys.modules["haiku.tempns"] is tempns is hk.tempns
    assert vars(hk)["temp"] is not None
    haiku.plugins.unregister("temp")
    assert "temp" not in vars(hk)
    assert "tempns" not in vars(hk)
    assert "haiku.tempns" not in sys.modules
    with pytest.raises(AttributeError, match="has no attribute 'temp'"):
        hk.temp
    assert "temp" not in {p.name for p in haiku.plugins.list_plugins()}
    assert not haiku.plugins.plugin_manager().has_plugin("temp")


def test_register_creating_a_conflict_drops_the_cached_value(plugin_site):
    haiku.plugins.register(_plugin(exports=[("haiku", "contested", "math:pi")]), name="a")
    assert hk.contested == pytest.approx(3.14159, abs=1e-5)
    haiku.plugins.register(_plugin(exports=[("haiku", "contested", "math:e")]), name="b")
    with pytest.raises(haiku.plugins.PluginConflictError, match="plugin 'a'.*plugin 'b'"):
        hk.contested
    haiku.plugins.unregister("a")
    assert hk.contested == pytest.approx(2.718281828)


def test_unregister_errors(plugin_site):
    with pytest.raises(PluginError, match="no haiku plugin named 'nope' is registered"):
        haiku.plugins.unregister("nope")
    with pytest.raises(PluginError, match="'core' cannot be unregistered"):
        haiku.plugins.unregister("core")


# -- autoload variables ----------------------------------------------------------


def _two_plugins(site):
    site.add_plugin("fake-alpha", "alpha", [("haiku", "alpha_name", "math:pi")])
    return site.add_plugin("fake-beta", "beta", [("haiku", "beta_name", "math:e")])


def test_disable_autoload(plugin_site, monkeypatch):
    module = _two_plugins(plugin_site)
    monkeypatch.setenv("HAIKU_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert _status("core").status == "loaded"
    assert hk.initializers.__name__ == "haiku.initializers"
    beta = _status("beta")
    assert beta.status == "blocked"
    assert beta.error.startswith("HAIKU_DISABLE_PLUGIN_AUTOLOAD=1 disables plugin autoloading")
    assert module not in sys.modules
    with pytest.raises(MissingPluginError) as info:
        hk.beta_name
    assert "HAIKU_DISABLE_PLUGIN_AUTOLOAD=1" in str(info.value)
    assert (
        "plugin 'beta' (distribution fake-beta 1.0, module fake_beta._plugin) "
        "was not loaded" in str(info.value)
    )
    # A blocked plugin registered by hand keeps its name and distribution.
    info = haiku.plugins.register(module)
    assert (info.name, info.distribution, info.status) == ("beta", "fake-beta", "loaded")
    assert hk.beta_name == pytest.approx(2.718281828)
    assert [p.name for p in haiku.plugins.list_plugins()].count("beta") == 1


@pytest.mark.parametrize("value", ["0", "false", "", "off"])
def test_disable_autoload_false_values(plugin_site, monkeypatch, value):
    _two_plugins(plugin_site)
    monkeypatch.setenv("HAIKU_DISABLE_PLUGIN_AUTOLOAD", value)
    assert hk.beta_name == pytest.approx(2.718281828)


def test_allow_list(plugin_site, monkeypatch):
    _two_plugins(plugin_site)
    monkeypatch.setenv("HAIKU_PLUGINS", " alpha ,other")
    assert hk.alpha_name == pytest.approx(3.14159, abs=1e-5)
    assert _status("beta").status == "blocked"
    with pytest.raises(MissingPluginError) as info:
        hk.beta_name
    assert "HAIKU_PLUGINS=' alpha ,other' does not list 'beta'" in str(info.value)
    assert _status("core").status == "loaded"


def test_empty_allow_list_allows_no_entry_point(plugin_site, monkeypatch):
    _two_plugins(plugin_site)
    monkeypatch.setenv("HAIKU_PLUGINS", "")
    statuses = {p.name: p.status for p in haiku.plugins.list_plugins()}
    assert statuses == {"core": "loaded", "alpha": "blocked", "beta": "blocked"}


def test_blocked_official_name_says_which_variable(plugin_site, monkeypatch):
    plugin_site.add_plugin("haiku-nets", "nets", [("haiku", "Linear", "math:pi")])
    monkeypatch.setenv("HAIKU_PLUGINS", "rnn")
    with pytest.raises(MissingPluginError) as info:
        hk.Linear
    assert str(info.value) == (
        "hk.Linear is provided by the haiku-nets distribution, but its plugin 'nets' "
        "(distribution haiku-nets 1.0, module haiku_nets._plugin) was not loaded: "
        "HAIKU_PLUGINS='rnn' does not list 'nets'; add it to HAIKU_PLUGINS, or "
        "register the plugin with haiku.plugins.register()"
    )


def test_disable_variable_is_read_when_plugins_load(plugin_site, monkeypatch):
    _two_plugins(plugin_site)
    assert hk.alpha_name
    monkeypatch.setenv("HAIKU_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert hk.alpha_name  # already loaded: no change until the registry is reset
    plugin_registry.reset()
    with pytest.raises(MissingPluginError):
        hk.alpha_name


# -- threads ---------------------------------------------------------------------


def test_first_load_is_thread_safe(plugin_site):
    plugin_site.add_plugin(
        "fake-slow",
        "slow",
        [("haiku", "slow_value", "fake_slow.value:VALUE")],
        extra="import time\nCALLS = []\n",
        files={"fake_slow/value.py": "VALUE = object()\n"},
    )
    # Slow the hook down so that every thread arrives while loading runs.
    source = plugin_site.root / "fake_slow" / "_plugin.py"
    source.write_text(
        source.read_text().replace(
            "def haiku_register_exports(registry):\n",
            "def haiku_register_exports(registry):\n    CALLS.append(1)\n    time.sleep(0.2)\n",
        )
    )
    barrier = threading.Barrier(8)
    results, errors = [], []

    def use():
        barrier.wait()
        try:
            results.append(hk.slow_value)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 8
    assert all(r is results[0] for r in results)
    assert sys.modules["fake_slow._plugin"].CALLS == [1]
