"""Errors say what to do: missing, blocked, broken, conflicting, incompatible."""

from __future__ import annotations

import importlib

import pytest

import haiku as hk
from haiku.plugins import (
    MissingPluginError,
    PluginConflictError,
    PluginError,
    PluginImportError,
    PluginTargetError,
)


def _status(name):
    return {p.name: p for p in hk.plugins.list_plugins()}[name]


# -- unknown names -----------------------------------------------------------


def test_unknown_name_is_a_plain_attribute_error(plugin_site):
    with pytest.raises(AttributeError) as info:
        hk.foo
    assert type(info.value) is AttributeError
    assert str(info.value) == "module 'haiku' has no attribute 'foo'"
    assert info.value.name == "foo"
    assert info.value.obj is hk
    assert not hasattr(hk, "foo")
    assert getattr(hk, "foo", 42) == 42


def test_unknown_name_in_a_namespace(plugin_site):
    with pytest.raises(AttributeError) as info:
        hk.initializers.NoSuchInit
    assert type(info.value) is AttributeError
    assert str(info.value) == "module 'haiku.initializers' has no attribute 'NoSuchInit'"


def test_unknown_module_import_is_module_not_found(plugin_site):
    with pytest.raises(ModuleNotFoundError) as info:
        import haiku.no_such_namespace  # noqa: F401
    assert type(info.value) is ModuleNotFoundError
    with pytest.raises(ImportError, match="cannot import name 'foo' from 'haiku'"):
        from haiku import foo  # noqa: F401


# -- official names ----------------------------------------------------------


def test_official_name_not_installed(plugin_site):
    expected = 'hk.Linear is provided by the haiku-nets distribution: pip install "haiku[nets]"'
    with pytest.raises(MissingPluginError) as info:
        hk.Linear
    assert str(info.value) == expected
    assert isinstance(info.value, AttributeError)
    assert isinstance(info.value, PluginError)
    assert not hasattr(hk, "Linear")


@pytest.mark.parametrize(
    "qualname, dist, extra",
    [
        ("haiku.LSTM", "haiku-rnn", "rnn"),
        ("haiku.nets", "haiku-nets", "nets"),
        ("haiku.pad", "haiku-nets", "nets"),
        ("haiku.to_dot", "haiku-experimental", "experimental"),
        ("haiku.experimental.tabulate", "haiku-experimental", "experimental"),
        ("haiku.experimental.jaxpr_info", "haiku-experimental", "experimental"),
        ("haiku.experimental.flax", "haiku-flax", "flax"),
    ],
)
def test_official_names_name_their_distribution(plugin_site, qualname, dist, extra):
    namespace, _, name = qualname.rpartition(".")
    module = importlib.import_module(namespace)
    with pytest.raises(MissingPluginError) as info:
        getattr(module, name)
    shown = "hk." + qualname[len("haiku.") :]
    assert str(info.value) == (
        f'{shown} is provided by the {dist} distribution: pip install "haiku[{extra}]"'
    )


def test_import_statements_for_missing_official_names(plugin_site):
    hint = r'provided by the haiku-nets distribution: pip install "haiku\[nets\]"'
    with pytest.raises(PluginImportError, match="hk.nets is " + hint):
        import haiku.nets  # noqa: F401
    with pytest.raises(PluginImportError, match="hk.nets is " + hint):
        from haiku.nets import MLP  # noqa: F401
    with pytest.raises(PluginImportError, match="hk.Linear is " + hint):
        from haiku import Linear  # noqa: F401
    with pytest.raises(PluginImportError, match="hk.experimental.flax is provided"):
        from haiku.experimental import flax  # noqa: F401
    with pytest.raises(ModuleNotFoundError, match="haiku-experimental"):
        import haiku.experimental.jaxpr_info  # noqa: F401


def test_official_core_name_not_implemented_yet(plugin_site, monkeypatch):
    # Pretend core does not register these official names (yet).
    from haiku._src import core_plugin

    unregistered = {("haiku", "layer_stack"), ("haiku.mixed_precision", "set_policy")}
    rows = tuple(r for r in core_plugin.EXPORTS if (r[0], r[1]) not in unregistered)
    monkeypatch.setattr(core_plugin, "EXPORTS", rows)
    with pytest.raises(MissingPluginError) as info:
        hk.layer_stack
    message = str(info.value)
    assert message.startswith("hk.layer_stack is part of the haiku API provided by haiku-core")
    assert "does not implement it yet" in message
    with pytest.raises(MissingPluginError, match="hk.mixed_precision.set_policy is part"):
        hk.mixed_precision.set_policy


