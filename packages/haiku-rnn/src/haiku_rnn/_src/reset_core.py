"""The state-resetting wrapper :class:`ResetCore`."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from haiku_rnn._src.rnn_core import RNNCore

__all__ = ["ResetCore"]


class ResetCore(RNNCore):
    """A wrapper for managing state resets during unrolls.

    When unrolling an :class:`RNNCore` on a batch of input sequences it may
    be necessary to reset the core's state at different timesteps for
    different elements of the batch. :class:`ResetCore` takes a batch of
    ``should_reset`` booleans with the batch of inputs and, before running
    the wrapped core, replaces the state of the flagged examples by the
    core's initial state. Individual entries of the state can be reset by
    passing a ``should_reset`` nest with the structure of the state.

    >>> core = hk.ResetCore(hk.LSTM(hidden_size=2))
    >>> xs = jnp.ones([3, 4, 5])  # [T, B, F]
    >>> should_reset = jnp.array([[0, 0, 0, 0], [1, 0, 0, 1], [0, 0, 0, 0]], bool)
    >>> outputs, state = hk.dynamic_unroll(core, (xs, should_reset), core.initial_state(4))
    >>> outputs.shape
    (3, 4, 2)

    Examples 0 and 3 restart at step 1, so their last two outputs are the
    first two of example 1, which never restarts:

    >>> bool(jnp.allclose(outputs[1:, 0], outputs[:2, 1]))
    True
    >>> bool(jnp.allclose(outputs[1, 0], outputs[1, 1]))
    False
    """

    def __init__(self, core: RNNCore, name: str | None = None):
        """Constructs the wrapper.

        Args:
          core: The :class:`RNNCore` whose state to reset.
          name: Name of the module.
        """
        super().__init__(name=name)
        self.core = core

    def __call__(self, inputs: Any, state: Any) -> tuple[Any, Any]:
        """Runs one step of the wrapped core, handling state reset.

        Args:
          inputs: A pair ``(inputs, should_reset)``. ``should_reset`` is
            either one array, whose shape must be a prefix of the shape of
            every state entry (e.g. ``[batch_size]``), or a nest with the
            structure of the state, whose arrays' shapes are prefixes of the
            matching state entries' shapes. Where it is true the state is
            replaced by the wrapped core's initial state.
          state: Previous wrapped core state.

        Returns:
          The wrapped core's ``(output, next_state)``.
        """
        inputs, should_reset = inputs
        reset_leaves = jax.tree.leaves(should_reset)
        if not reset_leaves or jnp.ndim(reset_leaves[0]) == 0:
            raise ValueError(
                f"{self.module_name}: should_reset needs a batch axis, got "
                f"{jax.tree.map(jnp.shape, should_reset)}."
            )
        if len(reset_leaves) == 1 and not isinstance(should_reset, (list, tuple, dict)):
            should_reset = jax.tree.map(lambda _: should_reset, state)
        batch_size = jnp.shape(reset_leaves[0])[0]
        initial_state = self.core.initial_state(batch_size)
        state = jax.tree.map(self._reset, should_reset, initial_state, state)
        return self.core(inputs, state)

    def _reset(self, should_reset: Any, initial: jax.Array, current: jax.Array) -> jax.Array:
        should_reset = jnp.asarray(should_reset)
        reset_shape, state_shape = jnp.shape(should_reset), jnp.shape(current)
        if state_shape[: len(reset_shape)] != reset_shape:
            raise ValueError(
                f"{self.module_name}: should_reset signal shape {reset_shape} is not "
                f"compatible with state shape {state_shape} (it must be a prefix of it)."
            )
        mask = jnp.reshape(should_reset, reset_shape + (1,) * (len(state_shape) - len(reset_shape)))
        mask = mask.astype(bool)
        initial = jnp.broadcast_to(initial, state_shape)
        return jnp.where(mask, initial, current)

    def initial_state(self, batch_size: int | None) -> Any:
        """The wrapped core's initial state."""
        return self.core.initial_state(batch_size)
