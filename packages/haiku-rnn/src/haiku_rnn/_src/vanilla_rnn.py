"""The fully-connected RNN core :class:`VanillaRNN`."""

from __future__ import annotations

import haiku as hk
import jax

from haiku_rnn._src.rnn_core import RNNCore, zeros_state

__all__ = ["VanillaRNN"]


class VanillaRNN(RNNCore):
    r"""Basic fully-connected RNN core.

    Given :math:`x_t` and the previous hidden state :math:`h_{t-1}` the core
    computes

    .. math::

       h_t = \operatorname{ReLU}(w_i x_t + b_i + w_h h_{t-1} + b_h)

    The output is equal to the new state, :math:`h_t`. The two affine maps
    are :class:`hk.Linear` modules, created in that order (named ``linear``
    and ``linear_1`` inside the core).

    >>> core = hk.VanillaRNN(hidden_size=3)
    >>> output, state = core(jnp.ones([2, 4]), core.initial_state(2))
    >>> output.shape, bool((output == state).all())
    ((2, 3), True)
    >>> jax.tree_util.tree_map(jnp.shape, hk.get_params())
    {'vanilla_rnn/linear': {'b': (3,), 'w': (4, 3)},
     'vanilla_rnn/linear_1': {'b': (3,), 'w': (3, 3)}}
    """

    def __init__(self, hidden_size: int, double_bias: bool = True, name: str | None = None):
        """Constructs a vanilla RNN core.

        Args:
          hidden_size: Hidden layer size.
          double_bias: Whether to use a bias in the two linear layers. This
            changes nothing to the learning performance of the cell; with
            ``False`` only the input-to-hidden layer has a bias.
          name: Name of the module.
        """
        super().__init__(name=name)
        self.hidden_size = hidden_size
        self.double_bias = double_bias

    def __call__(self, inputs: jax.Array, prev_state: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Runs one step: returns ``(h_t, h_t)``."""
        input_to_hidden = hk.Linear(self.hidden_size)
        hidden_to_hidden = hk.Linear(self.hidden_size, with_bias=self.double_bias)
        out = jax.nn.relu(input_to_hidden(inputs) + hidden_to_hidden(prev_state))
        return out, out

    def initial_state(self, batch_size: int | None) -> jax.Array:
        """Zeros of shape ``[batch_size, hidden_size]`` (``[hidden_size]`` if None)."""
        return zeros_state(batch_size, (self.hidden_size,))
