"""Eager loops compile once: ``haiku._src.eager_scan`` and its users.

The compile counts come from ``jax.monitoring`` (JAX reports every XLA
backend compilation as a duration event), so these are counts, not timings.
"""

from __future__ import annotations

import contextlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import haiku as hk
from haiku._src import eager_scan

COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"


@contextlib.contextmanager
def count_compiles():
    counter = {"n": 0, "counting": True}

    def listener(event, duration, **kwargs):
        del duration, kwargs
        if event == COMPILE_EVENT and counter["counting"]:
            counter["n"] += 1

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        yield counter
    finally:
        counter["counting"] = False
        # jax.monitoring can unregister a listener from JAX 0.7 on; before, it
        # stays registered and counts nothing more.
        unregister = getattr(jax.monitoring, "unregister_event_duration_listener", None)
        if unregister is not None:
            unregister(listener)


def make_step(w):
    """A new body function per call, closing over ``w``, as Haiku's loops make."""

    def step(carry, x):
        total, count = carry
        total = total * 0.5 + w * x["a"] - x["b"]
        return (total, count + 1), {"total": total, "sq": x["a"] ** 2}

    return step


def inputs(seed, steps=5):
    rng = np.random.default_rng(seed)
    xs = {"a": rng.normal(size=[steps, 3]).astype(np.float32),
          "b": jnp.asarray(rng.normal(size=[steps, 3]), jnp.float32)}
    return (jnp.zeros(3), jnp.asarray(0)), xs


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("unroll", [1, 2, True])
def test_same_results_and_structure_as_lax_scan(reverse, unroll):
    w = jnp.asarray([1.0, -2.0, 3.0])
    init, xs = inputs(0)
    options = {"reverse": reverse, "unroll": unroll}
    actual = eager_scan.scan(make_step(w), init, xs, **options)
    expected = jax.lax.scan(make_step(w), init, xs, **options)
    assert jax.tree.structure(actual) == jax.tree.structure(expected)
    for a, e in zip(jax.tree.leaves(actual), jax.tree.leaves(expected)):
        assert a.dtype == e.dtype and a.shape == e.shape
        # Not bit for bit in general: eager jax.lax.scan bakes w into its XLA
        # program as a constant, ours passes it in, and XLA may then contract
        # multiply-adds differently (fully unrolled: last-bit differences).
        np.testing.assert_allclose(a, e, rtol=1e-6)


def test_a_new_body_with_the_same_program_compiles_nothing_and_sees_new_values():
    init, xs = inputs(1)
    eager_scan.scan(make_step(jnp.ones(3)), init, xs)  # compiles
    for seed in (2, 3):
        w = jnp.asarray(np.random.default_rng(seed).normal(size=3), jnp.float32)
        init, xs = inputs(seed)
        with count_compiles() as compiles:
            actual = eager_scan.scan(make_step(w), init, xs)
        assert compiles["n"] == 0
        # The closed-over w is an argument of the compiled loop, not a constant.
        expected = jax.lax.scan(make_step(w), init, xs)
        for a, e in zip(jax.tree.leaves(actual), jax.tree.leaves(expected)):
            np.testing.assert_array_equal(a, e)


def test_a_different_program_compiles_again():
    init, xs = inputs(4)
    eager_scan.scan(make_step(jnp.ones(3)), init, xs)
    with count_compiles() as compiles:
        out = eager_scan.scan(lambda c, x: (c, x["a"] * 2), init, xs)
    assert compiles["n"] > 0
    np.testing.assert_array_equal(out[1], xs["a"] * 2)


def test_unroll_true_and_unroll_1_are_different_loops():
    # True == 1 in Python: the cache must still tell a fully unrolled loop apart.
    def step(c, x):  # a body no other test uses, so neither loop is cached yet
        return c * 0.375 - x, c

    init, xs = jnp.zeros(3), jnp.arange(12.0).reshape(4, 3)
    eager_scan.scan(step, init, xs, unroll=True)
    with count_compiles() as compiles:
        actual = eager_scan.scan(step, init, xs, unroll=1)
    assert compiles["n"] > 0
    eager_scan._cache.clear()
    expected = eager_scan.scan(step, init, xs, unroll=1)
    for a, e in zip(jax.tree.leaves(actual), jax.tree.leaves(expected)):
        np.testing.assert_array_equal(a, e)


def test_length_without_xs_and_an_unchanged_python_carry():
    carry, ys = eager_scan.scan(lambda c, _: (c, jnp.float32(c) + 1), 0, None, length=3)
    theirs, _ = jax.lax.scan(lambda c, _: (c, jnp.float32(c) + 1), 0, None, length=3)
    # As this JAX's jax.lax.scan: from JAX 0.6.1 a carry the body returns
    # unchanged is the value given (a Python int stays one); JAX 0.6.0 gives
    # an array.
    assert carry == theirs == 0 and type(carry) is type(theirs)
    assert (type(carry) is int) is (jax.__version_info__ > (0, 6, 0))
    np.testing.assert_array_equal(ys, [1.0, 1.0, 1.0])


