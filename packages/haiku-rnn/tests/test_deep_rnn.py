"""DeepRNN, deep_rnn_with_skip_connections and IdentityCore."""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest

B, F = 2, 3


def randn(seed, *shape):
    return np.random.RandomState(seed).randn(*shape).astype(np.float32)


def _deep_vs_manual(x):
    lstm, gru, vanilla = hk.LSTM(4), hk.GRU(3), hk.VanillaRNN(2)
    deep = hk.DeepRNN([lstm, jnp.tanh, gru, vanilla])
    state = deep.initial_state(B)
    out, next_state = deep(x, state)
    # The same modules by hand: callables see only the previous output.
    o0, s0 = lstm(x, state[0])
    o1, s1 = gru(jnp.tanh(o0), state[1])
    o2, s2 = vanilla(o1, state[2])
    return (out, next_state), (o2, (s0, s1, s2)), state


def test_deep_rnn_chains_layers_and_keeps_one_state_per_core():
    f = hk.transform(_deep_vs_manual)
    x = randn(0, B, F)
    params = f.init(jax.random.PRNGKey(0), x)
    assert sorted(params) == ["gru", "lstm/linear", "vanilla_rnn/linear", "vanilla_rnn/linear_1"]
    (out, next_state), (want_out, want_state), state = f.apply(params, None, x)
    assert isinstance(state, tuple) and len(state) == 3
    assert isinstance(next_state, tuple) and isinstance(next_state[0], hk.LSTMState)
    assert out.shape == (B, 2)
    np.testing.assert_array_equal(out, want_out)
    for got, want in zip(jax.tree.leaves(next_state), jax.tree.leaves(want_state)):
        np.testing.assert_array_equal(got, want)


def test_deep_rnn_without_cores_has_an_empty_state():
    def f(x):
        deep = hk.DeepRNN([jnp.tanh, lambda y: 2 * y])
        return deep.initial_state(B), deep.initial_state(None), deep(x, ())

    x = randn(1, B, F)
    state, unbatched, (out, next_state) = hk.transform(f).apply({}, None, x)
    assert state == unbatched == next_state == ()
    np.testing.assert_allclose(out, 2 * np.tanh(x), rtol=1e-6)


def test_deep_rnn_initial_state_without_batch_size():
    def f():
        return hk.DeepRNN([hk.LSTM(4), jax.nn.relu, hk.GRU(3)]).initial_state(None)

    state = hk.transform(f).apply({}, None)
    assert jax.tree.map(jnp.shape, state) == (hk.LSTMState((4,), (4,)), (3,))


def _skip_vs_manual(x):
    cores = [hk.LSTM(4), hk.GRU(3), hk.VanillaRNN(2)]
    deep = hk.deep_rnn_with_skip_connections(cores)
    state = deep.initial_state(B)
    out, next_state = deep(x, state)
    o0, s0 = cores[0](x, state[0])
    o1, s1 = cores[1](jnp.concatenate([x, o0], axis=-1), state[1])
    o2, s2 = cores[2](jnp.concatenate([x, o1], axis=-1), state[2])
    return (out, next_state), (jnp.concatenate([o0, o1, o2], axis=-1), (s0, s1, s2))


def test_skip_connections_concatenate_inputs_and_outputs():
    f = hk.transform(_skip_vs_manual)
    x = randn(2, B, F)
    params = f.init(jax.random.PRNGKey(0), x)
    # Layer i > 0 sees [inputs, outputs of layer i - 1]: 3 + 4 and 3 + 3 features.
    assert params["gru"]["w_i"].shape == (F + 4, 9)
    assert params["vanilla_rnn/linear"]["w"].shape == (F + 3, 2)
    (out, next_state), (want_out, want_state) = f.apply(params, None, x)
    assert out.shape == (B, 4 + 3 + 2)
    np.testing.assert_array_equal(out, want_out)
    for got, want in zip(jax.tree.leaves(next_state), jax.tree.leaves(want_state)):
        np.testing.assert_array_equal(got, want)


def test_deep_rnn_errors():
    with pytest.raises(ValueError, match=r"^skip_connections requires for all layers to be "
                                         r"`hk.RNNCore`s\. Layers is: \[LSTM\(.*\] "
                                         r"\(deep_rnn_with_skip_connections: "
                                         r"<PjitFunction of <function tanh"):
        hk.transform(lambda: hk.deep_rnn_with_skip_connections([hk.LSTM(2), jnp.tanh])).apply(
            {}, None)

    def wrong_state(x):
        deep = hk.DeepRNN([hk.LSTM(2), hk.GRU(2)])
        return deep(x, deep.initial_state(B)[:1])

    with pytest.raises(IndexError, match=r"deep_rnn: state must hold one entry per RNNCore "
                                         r"layer \(2\), got 1"):
        hk.transform(wrong_state).init(jax.random.PRNGKey(0), randn(0, B, F))


def test_identity_core_forwards_inputs_and_state():
    def f(x):
        core = hk.IdentityCore()
        return core.initial_state(B), core(x, ()), core(x, {"kept": x["a"]})

    x = {"a": randn(0, B, F), "b": [randn(1, B)]}
    state, (out, next_state), (_, kept) = hk.transform(f).apply({}, None, x)
    assert state == () and next_state == ()
    assert out is x
    assert kept["kept"] is x["a"]