def test_official_distribution_installed_without_the_name(plugin_site):
    plugin_site.add_plugin("haiku-nets", "nets", [("haiku", "Linear", "math:pi")], version="0.0.1")
    assert hk.Linear == pytest.approx(3.14159, abs=1e-5)
    with pytest.raises(MissingPluginError) as info:
        hk.Conv2D
    assert str(info.value) == (
        "hk.Conv2D is provided by the haiku-nets distribution, but the installed "
        'haiku-nets 0.0.1 does not register it: pip install -U "haiku[nets]"'
    )


def test_official_distribution_that_failed(plugin_site):
    plugin_site.add_plugin("haiku-rnn", "rnn", extra="raise ImportError('no rnn today')\n")
    with pytest.raises(MissingPluginError) as info:
        hk.LSTM
    message = str(info.value)
    assert message.startswith(
        "hk.LSTM is provided by the haiku-rnn distribution, but its "
        "plugin 'rnn' (distribution haiku-rnn 1.0, module "
        "haiku_rnn._plugin) failed to load: importing "
        "haiku_rnn._plugin raised ImportError: no rnn today"
    )
    assert "ImportError: no rnn today" in message
    assert isinstance(info.value.__cause__, ImportError)
    assert str(info.value.__cause__) == "no rnn today"


# -- broken plugins ----------------------------------------------------------


def test_plugin_whose_import_raises(plugin_site):
    plugin_site.add_plugin("fake-good", "good", [("haiku", "good_name", "math:e")])
    plugin_site.add_plugin(
        "fake-broken",
        "broken",
        [("haiku", "broken_name", "math:pi")],
        extra="raise RuntimeError('broken on purpose')\n",
    )
    # Other plugins, and haiku-core, still work.
    assert hk.good_name == pytest.approx(2.718281828)
    assert hk.initializers.__name__ == "haiku.initializers"
    info = _status("broken")
    assert info.status == "failed"
    assert info.error == ("importing fake_broken._plugin raised RuntimeError: broken on purpose")
    with pytest.raises(MissingPluginError) as raised:
        hk.broken_name
    message = str(raised.value)
    assert "module 'haiku' has no attribute 'broken_name'" in message
    assert (
        "plugin 'broken' (distribution fake-broken 1.0, module fake_broken._plugin) "
        "failed to load: importing fake_broken._plugin raised RuntimeError: broken on "
        "purpose"
    ) in message
    assert isinstance(raised.value.__cause__, RuntimeError)
    assert str(raised.value.__cause__) == "broken on purpose"


def test_import_statement_for_a_broken_plugin_namespace(plugin_site):
    plugin_site.add_plugin(
        "fake-broken-ns",
        "brokenns",
        [("haiku.brokenns", "thing", "math:pi")],
        extra="raise RuntimeError('cannot load')\n",
    )
    with pytest.raises(PluginImportError, match="plugin 'brokenns'") as info:
        import haiku.brokenns  # noqa: F401
    assert isinstance(info.value.__cause__, RuntimeError)


def test_plugin_whose_hook_raises_registers_nothing(plugin_site):
    plugin_site.add_plugin(
        "fake-hook",
        "hook",
        [("haiku", "half_registered", "math:pi"), ("haiku", "bad name", "math:e")],
    )
    info = _status("hook")
    assert info.status == "failed"
    assert info.error.startswith(
        "its haiku_register_exports hook raised ValueError: "
        "invalid name 'bad name' for namespace 'haiku'"
    )
    assert info.exports == ()
    with pytest.raises(MissingPluginError) as raised:
        hk.half_registered
    assert isinstance(raised.value.__cause__, ValueError)


@pytest.mark.parametrize(
    "namespace, name, target, message",
    [
        ("nothaiku", "x", "math:pi", "invalid haiku namespace 'nothaiku'"),
        ("haiku._private", "x", "math:pi", "must not start with '_'"),
        ("haiku.plugins", "x", "math:pi", "is a module of haiku-core"),
        ("haiku", "plugins", "math:pi", "'haiku.plugins' is a module of haiku-core"),
        ("haiku", "_x", "math:pi", "does not start with '_'"),
        ("haiku", "class", "math:pi", "invalid name 'class'"),
        ("haiku", "x", "math:", "invalid target 'math:'"),
        ("haiku", "x", "not a module", "invalid target"),
        ("haiku", "x", 3, "a target must be an import string"),
    ],
)
def test_registry_validates_its_arguments(plugin_site, namespace, name, target, message):
    plugin_site.add_plugin("fake-invalid", "invalid", [(namespace, name, target)])
    info = _status("invalid")
    assert info.status == "failed"
    assert message in info.error


