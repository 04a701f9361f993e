"""dm-haiku 0.0.17 behaviours: jaxpr_info's text format line for line, tabulate's and ArraySpec's errors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import haiku as hk
from haiku.experimental import jaxpr_info as ji


class Scale(hk.Module):
    """``x * w`` with a ``[features]`` parameter; ``encode`` is a second method."""

    def __call__(self, x):
        w = hk.get_parameter("w", [x.shape[-1]], init=jnp.ones)
        return x * w

    def encode(self, x):
        return jnp.exp(self(x))


def _info(f, *args, **kwargs):
    return ji.format_module(ji.make_model_info(f, **kwargs)(*args))


def test_no_flops_without_compute_flops():
    def f(x, y):
        return jnp.sin(x) * jnp.cos(y)

    x = jnp.zeros([3, 2])
    assert _info(f, x, x) == (
        "f\n"
        "  sin in f32[3,2], out f32[3,2]\n"
        "  cos in f32[3,2], out f32[3,2]\n"
        "  mul in f32[3,2], f32[3,2], out f32[3,2]\n"
    )


def test_only_what_the_outputs_need_is_shown():
    def f(x):
        unused = jnp.tanh(x)  # noqa: F841
        return -x

    assert _info(f, jnp.zeros([2])) == "f\n  neg in f32[2], out f32[2]\n"


def _out_size(eqn, expression):
    del expression
    return int(np.prod(eqn.outvars[0].aval.shape))


def test_counts_above_a_thousand_get_a_decimal_prefix():
    f = hk.transform(lambda x: Scale()(x))
    x = jnp.ones([2, 1500])
    params = f.init(None, x)
    # broadcast: 1500 outputs, mul: 2 * 1500; the parameter has 1500 entries.
    assert _info(f.apply, params, None, x, compute_flops=_out_size) == (
        "apply_fn 4.5 kflops\n"
        "  scale 4.5 kflops 1.5 kparams\n"
        "    broadcast_in_dim 1.5 kflops in f32[1500], out f32[1,1500]\n"
        "    mul 3 kflops in f32[2,1500], f32[1,1500], out f32[2,1500]\n"
    )
    m = ji.Module(name="m", flops=1000, total_param_size=1001, total_state_size=4_624_000)
    assert ji.format_module(m) == "m 1000 flops 1.001 kparams 4.624 Mstate\n"


def test_a_method_scope_wraps_the_module_scope():
    f = hk.transform(lambda x: Scale().encode(x))
    x = jnp.ones([2, 3])
    params = f.init(None, x)
    # encode's scope holds the module's, which holds its __call__'s; counts
    # go to scope paths that are module names, and "encode/scale" is not one.
    assert _info(f.apply, params, None, x) == (
        "apply_fn\n"
        "  encode\n"
        "    scale\n"
        "      scale\n"
        "        broadcast_in_dim in f32[3], out f32[1,3]\n"
        "        mul in f32[2,3], f32[1,3], out f32[2,3]\n"
        "      exp in f32[2,3], out f32[2,3]\n"
    )


def test_modules_under_a_transformation_are_named_after_it():
    f = hk.transform(lambda x: Scale()(x))
    x = jnp.ones([2, 3])
    params = f.init(None, x)

    def loss(params, x):
        return jnp.sum(f.apply(params, None, x))

    # The gradient's seed is a broadcast that JAX names "transpose(jvp())"
    # from JAX 0.7; JAX 0.6 leaves it outside any name: shown where JAX puts it.
    [seed] = [e for e in jax.make_jaxpr(jax.grad(loss))(params, x).eqns
              if e.primitive.name == "broadcast_in_dim" and e.invars[0].aval.shape == ()]
    seed_line = "broadcast_in_dim in f32[], out f32[2,3]\n"
    if str(seed.source_info.name_stack):
        seed_line = f"  {seed.source_info.name_stack}\n    {seed_line}"
    else:
        seed_line = f"  {seed_line}"
    assert _info(jax.grad(loss), params, x) == (
        "loss\n"
        + seed_line +
        "  transpose(jvp(scale))\n"
        "    mul in f32[2,3], f32[2,3], out f32[2,3]\n"
        "    reduce_sum in f32[2,3], out f32[3]\n"
        "    reshape in f32[3], out f32[1,3]\n"
        "    reduce_sum in f32[1,3], out f32[3]\n"
    )


def test_calls_are_submodules_and_free_calls_drop_out_of_flop_counts():
    def h(x):
        y = jax.lax.scan(lambda c, r: (c * r, None), jnp.ones([3]), x)[0]
        return jax.jit(lambda a: a.reshape(3, 1))(y)

    x = jnp.ones([5, 3])
    assert _info(h, x) == (
        "h\n"
        "  broadcast_in_dim in f32[], out f32[3]\n"
        "  scan length=5 unroll=1\n"
        "    mul in f32[3], f32[3], out f32[3]\n"
        "  <lambda>\n"
        "    reshape in f32[3], out f32[3,1]\n"
    )
    # One FLOP per mul: the scan's body runs 5 times, its submodule shows one
    # run; the jitted reshape costs nothing and is left out.
    info = ji.make_model_info(h, compute_flops=lambda eqn, e: int(eqn.primitive.name == "mul"))(x)
    assert ji.format_module(info) == (
        "h 5 flops\n"
        "  broadcast_in_dim 0 flops in f32[], out f32[3]\n"
        "  scan length=5 unroll=1 1 flops\n"
        "    mul 1 flops in f32[3], f32[3], out f32[3]\n"
    )
    scan = info.expressions[1]
    assert (scan.primitive, scan.flops, scan.submodule.flops) == ("scan", 5, 1)


def test_expressions_name_variables_per_jaxpr():
    def f(x):
        return jax.jit(lambda a: a + 1.0)(x * 2.0)

    info = ji.make_model_info(f)(jnp.ones([2]))
    mul, call = info.expressions
    # Literals print as JAX prints them ("Literal(2.0)"; "2.0" before JAX 0.7),
    # calls under JAX's primitive name ("jit"; "pjit" before JAX 0.7).
    jaxpr = jax.make_jaxpr(f)(jnp.ones([2]))
    two, one = jaxpr.eqns[0].invars[1], jaxpr.eqns[1].params["jaxpr"].eqns[0].invars[1]
    assert (mul.invars, mul.outvars, mul.first_outvar) == (f"a {two}", "b", "b")
    assert (call.primitive, call.invars, call.outvars) == (jaxpr.eqns[1].primitive.name, "b", "c")
    [add] = call.submodule.expressions
    assert (add.invars, add.outvars) == (f"a {one}", "b")
    assert str(two) in ("Literal(2.0)", "2.0")
    assert add.params == {} and mul.name_stack == []


def test_tabulate_string_columns_and_filters_raise_dm_haikus_value_error():
    f = hk.transform(lambda x: hk.Linear(2)(x))
    x = jnp.ones([1, 3])
    with pytest.raises(ValueError, match=r"^Invalid column\(s\) \['m', 'o', 'd', 'u', 'l', 'e'\], "
                                         r"valid columns \['module', .*did you mean \('module',\)"):
        hk.experimental.tabulate(f, columns="module")(x)
    with pytest.raises(ValueError, match=r"^Invalid filter\(s\) \['h', 'a', 's', '_', 'p', "
                                         r".*valid filters \['has_output', 'has_params'\]"):
        hk.experimental.tabulate(f, filters="has_params")(x)
    with pytest.raises(ValueError, match=r"^Invalid column\(s\) \['nope'\], valid columns \["):
        hk.experimental.tabulate(f, columns=("module", "nope"))(x)


def test_array_spec_shape_of_non_integers_is_a_type_error():
    with pytest.raises(TypeError, match=r"^ArraySpec: shape must be a sequence of ints, got 'ab'"):
        hk.experimental.ArraySpec("ab", jnp.float32)