def test_under_jit_and_grad_it_is_lax_scan():
    w = jnp.asarray([0.5, 1.0, -1.0])
    init, xs = inputs(5)

    def loss(w, scan):
        (total, _), ys = scan(make_step(w), init, xs)
        return total.sum() + ys["total"].sum()

    expected = jax.grad(loss)(w, jax.lax.scan)
    np.testing.assert_allclose(jax.grad(loss)(w, eager_scan.scan), expected, rtol=1e-6)
    np.testing.assert_allclose(
        jax.jit(jax.grad(loss), static_argnums=1)(w, eager_scan.scan), expected, rtol=1e-6
    )


def test_concrete_inputs_with_a_body_closing_over_a_tracer():
    xs = jnp.arange(4.0)

    @jax.jit
    def f(w):
        # init and xs are concrete here; only the closed-over w is traced.
        return eager_scan.scan(lambda c, x: (c + w * x, c), 0.0, xs)

    carry, ys = f(2.0)
    assert carry == 12.0
    np.testing.assert_array_equal(ys, [0.0, 0.0, 2.0, 6.0])


@pytest.mark.parametrize(
    "body, init, xs",
    [
        (lambda c, x: (c.astype(jnp.int32), x), jnp.zeros(2), jnp.ones([3])),  # carry dtype
        (lambda c, x: ((c, c), x), jnp.zeros(2), jnp.ones([3])),  # carry structure
        (lambda c, x: c, jnp.zeros(2), jnp.ones([3])),  # not a pair
        (lambda c, x: (c, x), jnp.zeros(2), {"a": jnp.ones([3]), "b": jnp.ones([4])}),  # lengths
        (lambda c, x: (c, x), jnp.zeros(2), jnp.float32(1)),  # scalar xs
    ],
)
def test_errors_are_those_of_lax_scan(body, init, xs):
    with pytest.raises(Exception) as expected:
        jax.lax.scan(body, init, xs)
    with pytest.raises(type(expected.value)) as actual:
        eager_scan.scan(body, init, xs)
    assert str(actual.value).splitlines()[0] == str(expected.value).splitlines()[0]


def test_bodies_differing_only_in_python_callbacks_do_not_share_a_loop():
    seen = []

    def make(scale):
        def step(c, x):
            jax.debug.callback(lambda v: seen.append((scale, float(v))), x)
            y = jax.pure_callback(lambda v: np.asarray(v * scale, np.float32),
                                  jax.ShapeDtypeStruct((), jnp.float32), x)
            return c + y, y

        return step

    assert eager_scan.scan(make(1.0), 0.0, jnp.arange(2.0))[0] == 1.0
    assert eager_scan.scan(make(10.0), 0.0, jnp.arange(2.0))[0] == 10.0
    assert seen == [(1.0, 0.0), (1.0, 1.0), (10.0, 0.0), (10.0, 1.0)]


def test_custom_jvp_functions_in_the_body_do_not_prevent_reuse():
    def make():
        return lambda c, x: (jax.nn.relu(c + x) + jax.nn.softplus(x), c)

    eager_scan.scan(make(), 0.0, jnp.arange(3.0))
    xs = jnp.arange(3.0) - 1
    with count_compiles() as compiles:
        carry, _ = eager_scan.scan(make(), 1.0, xs)
    assert compiles["n"] == 0
    assert carry == jax.lax.scan(make(), 1.0, xs)[0]


def test_the_cache_keeps_at_most_cache_size_loops(monkeypatch):
    monkeypatch.setattr(eager_scan, "CACHE_SIZE", 2)
    for k in range(4):
        eager_scan.scan(lambda c, x, k=k: (c + x * k, c), 0.0, jnp.arange(3.0) + k)
    assert len(eager_scan._cache) <= 2


def lstm_like(x):
    """A stateful loop: a parameter read every step and a counter in state."""

    def step(h, x_t):
        w = hk.get_parameter("w", [x.shape[-1], 4], init=hk.initializers.RandomNormal())
        count = hk.get_state("count", [], jnp.int32, init=jnp.zeros)
        hk.set_state("count", count + 1)
        h = jnp.tanh(x_t @ w + h)
        return h, h

    return hk.scan(step, jnp.zeros([x.shape[1], 4]), x)


def stacked(x):
    def layer(y):
        w = hk.get_parameter("w", [8, 8], init=hk.initializers.RandomNormal())
        return jnp.tanh(y @ w)

    return hk.layer_stack(3)(layer)(x)


@pytest.mark.parametrize("fn", [lstm_like, stacked], ids=["hk.scan", "layer_stack"])
def test_eager_init_and_apply_compile_nothing_the_second_time(fn):
    f = hk.transform_with_state(fn)
    x = jnp.ones([5, 2, 8])
    params, state = f.init(jax.random.PRNGKey(0), x)
    f.apply(params, state, None, x)
    other = jnp.asarray(np.random.default_rng(0).normal(size=x.shape), jnp.float32)
    with count_compiles() as compiles:
        params2, state2 = f.init(jax.random.PRNGKey(1), other)
        out, _ = f.apply(params2, state2, None, other)
    assert compiles["n"] == 0
    expected, _ = jax.jit(f.apply)(params2, state2, None, other)
    jax.tree.map(lambda a, e: np.testing.assert_allclose(a, e, rtol=1e-6, atol=1e-6), out, expected)
