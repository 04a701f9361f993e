"""Fault isolation: broken third-party plugins never break ``import haiku`` or
the other plugins, and an exception inside a transformed function (at any
depth, under any wrapper) leaves nothing behind.

haiku-core's tests check each plugin fault alone in a fake site; here they
are installed all at once next to the real haiku-nets, haiku-rnn and sample
plugins, in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import haiku as hk
from haiku._src import base, interception, mixed_precision

# -- broken plugins next to the real ones ---------------------------------------------

PLUGINS = {
    # entry-point name: (body of the plugin module after the imports)
    "boom": "raise RuntimeError('boom on import')\n",
    "twice": """
HAIKU_PLUGIN_API_VERSION = 1

@hookimpl
def haiku_register_exports(registry):
    registry.add("haiku", "twice_name", "math:pi")
    registry.add("haiku", "twice_name", "math:e")
""",
    "future": """
HAIKU_PLUGIN_API_VERSION = 2

@hookimpl
def haiku_register_exports(registry):
    registry.add("haiku", "future_name", "math:pi")
""",
    "blocked": """
HAIKU_PLUGIN_API_VERSION = 1

@hookimpl
def haiku_register_exports(registry):
    registry.add("haiku", "blocked_name", "math:pi")
""",
    "hookboom": """
HAIKU_PLUGIN_API_VERSION = 1

@hookimpl
def haiku_register_exports(registry):
    registry.add("haiku", "hookboom_name", "math:pi")
    raise ValueError("hook failed half-way")
""",
    "good": """
HAIKU_PLUGIN_API_VERSION = 1

@hookimpl
def haiku_register_exports(registry):
    registry.add("haiku", "fault_good", "math:tau")
""",
}

CHILD = """
import json, math
import haiku as hk
import haiku.plugins
import jax, jax.numpy as jnp

result = {"statuses": {p.name: p.status for p in haiku.plugins.list_plugins()}}
result["errors"] = {}
for name in ("boom_name", "twice_name", "future_name", "blocked_name", "hookboom_name"):
    try:
        getattr(hk, name)
    except Exception as e:
        result["errors"][name] = [type(e).__name__, str(e)]
