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
        state = jax.tree.map(jnp.asarray, state)
        should_reset = jax.tree.map(jnp.asarray, should_reset)
        if jax.tree_util.treedef_is_leaf(jax.tree.structure(should_reset)):
            should_reset = jax.tree.map(lambda _: should_reset, state)
        masks = jax.tree.map(self._conform, should_reset, state)
        initial_state = self.core.initial_state(self._batch_size(state))
        # The initial state takes the dtype of the state it replaces, so the
        # carry of an unroll in float64 or half precision keeps its dtype.
        initial_state = jax.tree.map(lambda s, i: jnp.asarray(i, s.dtype), state, initial_state)
        state = jax.tree.map(jnp.where, masks, initial_state, state)
        return self.core(inputs, state)

    def _conform(self, should_reset: jax.Array, state: jax.Array) -> jax.Array:
        """Pads ``should_reset`` with trailing unit axes to broadcast over ``state``."""
        reset_shape, state_shape = should_reset.shape, state.shape
        if state_shape[: len(reset_shape)] != reset_shape:
            core = getattr(self.core, "module_name", type(self.core).__name__)
            raise ValueError(
                f"should_reset signal shape {reset_shape} is not compatible with state "
                f"shape {state_shape} ({self.module_name}: the signal's shape must be a "
                f"prefix of the shape of every entry of the state of its core ({core}), "
                "e.g. [batch_size])."
            )
        return jnp.reshape(should_reset, reset_shape + (1,) * (state.ndim - should_reset.ndim))

    def _batch_size(self, state: Any) -> int | None:
        """The batch size of ``state``, or ``None`` if it is unbatched.

        The state is batched when each entry has the shape of the matching
        entry of the wrapped core's initial state for a batch of one, but for
        its leading axis. An empty state is unbatched.
        """
        leaves = jax.tree.leaves(state)
        if not leaves:
            return None
        batched = jax.tree.leaves(self.core.initial_state(1))
        if len(batched) == len(leaves) and all(
            jnp.shape(b)[1:] == s.shape[1:] for b, s in zip(batched, leaves)
        ):
            return leaves[0].shape[0]
        return None

    def initial_state(self, batch_size: int | None) -> Any:
        """The wrapped core's initial state."""
        return self.core.initial_state(batch_size)
