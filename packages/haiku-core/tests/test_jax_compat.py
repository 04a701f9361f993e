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
    # jax.extend's costly package __init__); it must be the public one.
    import jax.extend.core

    assert jax_compat._get_opaque_trace_state is jax.extend.core.get_opaque_trace_state


def test_no_other_private_jax_api():
    source = inspect.getsource(jax_compat)
    assert source.count("jax._src") == 1
    assert "from jax._src.core import get_opaque_trace_state" in source


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
