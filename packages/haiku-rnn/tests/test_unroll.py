"""dynamic_unroll == static_unroll == a Python loop; expand_apply; tracing cost.

The three unrolls run the same core under one set of parameters (the module
names agree, so one ``init`` serves all), batch- and time-major, forward and
reversed, with and without every intermediate state, and with ``unroll > 1``.
"""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest

T, B, F, H = 5, 2, 3, 4


def randn(seed, *shape):
    return np.random.RandomState(seed).randn(*shape).astype(np.float32)


def swap(tree):
    return jax.tree.map(lambda x: jnp.swapaxes(x, 0, 1), tree)


def python_loop(core, xs, state, time_major=True, reverse=False):
    """The reference: call the core step by step, outputs at their own index."""
    if not time_major:
        xs = swap(xs)
    num_steps = jax.tree.leaves(xs)[0].shape[0]
    outputs, states = [None] * num_steps, [None] * num_steps
    for t in reversed(range(num_steps)) if reverse else range(num_steps):
        outputs[t], state = core(jax.tree.map(lambda x: x[t], xs), state)
        states[t] = state
    outputs = jax.tree.map(lambda *o: jnp.stack(o), *outputs)
    all_states = jax.tree.map(lambda *s: jnp.stack(s), *states)
    if not time_major:
        outputs, all_states = swap(outputs), swap(all_states)
    return outputs, state, all_states


def make_core():
    # A nested state (LSTMState and a GRU array) and a plain callable.
    return hk.DeepRNN([hk.LSTM(H), jnp.tanh, hk.GRU(H)])


def _unrolls(xs, time_major, reverse, unroll):
    core = make_core()
    state = core.initial_state(B)
    dynamic = hk.dynamic_unroll(core, xs, state, time_major=time_major, reverse=reverse,
                                unroll=unroll)
    dynamic_all = hk.dynamic_unroll(core, xs, state, time_major=time_major, reverse=reverse,
                                    return_all_states=True, unroll=unroll)
    loop = python_loop(core, xs, state, time_major=time_major, reverse=reverse)
    static = None if reverse else hk.static_unroll(core, xs, state, time_major=time_major)
    return dynamic, dynamic_all, loop, static


UNROLLS = hk.transform(_unrolls)
XS = randn(0, T, B, F)
PARAMS = UNROLLS.init(jax.random.PRNGKey(0), XS, True, False, 1)