result["fault_good"] = hk.fault_good
f = hk.transform(lambda x: hk.nets.MLP([3, 2])(hk.LSTM(2)(x, hk.LSTM(2).initial_state(1))[0]))
params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 2]))
result["params"] = list(params)
result["example_plugins"] = sorted({e.plugin for e in hk.testing.conformance_examples()})
print(json.dumps(result))
"""


def _write_site(root):
    for name, body in PLUGINS.items():
        package = root / f"fault_{name}"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "_plugin.py").write_text("from haiku.plugins import hookimpl\n" + body)
        dist_info = root / f"fault_{name}-1.0.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: fault-{name}\nVersion: 1.0\n")
        (dist_info / "entry_points.txt").write_text(
            f"[haiku]\n{name} = fault_{name}._plugin\n")


@pytest.fixture(scope="module")
def broken_site_result(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    _write_site(root)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")])
    # Everything but "blocked" is allowed.
    allowed = ["nets", "rnn", "flax", "experimental", "contrib-sample", *PLUGINS]
    env["HAIKU_PLUGINS"] = ",".join(n for n in allowed if n != "blocked")
    env["JAX_PLATFORMS"] = "cpu"
    proc = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_broken_plugins_have_their_status(broken_site_result):
    statuses = broken_site_result["statuses"]
    assert {name: statuses[name] for name in PLUGINS} == {
        "boom": "failed", "twice": "loaded", "future": "incompatible", "blocked": "blocked",
        "hookboom": "failed", "good": "loaded"}
    assert statuses["core"] == statuses["nets"] == statuses["rnn"] == "loaded"
    assert statuses["contrib-sample"] == "loaded"


def test_names_of_broken_plugins_say_why(broken_site_result):
    errors = broken_site_result["errors"]
    assert errors["boom_name"][0] == "MissingPluginError"
    assert ("plugin 'boom' (distribution fault-boom 1.0, module fault_boom._plugin) failed to "
            "load: importing fault_boom._plugin raised RuntimeError: boom on import"
            ) in errors["boom_name"][1]
    assert errors["twice_name"][0] == "PluginConflictError"
    assert "hk.twice_name is registered by 2 haiku plugins" in errors["twice_name"][1]
    assert errors["future_name"][0] == "MissingPluginError"
    assert "declares HAIKU_PLUGIN_API_VERSION = 2" in errors["future_name"][1]
    assert errors["blocked_name"][0] == "MissingPluginError"
    assert "HAIKU_PLUGINS" in errors["blocked_name"][1] and "'blocked'" in errors["blocked_name"][1]
    assert errors["hookboom_name"][0] == "MissingPluginError"
    assert "hook failed half-way" in errors["hookboom_name"][1]


def test_other_plugins_work_next_to_broken_ones(broken_site_result):
    assert broken_site_result["fault_good"] == pytest.approx(2 * np.pi)
    # haiku-nets and haiku-rnn work (the LSTM runs before the MLP it feeds).
    assert broken_site_result["params"] == ["lstm/linear", "mlp/~/linear_0", "mlp/~/linear_1"]
    assert broken_site_result["example_plugins"] == ["contrib-sample", "flax", "nets", "rnn"]


# -- exceptions inside transformed functions ---------------------------------------


class Boom(Exception):
    pass


class Raiser(hk.Module):
    def __call__(self, x):
        hk.get_parameter("w", [], init=jnp.ones)
        hk.set_state("s", jnp.zeros([]))
        raise Boom(hk.current_name())


def _nested(x):
    """Raises three modules and scopes deep, with interceptors and a policy active."""
    import jmp

    def interceptor(next_fun, args, kwargs, context):
        return next_fun(*args, **kwargs)

    def getter(next_getter, value, context):
        return next_getter(value)

    with hk.intercept_methods(interceptor), hk.custom_getter(getter), \
            hk.custom_creator(lambda nc, s, d, i, c: nc(s, d, i)), \
            hk.mixed_precision.push_policy(Raiser, jmp.get_policy("bfloat16")):
        with hk.name_scope("outer"):
            hk.Linear(2)(x)
            return Raiser()(x)


WRAPPERS = {
    "plain": lambda x: _nested(x),
    "hk.remat": lambda x: hk.remat(_nested)(x),
    "hk.vmap": lambda x: hk.vmap(_nested, split_rng=False)(x[None]),
    "hk.scan": lambda x: hk.scan(lambda c, xi: (c, _nested(xi)), 0, x[None]),
    "hk.cond": lambda x: hk.cond(True, _nested, _nested, x),
    "hk.eval_shape": lambda x: hk.eval_shape(_nested, x),
    "hk.layer_stack": lambda x: hk.layer_stack(2)(lambda x: _nested(x) or x)(x),
    "hk.lift": lambda x: hk.lift(hk.transform(_nested).init)(hk.next_rng_key(), x),
    "jax.jit": lambda x: jax.jit(lambda x: _nested(x))(x),
    "nested transform": lambda x: hk.transform_with_state(_nested).init(
        jax.random.PRNGKey(0), x),
}


def assert_nothing_left_behind():
    assert base._FRAMES.get() == ()
    assert interception.interceptors.get() == ()
    assert mixed_precision.current_policy() is None
    assert hk.mixed_precision.get_policy(Raiser) is None
    # The next transform behaves as if nothing happened: fresh names, no
    # interceptor or creator, float32 compute.
    f = hk.transform_with_state(lambda x: (hk.Linear(2)(x), hk.current_name()))
    params, state = f.init(jax.random.PRNGKey(0), jnp.ones([1, 3]))
    assert list(params) == ["linear"] and state == {}
    (out, name), _ = f.apply(params, state, None, jnp.ones([1, 3]))
    assert name == "~" and out.dtype == jnp.float32
    np.testing.assert_allclose(out, jnp.ones([1, 3]) @ params["linear"]["w"], rtol=1e-6)


@pytest.mark.parametrize("phase", ["init", "apply"])
@pytest.mark.parametrize("wrapper", sorted(WRAPPERS))
def test_exception_in_a_transformed_function_leaves_nothing_behind(wrapper, phase):
    f = hk.transform_with_state(WRAPPERS[wrapper])
    x = jnp.ones([3], jnp.float32)
    if phase == "init" or wrapper in ("hk.lift", "nested transform"):
        # (lift and a nested transform run the inner init in apply too.)
        with pytest.raises(Boom, match="raiser"):
            f.init(jax.random.PRNGKey(0), x)
    else:
        # Empty params: the first module fails to find its parameter.
        with pytest.raises(ValueError, match="Unable to retrieve parameter 'w' for module"):
            f.apply({}, {}, jax.random.PRNGKey(0), x)
    assert_nothing_left_behind()
