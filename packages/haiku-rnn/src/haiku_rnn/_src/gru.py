"""The gated recurrent unit :class:`GRU`."""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp

from haiku_rnn._src.rnn_core import RNNCore, zeros_state

__all__ = ["GRU"]


class GRU(RNNCore):
    r"""Gated Recurrent Unit.

    The implementation is based on https://arxiv.org/pdf/1412.3555v1.pdf with
    biases. Given :math:`x_t` and the previous state :math:`h_{t-1}` the core
    computes

    .. math::

       \begin{array}{ll}
       z_t &= \sigma(W_{iz} x_t + W_{hz} h_{t-1} + b_z) \\
       r_t &= \sigma(W_{ir} x_t + W_{hr} h_{t-1} + b_r) \\
       a_t &= \tanh(W_{ia} x_t + W_{ha} (r_t \odot h_{t-1}) + b_a) \\
       h_t &= (1 - z_t) \odot h_{t-1} + z_t \odot a_t
       \end{array}

    where :math:`z_t` and :math:`r_t` are the update and reset gates. The
    output is equal to the new hidden state, :math:`h_t`.

    The parameters are ``w_i`` (``[input_size, 3 * hidden_size]``), ``w_h``
    (``[hidden_size, 3 * hidden_size]``) and ``b`` (``[3 * hidden_size]``),
    their columns ordered ``z, r, a``.

    >>> core = hk.GRU(hidden_size=3)
    >>> output, state = core(jnp.ones([2, 4]), core.initial_state(2))
    >>> output.shape
    (2, 3)
    >>> jax.tree_util.tree_map(jnp.shape, hk.get_params())
    {'gru': {'b': (9,), 'w_h': (3, 9), 'w_i': (4, 9)}}
    """

    def __init__(
        self,
        hidden_size: int,
        w_i_init: hk.initializers.Initializer | None = None,
        w_h_init: hk.initializers.Initializer | None = None,
        b_init: hk.initializers.Initializer | None = None,
        name: str | None = None,
    ):
        """Constructs a GRU.

        Args:
          hidden_size: Hidden layer size.
          w_i_init: Initializer of the input weights ``w_i``. By default
            ``hk.initializers.VarianceScaling()`` (truncated normal, fan-in).
          w_h_init: Initializer of the hidden weights ``w_h``. By default
            ``hk.initializers.VarianceScaling()``.
          b_init: Initializer of the bias ``b``. By default zeros.
          name: Name of the module.
        """
        super().__init__(name=name)
        self.hidden_size = hidden_size
        self.w_i_init = w_i_init or hk.initializers.VarianceScaling()
        self.w_h_init = w_h_init or hk.initializers.VarianceScaling()
        self.b_init = b_init or jnp.zeros

    def __call__(self, inputs: jax.Array, state: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Runs one step: returns ``(h_t, h_t)``."""
        if jnp.ndim(inputs) not in (1, 2):
            raise ValueError(
                f"GRU input must be rank-1 or rank-2. {self.module_name}: inputs must be "
                f"[features] or [batch, features], got shape {jnp.shape(inputs)}."
            )
        hidden_size = self.hidden_size
        expected = (*jnp.shape(inputs)[:-1], hidden_size)
        if jnp.shape(state) != expected:
            # TypeError: what dm-haiku's matrix product raises for it.
            raise TypeError(
                f"{self.module_name}: state must have shape {expected} for inputs of "
                f"shape {jnp.shape(inputs)} (hidden_size={hidden_size}), got "
                f"{jnp.shape(state)}."
            )
        input_size = inputs.shape[-1]
        dtype = inputs.dtype
        w_i = hk.get_parameter("w_i", [input_size, 3 * hidden_size], dtype, init=self.w_i_init)
        w_h = hk.get_parameter("w_h", [hidden_size, 3 * hidden_size], dtype, init=self.w_h_init)
        b = hk.get_parameter("b", [3 * hidden_size], dtype, init=self.b_init)
        w_h_zr, w_h_a = jnp.split(w_h, [2 * hidden_size], axis=1)
        b_zr, b_a = jnp.split(b, [2 * hidden_size])

        gates_x = jnp.matmul(inputs, w_i)
        zr_x, a_x = jnp.split(gates_x, [2 * hidden_size], axis=-1)
        zr_h = jnp.matmul(state, w_h_zr)
        zr = zr_x + zr_h + jnp.broadcast_to(b_zr, zr_h.shape)
        z, r = jnp.split(jax.nn.sigmoid(zr), 2, axis=-1)

        a_h = jnp.matmul(r * state, w_h_a)
        a = jnp.tanh(a_x + a_h + jnp.broadcast_to(b_a, a_h.shape))

        next_state = (1 - z) * state + z * a
        return next_state, next_state

    def initial_state(self, batch_size: int | None) -> jax.Array:
        """Zeros of shape ``[batch_size, hidden_size]`` (``[hidden_size]`` if None)."""
        return zeros_state(batch_size, (self.hidden_size,))
