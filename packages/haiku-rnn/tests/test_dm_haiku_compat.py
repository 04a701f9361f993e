"""Behaviours dm-haiku 0.0.17's own test suite relies on, stated with real values."""

from __future__ import annotations

import contextlib
import re

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest


@contextlib.contextmanager
def float64_enabled():
    """64-bit floats in the block: ``jax.enable_x64`` from JAX 0.7, the flag before."""
    if hasattr(jax, "enable_x64"):
        with jax.enable_x64(True):
            yield
        return
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", previous)


class Counter(hk.RNNCore):
    """Adds one to its state and outputs the new state; its initial state is 0."""

    def __init__(self, size: int = 3, name: str | None = None):
        super().__init__(name=name)
        self.size = size

    def __call__(self, inputs, prev_state):
        del inputs
        return prev_state + 1, prev_state + 1

    def initial_state(self, batch_size):
        shape = (self.size,) if batch_size is None else (batch_size, self.size)
        return jnp.zeros(shape)  # float32 whatever the state's dtype


class BatchedOnly(Counter):
    """A core whose initial state needs a batch size."""

    def initial_state(self, batch_size):
        if batch_size is None:
            raise ValueError("BatchedOnly needs a batch size.")
        return super().initial_state(batch_size)


@pytest.mark.parametrize("unroll", [hk.dynamic_unroll, hk.static_unroll])
@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16, jnp.float32])
def test_reset_core_keeps_the_state_dtype(unroll, dtype):
    def f(xs, resets):
        core = hk.ResetCore(Counter())
        state = core.initial_state(2).astype(dtype)
        return unroll(core, (xs, resets), state)

    resets = jnp.array([[False, False], [True, False], [False, False]])
    outs, state = hk.transform(f).apply({}, None, jnp.zeros([3, 2, 1]), resets)
    assert outs.dtype == dtype and state.dtype == dtype
    # Example 0 restarts from 0 at step 1; example 1 counts straight through.
    np.testing.assert_array_equal(np.asarray(outs[:, :, 0], np.float32), [[1, 1], [1, 2], [2, 3]])


@pytest.mark.parametrize("unroll", [hk.dynamic_unroll, hk.static_unroll])
def test_reset_core_keeps_a_float64_state(unroll):
    with float64_enabled():
        def f(xs, resets):
            core = hk.ResetCore(Counter())
            return unroll(core, (xs, resets), core.initial_state(2).astype(jnp.float64))

        resets = jnp.array([[False, True], [True, False]])
        outs, state = hk.transform(f).apply({}, None, jnp.zeros([2, 2, 1]), resets)
        assert outs.dtype == jnp.float64 and state.dtype == jnp.float64
        np.testing.assert_array_equal(outs[:, :, 0], [[1, 1], [1, 2]])


@pytest.mark.parametrize("unroll", [hk.dynamic_unroll, hk.static_unroll])
def test_reset_core_unbatched_with_scalar_signals(unroll):
    def f():
        core = hk.ResetCore(Counter(size=2))
        steps = jnp.arange(5)
        return unroll(core, (steps, steps == 2), core.initial_state(None))

    outs, _ = hk.transform(f).apply({}, None)
    np.testing.assert_array_equal(outs, [[1, 1], [2, 2], [1, 1], [2, 2], [3, 3]])


def test_reset_core_wraps_batched_only_cores():
    def f():
        core = hk.ResetCore(BatchedOnly())
        state = jnp.full([2, 3], 5.0)
        return core((jnp.ones([2, 4]), jnp.array([True, False])), state)

    out, _ = hk.transform(f).apply({}, None)
    np.testing.assert_array_equal(out, [[1, 1, 1], [6, 6, 6]])


@pytest.mark.parametrize(
    ("reset", "state"),
    [
        (np.ones([2, 1, 1], bool), np.zeros([2, 2])),
        ({"core": np.array([True, False])}, {"another_core": np.zeros([2, 2])}),
    ],
    ids=["longer-than-state", "other-structure"],
)
def test_reset_core_rejects_incompatible_signals(reset, state):
    def f():
        core = hk.ResetCore(hk.IdentityCore())
        return core((state, reset), state)

    with pytest.raises(ValueError):
        hk.transform(f).apply({}, None)


def test_reset_core_signal_message_starts_with_dm_haikus_wording():
    def f():
        return hk.ResetCore(Counter())((jnp.zeros([2, 1]), jnp.ones([2, 1], bool)), jnp.zeros([2, 3]))

    with pytest.raises(
        ValueError,
        match=r"^should_reset signal shape \(2, 1\) is not compatible with state shape \(2, 3\)",
    ):
        hk.transform(f).apply({}, None)


@pytest.mark.parametrize(("core", "name"), [(hk.LSTM, "LSTM"), (hk.GRU, "GRU")])
@pytest.mark.parametrize("shape", [(), (1, 1, 3)])
def test_cells_reject_inputs_of_other_ranks_in_dm_haikus_words(core, name, shape):
    def f():
        cell = core(4)
        state = cell.initial_state(None)
        if shape:
            state = jax.tree.map(lambda s: s[None, None], state)
        return cell(jnp.zeros(shape), state)

    with pytest.raises(ValueError, match=rf"^{name} input must be rank-1 or rank-2\. "
                                         rf"{name.lower()}: .*got shape {re.escape(str(shape))}\."):
        hk.transform(f).init(jax.random.PRNGKey(0))


def test_skip_connections_need_rnn_cores_in_dm_haikus_words():
    def f():
        hk.deep_rnn_with_skip_connections([hk.LSTM(2), jax.nn.relu])

    with pytest.raises(ValueError, match=r"^skip_connections requires for all layers to be "
                                         r"`hk\.RNNCore`s\. Layers is: "):
        hk.transform(f).init(None)


@pytest.mark.parametrize("axis", [1, -2])
def test_expand_apply_axis_error_in_dm_haikus_words(axis):
    with pytest.raises(ValueError, match=rf"^expand_apply currently only supports axis=0 or "
                                         rf"axis=-1\. \(Got axis={axis}\.\)$"):
        hk.expand_apply(lambda x: x, axis=axis)


@pytest.mark.parametrize(("unroll", "reverse"), [
    (hk.dynamic_unroll, False), (hk.dynamic_unroll, True), (hk.static_unroll, False)])
def test_unrolls_of_plain_functions_run_outside_a_transform(unroll, reverse):
    def core(x, s):
        return x + s, s + 1

    kwargs = {"reverse": True} if reverse else {}
    outs, state = unroll(core, jnp.arange(5) * 10, 0, **kwargs)
    steps = np.arange(5)[::-1] if reverse else np.arange(5)
    want = np.empty(5, int)
    want[steps] = steps * 10 + np.arange(5)  # step k sees state k
    np.testing.assert_array_equal(outs, want)
    assert int(state) == 5