def test_target_that_fails_to_import(plugin_site):
    plugin_site.add_plugin(
        "fake-target",
        "target",
        [
            ("haiku", "fragile", "fake_target.fragile:Fragile"),
            ("haiku", "missing_attr", "fake_target.fragile:Nope"),
        ],
        files={"fake_target/fragile.py": "import fake_no_such_dependency\n"},
    )
    assert _status("target").status == "loaded"
    with pytest.raises(PluginTargetError) as info:
        hk.fragile
    assert str(info.value) == (
        "hk.fragile could not be imported: plugin 'target' (distribution fake-target "
        "1.0, module fake_target._plugin) registers it as "
        "'fake_target.fragile:Fragile', and importing that raised "
        "ModuleNotFoundError: No module named 'fake_no_such_dependency'"
    )
    assert isinstance(info.value.__cause__, ModuleNotFoundError)
    assert isinstance(info.value, AttributeError)
    with pytest.raises(PluginImportError, match="hk.fragile could not be imported") as info:
        from haiku import fragile  # noqa: F401
    assert info.value.name == "fake_no_such_dependency"
    assert isinstance(info.value.__cause__, ModuleNotFoundError)


def test_target_attribute_missing(plugin_site):
    plugin_site.add_plugin(
        "fake-attr",
        "attr",
        [("haiku", "absent", "math:no_such_function")],
    )
    with pytest.raises(PluginTargetError, match="registers it as 'math:no_such_function'"):
        hk.absent


# -- API version ---------------------------------------------------------------


def test_plugin_with_mismatched_api_version(plugin_site):
    plugin_site.add_plugin(
        "fake-future",
        "future",
        [("haiku", "future_name", "math:pi")],
        api_version=2,
        extra="HOOK_RAN = []\n",
        version="3.0",
    )
    info = _status("future")
    assert info.status == "incompatible"
    expected = (
        "plugin 'future' (distribution fake-future 3.0, module fake_future._plugin) "
        "declares HAIKU_PLUGIN_API_VERSION = 2, but haiku-core "
        f"{hk.__version__} expects HAIKU_PLUGIN_API_VERSION = 1"
    )
    assert info.error.startswith(expected)
    assert not hk.plugins.plugin_manager().has_plugin("future")
    with pytest.raises(MissingPluginError) as raised:
        hk.future_name
    assert expected in str(raised.value)


def test_plugin_without_api_version(plugin_site):
    plugin_site.add_plugin("fake-old", "old", [("haiku", "old_name", "math:pi")], api_version=None)
    info = _status("old")
    assert info.status == "incompatible"
    assert info.error.startswith(
        "plugin 'old' (distribution fake-old 1.0, module fake_old._plugin) does not "
        "define HAIKU_PLUGIN_API_VERSION; haiku-core"
    )
    assert "expects HAIKU_PLUGIN_API_VERSION = 1" in info.error
    with pytest.raises(MissingPluginError, match="does not define HAIKU_PLUGIN_API_VERSION"):
        hk.old_name


def test_api_version_must_be_an_int(plugin_site):
    plugin_site.add_plugin("fake-str", "strver", api_version="'1'")
    assert _status("strver").status == "incompatible"
    assert "declares HAIKU_PLUGIN_API_VERSION = '1'" in _status("strver").error


# -- conflicts -----------------------------------------------------------------


