"""The LSTM core: :class:`LSTM` and its state :class:`LSTMState`."""

from __future__ import annotations

from typing import NamedTuple

import haiku as hk
import jax
import jax.numpy as jnp

from haiku_rnn._src.rnn_core import RNNCore, zeros_state

__all__ = ["LSTM", "LSTMState", "lstm_gates"]


class LSTMState(NamedTuple):
    """An LSTM core state: the ``hidden`` and ``cell`` arrays.

    >>> state = hk.LSTMState(hidden=jnp.zeros([2, 3]), cell=jnp.ones([2, 3]))
    >>> state.cell.shape
    (2, 3)
    """

    hidden: jax.Array
    cell: jax.Array


def lstm_gates(gated: jax.Array, prev_cell: jax.Array) -> LSTMState:
    """The LSTM update from the pre-activations ``[i, g, f, o]`` (last axis).

    The forget gate gets ``+1`` before its sigmoid (Jozefowicz et al. 2015).
    """
    i, g, f, o = jnp.split(gated, 4, axis=-1)
    f = jax.nn.sigmoid(f + 1)
    cell = f * prev_cell + jax.nn.sigmoid(i) * jnp.tanh(g)
    hidden = jax.nn.sigmoid(o) * jnp.tanh(cell)
    return LSTMState(hidden=hidden, cell=cell)


class LSTM(RNNCore):
    r"""Long short-term memory (LSTM) RNN core.

    The implementation is based on Zaremba et al. 2014
    (https://arxiv.org/abs/1409.2329). Given :math:`x_t` and the previous
    state :math:`(h_{t-1}, c_{t-1})` the core computes

    .. math::

       \begin{array}{ll}
       i_t = \sigma(W_{ii} x_t + W_{hi} h_{t-1} + b_i) \\
       f_t = \sigma(W_{if} x_t + W_{hf} h_{t-1} + b_f) \\
       g_t = \tanh(W_{ig} x_t + W_{hg} h_{t-1} + b_g) \\
       o_t = \sigma(W_{io} x_t + W_{ho} h_{t-1} + b_o) \\
       c_t = f_t c_{t-1} + i_t g_t \\
       h_t = o_t \tanh(c_t)
       \end{array}

    where :math:`i_t`, :math:`f_t`, :math:`o_t` are input, forget and output
    gate activations, and :math:`g_t` is a vector of cell updates. The output
    is equal to the new hidden, :math:`h_t`.

    All four gates come from one :class:`hk.Linear` (``linear``) applied to
    the concatenation ``[x_t, h_{t-1}]``, its ``4 * hidden_size`` outputs
    ordered ``i, g, f, o``. Following Jozefowicz et al. 2015 the forget gate
    pre-activation gets ``+1`` (the stored bias stays zero-initialised), to
    reduce forgetting at the beginning of training.

    >>> core = hk.LSTM(hidden_size=3)
    >>> output, state = core(jnp.ones([2, 4]), core.initial_state(2))
    >>> output.shape, state.cell.shape
    ((2, 3), (2, 3))
    >>> jax.tree_util.tree_map(jnp.shape, hk.get_params())
    {'lstm/linear': {'b': (12,), 'w': (7, 12)}}
    """

    def __init__(self, hidden_size: int, name: str | None = None):
        """Constructs an LSTM.

        Args:
          hidden_size: Hidden layer size.
          name: Name of the module.
        """
        super().__init__(name=name)
        self.hidden_size = hidden_size

    def __call__(self, inputs: jax.Array, prev_state: LSTMState) -> tuple[jax.Array, LSTMState]:
        """Runs one step: returns ``(h_t, LSTMState(h_t, c_t))``."""
        hidden = prev_state.hidden
        if jnp.ndim(inputs) not in (1, 2):
            raise ValueError(
                f"LSTM input must be rank-1 or rank-2. {self.module_name}: inputs must be "
                f"[features] or [batch, features], got shape {jnp.shape(inputs)}."
            )
        expected = (*jnp.shape(inputs)[:-1], self.hidden_size)
        if jnp.shape(hidden) != expected or jnp.shape(prev_state.cell) != expected:
            # TypeError: what dm-haiku's gate arithmetic raises for it.
            raise TypeError(
                f"{self.module_name}: prev_state.hidden and prev_state.cell must have shape "
                f"{expected} for inputs of shape {jnp.shape(inputs)} "
                f"(hidden_size={self.hidden_size}), got {jnp.shape(hidden)} and "
                f"{jnp.shape(prev_state.cell)}."
            )
        x_and_h = jnp.concatenate([inputs, hidden], axis=-1)
        gated = hk.Linear(4 * self.hidden_size)(x_and_h)
        state = lstm_gates(gated, prev_state.cell)
        return state.hidden, state

    def initial_state(self, batch_size: int | None) -> LSTMState:
        """Zero ``hidden`` and ``cell`` of shape ``[batch_size, hidden_size]``
        (``[hidden_size]`` if ``batch_size`` is None)."""
        return LSTMState(
            hidden=zeros_state(batch_size, (self.hidden_size,)),
            cell=zeros_state(batch_size, (self.hidden_size,)),
        )
