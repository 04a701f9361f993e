"""haiku._src.jax_compat: the one place Haiku reads JAX's trace state.

If a JAX upgrade changes how traces are represented, these tests say so
before anything built on them (``check_jax_usage``) misbehaves.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import threading

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from haiku._src import jax_compat
from haiku._src.jax_compat import current_trace_state, same_trace


def _inside(transform, probe):
    """Runs ``probe`` (returning a Python value) under ``transform``; returns that value."""
    seen = []

    def f(x):
        seen.append(probe())
        return x

    transform(f, jnp.float32(1.0))
    return seen[-1]


TRANSFORMS = {
    "jit": lambda f, x: jax.jit(f)(x),
    "vmap": lambda f, x: jax.vmap(f)(jnp.stack([x, x])),
    "grad": lambda f, x: jax.grad(f)(x),
    "jvp": lambda f, x: jax.jvp(f, (x,), (x,)),
    "eval_shape": lambda f, x: jax.eval_shape(f, x),
    "checkpoint": lambda f, x: jax.checkpoint(f)(x),
    "cond": lambda f, x: jax.lax.cond(True, f, f, x),
    "scan": lambda f, x: jax.lax.scan(lambda c, _: (f(c), None), x, None, length=1),
    "while_loop": lambda f, x: jax.lax.while_loop(lambda c: c < 0, f, x),
}


def test_same_trace_outside_any_transform():
    assert same_trace(current_trace_state(), current_trace_state())


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_each_transform_body_is_another_trace(name):
    outside = current_trace_state()
    assert _inside(TRANSFORMS[name], lambda: same_trace(outside, current_trace_state())) is False


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_same_trace_within_one_transform_body(name):
    def probe():
        return same_trace(current_trace_state(), current_trace_state())

    assert _inside(TRANSFORMS[name], probe) is True


def test_nested_transforms_differ_from_each_other():
    tokens = {}

    def inner(x):
        tokens["inner"] = current_trace_state()
        return x

    def outer(x):
        tokens["outer"] = current_trace_state()
        return jax.vmap(inner)(jnp.stack([x, x]))

    jax.jit(outer)(1.0)
    assert not same_trace(tokens["outer"], tokens["inner"])


def test_two_traces_of_the_same_function_differ():
    tokens = []

    def f(x):
        tokens.append(current_trace_state())
        return x

    jax.jit(f)(1.0)
    jax.jit(f)(jnp.ones([2]))  # a second trace (new shape)
    assert len(tokens) == 2
    assert not same_trace(tokens[0], tokens[1])


def test_back_in_the_outer_trace_after_a_transform():
    outside = current_trace_state()
    jax.vmap(lambda x: x)(jnp.ones([2]))
    assert same_trace(outside, current_trace_state())


def test_named_call_and_compile_time_eval_keep_the_trace():
    outside = current_trace_state()
    assert _inside(
        lambda f, x: jax.named_call(f, name="n")(x), lambda: same_trace(outside, current_trace_state())
    )
    with jax.ensure_compile_time_eval():
        assert same_trace(outside, current_trace_state())


def test_threads_start_outside_any_trace():
    results = []

    def f(x):
        token = current_trace_state()

        def other_thread():
            results.append(same_trace(token, current_trace_state()))

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        return x

    jax.jit(f)(1.0)
    assert results == [False]


def test_tokens_are_only_compared():
    assert same_trace(current_trace_state(), object()) is False


def test_reads_the_trace_state_through_jaxs_public_function():
    # jax_compat imports the function from where JAX defines it (skipping
    # jax.extend's costly package __init__); it must be the public one:
    # jax.extend.core's from JAX 0.7, jax.core's in JAX 0.6.
    import jax.extend.core

    public = getattr(jax.extend.core, "get_opaque_trace_state", None)
    if public is None:
        public = jax.core.get_opaque_trace_state
    assert jax_compat._get_opaque_trace_state is public


def test_no_other_private_jax_api():
    # jax._src only where a public name is imported from its definition, or
    # as the fallback for a public name JAX may drop.
    source = inspect.getsource(jax_compat)
    assert source.count("from jax._src") == 2
    assert "from jax._src.core import get_opaque_trace_state" in source
    assert "from jax._src.core import Tracer as _Tracer" in source
    assert jax_compat._Tracer is jax.core.Tracer


def test_first_use_of_haiku_does_not_import_jax_extend():
    # jax.extend's __init__ imports Pallas: about 35 ms of start-up.
    code = (
        "import sys, jax, jax.numpy as jnp, haiku as hk\n"
        "hk.transform(lambda x: hk.get_parameter('w', [], init=jnp.ones) * x).init(None, 1.0)\n"
        "print(sorted(m for m in sys.modules if m.startswith('jax.extend')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_separate_trace_caches():
    traces = []

    @jax.jit
    def helper(x):
        traces.append(1)
        return x + 1

    def f(x):
        return helper(x)

    x = jnp.ones([3])
    with jax_compat.separate_trace_caches("haiku_test"):
        jax.eval_shape(f, x)
    assert len(traces) == 1
    jax.jit(f)(x)  # not the trace made in the block
    assert len(traces) == 2
    with jax_compat.separate_trace_caches("haiku_test"):
        jax.eval_shape(f, x)  # blocks of one tag share their caches
    assert len(traces) == 2


def test_has_tracer_finds_tracers_at_any_depth_and_only_under_a_transform():
    tree = {"a": [jnp.ones(2), 3.0], "b": None}
    assert not jax_compat.has_tracer(tree)
    assert not jax_compat.has_tracer(())
    seen = []
    jax.jit(lambda x: seen.append(jax_compat.has_tracer({"a": [jnp.ones(2), x]})) or x)(1.0)
    jax.vmap(lambda x: seen.append(jax_compat.has_tracer((x,))) or x)(jnp.ones(2))
    assert seen == [True, True]


# Programs.


W = jnp.arange(3.0)


def affine(x, y):
    return x * W + y, jnp.sin(x)  # W: a constant the program closes over.


def test_open_jaxpr_and_consts_split_what_make_jaxpr_returns():
    import jax.extend.core as jex

    traced = jax.make_jaxpr(affine)(jnp.ones(3), 2.0)
    program, consts = jax_compat.open_jaxpr(traced), jax_compat.jaxpr_consts(traced)
    assert isinstance(program, jex.Jaxpr)
    assert len(program.invars) == 2 and len(program.outvars) == 2
    assert len(consts) == len(program.constvars) == 1
    np.testing.assert_array_equal(consts[0], np.arange(3.0))
    # A program is its own program. Before JAX 0.11 it is an open Jaxpr
    # inside a ClosedJaxpr, without constants; from 0.11 (one Jaxpr class)
    # it is what make_jaxpr returned, constants included.
    assert jax_compat.open_jaxpr(program) is program
    merged = jax.__version_info__ >= (0, 11)
    assert (program is traced) is merged
    assert len(jax_compat.jaxpr_consts(program)) == (1 if merged else 0)


def test_jaxpr_types_are_the_classes_jax_gives_programs():
    traced = jax.make_jaxpr(affine)(jnp.ones(3), 2.0)
    types = jax_compat.jaxpr_types()
    program = jax_compat.open_jaxpr(traced)
    assert isinstance(traced, types) and isinstance(program, types)
    assert not isinstance(program.eqns[0], types)


@pytest.mark.parametrize("evaluate", [jax_compat.eval_jaxpr, jax_compat._eval_closed_jaxpr],
                         ids=["eval_jaxpr", "fallback"])
def test_eval_jaxpr_runs_the_program_on_new_constants(evaluate):
    traced = jax.make_jaxpr(affine)(jnp.ones(3), 2.0)
    program = jax_compat.open_jaxpr(traced)
    x = jnp.asarray([0.5, -1.0, 2.0])
    out = evaluate(program, jax_compat.jaxpr_consts(traced), x, 1.0)
    np.testing.assert_allclose(out[0], x * np.arange(3.0) + 1.0)
    np.testing.assert_allclose(out[1], np.sin(x))
    # Other values for the constant: the same program, new numbers.
    out = evaluate(program, [jnp.full(3, 10.0)], x, 1.0)
    np.testing.assert_allclose(out[0], x * 10.0 + 1.0)


def test_scan_returns_unchanged_carry_says_what_this_jaxs_scan_does():
    carry, _ = jax.lax.scan(lambda c, _: (c, None), 0, None, length=1)
    assert jax_compat.scan_returns_unchanged_carry() is (not isinstance(carry, jax.Array))


# Meshes.


def test_set_mesh_and_active_mesh():
    mesh = jax.sharding.Mesh(jax.devices()[:1], ("data",))
    assert jax_compat.active_mesh() is None
    with jax_compat.set_mesh(mesh):
        active = jax_compat.active_mesh()
        assert tuple(active.axis_names) == ("data",) and dict(active.shape) == {"data": 1}
    assert jax_compat.active_mesh() is None


def test_shard_map_runs_a_function_per_shard_on_either_api():
    from jax.sharding import PartitionSpec as P

    mesh = jax.sharding.Mesh(jax.devices()[:1], ("data",))
    f = jax_compat.shard_map(lambda x: jax.lax.psum(x.sum(0), "data"), mesh=mesh,
                             in_specs=(P("data"),), out_specs=P())
    np.testing.assert_array_equal(jax.jit(f)(jnp.arange(6.0).reshape(3, 2)), [6.0, 9.0])
    # The JAX 0.6 spelling is the fallback: its keyword is check_rep.
    source = inspect.getsource(jax_compat.shard_map)
    assert "check_rep=check_vma" in source and "check_vma=check_vma" in source
