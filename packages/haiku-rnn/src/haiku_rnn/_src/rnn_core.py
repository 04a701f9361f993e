"""The :class:`RNNCore` interface and the batching helper its cores share."""

from __future__ import annotations

import abc
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp

__all__ = ["RNNCore", "zeros_state"]


class RNNCore(hk.Module, abc.ABC):
    """Base class for RNN cores.

    A core is one step of a recurrence: :meth:`__call__` maps ``(inputs,
    prev_state)`` to ``(output, next_state)``, and :meth:`initial_state`
    builds a state to start from. :func:`dynamic_unroll` and
    :func:`static_unroll` apply a core along a sequence.

    >>> class Accumulate(hk.RNNCore):
    ...   def __call__(self, inputs, prev_state):
    ...     total = prev_state + inputs
    ...     return total, total
    ...   def initial_state(self, batch_size):
    ...     return jnp.zeros([batch_size, 1])
    >>> core = Accumulate()
    >>> outputs, final = hk.static_unroll(core, jnp.ones([3, 2, 1]), core.initial_state(2))
    >>> outputs[:, 0, 0]
    Array([1., 2., 3.], dtype=float32)
    """

    @abc.abstractmethod
    def __call__(self, inputs: Any, prev_state: Any) -> tuple[Any, Any]:
        """Runs one step of the RNN.

        Args:
          inputs: An arbitrarily nested structure.
          prev_state: Previous core state.

        Returns:
          A tuple ``(output, next_state)``: ``output`` is an arbitrarily
          nested structure, ``next_state`` the next core state, with the same
          structure and shapes as ``prev_state``.
        """

    @abc.abstractmethod
    def initial_state(self, batch_size: int | None) -> Any:
        """Constructs an initial state for this core.

        Args:
          batch_size: Optional int or integral scalar representing the batch
            size. If ``None``, the core may either fail or return an initial
            state without a batch dimension.

        Returns:
          An arbitrarily nested initial state for this core.
        """


def zeros_state(batch_size: int | None, shape: tuple[int, ...]) -> jax.Array:
    """Zeros of ``[batch_size, *shape]``, or of ``shape`` if ``batch_size`` is None."""
    if batch_size is None:
        return jnp.zeros(shape)
    return jnp.zeros((batch_size, *shape))
