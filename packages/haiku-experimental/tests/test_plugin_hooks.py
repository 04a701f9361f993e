"""The plugin hooks of haiku-experimental: tabulate columns and FLOP estimators.

A plugin module is registered by hand (haiku.plugins.register), exactly as
the entry point of a third-party distribution would be loaded.
"""

from __future__ import annotations

import ast
import inspect
import math
import types

import jax.numpy as jnp
import pytest

import haiku as hk
import haiku.plugins
from haiku.experimental import jaxpr_info as ji
from haiku_experimental import hookspecs


class Counter(hk.Module):
    def __call__(self, x):
        count = hk.get_state("count", [4], jnp.int32, init=jnp.zeros)
        hk.set_state("count", count + 1)
        return jnp.exp(x * hk.get_parameter("s", [], init=jnp.ones))


def _plugin(name, **hooks):
    module = types.ModuleType(name)
    module.HAIKU_PLUGIN_API_VERSION = 1
    for hook_name, fn in hooks.items():
        setattr(module, hook_name, haiku.plugins.hookimpl(fn))
    return module


@pytest.fixture
def registered():
    names = []

    def register(name, **hooks):
        haiku.plugins.register(_plugin(name, **hooks), name=name)
        names.append(name)

    yield register
    for name in names:
        haiku.plugins.unregister(name)


def state_columns():
    return {"state_size": ("State count", lambda inv: sum(
        s.size for s in inv.module_details.state.values()))}


def test_plugin_adds_a_tabulate_column(registered):
    f = hk.transform_with_state(lambda x: Counter()(x))
    with pytest.raises(ValueError, match="Invalid column"):
        hk.experimental.tabulate(f, columns=("module", "state_size"))
    registered("demo_columns", haiku_experimental_tabulate_columns=state_columns)
    table = hk.experimental.tabulate(
        f, columns=("module", "state_size"), tabulate_kwargs={"tablefmt": "plain"})(jnp.ones([4]))
    assert table.splitlines() == [
        "Module             State count",
        "counter (Counter)  4",
    ]


def test_unknown_column_lists_builtin_columns_first_then_plugin_columns(registered):
    registered("demo_columns", haiku_experimental_tabulate_columns=state_columns)
    f = hk.transform_with_state(lambda x: Counter()(x))
    with pytest.raises(ValueError) as info:
        hk.experimental.tabulate(f, columns=("bogus",))
    builtin = (
        "Invalid column(s) ['bogus'], valid columns ['module', 'config', 'owned_params', "
        "'input', 'output', 'params_size', 'params_bytes'] (tabulate: plugins add the "
        "columns "
    )
    message = str(info.value)
    assert message.startswith(builtin) and message.endswith(")")
    # Other installed plugins (the sample plugin, in a shared venv) add theirs too.
    assert "state_size" in ast.literal_eval(message[len(builtin):-1])


def test_two_plugins_defining_one_column_is_an_error(registered):
    registered("demo_a", haiku_experimental_tabulate_columns=state_columns)
    registered("demo_b", haiku_experimental_tabulate_columns=state_columns)
    with pytest.raises(ValueError, match="'state_size' is registered by plugins 'demo_.' and 'demo_.'"):
        hk.experimental.tabulate(lambda x: x)


def test_plugin_cannot_redefine_a_builtin_column(registered):
    registered("demo_bad", haiku_experimental_tabulate_columns=lambda: {"module": ("M", str)})
    with pytest.raises(ValueError, match="plugin 'demo_bad' redefines the built-in tabulate column 'module'"):
        hk.experimental.tabulate(lambda x: x)


def test_plugin_flop_estimator_replaces_the_default(registered):
    f = hk.transform_with_state(lambda x: Counter()(x))
    x = jnp.ones([4])
    params, state = f.init(None, x)

    def exp_flops(info):
        [counter] = [e.submodule for e in info.expressions if e.submodule is not None]
        return [e.flops for e in counter.expressions if e.primitive == "exp"]

    estimate = ji.make_model_info(f.apply, compute_flops=ji.estimate_flops)
    assert exp_flops(estimate(params, state, None, x)) == [4]
    registered("demo_flops", haiku_experimental_flop_estimators=lambda: {
        "exp": lambda eqn: 10 * math.prod(eqn.outvars[0].aval.shape)})
    assert exp_flops(estimate(params, state, None, x)) == [40]
    # Another compute_flops does not use the estimators; without one no FLOPs are counted.
    info = ji.make_model_info(f.apply, compute_flops=lambda eqn, e: 0)(params, state, None, x)
    assert exp_flops(info) == [0] and info.flops == 0
    assert exp_flops(ji.make_model_info(f.apply)(params, state, None, x)) == [None]


def test_hooks_are_specified_and_documented():
    # haiku-experimental's plugin specified them when it registered.
    pm = haiku.plugins.plugin_manager()
    for name in ("haiku_experimental_tabulate_columns", "haiku_experimental_flop_estimators"):
        assert getattr(pm.hook, name).spec is not None
        doc = inspect.getdoc(getattr(hookspecs.ExperimentalHookSpecs, name))
        assert "Example" in doc and ">>>" in doc
    # A hook implementation with an unknown argument is rejected by pluggy.
    with pytest.raises(Exception, match="bogus"):
        pm.register(_plugin("demo_wrong", haiku_experimental_flop_estimators=lambda bogus: {}))


def test_an_estimator_sees_the_equation(registered):
    seen = []

    def estimator(eqn):
        seen.append((eqn.primitive.name, [v.aval.shape for v in eqn.invars]))
        return 1

    registered("demo_seen", haiku_experimental_flop_estimators=lambda: {"dot_general": estimator})
    ji.make_model_info(lambda a, b: a @ b, compute_flops=ji.estimate_flops)(
        jnp.ones([2, 3]), jnp.ones([3, 5]))
    assert seen == [("dot_general", [(2, 3), (3, 5)])]
