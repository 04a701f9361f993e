"""Discovery through entry points, lazy names and module-like namespaces."""

from __future__ import annotations

import importlib
import sys
import types

import pytest

import haiku as hk
from haiku._src import plugin_namespace, plugin_registry

TARGET = """\
LOADS = []
class Widget:
    pass
def helper():
    return "helped"
"""


def _widget_dist(site, dist="fake-widgets", ep="widgets", package=None):
    package = package or dist.replace("-", "_")
    return site.add_plugin(
        dist,
        ep,
        [
            ("haiku", "Widget", f"{package}.widget:Widget"),
            ("haiku", "widget_helper", f"{package}.helpers:helper"),
        ],
        files={
            f"{package}/widget.py": TARGET,
            f"{package}/helpers.py": "def helper():\n    return 'helped'\n",
        },
    )


def test_entry_point_plugin_is_discovered_and_listed(plugin_site):
    _widget_dist(plugin_site)
    assert hk.Widget.__name__ == "Widget"
    info = {p.name: p for p in hk.plugins.list_plugins()}
    widgets = info["widgets"]
    assert widgets.distribution == "fake-widgets"
    assert widgets.version == "1.0"
    assert widgets.module == "fake_widgets._plugin"
    assert widgets.source == "entry point"
    assert widgets.status == "loaded"
    assert widgets.error is None
    assert widgets.exports == ("haiku.Widget", "haiku.widget_helper")
    assert info["core"].status == "loaded"
    assert info["core"].source == "builtin"
    assert list(info)[0] == "core"


def test_targets_are_imported_on_first_use_only(plugin_site):
    _widget_dist(plugin_site)
    assert "fake_widgets._plugin" not in sys.modules
    assert hk.widget_helper() == "helped"
    # Using one name loads the plugin modules, not the other names' targets.
    assert "fake_widgets._plugin" in sys.modules
    assert "fake_widgets.helpers" in sys.modules
    assert "fake_widgets.widget" not in sys.modules
    widget = hk.Widget
    assert sys.modules["fake_widgets.widget"].Widget is widget


def test_resolved_names_are_cached_on_the_namespace(plugin_site):
    _widget_dist(plugin_site)
    assert "Widget" not in vars(hk)
    widget = hk.Widget
    assert vars(hk)["Widget"] is widget
    assert hk.Widget is widget


def test_dir_lists_every_available_name(plugin_site):
    _widget_dist(plugin_site)
    names = dir(hk)
    for name in ("Widget", "widget_helper", "transform", "Module", "plugins"):
        assert name in names
    # Namespaces are names of their parent.
    for name in ("initializers", "data_structures", "config", "testing"):
        assert name in names
    assert "experimental" in names and "mixed_precision" in names
    assert "Widget" in hk.__all__
    assert "plugins" not in hk.__all__
    assert "Orthogonal" in dir(hk.initializers)


def test_dir_hides_private_names_so_walkers_see_only_the_public_api():
    import haiku.experimental  # noqa: F401  (a namespace whose _src-free dir is checked too)

    private = [n for n in dir(hk) if n.startswith("_") and not n.startswith("__")]
    assert private == []
    assert [n for n in dir(hk.experimental) if n.startswith("_") and not n.startswith("__")] == []
    assert hk._src is not None  # Still importable by name; only dir() leaves it out.
    assert "__version__" in dir(hk)
    # A walk over dir() reaches only public namespaces, never haiku._src.
    seen, todo = set(), [hk]
    while todo:
        namespace = todo.pop()
        seen.add(namespace.__name__)
        for name in dir(namespace):
            value = getattr(namespace, name)
            if isinstance(value, types.ModuleType) and value.__name__ not in seen \
                    and value.__name__.startswith("haiku"):
                todo.append(value)
    assert not any("._src" in name or name.split(".")[-1].startswith("_") for name in seen)
    assert {"haiku", "haiku.initializers", "haiku.experimental"} <= seen


def test_core_namespaces_exist_with_docs(plugin_site):
    for name in (
        "initializers",
        "data_structures",
        "config",
        "testing",
        "experimental",
        "mixed_precision",
    ):
        namespace = getattr(hk, name)
        assert isinstance(namespace, plugin_namespace.Namespace)
        assert namespace.__name__ == f"haiku.{name}"
        assert namespace.__doc__
        assert sys.modules[f"haiku.{name}"] is namespace


def test_plugin_adds_names_to_a_core_namespace(plugin_site):
    plugin_site.add_plugin(
        "fake-inits",
        "inits",
        [("haiku.initializers", "Halves", "fake_inits.impl:Halves")],
        files={"fake_inits/impl.py": "class Halves:\n    pass\n"},
    )
    assert hk.initializers.Halves.__name__ == "Halves"
    names = dir(hk.initializers)
    assert "Halves" in names and "TruncatedNormal" in names
    from haiku.initializers import Halves

    assert Halves is hk.initializers.Halves


