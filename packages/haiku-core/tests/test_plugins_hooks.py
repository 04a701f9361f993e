"""Hooks that plugins bring (haiku_add_hookspecs), call_each, merge_claims, blocking."""

from __future__ import annotations

import types

import pytest

import haiku as hk
import haiku.plugins
from haiku.plugins import PluginHookError, call_each, hookimpl, merge_claims

# A plugin that specifies a hook for other plugins (as haiku-experimental does).
_SPECS = """
from haiku.plugins import hookspec

class Specs:
    @hookspec
    def haiku_demo_losses(self, scale):
        "Returns {name: value}."

@hookimpl
def haiku_add_hookspecs(plugin_manager):
    plugin_manager.add_hookspecs(Specs)
"""

# A plugin implementing it, without optionalhook.
_IMPL = """
@hookimpl
def haiku_demo_losses(scale):
    return {{"{name}": {value} * scale}}
"""


def _status(name):
    return {p.name: p for p in hk.plugins.list_plugins()}[name]


def _plugin(name, **hooks):
    module = types.ModuleType(name)
    module.HAIKU_PLUGIN_API_VERSION = 1
    for hook_name, fn in hooks.items():
        setattr(module, hook_name, hookimpl(fn))
    return module


def _losses():
    hook = hk.plugins.plugin_manager().hook.haiku_demo_losses
    return list(call_each(hook, scale=10))


def test_plugins_implementing_a_brought_hook_load_before_and_after_its_specifier(plugin_site):
    # Entry points load sorted by distribution: "fake-a-impl" before "fake-m-specs".
    plugin_site.add_plugin("fake-a-impl", "aimpl", extra=_IMPL.format(name="a", value=1))
    plugin_site.add_plugin("fake-m-specs", "specs", extra=_SPECS)
    plugin_site.add_plugin("fake-z-impl", "zimpl", extra=_IMPL.format(name="z", value=2))
    assert [_status(n).status for n in ("aimpl", "specs", "zimpl")] == ["loaded"] * 3
    assert hk.plugins.plugin_manager().hook.haiku_demo_losses.spec is not None
    assert _losses() == [("aimpl", {"a": 10}), ("zimpl", {"z": 20})]


def test_a_hand_registered_plugin_sees_brought_hooks(plugin_site):
    plugin_site.add_plugin("fake-m-specs", "specs", extra=_SPECS)
    haiku.plugins.register(_plugin("late", haiku_demo_losses=lambda scale: {"late": scale}))
    assert _losses() == [("late", {"late": 10})]
    haiku.plugins.unregister("late")
    assert _losses() == []


def test_a_hand_registered_plugin_with_an_unspecified_hook_is_refused(plugin_site):
    with pytest.raises(PluginError_, match="it implements 'haiku_demo_losses', a hook that no "
                       "loaded plugin specifies"):
        haiku.plugins.register(_plugin("orphan", haiku_demo_losses=lambda: {}))
    assert "orphan" not in {p.name for p in hk.plugins.list_plugins()}
    assert not hk.plugins.plugin_manager().has_plugin("orphan")


PluginError_ = haiku.plugins.PluginError


def test_the_brought_hook_of_a_blocked_specifier_is_unknown(plugin_site, monkeypatch):
    plugin_site.add_plugin("fake-a-impl", "aimpl", [("haiku", "from_impl", "math:pi")],
                           extra=_IMPL.format(name="a", value=1))
    plugin_site.add_plugin("fake-m-specs", "specs", extra=_SPECS)
    monkeypatch.setenv("HAIKU_PLUGINS", "aimpl")
    info = _status("aimpl")
    assert info.status == "failed"
    assert info.error.startswith("it implements 'haiku_demo_losses', a hook that no loaded")
    assert info.exports == ()
    with pytest.raises(haiku.plugins.MissingPluginError, match="plugin 'aimpl' .*failed to load"):
        hk.from_impl


def test_env_blocked_plugins_are_blocked_in_pluggy_until_registered_by_hand(plugin_site,
                                                                               monkeypatch):
    module = plugin_site.add_plugin("fake-blocked", "blocked", [("haiku", "bval", "math:e")])
    monkeypatch.setenv("HAIKU_DISABLE_PLUGIN_AUTOLOAD", "1")
    pm = hk.plugins.plugin_manager()
    assert pm.is_blocked("blocked") and _status("blocked").status == "blocked"
    info = haiku.plugins.register(module)
    assert (info.name, info.status) == ("blocked", "loaded")
    assert not pm.is_blocked("blocked")
    assert hk.bval == pytest.approx(2.71828, abs=1e-5)


def test_call_each_passes_the_named_arguments_and_skips_none(plugin_site):
    plugin_site.add_plugin("fake-m-specs", "specs", extra=_SPECS)
    haiku.plugins.register(_plugin("first", haiku_demo_losses=lambda: {"no_args": 1}))
    haiku.plugins.register(_plugin("silent", haiku_demo_losses=lambda scale: None))
    haiku.plugins.register(_plugin("third", haiku_demo_losses=lambda scale: {"s": scale}))
    assert _losses() == [("first", {"no_args": 1}), ("third", {"s": 10})]
    hook = hk.plugins.plugin_manager().hook.haiku_demo_losses
    assert list(call_each(hook, plugins={"third"}, scale=3)) == [("third", {"s": 3})]


def test_call_each_attributes_errors_to_their_plugin(plugin_site):
    plugin_site.add_plugin("fake-m-specs", "specs", extra=_SPECS)

    def broken(scale):
        raise KeyError(scale)

    haiku.plugins.register(_plugin("fine", haiku_demo_losses=lambda scale: {"x": 1}))
    haiku.plugins.register(_plugin("broken", haiku_demo_losses=broken))
    hook = hk.plugins.plugin_manager().hook.haiku_demo_losses
    results = call_each(hook, scale=4)
    assert next(results) == ("fine", {"x": 1})
    with pytest.raises(PluginHookError) as info:
        next(results)
    assert str(info.value) == "plugin 'broken': its haiku_demo_losses hook raised KeyError: 4"
    assert (info.value.plugin, info.value.hook) == ("broken", "haiku_demo_losses")
    assert isinstance(info.value.__cause__, KeyError)
    assert isinstance(info.value, RuntimeError)


def test_call_each_refuses_hook_wrappers(plugin_site):
    plugin = types.ModuleType("wrapping")
    plugin.HAIKU_PLUGIN_API_VERSION = 1

    def haiku_register_exports(registry):
        yield

    plugin.haiku_register_exports = hookimpl(wrapper=True)(haiku_register_exports)
    with pytest.raises(PluginError_, match="its haiku_register_exports hook raised TypeError: "
                       "haiku_register_exports cannot be a hook wrapper"):
        haiku.plugins.register(plugin, name="wrapping")


def test_merge_claims_keeps_order_and_reports_every_claim_of_a_conflict():
    unique, conflicts = merge_claims([
        ("p1", "b", 1), ("p2", "a", 2), ("p1", "c", 3), ("p3", "b", 4), ("p1", "b", 5)])
    assert list(unique.items()) == [("a", ("p2", 2)), ("c", ("p1", 3))]
    assert conflicts == {"b": [("p1", 1), ("p3", 4), ("p1", 5)]}
    assert merge_claims([]) == ({}, {})
