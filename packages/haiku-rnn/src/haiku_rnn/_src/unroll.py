"""Unrolling a core along a sequence: :func:`dynamic_unroll` and :func:`static_unroll`."""

from __future__ import annotations

from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp

__all__ = ["dynamic_unroll", "static_unroll"]


def _swap_batch_time(tree: Any) -> Any:
    """Swaps the two leading axes of every leaf (``[B, T, ...] <-> [T, B, ...]``)."""
    return jax.tree.map(lambda x: jnp.swapaxes(x, 0, 1), tree)


def _num_steps(caller: str, input_sequence: Any) -> int:
    leaves = jax.tree.leaves(input_sequence)
    # IndexError for these two: what dm-haiku's reading of the time axis raises.
    if not leaves:
        raise IndexError(f"{caller}: input_sequence has no arrays to unroll over.")
    if any(jnp.ndim(x) == 0 for x in leaves):
        raise IndexError(f"{caller}: every input_sequence entry needs a time axis, got a scalar.")
    lengths = {jnp.shape(x)[0] for x in leaves}
    if len(lengths) != 1:
        shapes = [jnp.shape(x) for x in leaves]
        raise ValueError(
            f"{caller}: input_sequence entries disagree on the number of time steps: {shapes}."
        )
    return lengths.pop()


def _check_batch_major(caller: str, input_sequence: Any) -> None:
    ranks = [jnp.ndim(x) for x in jax.tree.leaves(input_sequence)]
    if any(r < 2 for r in ranks):
        shapes = [jnp.shape(x) for x in jax.tree.leaves(input_sequence)]
        # IndexError: what dm-haiku's swap of the batch and time axes raises.
        raise IndexError(
            f"{caller}: with time_major=False every input_sequence entry must be "
            f"[B, T, ...], got shapes {shapes}."
        )


def _inside_transform() -> bool:
    """Whether this runs inside a Haiku transform (``hk.running_init`` says so by raising)."""
    try:
        hk.running_init()
    except ValueError:
        return False
    return True


def dynamic_unroll(
    core: Any,
    input_sequence: Any,
    initial_state: Any,
    time_major: bool = True,
    reverse: bool = False,
    return_all_states: bool = False,
    unroll: int = 1,
) -> tuple[Any, Any]:
    """Performs a dynamic unroll of an RNN.

    Calls ``core`` on each step of ``input_sequence``, carrying the state
    through, inside one :func:`hk.scan` loop (:func:`jax.lax.scan` outside a
    transform, for cores that are plain functions): the traced program holds
    the step once, whatever the number of steps (see :func:`static_unroll`
    for the unrolled form).

    >>> core = hk.LSTM(hidden_size=3)
    >>> xs = jnp.ones([5, 2, 4])  # [T, B, F]
    >>> outputs, state = hk.dynamic_unroll(core, xs, core.initial_state(2))
    >>> outputs.shape, state.hidden.shape
    ((5, 2, 3), (2, 3))

    Batch-major sequences and every intermediate state:

    >>> outputs, states = hk.dynamic_unroll(
    ...     core, jnp.ones([2, 5, 4]), core.initial_state(2),
    ...     time_major=False, return_all_states=True)
    >>> outputs.shape, states.cell.shape
    ((2, 5, 3), (2, 5, 3))

    Args:
      core: An :class:`RNNCore` to unroll.
      input_sequence: An arbitrarily nested structure of arrays of shape
        ``[T, ...]`` if ``time_major=True``, or ``[B, T, ...]`` otherwise,
        where ``T`` is the number of time steps.
      initial_state: An initial state of the given core.
      time_major: Whether inputs (and outputs) are time-major; otherwise they
        are batch-major.
      reverse: Whether to scan the inputs in reverse order. Equivalent to
        reversing the time dimension of both inputs and outputs (see
        :func:`jax.lax.scan`).
      return_all_states: Whether to return every intermediate state
        (stacked on the time axis, time- or batch-major like the outputs)
        rather than only the last one.
      unroll: How many scan iterations to unroll within one loop iteration.

    Returns:
      A tuple ``(output_sequence, state)``: the outputs stacked along the
      time axis (``[T, ...]`` time-major, ``[B, T, ...]`` otherwise), and the
      sequence of states if ``return_all_states`` else the state at step
      ``T``.
    """
    if not time_major:
        _check_batch_major("dynamic_unroll", input_sequence)
        input_sequence = _swap_batch_time(input_sequence)
    _num_steps("dynamic_unroll", input_sequence)

    def step(prev_state, inputs):
        outputs, next_state = core(inputs, prev_state)
        if return_all_states:
            return next_state, (outputs, next_state)
        return next_state, outputs

    scan = hk.scan if _inside_transform() else jax.lax.scan
    final_state, stacked = scan(
        step, initial_state, input_sequence, reverse=reverse, unroll=unroll
    )
    if return_all_states:
        output_sequence, state = stacked
    else:
        output_sequence, state = stacked, final_state
    if not time_major:
        output_sequence = _swap_batch_time(output_sequence)
        if return_all_states:
            state = _swap_batch_time(state)
    return output_sequence, state


def static_unroll(
    core: Any,
    input_sequence: Any,
    initial_state: Any,
    time_major: bool = True,
) -> tuple[Any, Any]:
    """Performs a static unroll of an RNN.

    Calls ``core`` on each step of ``input_sequence`` in a Python loop,
    carrying the state through: the traced program repeats the step ``T``
    times (see :func:`dynamic_unroll` for a loop-preserving unroll).

    >>> core = hk.VanillaRNN(hidden_size=3)
    >>> xs = jnp.ones([4, 2, 5])  # [T, B, F]
    >>> outputs, state = hk.static_unroll(core, xs, core.initial_state(2))
    >>> outputs.shape, state.shape
    ((4, 2, 3), (2, 3))

    Args:
      core: An :class:`RNNCore` to unroll.
      input_sequence: An arbitrarily nested structure of arrays of shape
        ``[T, ...]`` if ``time_major=True``, or ``[B, T, ...]`` otherwise.
      initial_state: An initial state of the given core.
      time_major: Whether inputs (and outputs) are time-major; otherwise they
        are batch-major.

    Returns:
      A tuple ``(output_sequence, final_state)``: the outputs stacked along
      the time axis (``[T, ...]`` time-major, ``[B, T, ...]`` otherwise) and
      the core state at step ``T``.
    """
    if not time_major:
        _check_batch_major("static_unroll", input_sequence)
        input_sequence = _swap_batch_time(input_sequence)
    num_steps = _num_steps("static_unroll", input_sequence)
    if num_steps == 0:
        # TypeError: what dm-haiku's stacking of no outputs raises for it.
        raise TypeError("static_unroll: input_sequence has zero time steps.")
    state = initial_state
    outputs = []
    for t in range(num_steps):
        inputs = jax.tree.map(lambda x, t=t: x[t], input_sequence)
        output, state = core(inputs, state)
        outputs.append(output)
    output_sequence = jax.tree.map(lambda *steps: jnp.stack(steps), *outputs)
    if not time_major:
        output_sequence = _swap_batch_time(output_sequence)
    return output_sequence, state