def _contrib_dist(site):
    return site.add_plugin(
        "fake-contrib",
        "contrib",
        [
            ("haiku.contribx", "Thing", "fake_contrib.things:Thing"),
            ("haiku.contribx.deep", "Deeper", "fake_contrib.things:Deeper"),
            ("haiku.contribx", "things", "fake_contrib.things"),
        ],
        namespaces=[("haiku.contribx", "Community things.")],
        files={"fake_contrib/things.py": "class Thing: pass\nclass Deeper: pass\n"},
    )


def test_new_namespace_by_attribute(plugin_site):
    _contrib_dist(plugin_site)
    assert hk.contribx.Thing.__name__ == "Thing"
    assert hk.contribx.__doc__ == "Community things."
    assert hk.contribx.deep.Deeper.__name__ == "Deeper"
    assert "contribx" in dir(hk)
    assert dir(hk.contribx) == sorted(set(dir(hk.contribx)))
    assert {"Thing", "deep", "things"} <= set(dir(hk.contribx))
    assert hk.contribx.__all__ == ["Thing", "deep", "things"]
    assert repr(hk.contribx) == "<haiku namespace 'haiku.contribx'>"


def test_all_lists_names_in_registration_order_and_dir_sorts_them(plugin_site):
    plugin_site.add_plugin(
        "fake-ordered",
        "ordered",
        [
            ("haiku.orderedx", "zeta", "fake_ordered.impl:zeta"),
            ("haiku.orderedx.inner", "Thing", "fake_ordered.impl:Thing"),
            ("haiku.orderedx", "Alpha", "fake_ordered.impl:Alpha"),
        ],
        files={"fake_ordered/impl.py": "zeta = 1\nclass Thing: pass\nclass Alpha: pass\n"},
    )
    assert hk.orderedx.__all__ == ["zeta", "inner", "Alpha"]
    assert [n for n in dir(hk.orderedx) if not n.startswith("__")] == ["Alpha", "inner", "zeta"]
    # Core registers its namespaces in dm-haiku's __all__ order.
    assert hk.initializers.__all__[:4] == ["Constant", "Orthogonal", "Identity", "Initializer"]


def test_new_namespace_by_import_statements(plugin_site):
    _contrib_dist(plugin_site)
    import haiku.contribx
    from haiku.contribx import Thing, deep

    assert haiku.contribx is hk.contribx
    assert Thing is hk.contribx.Thing
    assert deep is hk.contribx.deep
    import haiku.contribx.deep as d

    assert d is deep
    from haiku.contribx.deep import Deeper

    assert Deeper.__name__ == "Deeper"
    assert importlib.import_module("haiku.contribx.deep") is deep


def test_star_import_uses_all(plugin_site):
    _contrib_dist(plugin_site)
    scope: dict = {}
    exec("from haiku.contribx import *", scope)
    assert {"Thing", "deep", "things"} <= set(scope)


def test_whole_module_target_is_an_alias(plugin_site):
    _contrib_dist(plugin_site)
    things = sys.modules.get("fake_contrib.things") or importlib.import_module(
        "fake_contrib.things"
    )
    assert hk.contribx.things is things
    import haiku.contribx.things as aliased

    assert aliased is things
    # The module keeps its own identity.
    assert things.__spec__.name == "fake_contrib.things"
    assert things.__name__ == "fake_contrib.things"
    assert sys.modules["haiku.contribx.things"] is things


def test_attribute_target_is_not_a_module(plugin_site):
    _contrib_dist(plugin_site)
    with pytest.raises(ModuleNotFoundError, match="haiku.contribx.Thing"):
        importlib.import_module("haiku.contribx.Thing")


def test_dotted_attribute_target(plugin_site):
    plugin_site.add_plugin(
        "fake-dotted",
        "dotted",
        [("haiku", "inner_value", "fake_dotted.impl:Outer.Inner.value")],
        files={"fake_dotted/impl.py": "class Outer:\n  class Inner:\n    value = 42\n"},
    )
    assert hk.inner_value == 42


def test_loading_is_lazy_and_happens_once(plugin_site):
    plugin_site.add_plugin(
        "fake-counter",
        "counter",
        [("haiku", "counted", "fake_counter._plugin:CALLS")],
        extra="CALLS = []\n",
    )
    assert plugin_registry._state is None
    hk.plugins.list_plugins()
    hk.plugins.list_plugins()
    calls = hk.counted
    assert calls == []
    module = sys.modules["fake_counter._plugin"]
    assert module.CALLS is calls
    state = plugin_registry._state
    dir(hk)
    assert plugin_registry._state is state


