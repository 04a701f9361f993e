"""The sample third-party plugin (tests/sample_plugin), installed for real.

haiku-contrib-sample declares ``contrib-sample = "haiku_contrib_sample._plugin"``
in the ``haiku`` entry point group; it adds a new namespace (``haiku.contrib``)
and a name to a core namespace (``haiku.initializers.HalfOnes``).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import pytest

import haiku as hk
import haiku.plugins


def _run(code: str, **env: str) -> dict:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HAIKU_")}
    environ.update(env)
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=environ,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_sample_plugin_is_listed():
    info = {p.name: p for p in haiku.plugins.list_plugins()}["contrib-sample"]
    assert info.status == "loaded", info.error
    assert info.distribution == "haiku-contrib-sample"
    assert info.source == "entry point"
    assert info.module == "haiku_contrib_sample._plugin"
    assert set(info.exports) == {
        "haiku.contrib.ScaleByParameter",
        "haiku.initializers.HalfOnes",
    }
    assert info.conflicts == ()


def test_new_namespace_works_like_a_module():
    from haiku.contrib import ScaleByParameter

    assert importlib.import_module("haiku.contrib") is hk.contrib
    assert ScaleByParameter is hk.contrib.ScaleByParameter
    assert "contrib" in dir(hk)
    assert "ScaleByParameter" in dir(hk.contrib)


def test_sample_module_in_a_transform():
    f = hk.transform(lambda x: hk.contrib.ScaleByParameter()(x))
    x = jnp.arange(3.0)
    params = f.init(jax.random.PRNGKey(0), x)
    assert jax.tree_util.tree_map(jnp.shape, params) == {"scale_by_parameter": {"scale": ()}}
    params = {"scale_by_parameter": {"scale": jnp.asarray(2.0)}}
    assert f.apply(params, None, x).tolist() == [0.0, 2.0, 4.0]


def test_name_added_to_a_core_namespace():
    assert "HalfOnes" in dir(hk.initializers)
    assert "TruncatedNormal" in dir(hk.initializers)
    from haiku.initializers import HalfOnes

    assert HalfOnes()([2], jnp.float32).tolist() == [0.5, 0.5]


def test_sample_plugin_is_imported_lazily():
    out = _run(
        """
        import json, sys
        import haiku as hk
        state = {"after_import": "haiku_contrib_sample._plugin" in sys.modules}
        hk.plugins.list_plugins()
        state["after_load"] = "haiku_contrib_sample._plugin" in sys.modules
        state["scale"] = "haiku_contrib_sample._src.scale" in sys.modules
        hk.contrib.ScaleByParameter
        state["after_use"] = "haiku_contrib_sample._src.scale" in sys.modules
        print(json.dumps(state))
        """
    )
    assert out == {"after_import": False, "after_load": True, "scale": False, "after_use": True}


@pytest.mark.parametrize(
    "env, reason",
    [
        ({"HAIKU_PLUGINS": "nets"}, "HAIKU_PLUGINS='nets' does not list 'contrib-sample'"),
        ({"HAIKU_DISABLE_PLUGIN_AUTOLOAD": "1"}, "HAIKU_DISABLE_PLUGIN_AUTOLOAD=1"),
    ],
)
def test_blocked_sample_plugin(env, reason):
    out = _run(
        """
        import json
        import haiku as hk
        import haiku.plugins
        out = {}
        try:
            hk.contrib
        except AttributeError as e:
            out["error"] = [type(e).__name__, str(e)]
        info = haiku.plugins.register("haiku_contrib_sample._plugin")
        out["registered"] = [info.name, info.distribution, info.status]
        out["works"] = hk.contrib.ScaleByParameter.__name__
        print(json.dumps(out))
        """,
        **env,
    )
    kind, message = out["error"]
    assert kind == "MissingPluginError"
    assert "plugin 'contrib-sample' (distribution haiku-contrib-sample" in message
    assert reason in message
    assert out["registered"] == ["contrib-sample", "haiku-contrib-sample", "loaded"]
    assert out["works"] == "ScaleByParameter"


# -- haiku-experimental's hooks, implemented by the sample plugin ---------------


def test_sample_plugin_loads_with_haiku_experimentals_hooks_specified():
    # A fresh interpreter: haiku-experimental's plugin specifies its hooks as it
    # registers (haiku_add_hookspecs), without importing its tools.
    out = _run(
        """
        import json, sys
        import haiku.plugins
        info = {p.name: p for p in haiku.plugins.list_plugins()}["contrib-sample"]
        hook = haiku.plugins.plugin_manager().hook.haiku_experimental_tabulate_columns
        print(json.dumps([info.status, hook.spec is not None,
                          "haiku_experimental._src.extensions" in sys.modules]))
        """
    )
    assert out == ["loaded", True, False]


def test_tabulate_shows_the_sample_plugins_param_bytes_column():
    def f(x):
        x = hk.Linear(3)(x)
        return hk.contrib.ScaleByParameter()(x.astype(jnp.bfloat16))

    x = jnp.ones([2, 4])
    table = hk.experimental.tabulate(f, columns=("module", "param_bytes"))(x)
    rows = {line.split("|")[1].strip(): line.split("|")[2].strip()
            for line in table.splitlines() if line.startswith("| ") and "(" in line}
    params = hk.transform(f).init(jax.random.PRNGKey(0), x)
    assert "Param bytes" in table.splitlines()[1]
    assert rows == {
        "linear (Linear)": str(params["linear"]["w"].nbytes + params["linear"]["b"].nbytes),
        "scale_by_parameter (ScaleByParameter)": str(params["scale_by_parameter"]["scale"].nbytes),
    }
    assert rows["scale_by_parameter (ScaleByParameter)"] == "2"  # one bfloat16


def test_jaxpr_info_counts_sort_with_the_sample_plugins_estimator():
    from haiku.experimental import jaxpr_info

    f = hk.transform(lambda x: jnp.sort(x, axis=0) * 2.0)
    info = jaxpr_info.make_model_info(f.apply, compute_flops=jaxpr_info.estimate_flops)(
        {}, None, jnp.ones([16, 3]))
    # sort: 3 columns of 16 values, 16 * log2(16) comparisons each; mul: 48.
    assert info.flops == 3 * 16 * 4 + 48
