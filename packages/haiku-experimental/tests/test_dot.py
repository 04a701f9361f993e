"""hk.to_dot / hk.experimental.abstract_to_dot, checked by parsing the dot text."""

from __future__ import annotations

import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import haiku as hk

_spec = importlib.util.spec_from_file_location(
    "dot_parser", pathlib.Path(__file__).parent / "dot_parser.py")
dot_parser = sys.modules.setdefault("dot_parser", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(dot_parser)


class Dense(hk.Module):
    def __init__(self, output_size, name=None):
        super().__init__(name=name)
        self.output_size = output_size

    def __call__(self, x):
        w = hk.get_parameter("w", [x.shape[-1], self.output_size], init=jnp.ones)
        b = hk.get_parameter("b", [self.output_size], init=jnp.zeros)
        return x @ w + b


class Tower(hk.Module):
    def __call__(self, x):
        x = jax.nn.relu(Dense(3, name="first")(x))  # relu: a custom_jvp function
        return Dense(2, name="second")(x)


@jax.custom_vjp
def clip_gradient(x):
    return jnp.sin(x)


clip_gradient.defvjp(lambda x: (jnp.sin(x), x), lambda x, g: (jnp.clip(g, -1, 1),))


def forward(x):
    return clip_gradient(Tower()(x)), x


FORWARD = hk.transform(forward)
X = jnp.ones([1, 4])
PARAMS = FORWARD.init(jax.random.PRNGKey(0), X)


@pytest.fixture(scope="module")
def dot_text():
    return hk.to_dot(FORWARD.apply)(PARAMS, None, X)


def test_nested_clusters_per_module(dot_text):
    dot = dot_parser.parse(dot_text)
    assert ("tower (Tower)",) in dot.clusters
    assert ("tower (Tower)", "tower/first (Dense)") in dot.clusters
    assert ("tower (Tower)", "tower/second (Dense)") in dot.clusters
    # relu's jitted body is opened up in a cluster of its own, inside the module.
    assert ("tower (Tower)", "relu") in dot.clusters
    dots = {dot.node_cluster[n][-1]: dot.label_of(n) for n in dot.ids("dot_general")}
    assert dots == {
        "tower/first (Dense)": "dot_general\nf32[1,3]",
        "tower/second (Dense)": "dot_general\nf32[1,2]",
    }
    [relu_max] = dot.ids("max")
    assert dot.node_cluster[relu_max] == ("tower (Tower)", "relu")
    # The custom_vjp function runs outside every module.
    [sin] = dot.ids("sin")
    assert dot.node_cluster[sin] == ()


def test_inputs_outputs_and_data_flow(dot_text):
    dot = dot_parser.parse(dot_text)
    inputs = {dot.label_of(n): n for n in dot.nodes if n.startswith("in")}
    assert set(inputs) == {
        "args[0]['tower/first']['b']\nf32[3]",
        "args[0]['tower/first']['w']\nf32[4,3]",
        "args[0]['tower/second']['b']\nf32[2]",
        "args[0]['tower/second']['w']\nf32[3,2]",
        "args[2]\nf32[1,4]",
    }
    outputs = {dot.label_of(n): n for n in dot.nodes if n.startswith("out")}
    assert set(outputs) == {"output[0]\nf32[1,2]", "output[1]\nf32[1,4]"}
    edges = set(dot.edges)
    first_dot = next(n for n in dot.ids("dot_general") if "first" in dot.node_cluster[n][-1])
    assert (inputs["args[2]\nf32[1,4]"], first_dot) in edges
    assert (inputs["args[0]['tower/first']['w']\nf32[4,3]"], first_dot) in edges
    # The input x is also returned as is.
    assert (inputs["args[2]\nf32[1,4]"], outputs["output[1]\nf32[1,4]"]) in edges
    [sin] = dot.ids("sin")
    assert (sin, outputs["output[0]\nf32[1,2]"]) in edges
    # relu feeds the second layer's matmul.
    [relu_max] = dot.ids("max")
    second_dot = next(n for n in dot.ids("dot_general") if "second" in dot.node_cluster[n][-1])
    assert (relu_max, second_dot) in edges


def test_abstract_to_dot_matches_to_dot(dot_text):
    abstract = jax.tree_util.tree_map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype), PARAMS)
    got = hk.experimental.abstract_to_dot(FORWARD.apply)(
        abstract, None, jax.ShapeDtypeStruct(X.shape, X.dtype))
    assert got == dot_text


def test_control_flow_is_one_node_and_methods_are_labelled():
    class Looper(hk.Module):
        def step(self, c, x):
            return c + x, c * x

        def __call__(self, xs):
            return hk.scan(self.step, jnp.zeros(xs.shape[1:]), xs)

    f = hk.transform(lambda xs: Looper()(xs))
    dot = dot_parser.parse(hk.to_dot(f.apply)({}, None, jnp.ones([5, 2])))
    [scan] = dot.ids("scan")
    assert dot.node_cluster[scan] == ("looper (Looper)",)
    assert dot.label_of(scan) == "scan\nf32[2], f32[5,2]"
    assert not dot.ids("mul")  # the body is not drawn


def test_static_arguments_and_init():
    def f(x, scale):
        return Dense(2)(x) * scale

    tf = hk.transform(f)
    dot = dot_parser.parse(hk.to_dot(tf.init)(jax.random.PRNGKey(1), np.ones([1, 3]), 2.0))
    # The RNG key is an input; the Python float is not.
    labels = sorted(dot.label_of(n) for n in dot.nodes if n.startswith("in"))
    assert labels == ["args[0]\nu32[2]", "args[1]\nf32[1,3]"]
    assert ("dense (Dense)",) in dot.clusters


def test_bad_argument():
    with pytest.raises(TypeError, match="hk.to_dot expects a function, got int"):
        hk.to_dot(3)


# CI (CI=true, .ci/run installs graphviz) runs these instead of skipping them.
IN_CI = bool(os.environ.get("CI"))


@pytest.mark.skipif(shutil.which("dot") is None and not IN_CI,
                    reason="graphviz's dot binary is not installed")
def test_dot_binary_renders_it(dot_text, tmp_path):
    svg = subprocess.run(["dot", "-Tsvg"], input=dot_text, capture_output=True, text=True, check=True)
    assert "<svg" in svg.stdout and "tower/first (Dense)" in svg.stdout
    assert not svg.stderr


@pytest.mark.skipif(
    (importlib.util.find_spec("graphviz") is None or shutil.which("dot") is None) and not IN_CI,
    reason="needs the graphviz extra (pip install 'haiku-experimental[graphviz]') and dot",
)
def test_graphviz_package_renders_it(dot_text):
    import graphviz

    svg = graphviz.Source(dot_text).pipe(format="svg").decode()
    assert svg.count('class="cluster"') == 4  # tower, first, relu, second