def test_private_names_do_not_load_plugins(plugin_site):
    with pytest.raises(AttributeError, match="has no attribute '_private'"):
        hk._private
    with pytest.raises(AttributeError):
        hk.__wrapped__
    assert not hasattr(hk, "__something__")
    assert plugin_registry._state is None


def test_plugin_module_may_use_haiku_while_loading(plugin_site):
    # The plugin module touches hk.* at import time, i.e. during loading.
    plugin_site.add_plugin(
        "fake-eager",
        "eager",
        [("haiku", "eager_seen", "fake_eager._plugin:SEEN")],
        extra="import haiku as hk\nSEEN = hk.initializers.__name__\n",
    )
    assert hk.eager_seen == "haiku.initializers"


def test_hookimpl_may_take_no_arguments(plugin_site):
    plugin_site.add_dist(
        "fake-noargs",
        entry_points={"noargs": "fake_noargs"},
        files={
            "fake_noargs/__init__.py": (
                "from haiku.plugins import hookimpl\n"
                "HAIKU_PLUGIN_API_VERSION = 1\n"
                "CALLED = []\n"
                "@hookimpl\n"
                "def haiku_register_exports():\n"
                "    CALLED.append(True)\n"
            )
        },
    )
    status = {p.name: p.status for p in hk.plugins.list_plugins()}
    assert status["noargs"] == "loaded"
    assert sys.modules["fake_noargs"].CALLED == [True]


def test_entry_point_may_name_an_object(plugin_site):
    plugin_site.add_dist(
        "fake-object",
        entry_points={"object": "fake_object:PLUGIN"},
        files={
            "fake_object/__init__.py": (
                "from haiku.plugins import hookimpl\n"
                "class _Plugin:\n"
                "    HAIKU_PLUGIN_API_VERSION = 1\n"
                "    @hookimpl\n"
                "    def haiku_register_exports(self, registry):\n"
                "        registry.add('haiku', 'from_object', 'math:tau')\n"
                "PLUGIN = _Plugin()\n"
            )
        },
    )
    assert hk.from_object == pytest.approx(6.283185307179586)


def test_stub_directory_does_not_shadow_a_namespace(plugin_site, tmp_path, monkeypatch):
    # Type stubs may sit beside the lazy modules: haiku/contribx/__init__.pyi,
    # haiku/contribx/deep.pyi. Without the finder such a folder would import
    # as a namespace package.
    stubs = tmp_path / "stubs"
    (stubs / "contribx").mkdir(parents=True)
    (stubs / "contribx" / "__init__.pyi").write_text("Thing: type\n")
    (stubs / "contribx" / "deep.pyi").write_text("Deeper: type\n")
    (stubs / "widgets.pyi").write_text("")
    monkeypatch.setattr(hk, "__path__", [*hk.__path__, str(stubs)])
    _contrib_dist(plugin_site)
    import haiku.contribx
    import haiku.contribx.deep

    assert isinstance(haiku.contribx, plugin_namespace.Namespace)
    assert isinstance(haiku.contribx.deep, plugin_namespace.Namespace)
    assert haiku.contribx.Thing.__name__ == "Thing"


def test_real_submodules_win_over_the_finder(plugin_site, tmp_path, monkeypatch):
    real = tmp_path / "real"
    real.mkdir()
    (real / "realmod.py").write_text("REAL = True\n")
    monkeypatch.setattr(hk, "__path__", [*hk.__path__, str(real)])
    plugin_site.add_plugin("fake-shadow", "shadow", [("haiku.realmod", "x", "math:pi")])
    try:
        import haiku.realmod

        assert haiku.realmod.REAL is True
    finally:
        sys.modules.pop("haiku.realmod", None)
        vars(hk).pop("realmod", None)


def test_finder_is_installed_once_and_before_the_path_finder():
    finders = [f for f in sys.meta_path if getattr(f, "_haiku_namespace_finder", False)]
    assert len(finders) == 1
    assert sys.meta_path.index(finders[0]) < sys.meta_path.index(importlib.machinery.PathFinder)
    plugin_namespace.install()
    finders = [f for f in sys.meta_path if getattr(f, "_haiku_namespace_finder", False)]
    assert len(finders) == 1


def test_plugins_submodule_is_an_attribute(plugin_site):
    import haiku.plugins

    assert hk.plugins is haiku.plugins
    assert "plugins" in dir(hk)


def test_reset_forgets_namespaces_and_cached_names(plugin_site):
    _contrib_dist(plugin_site)
    contribx = hk.contribx
    assert contribx.Thing
    assert "contribx" in vars(hk)
    plugin_registry.reset()
    assert "contribx" not in vars(hk)
    assert "haiku.contribx" not in sys.modules
    assert "Thing" not in vars(contribx)
    assert plugin_registry._state is None
