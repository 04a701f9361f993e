"""One step of each cell against a float64 NumPy implementation of its equations.

Every parameter is replaced by random values (biases included), so gate
order, the forget-gate ``+1`` and each bias's role are all visible in the
outputs. Also: initial states, and the errors bad inputs raise.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest


def _load_reference():
    name = "haiku_rnn_tests_rnn_reference"
    if name not in sys.modules:
        path = Path(__file__).with_name("rnn_reference.py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


ref = _load_reference()
B, F, H = 2, 3, 4
ATOL = 2e-6


def randn(seed, *shape):
    return np.random.RandomState(seed).randn(*shape).astype(np.float32)


def randomized(params, seed=0):
    """``params`` (arrays or shape structs) with every leaf replaced by N(0, 0.5^2) values."""
    leaves, treedef = jax.tree.flatten(params)
    rng = np.random.RandomState(seed)
    new = [(0.5 * rng.randn(*leaf.shape)).astype(np.float32) for leaf in leaves]
    return jax.tree.unflatten(treedef, new)


def one_step(make_core, x, state, seed=0):
    f = hk.transform(lambda x, s: make_core()(x, s))
    # Only the parameters' shapes are needed: eval_shape skips the initializers
    # (eager truncated normals of rank-5 conv kernels cost seconds to compile).
    params = randomized(jax.eval_shape(f.init, jax.random.PRNGKey(seed), x, state), seed)
    out, next_state = f.apply(params, None, x, state)
    return params, out, next_state


@pytest.mark.parametrize("double_bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
def test_vanilla_rnn_step(double_bias, batched):
    shape = (B,) if batched else ()
    x, h = randn(1, *shape, F), randn(2, *shape, H)
    params, out, state = one_step(lambda: hk.VanillaRNN(H, double_bias=double_bias), x, h)
    first, second = params["vanilla_rnn/linear"], params["vanilla_rnn/linear_1"]
    assert first["w"].shape == (F, H) and second["w"].shape == (H, H)
    assert ("b" in second) == double_bias
    want, _ = ref.vanilla_step(x, h, first["w"], first["b"], second["w"], second.get("b"))
    np.testing.assert_allclose(out, want, atol=ATOL)
    np.testing.assert_array_equal(out, state)
    assert out.shape == (*shape, H)
    if batched:
        assert (np.asarray(out) == 0).any()  # the ReLU clips something


@pytest.mark.parametrize("batched", [True, False])
def test_lstm_step(batched):
    shape = (B,) if batched else ()
    x = randn(1, *shape, F)
    state = hk.LSTMState(hidden=randn(2, *shape, H), cell=randn(3, *shape, H))
    params, out, next_state = one_step(lambda: hk.LSTM(H), x, state)
    p = params["lstm/linear"]
    assert p["w"].shape == (F + H, 4 * H) and p["b"].shape == (4 * H,)
    want_out, (want_h, want_c) = ref.lstm_step(x, (state.hidden, state.cell), p["w"], p["b"])
    assert isinstance(next_state, hk.LSTMState)
    np.testing.assert_allclose(out, want_out, atol=ATOL)
    np.testing.assert_allclose(next_state.hidden, want_h, atol=ATOL)
    np.testing.assert_allclose(next_state.cell, want_c, atol=ATOL)


def test_lstm_forget_gate_bias_is_plus_one_at_init():
    """Zero weights and biases: every gate pre-activation is 0, except the
    forget gate's +1, so c_t = sigmoid(1) * c_{t-1} + 0.5 * tanh(0)."""
    f = hk.transform(lambda x, s: hk.LSTM(H)(x, s))
    x = randn(1, B, F)
    state = hk.LSTMState(hidden=randn(2, B, H), cell=randn(3, B, H))
    params = jax.tree.map(jnp.zeros_like, f.init(jax.random.PRNGKey(0), x, state))
    _, next_state = f.apply(params, None, x, state)
    np.testing.assert_allclose(next_state.cell, state.cell / (1 + np.exp(-1.0)), rtol=1e-6)
    np.testing.assert_array_equal(f.init(jax.random.PRNGKey(0), x, state)["lstm/linear"]["b"],
                                  np.zeros(4 * H))


