"""The pass-through core :class:`IdentityCore`."""

from __future__ import annotations

from typing import Any

from haiku_rnn._src.rnn_core import RNNCore

__all__ = ["IdentityCore"]


class IdentityCore(RNNCore):
    """A recurrent core that forwards the inputs and an empty state.

    This is commonly used when switching between recurrent and feedforward
    versions of a model while preserving the same interface.

    >>> core = hk.IdentityCore()
    >>> state = core.initial_state(2)
    >>> state
    ()
    >>> output, next_state = core(jnp.ones([2, 3]), state)
    >>> output.shape, next_state
    ((2, 3), ())
    """

    def __call__(self, inputs: Any, state: Any) -> tuple[Any, Any]:
        """Returns ``(inputs, state)`` unchanged."""
        return inputs, state

    def initial_state(self, batch_size: int | None) -> tuple[()]:
        """The empty state ``()``, whatever ``batch_size``."""
        del batch_size
        return ()