def assert_trees_close(actual, expected):
    assert jax.tree.structure(actual) == jax.tree.structure(expected)
    for a, e in zip(jax.tree.leaves(actual), jax.tree.leaves(expected)):
        assert a.shape == e.shape
        np.testing.assert_allclose(a, e, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("unroll", [1, 2])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("time_major", [True, False], ids=["time_major", "batch_major"])
def test_dynamic_equals_static_and_loop(time_major, reverse, unroll):
    xs = XS if time_major else swap(XS)
    dynamic, dynamic_all, loop, static = UNROLLS.apply(PARAMS, None, xs, time_major, reverse,
                                                       unroll)
    loop_outputs, loop_final, loop_all = loop
    lead = (T, B) if time_major else (B, T)
    assert dynamic[0].shape == (*lead, H)
    assert_trees_close(dynamic[0], loop_outputs)
    assert_trees_close(dynamic[1], loop_final)
    assert_trees_close(dynamic_all[0], loop_outputs)
    assert_trees_close(dynamic_all[1], loop_all)
    assert isinstance(dynamic_all[1][0], hk.LSTMState)
    assert dynamic_all[1][0].cell.shape == (*lead, H)
    if static is not None:
        assert_trees_close(static[0], loop_outputs)
        assert_trees_close(static[1], loop_final)
    # Reversed: the last step runs first, so the final state is the one after step 0.
    last = jax.tree.map(lambda s: s[0 if reverse else -1] if time_major else s[:, 0 if reverse
                                                                               else -1], loop_all)
    assert_trees_close(dynamic[1], last)


def test_reverse_reverses_time():
    forward = UNROLLS.apply(PARAMS, None, XS[::-1], True, False, 1)[0]
    reverse = UNROLLS.apply(PARAMS, None, XS, True, True, 1)[0]
    assert_trees_close(reverse[0], forward[0][::-1])
    assert_trees_close(reverse[1], forward[1])


def test_nested_inputs_and_outputs():
    xs = {"a": randn(1, T, B, 2), "b": (randn(2, T, B),)}

    def f(xs):
        core = hk.IdentityCore()
        return (hk.dynamic_unroll(core, xs, core.initial_state(B)),
                hk.static_unroll(core, swap(xs), core.initial_state(B), time_major=False),
                hk.dynamic_unroll(core, swap(xs), (), time_major=False, return_all_states=True))

    (dyn, dyn_state), (stat, stat_state), (bm, bm_states) = hk.transform(f).apply({}, None, xs)
    assert_trees_close(dyn, xs)
    assert_trees_close(stat, swap(xs))
    assert_trees_close(bm, swap(xs))
    assert dyn_state == stat_state == bm_states == ()


def _jaxpr_size(fn, *args):
    return len(jax.make_jaxpr(fn)(*args).jaxpr.eqns)


def test_dynamic_unroll_traces_independently_of_the_number_of_steps():
    def unroll(xs, dynamic=True):
        core = hk.LSTM(H)
        fn = hk.dynamic_unroll if dynamic else hk.static_unroll
        return fn(core, xs, core.initial_state(B))

    f = hk.transform(unroll)
    short = jax.ShapeDtypeStruct((10, B, F), jnp.float32)
    long = jax.ShapeDtypeStruct((1000, B, F), jnp.float32)
    params = f.init(jax.random.PRNGKey(0), np.zeros((10, B, F), np.float32))
    init_sizes = [_jaxpr_size(lambda x: f.init(jax.random.PRNGKey(0), x), s)
                  for s in (short, long)]
    apply_sizes = [_jaxpr_size(lambda x: f.apply(params, None, x), s) for s in (short, long)]
    assert init_sizes[0] == init_sizes[1]
    assert apply_sizes[0] == apply_sizes[1]
    # The static unroll, in contrast, repeats the step.
    s10, s20 = (_jaxpr_size(lambda x: f.apply(params, None, x, False),
                            jax.ShapeDtypeStruct((n, B, F), jnp.float32)) for n in (10, 20))
    assert s20 > s10 + 10


def test_unroll_errors():
    def f(xs, **kwargs):
        core = hk.IdentityCore()
        return hk.dynamic_unroll(core, xs, (), **kwargs)

    apply = hk.transform(f).apply
    with pytest.raises(ValueError, match=r"dynamic_unroll: input_sequence entries disagree on "
                                         r"the number of time steps: \[\(3, 2\), \(4, 2\)\]"):
        apply({}, None, (jnp.ones([3, 2]), jnp.ones([4, 2])))
    with pytest.raises(IndexError, match=r"dynamic_unroll: with time_major=False every "
                                         r"input_sequence entry must be \[B, T, ...\], got "
                                         r"shapes \[\(3,\)\]"):
        apply({}, None, jnp.ones([3]), time_major=False)
    with pytest.raises(IndexError, match="dynamic_unroll: every input_sequence entry needs a "
                                         "time axis, got a scalar"):
        apply({}, None, (jnp.ones([3]), jnp.float32(1)))
    with pytest.raises(IndexError, match="dynamic_unroll: input_sequence has no arrays"):
        apply({}, None, {})
    with pytest.raises(TypeError, match="static_unroll: input_sequence has zero time steps"):
        hk.transform(lambda: hk.static_unroll(hk.IdentityCore(), jnp.ones([0, 2]), ())).apply(
            {}, None)


def test_expand_apply():
    calls = []

    def f(x, scale=None):
        calls.append((x.shape, scale.shape))
        return {"y": x * scale, "n": x.sum(axis=0, keepdims=True)}

    x, scale = jnp.arange(6.0).reshape(2, 3), jnp.full([2, 3], 2.0)
    out = hk.expand_apply(f)(x, scale=scale)
    assert calls[-1] == ((1, 2, 3), (1, 2, 3))
    np.testing.assert_array_equal(out["y"], x * 2)
    np.testing.assert_array_equal(out["n"], x)
    out = hk.expand_apply(f, axis=-1)(x, scale=scale)
    assert calls[-1] == ((2, 3, 1), (2, 3, 1))
    np.testing.assert_array_equal(out["n"], x.sum(axis=0, keepdims=True))
    assert hk.expand_apply(f).__name__ == "f"
    with pytest.raises(ValueError, match=r"^expand_apply currently only supports axis=0 or axis=-1\. \(Got axis=1\.\)$"):
        hk.expand_apply(f, axis=1)