@pytest.mark.parametrize("batched", [True, False])
def test_gru_step(batched):
    shape = (B,) if batched else ()
    x, h = randn(1, *shape, F), randn(2, *shape, H)
    params, out, state = one_step(lambda: hk.GRU(H), x, h)
    p = params["gru"]
    assert (p["w_i"].shape, p["w_h"].shape, p["b"].shape) == ((F, 3 * H), (H, 3 * H), (3 * H,))
    want, _ = ref.gru_step(x, h, p["w_i"], p["w_h"], p["b"])
    np.testing.assert_allclose(out, want, atol=ATOL)
    np.testing.assert_array_equal(out, state)


def test_gru_initializer_arguments():
    f = hk.transform(lambda x, s: hk.GRU(
        H,
        w_i_init=hk.initializers.Constant(0.25),
        w_h_init=hk.initializers.Constant(-0.5),
        b_init=hk.initializers.Constant(2.0),
    )(x, s))
    params = f.init(jax.random.PRNGKey(0), randn(1, B, F), randn(2, B, H))["gru"]
    np.testing.assert_array_equal(params["w_i"], np.full((F, 3 * H), 0.25, np.float32))
    np.testing.assert_array_equal(params["w_h"], np.full((H, 3 * H), -0.5, np.float32))
    np.testing.assert_array_equal(params["b"], np.full((3 * H,), 2.0, np.float32))
    # Defaults: VarianceScaling() (fan-in truncated normals within two corrected
    # stddevs, 2 / (sqrt(fan_in) * 0.8796...)) and a zero bias.
    f = hk.transform(lambda x, s: hk.GRU(H)(x, s))
    params = f.init(jax.random.PRNGKey(0), randn(1, B, F), randn(2, B, H))["gru"]
    assert np.abs(params["w_i"]).max() <= 2 / (np.sqrt(F) * 0.87962566)
    assert np.abs(params["w_h"]).max() <= 2 / (np.sqrt(H) * 0.87962566)
    assert np.abs(params["w_i"]).min() > 0
    np.testing.assert_array_equal(params["b"], np.zeros(3 * H))


CONV_CASES = [
    # (constructor, spatial shape, kernel)
    (hk.Conv1DLSTM, (5,), 3),
    (hk.Conv2DLSTM, (4, 3), (3, 2)),
    (hk.Conv3DLSTM, (3, 2, 3), 2),
]


@pytest.mark.parametrize("cls, spatial, kernel", CONV_CASES, ids=["1d", "2d", "3d"])
def test_conv_lstm_step(cls, spatial, kernel):
    C, OUT = 2, 3
    x = randn(1, B, *spatial, C)
    state = hk.LSTMState(hidden=randn(2, B, *spatial, OUT), cell=randn(3, B, *spatial, OUT))
    params, out, next_state = one_step(lambda: cls(spatial, OUT, kernel), x, state)
    prefix = {1: "conv1_dlstm", 2: "conv2_dlstm", 3: "conv3_dlstm"}[len(spatial)]
    x_params = params[f"{prefix}/input_to_hidden"]
    h_params = params[f"{prefix}/hidden_to_hidden"]
    kernel_shape = (kernel,) * len(spatial) if isinstance(kernel, int) else kernel
    assert x_params["w"].shape == (*kernel_shape, C, 4 * OUT)
    assert h_params["w"].shape == (*kernel_shape, OUT, 4 * OUT)
    want_out, (want_h, want_c) = ref.conv_lstm_step(
        x, (state.hidden, state.cell), x_params["w"], x_params["b"], h_params["w"], h_params["b"])
    np.testing.assert_allclose(out, want_out, atol=1e-5)
    np.testing.assert_allclose(next_state.hidden, want_h, atol=1e-5)
    np.testing.assert_allclose(next_state.cell, want_c, atol=1e-5)


def _initial_state(make_core, batch_size):
    return hk.transform(lambda: make_core().initial_state(batch_size)).apply({}, None)


