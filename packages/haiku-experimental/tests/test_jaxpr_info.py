"""hk.experimental.jaxpr_info: the module tree, FLOP estimates, counts, text and HTML."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import haiku as hk
from haiku.experimental import jaxpr_info as ji


class Dense(hk.Module):
    def __init__(self, output_size, name=None):
        super().__init__(name=name)
        self.output_size = output_size

    def __call__(self, x):
        w = hk.get_parameter("w", [x.shape[-1], self.output_size], init=jnp.ones)
        b = hk.get_parameter("b", [self.output_size], init=jnp.zeros)
        return x @ w + b


class Counter(hk.Module):
    def __call__(self, x):
        count = hk.get_state("count", [3], jnp.int32, init=jnp.zeros)
        hk.set_state("count", count + 1)
        return x


class Net(hk.Module):
    def __call__(self, x):
        x = Counter()(x)
        x = jax.nn.relu(Dense(5, name="hidden")(x))
        return Dense(2, name="out")(x)


def forward(x):
    y = Net()(x)
    return jax.jit(lambda a: a * 2.0)(y).sum()


F = hk.transform_with_state(forward)
X = jnp.ones([4, 3])
PARAMS, STATE = F.init(jax.random.PRNGKey(0), X)


@pytest.fixture(scope="module")
def info():
    return ji.make_model_info(F.apply, compute_flops=ji.estimate_flops)(PARAMS, STATE, None, X)


def _sub(module, name):
    [e] = [e for e in module.expressions if e.submodule is not None and e.submodule.name == name]
    return e.submodule


def test_tree_of_modules_and_named_calls(info):
    assert info.name == "apply_fn"
    net = _sub(info, "net")
    assert [e.submodule.name if e.submodule else e.primitive for e in net.expressions] == [
        "counter", "hidden", "custom_jvp", "out"]
    hidden = _sub(net, "hidden")
    assert [e.primitive for e in hidden.expressions] == ["dot_general", "broadcast_in_dim", "add"]
    assert hidden.expressions[0].name_stack == ["net", "hidden"]
    assert hidden.expressions[0].details == "in f32[4,3], f32[3,5], out f32[4,5]"
    assert hidden.expressions[0].params["dimension_numbers"] == "(((1,), (0,)), ((), ()))"
    # relu (a custom_jvp around a jit) is the call "custom_jvp" holding the
    # jit "relu" holding a max.
    custom_jvp = _sub(net, "custom_jvp")
    # JAX names jax.jit's primitive "jit" ("pjit" before JAX 0.7).
    jit_name = jax.make_jaxpr(jax.jit(lambda a: a))(1.0).eqns[0].primitive.name
    assert [e.primitive for e in custom_jvp.expressions] == [jit_name]
    assert [e.primitive for e in _sub(custom_jvp, "relu").expressions] == ["max"]
    # The jitted lambda outside every module.
    assert [e.primitive for e in _sub(info, "<lambda>").expressions] == ["mul"]
    # Variables are named per jaxpr, in the order it binds them: the call's
    # input is hidden's output; inside the call the input is "a" again.
    call = [e for e in net.expressions if e.primitive == "custom_jvp_call"][0]
    assert call.invars == hidden.expressions[-1].outvars == "j"
    # A literal prints as JAX prints it ("Literal(0.0)"; "0.0" before JAX 0.7).
    zero = jax.make_jaxpr(lambda a: jnp.maximum(a, 0.0))(1.0).eqns[0].invars[1]
    assert str(zero) in ("Literal(0.0)", "0.0")
    assert _sub(custom_jvp, "relu").expressions[0].invars == f"a {zero}"


def test_default_flop_estimates(info):
    net = _sub(info, "net")
    hidden, out = _sub(net, "hidden"), _sub(net, "out")
    # Matrix products: 2 * M * K * N; elementwise: one per output; broadcasts: 0.
    assert [e.flops for e in hidden.expressions] == [2 * 4 * 3 * 5, 0, 4 * 5]
    assert [e.flops for e in out.expressions] == [2 * 4 * 5 * 2, 0, 4 * 2]
    assert _sub(net, "custom_jvp").flops == 20
    assert _sub(net, "counter").flops == 3  # the int add of the counter
    assert net.flops == 3 + (120 + 20) + 20 + (80 + 8)
    assert info.flops == net.flops + 8 + 8  # * 2.0, then the sum over 8 elements


def test_param_and_state_counts_match_tree_size(info):
    net = _sub(info, "net")
    assert net.total_param_size == hk.data_structures.tree_size(PARAMS) == 3 * 5 + 5 + 5 * 2 + 2
    hidden = _sub(net, "hidden")
    assert hidden.param_info == {"./b": "f32[5]", "./w": "f32[3,5]"}
    assert hidden.total_param_size == hk.data_structures.tree_size(PARAMS["net/hidden"])
    assert net.param_info["./out/w"] == "f32[5,2]"
    counter = _sub(net, "counter")
    assert counter.total_state_size == hk.data_structures.tree_size(STATE) == 3
    assert counter.state_info == {"./count": "s32[3]"}
    assert net.total_state_size == 3


def test_format_module(info):
    assert ji.format_module(_sub(_sub(info, "net"), "hidden"), depth=1) == (
        "  hidden 140 flops 20 params\n"
        "    dot_general 120 flops in f32[4,3], f32[3,5], out f32[4,5]\n"
        "    broadcast_in_dim 0 flops in f32[5], out f32[1,5]\n"
        "    add 20 flops in f32[4,5], f32[1,5], out f32[4,5]\n"
    )
    text = ji.format_module(info)
    assert text.splitlines()[:4] == [
        "apply_fn 267 flops",
        "  net 251 flops 32 params 3 state",
        "    counter 3 flops 3 state",
        "      add 3 flops in int32[3], int32[], out int32[3]",
    ]
    # Without compute_flops no FLOPs are counted.
    plain = ji.format_module(ji.make_model_info(F.apply)(PARAMS, STATE, None, X))
    assert plain.splitlines()[:5] == [
        "apply_fn", "  net 32 params 3 state", "    counter 3 state",
        "      add in int32[3], int32[], out int32[3]", "    hidden 20 params"]


def test_compute_flops_name_and_module_info_options():
    seen = []

    def compute_flops(eqn, expression):
        seen.append((eqn.primitive.name, expression.primitive))
        return 1

    info = ji.make_model_info(F.apply, name="custom", include_module_info=False,
                              compute_flops=compute_flops)(PARAMS, STATE, None, X)
    assert info.name == "custom"
    assert ("dot_general", "dot_general") in seen and ("max", "max") in seen
    assert info.flops == len(seen)
    net = _sub(info, "net")
    assert net.total_param_size == 0 and net.param_info == {}


def test_scan_conv_and_custom_vjp_flops():
    @jax.custom_vjp
    def square(x):
        return x * x

    square.defvjp(lambda x: (x * x, x), lambda x, g: (2 * x * g,))

    def f(x, k):
        y = jax.lax.conv_general_dilated(x, k, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"))
        ys = jax.lax.scan(lambda c, r: (c + jnp.tanh(r), None), jnp.zeros(y.shape[1:]), y)[0]
        return square(ys)

    x, k = jnp.ones([7, 5, 5, 3]), jnp.ones([3, 3, 3, 4])
    info = ji.make_model_info(f, compute_flops=ji.estimate_flops)(x, k)
    # The zero-filled carry costs nothing; the call of square is kept as it costs.
    conv, zeros, scan, custom_vjp = info.expressions
    assert zeros.primitive == "broadcast_in_dim" and zeros.flops == 0
    assert conv.primitive == "conv_general_dilated"
    assert conv.flops == 2 * (7 * 3 * 3 * 4) * (3 * 3 * 3)
    # The scan costs its body's FLOPs (add and tanh) times its length; its
    # submodule shows one run of the body.
    assert scan.primitive == "scan" and scan.flops == 7 * 2 * (3 * 3 * 4)
    assert scan.submodule.name == "scan length=7 unroll=1"
    assert scan.submodule.flops == 2 * (3 * 3 * 4)
    assert custom_vjp.submodule.name == "custom_vjp"
    [mul] = custom_vjp.submodule.expressions
    assert mul.primitive == "mul" and mul.flops == custom_vjp.flops == 3 * 3 * 4


def test_bad_argument():
    with pytest.raises(TypeError, match="make_model_info expects a function, got str"):
        ji.make_model_info("f")


def test_html_tree(info):
    fragment = ji.as_html(info, min_flop=0)
    assert fragment.startswith("<li class='hk-module'>")
    # apply_fn net counter hidden custom_jvp relu out <lambda>
    assert fragment.count("<li class='hk-module") == 8
    assert "<span class='hk-name'>hidden</span><span class='hk-flops'>140 flops</span>" in fragment
    assert "<td>./w</td><td>f32[3,5]</td>" in fragment  # the parameter tooltip
    assert fragment.count("hk-primitive'>dot_general<") == 2
    # min_flop hides cheap expressions, and says so.
    coarse = ji.as_html(info, min_flop=100)
    assert coarse.count("hk-primitive'>dot_general<") == 1
    assert "(2 expressions under 100 flops)" in coarse
    page = ji.as_html_page(info, min_flop=0)
    assert ji.css() in page and ji.js() in page and fragment.replace("'hk-module'", "'hk-module hk-last'", 1) in page
    assert page.count("<ol") == page.count("</ol>")
    assert page.count("<li") == page.count("</li>")


def test_summary_numbers_are_exact_for_a_bigger_model():
    def f(x):
        return Dense(300)(x)

    tf = hk.transform(f)
    x = jax.ShapeDtypeStruct((8, 784), jnp.float32)
    params = jax.eval_shape(tf.init, jax.random.PRNGKey(0), x)
    info = ji.make_model_info(tf.apply, compute_flops=ji.estimate_flops)(params, None, x)
    dense = _sub(info, "dense")
    assert dense.total_param_size == hk.data_structures.tree_size(params) == 784 * 300 + 300
    assert dense.expressions[0].flops == 2 * 8 * 784 * 300
    assert info.flops == 2 * 8 * 784 * 300 + 8 * 300  # the matmul and the bias add
    assert math.isclose(info.flops / 1e6, 3.765, rel_tol=1e-3)
    assert np.dtype("float32").itemsize * dense.total_param_size == hk.data_structures.tree_bytes(params)


def test_axis_env_names_pmapped_axes():
    info = ji.make_model_info(lambda x: jax.lax.psum(x * x, "batch"), axis_env=[("batch", 2)])(
        jnp.ones([3]))
    assert [e.primitive for e in info.expressions] == ["mul", "psum"]
    assert info.expressions[1].params["axes"] == "('batch',)"
    with pytest.raises(NameError, match="unbound axis name: batch"):
        ji.make_model_info(lambda x: jax.lax.psum(x, "batch"))(jnp.ones([3]))
