"""ResetCore resets exactly the flagged examples (or state entries)."""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest

T, B, F, H = 5, 3, 2, 4


def randn(seed, *shape):
    return np.random.RandomState(seed).randn(*shape).astype(np.float32)


class Recorder(hk.RNNCore):
    """Outputs the state it was called with; its initial state is -1 (not 0)."""

    def __call__(self, inputs, prev_state):
        return prev_state, jax.tree.map(lambda s: s + 1, prev_state)

    def initial_state(self, batch_size):
        return {"a": -jnp.ones([batch_size, 2]), "b": -jnp.ones([batch_size, 3, 2])}


STATE = {"a": jnp.arange(6.0).reshape(3, 2), "b": jnp.arange(18.0).reshape(3, 3, 2)}


def _reset(should_reset):
    def f(state):
        core = hk.ResetCore(Recorder())
        return core((jnp.zeros([B, 1]), should_reset), state)

    return hk.transform(f).apply({}, None, STATE)


@pytest.mark.parametrize("flags", [[True, False, True], [1, 0, 1]], ids=["bool", "int"])
def test_resets_the_flagged_examples(flags):
    seen, next_state = _reset(jnp.array(flags))
    np.testing.assert_array_equal(seen["a"], [[-1, -1], [2, 3], [-1, -1]])
    np.testing.assert_array_equal(seen["b"][0], -np.ones([3, 2]))
    np.testing.assert_array_equal(seen["b"][1], STATE["b"][1])
    np.testing.assert_array_equal(seen["b"][2], -np.ones([3, 2]))
    np.testing.assert_array_equal(next_state["a"], seen["a"] + 1)


def test_resets_per_state_entry():
    seen, _ = _reset({
        "a": jnp.array([True, False, False]),
        "b": jnp.array([[False, True, False], [False, False, False], [True, True, True]]),
    })
    np.testing.assert_array_equal(seen["a"], [[-1, -1], [2, 3], [4, 5]])
    want_b = np.array(STATE["b"])
    want_b[0, 1] = -1
    want_b[2] = -1
    np.testing.assert_array_equal(seen["b"], want_b)


def test_incompatible_should_reset_shape():
    with pytest.raises(ValueError, match=r"^should_reset signal shape \(3, 2\) is not "
                                         r"compatible with state shape \(3, 3, 2\) \(reset_core: .* of its "
                                         r"core \(recorder\), "):
        _reset(jnp.ones([3, 2], bool))


def test_scalar_should_reset_resets_every_example():
    seen, _ = _reset(jnp.array(True))
    np.testing.assert_array_equal(seen["a"], -np.ones([3, 2]))
    np.testing.assert_array_equal(seen["b"], -np.ones([3, 3, 2]))


def _reset_unroll(xs, resets):
    core = hk.ResetCore(hk.LSTM(H))
    return hk.dynamic_unroll(core, (xs, resets), core.initial_state(B))


def _fresh_unroll(xs):
    core = hk.LSTM(H)  # named "lstm" too, so it shares the parameters
    return hk.static_unroll(core, xs, core.initial_state(xs.shape[1]))


def test_unroll_with_resets_equals_restarting_each_example():
    xs = randn(0, T, B, F)
    resets = np.zeros([T, B], bool)
    resets[2, 0] = resets[4, 0] = resets[1, 2] = True
    resets[0, 1] = True  # a reset at the first step changes nothing
    reset_fn, fresh_fn = hk.transform(_reset_unroll), hk.transform(_fresh_unroll)
    params = reset_fn.init(jax.random.PRNGKey(0), xs, resets)
    outputs, _ = reset_fn.apply(params, None, xs, resets)
    for b in range(B):
        starts = [0, *np.flatnonzero(resets[1:, b]) + 1, T]
        for start, end in zip(starts[:-1], starts[1:]):
            segment, _ = fresh_fn.apply(params, None, xs[start:end, b:b + 1])
            np.testing.assert_allclose(outputs[start:end, b], segment[:, 0], rtol=1e-6, atol=1e-6)


def test_initial_state_is_the_wrapped_cores():
    def f():
        return hk.ResetCore(hk.LSTM(H)).initial_state(B), hk.ResetCore(Recorder()).initial_state(2)

    lstm_state, recorder_state = hk.transform(f).apply({}, None)
    assert isinstance(lstm_state, hk.LSTMState) and lstm_state.hidden.shape == (B, H)
    np.testing.assert_array_equal(recorder_state["b"], -np.ones([2, 3, 2]))
