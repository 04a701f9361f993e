"""Convolutional LSTMs: :class:`Conv1DLSTM`, :class:`Conv2DLSTM`, :class:`Conv3DLSTM`."""

from __future__ import annotations

from collections.abc import Sequence

import haiku as hk
import jax
import jax.numpy as jnp

from haiku_rnn._src.lstm import LSTMState, lstm_gates
from haiku_rnn._src.rnn_core import RNNCore, zeros_state

__all__ = ["Conv1DLSTM", "Conv2DLSTM", "Conv3DLSTM", "ConvNDLSTM"]

_EQUATIONS = r"""
    The implementation is based on Shi et al. 2015
    (https://arxiv.org/abs/1506.04214). Given :math:`x_t` and the previous
    state :math:`(h_{t-1}, c_{t-1})` the core computes

    .. math::

       \begin{array}{ll}
       i_t = \sigma(W_{ii} * x_t + W_{hi} * h_{t-1} + b_i) \\
       f_t = \sigma(W_{if} * x_t + W_{hf} * h_{t-1} + b_f) \\
       g_t = \tanh(W_{ig} * x_t + W_{hg} * h_{t-1} + b_g) \\
       o_t = \sigma(W_{io} * x_t + W_{ho} * h_{t-1} + b_o) \\
       c_t = f_t c_{t-1} + i_t g_t \\
       h_t = o_t \tanh(c_t)
       \end{array}

    where :math:`*` denotes the convolution operator ("SAME" padding, stride
    1); :math:`i_t`, :math:`f_t`, :math:`o_t` are input, forget and output
    gate activations, and :math:`g_t` is a vector of cell updates. The output
    is equal to the new hidden state, :math:`h_t`.

    The two convolutions are :class:`hk.ConvND` modules named
    ``input_to_hidden`` and ``hidden_to_hidden``, each with ``4 *
    output_channels`` channels ordered ``i, g, f, o``; the forget gate
    pre-activation gets ``+1`` (Jozefowicz et al. 2015) to reduce forgetting
    at the beginning of training. Inputs are channels-last.
"""


class ConvNDLSTM(RNNCore):
    """N-dimensional convolutional LSTM (the base of ``Conv{1,2,3}DLSTM``).

    >>> core = ConvNDLSTM(1, input_shape=(8,), output_channels=3, kernel_shape=3)
    >>> output, state = core(jnp.ones([2, 8, 5]), core.initial_state(2))
    >>> output.shape
    (2, 8, 3)
    """

    def __init__(
        self,
        num_spatial_dims: int,
        input_shape: Sequence[int],
        output_channels: int,
        kernel_shape: int | Sequence[int],
        name: str | None = None,
    ):
        """Constructs a convolutional LSTM.

        Args:
          num_spatial_dims: Number of spatial dimensions of the input.
          input_shape: Spatial shape of the inputs (without batch size and
            channels); the state has this spatial shape.
          output_channels: Number of output channels.
          kernel_shape: Kernel size: an int, or a sequence of
            ``num_spatial_dims`` ints.
          name: Name of the module.
        """
        super().__init__(name=name)
        self.num_spatial_dims = num_spatial_dims
        self.input_shape = tuple(input_shape)
        self.output_channels = output_channels
        self.kernel_shape = kernel_shape

    def __call__(self, inputs: jax.Array, state: LSTMState) -> tuple[jax.Array, LSTMState]:
        """Runs one step: returns ``(h_t, LSTMState(h_t, c_t))``."""
        n = self.num_spatial_dims
        in_shape, hidden_shape = jnp.shape(inputs), jnp.shape(state.hidden)
        if len(in_shape) not in (n + 1, n + 2) or in_shape[:-1] != hidden_shape[:-1]:
            # TypeError: what dm-haiku's gate arithmetic raises for it.
            raise TypeError(
                f"{self.module_name}: inputs of shape {in_shape} must be "
                f"[batch, *spatial, channels] (rank {n + 2}, or {n + 1} unbatched) with "
                f"the batch and spatial shape of state.hidden {hidden_shape}."
            )
        channels = 4 * self.output_channels
        input_to_hidden = hk.ConvND(n, channels, self.kernel_shape, name="input_to_hidden")
        hidden_to_hidden = hk.ConvND(n, channels, self.kernel_shape, name="hidden_to_hidden")
        gates = input_to_hidden(inputs) + hidden_to_hidden(state.hidden)
        next_state = lstm_gates(gates, state.cell)
        return next_state.hidden, next_state

    def initial_state(self, batch_size: int | None) -> LSTMState:
        """Zero ``hidden`` and ``cell`` of shape ``[batch_size, *input_shape,
        output_channels]`` (no batch axis if ``batch_size`` is None)."""
        shape = (*self.input_shape, self.output_channels)
        return LSTMState(hidden=zeros_state(batch_size, shape), cell=zeros_state(batch_size, shape))