@pytest.mark.parametrize("batch_size", [None, 3, np.int64(3)])
def test_initial_states(batch_size):
    lead = () if batch_size is None else (3,)
    shapes = jax.tree.map(jnp.shape, {
        "vanilla": _initial_state(lambda: hk.VanillaRNN(H), batch_size),
        "lstm": _initial_state(lambda: hk.LSTM(H), batch_size),
        "gru": _initial_state(lambda: hk.GRU(H), batch_size),
        "conv2d": _initial_state(lambda: hk.Conv2DLSTM((4, 5), 2, 3), batch_size),
        "identity": _initial_state(hk.IdentityCore, batch_size),
    })
    assert shapes == {
        "vanilla": (*lead, H),
        "lstm": hk.LSTMState(hidden=(*lead, H), cell=(*lead, H)),
        "gru": (*lead, H),
        "conv2d": hk.LSTMState(hidden=(*lead, 4, 5, 2), cell=(*lead, 4, 5, 2)),
        "identity": (),
    }
    state = _initial_state(lambda: hk.LSTM(H), batch_size)
    assert state.hidden.dtype == jnp.float32 and not np.asarray(state.cell).any()


def test_lstm_state_is_a_named_tuple():
    state = hk.LSTMState(hidden=1, cell=2)
    assert state == (1, 2) and state._fields == ("hidden", "cell")
    assert jax.tree.leaves(state) == [1, 2]


def test_rnn_core_is_abstract():
    with pytest.raises(TypeError, match="abstract"):
        hk.transform(lambda: hk.RNNCore()).apply({}, None)

    class Counter(hk.RNNCore):
        def __call__(self, inputs, prev_state):
            return inputs + prev_state, prev_state + 1

        def initial_state(self, batch_size):
            return jnp.zeros([batch_size])

    def f(x):
        core = Counter()
        return hk.dynamic_unroll(core, x, core.initial_state(2))

    out, state = hk.transform(f).apply({}, None, jnp.ones([3, 2]))
    np.testing.assert_array_equal(out, [[1, 1], [2, 2], [3, 3]])
    np.testing.assert_array_equal(state, [3, 3])


def _apply(f, *args):
    transformed = hk.transform(f)
    return transformed.apply(transformed.init(jax.random.PRNGKey(0), *args), None, *args)


def test_bad_inputs_raise_clear_errors():
    lstm_state = hk.LSTMState(hidden=jnp.zeros([B, H]), cell=jnp.zeros([B, H]))
    with pytest.raises(ValueError, match=r"^LSTM input must be rank-1 or rank-2\. lstm: .* \(2, 5, 3\)"):
        _apply(lambda x: hk.LSTM(H)(x, lstm_state), jnp.ones([B, 5, F]))
    with pytest.raises(TypeError, match=r"lstm: prev_state.hidden and prev_state.cell must "
                                         r"have shape \(3, 4\) .* \(2, 4\) and \(2, 4\)"):
        _apply(lambda x: hk.LSTM(H)(x, lstm_state), jnp.ones([3, F]))
    with pytest.raises(TypeError, match=r"gru: state must have shape \(2, 4\) .* got \(2, 5\)"):
        _apply(lambda x: hk.GRU(H)(x, jnp.zeros([B, 5])), jnp.ones([B, F]))
    with pytest.raises(ValueError, match=r"^GRU input must be rank-1 or rank-2\. gru: "):
        _apply(lambda x: hk.GRU(H)(x, jnp.zeros([B, H])), jnp.ones([B, 1, F]))
    conv_state = hk.LSTMState(hidden=jnp.zeros([B, 5, 2]), cell=jnp.zeros([B, 5, 2]))
    with pytest.raises(TypeError, match=r"conv1_dlstm: inputs of shape \(2, 6, 3\) .* "
                                         r"state.hidden \(2, 5, 2\)"):
        _apply(lambda x: hk.Conv1DLSTM((5,), 2, 3)(x, conv_state), jnp.ones([B, 6, 3]))