def test_two_plugins_exporting_one_name(plugin_site):
    plugin_site.add_plugin(
        "fake-one", "one", [("haiku", "shared", "math:pi"), ("haiku", "only_one", "math:e")]
    )
    plugin_site.add_plugin("fake-two", "two", [("haiku", "shared", "math:tau")])
    with pytest.raises(PluginConflictError) as info:
        hk.shared
    assert str(info.value) == (
        "hk.shared is registered by 2 haiku plugins: plugin 'one' (distribution "
        "fake-one 1.0, module fake_one._plugin) registers it as 'math:pi'; plugin "
        "'two' (distribution fake-two 1.0, module fake_two._plugin) registers it as "
        "'math:tau'. Uninstall all but one of them, or choose which plugins load "
        "with HAIKU_PLUGINS."
    )
    assert isinstance(info.value, AttributeError)
    assert hk.only_one == pytest.approx(2.718281828)
    assert "shared" not in dir(hk)
    assert _status("one").conflicts == ("haiku.shared (also registered by plugin 'two')",)
    assert _status("two").conflicts == ("haiku.shared (also registered by plugin 'one')",)
    with pytest.raises(PluginImportError, match="hk.shared is registered by 2"):
        from haiku import shared  # noqa: F401


def test_plugin_clashing_with_core(plugin_site):
    plugin_site.add_plugin("fake-clash", "clash", [("haiku", "transform", "math:pi")])
    with pytest.raises(PluginConflictError, match="plugin 'core' .* plugin 'clash'"):
        hk.transform


def test_name_clashing_with_a_namespace(plugin_site):
    plugin_site.add_plugin("fake-ns-clash", "nsclash", [("haiku", "initializers", "math")])
    with pytest.raises(PluginConflictError) as info:
        hk.initializers
    message = str(info.value)
    assert "registers it as 'math'" in message
    assert (
        "plugin 'core' (built into haiku-core, module haiku._src.core_plugin) "
        "registers it as a namespace" in message
    )


def test_two_entry_points_with_one_name(plugin_site):
    plugin_site.add_plugin("fake-aaa", "same", [("haiku", "from_a", "math:pi")])
    plugin_site.add_plugin("fake-bbb", "same", [("haiku", "from_b", "math:e")])
    plugins = [p for p in hk.plugins.list_plugins() if p.name == "same"]
    assert [p.status for p in plugins] == ["loaded", "failed"]
    assert plugins[1].error == (
        "the name 'same' is already taken by plugin 'same' (distribution fake-aaa 1.0, "
        "module fake_aaa._plugin)"
    )
    assert hk.from_a == pytest.approx(3.14159, abs=1e-5)


def test_unknown_hook_makes_the_plugin_fail(plugin_site):
    plugin_site.add_plugin(
        "fake-unknown-hook",
        "unknownhook",
        [("haiku", "never", "math:pi")],
        extra="@hookimpl\ndef haiku_no_such_hook():\n    pass\n",
    )
    info = _status("unknownhook")
    assert info.status == "failed"
    assert info.error == (
        "it implements 'haiku_no_such_hook', a hook that no loaded plugin specifies: install "
        "(and load) the distribution that specifies it, or mark the implementation "
        "@hookimpl(optionalhook=True) if that distribution is optional"
    )
    assert not hk.plugins.plugin_manager().has_plugin("unknownhook")
    with pytest.raises(MissingPluginError, match="plugin 'unknownhook' .* failed to load"):
        hk.never


def test_an_optional_hook_without_a_specification_loads(plugin_site):
    plugin_site.add_plugin(
        "fake-optional-hook",
        "optionalhook",
        [("haiku", "from_optional", "math:e")],
        extra="@hookimpl(optionalhook=True)\ndef haiku_other_distribution_hook():\n    return 1\n",
    )
    assert _status("optionalhook").status == "loaded"
    assert hk.from_optional == pytest.approx(2.71828, abs=1e-5)


def test_hookimpl_with_wrong_argument_names(plugin_site):
    plugin_site.add_dist(
        "fake-wrongargs",
        entry_points={"wrongargs": "fake_wrongargs"},
        files={
            "fake_wrongargs/__init__.py": (
                "from haiku.plugins import hookimpl\n"
                "HAIKU_PLUGIN_API_VERSION = 1\n"
                "@hookimpl\n"
                "def haiku_register_exports(registry, extra):\n"
                "    pass\n"
            )
        },
    )
    info = _status("wrongargs")
    assert info.status == "failed"
    assert info.error.startswith("it could not be registered: PluginValidationError")


def test_plugin_registering_a_name_twice(plugin_site):
    plugin_site.add_plugin(
        "fake-twice", "twice", [("haiku", "dup", "math:pi"), ("haiku", "dup", "math:e")]
    )
    assert _status("twice").conflicts == ("haiku.dup (registered twice by this plugin)",)
    with pytest.raises(PluginConflictError, match="hk.dup is registered by 2 haiku plugins"):
        hk.dup