class Conv1DLSTM(ConvNDLSTM):
    __doc__ = "1-D convolutional LSTM.\n" + _EQUATIONS + """
    >>> core = hk.Conv1DLSTM(input_shape=(8,), output_channels=3, kernel_shape=3)
    >>> output, state = core(jnp.ones([2, 8, 5]), core.initial_state(2))
    >>> output.shape, state.cell.shape
    ((2, 8, 3), (2, 8, 3))
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        output_channels: int,
        kernel_shape: int | Sequence[int],
        name: str | None = None,
    ):
        """Constructs a 1-D convolutional LSTM.

        Args:
          input_shape: Shape of the inputs excluding batch size and channels
            (one spatial size); the state has this spatial shape.
          output_channels: Number of output channels.
          kernel_shape: Sequence of kernel sizes (of length 1), or an int.
          name: Name of the module.
        """
        super().__init__(1, input_shape, output_channels, kernel_shape, name=name)


class Conv2DLSTM(ConvNDLSTM):
    __doc__ = "2-D convolutional LSTM.\n" + _EQUATIONS + """
    >>> core = hk.Conv2DLSTM(input_shape=(6, 6), output_channels=4, kernel_shape=3)
    >>> output, state = core(jnp.ones([2, 6, 6, 3]), core.initial_state(2))
    >>> output.shape
    (2, 6, 6, 4)
    >>> jax.tree_util.tree_map(jnp.shape, hk.get_params())
    {'conv2_dlstm/hidden_to_hidden': {'b': (16,), 'w': (3, 3, 4, 16)},
     'conv2_dlstm/input_to_hidden': {'b': (16,), 'w': (3, 3, 3, 16)}}
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        output_channels: int,
        kernel_shape: int | Sequence[int],
        name: str | None = None,
    ):
        """Constructs a 2-D convolutional LSTM.

        Args:
          input_shape: Shape of the inputs excluding batch size and channels
            (two spatial sizes); the state has this spatial shape.
          output_channels: Number of output channels.
          kernel_shape: Sequence of kernel sizes (of length 2), or an int,
            expanded to a kernel size in all dimensions.
          name: Name of the module.
        """
        super().__init__(2, input_shape, output_channels, kernel_shape, name=name)


class Conv3DLSTM(ConvNDLSTM):
    __doc__ = "3-D convolutional LSTM.\n" + _EQUATIONS + """
    >>> core = hk.Conv3DLSTM(input_shape=(4, 4, 4), output_channels=2, kernel_shape=(1, 3, 3))
    >>> state = core.initial_state(1)
    >>> state.hidden.shape
    (1, 4, 4, 4, 2)

    Calling it on ``[1, 4, 4, 4, C]`` inputs returns a ``(1, 4, 4, 4, 2)``
    output and a state of the same shapes.
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        output_channels: int,
        kernel_shape: int | Sequence[int],
        name: str | None = None,
    ):
        """Constructs a 3-D convolutional LSTM.

        Args:
          input_shape: Shape of the inputs excluding batch size and channels
            (three spatial sizes); the state has this spatial shape.
          output_channels: Number of output channels.
          kernel_shape: Sequence of kernel sizes (of length 3), or an int,
            expanded to a kernel size in all dimensions.
          name: Name of the module.
        """
        super().__init__(3, input_shape, output_channels, kernel_shape, name=name)
