"""Stacks of cores: :class:`DeepRNN` and :func:`deep_rnn_with_skip_connections`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from haiku_rnn._src.rnn_core import RNNCore

__all__ = ["DeepRNN", "deep_rnn_with_skip_connections"]


def _concat(*trees: Any) -> Any:
    """Concatenates matching arrays of ``trees`` along their last axis."""
    return jax.tree.map(lambda *xs: jnp.concatenate(xs, axis=-1), *trees)


class _DeepRNN(RNNCore):
    """A sequence of cores and callables applied one after the other.

    With ``skip_connections`` every layer after the first sees the core's
    inputs concatenated with the previous layer's outputs, and the output is
    the concatenation of every layer's outputs.
    """

    def __init__(self, layers: Sequence[Any], skip_connections: bool, name: str | None = None):
        super().__init__(name=name)
        self.layers = layers  # As given (a list stays a list), as in dm-haiku.
        self.skip_connections = skip_connections
        if skip_connections:
            for layer in self.layers:
                if not isinstance(layer, RNNCore):
                    raise ValueError(
                        "skip_connections requires for all layers to be `hk.RNNCore`s. "
                        f"Layers is: {self.layers} (deep_rnn_with_skip_connections: "
                        f"{layer!r} is not an hk.RNNCore)."
                    )

    def _num_cores(self) -> int:
        return sum(isinstance(layer, RNNCore) for layer in self.layers)

    def __call__(self, inputs: Any, state: Sequence[Any]) -> tuple[Any, tuple[Any, ...]]:
        """Runs one step of every layer; returns ``(output, next_state)``.

        ``state`` holds one entry per :class:`RNNCore` layer, in order.
        """
        state = tuple(state)
        if len(state) != self._num_cores():
            # IndexError: what dm-haiku's indexing of the state raises for it.
            raise IndexError(
                f"{self.module_name}: state must hold one entry per RNNCore layer "
                f"({self._num_cores()}), got {len(state)}."
            )
        current = inputs
        next_states = []
        outputs = []
        core_index = 0
        for index, layer in enumerate(self.layers):
            if self.skip_connections and index > 0:
                current = _concat(inputs, current)
            if isinstance(layer, RNNCore):
                current, next_state = layer(current, state[core_index])
                next_states.append(next_state)
                core_index += 1
            else:
                current = layer(current)
            outputs.append(current)
        if self.skip_connections:
            output = _concat(*outputs)
        else:
            output = current
        return output, tuple(next_states)

    def initial_state(self, batch_size: int | None) -> tuple[Any, ...]:
        """A tuple with the initial state of every :class:`RNNCore` layer, in order."""
        return tuple(
            layer.initial_state(batch_size) for layer in self.layers if isinstance(layer, RNNCore)
        )


class DeepRNN(_DeepRNN):
    """Wraps a sequence of cores and callables as a single core.

    >>> deep_rnn = hk.DeepRNN([
    ...     hk.LSTM(hidden_size=4),
    ...     jax.nn.relu,
    ...     hk.LSTM(hidden_size=2),
    ... ])

    The state of a :class:`DeepRNN` is a tuple with one element per
    :class:`RNNCore`. If no layers are :class:`RNNCore`\\ s, the state is an
    empty tuple.

    >>> state = deep_rnn.initial_state(3)
    >>> len(state), state[1].hidden.shape
    (2, (3, 2))
    >>> output, state = deep_rnn(jnp.ones([3, 5]), state)
    >>> output.shape
    (3, 2)
    """

    def __init__(self, layers: Sequence[Any], name: str | None = None):
        """Constructs the core.

        Args:
          layers: The cores (:class:`RNNCore`) and callables (applied to the
            outputs only, e.g. ``jax.nn.relu``) to apply in order.
          name: Name of the module.
        """
        super().__init__(layers, skip_connections=False, name=name)


def deep_rnn_with_skip_connections(layers: Sequence[RNNCore], name: str | None = None) -> RNNCore:
    """Constructs a :class:`DeepRNN` with skip connections.

    Skip connections alter the dependency structure within a
    :class:`DeepRNN`: the input to the i-th layer (i > 0) is the
    concatenation (last axis) of the core's inputs and the outputs of layer
    i - 1, and the output of the core is the concatenation of the outputs of
    all layers::

      outputs0, ... = layers[0](inputs, ...)
      outputs1, ... = layers[1](concat([inputs, outputs0], axis=-1), ...)
      outputs2, ... = layers[2](concat([inputs, outputs1], axis=-1), ...)
      ...

    >>> core = hk.deep_rnn_with_skip_connections([hk.LSTM(2), hk.GRU(3)])
    >>> output, state = core(jnp.ones([4, 5]), core.initial_state(4))
    >>> output.shape  # 2 + 3 features
    (4, 5)

    Args:
      layers: The cores to apply in order; each must be an :class:`RNNCore`.
      name: Name of the module.

    Returns:
      An :class:`RNNCore` whose state is a tuple with one entry per layer.
    """
    return _DeepRNN(layers, skip_connections=True, name=name)
