"""The random numbers of a transformed function: ``hk.next_rng_key`` and friends.

Each draws from the :class:`~haiku._src.rng.PRNGSequence` on top of the current
frame's RNG stack (seeded with the key given to ``init``/``apply``, or pushed by
:func:`with_rng`).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

import jax
import jax.numpy as jnp

from haiku._src import base, config, jax_usage
from haiku._src.rng import PRNGSequence, PRNGSequenceState

__all__ = [
    "MissingRNGError",
    "maybe_get_rng_sequence_state",
    "maybe_next_rng_key",
    "next_rng_key",
    "next_rng_keys",
    "replace_rng_sequence_state",
    "reserve_rng_keys",
    "with_rng",
]


class MissingRNGError(ValueError):
    """Raised when random numbers are requested but no key was given."""


def _rng_sequence(caller: str) -> PRNGSequence:
    frame = base.current_frame(caller)
    if config.get_config().check_jax_usage:
        jax_usage.check(caller)
    rng = frame.rng_stack[-1]
    if rng is None:
        raise MissingRNGError(
            "You must pass a non-None PRNGKey to init and/or apply if you make "
            f"use of random numbers. (`{caller}` was called.)"
        )
    return rng


def next_rng_key() -> jax.Array:
    """Returns a unique JAX random key split from the current global key.

    >>> key = hk.next_rng_key()
    >>> _ = jax.random.uniform(key, [])

    Returns:
      A key that is unique within the transformed function.

    Raises:
      MissingRNGError: when the transform was given ``None`` as its key.
    """
    rng = _rng_sequence("hk.next_rng_key")
    for counter in next_rng_key_counters.get():
        counter[0] += 1
    return _next_key(rng)


# While non-empty, every next_rng_key call adds one to each counter (not
# next_rng_keys or maybe_next_rng_key). Set by hk.experimental.optimize_rng_use.
next_rng_key_counters: contextvars.ContextVar[tuple[list[int], ...]] = contextvars.ContextVar(
    "haiku_next_rng_key_counters", default=()
)


def _next_key(rng: PRNGSequence) -> jax.Array:
    reserve_size = config.get_config().rng_reserve_size
    if reserve_size > 1:
        rng.reserve_if_empty(reserve_size)
    return next(rng)


def next_rng_keys(num: int) -> jax.Array:
    """Returns ``num`` JAX random keys split from the current global key.

    >>> k1, k2 = hk.next_rng_keys(2)
    >>> assert (k1 != k2).all()
    >>> a = jax.random.uniform(k1, [])
    >>> b = jax.random.uniform(k2, [])
    >>> assert a != b

    Args:
      num: The number of keys to split.

    Returns:
      An array of shape ``[num, 2]`` (``[num]`` for typed keys) of keys.
    """
    rng = _rng_sequence("hk.next_rng_keys")
    return jnp.stack(rng.take(num))


def maybe_next_rng_key() -> jax.Array | None:
    """:func:`next_rng_key` if random numbers are available, else ``None``."""
    rng = base.current_frame("hk.maybe_next_rng_key").rng_stack[-1]
    if rng is None:
        return None
    if config.get_config().check_jax_usage:
        jax_usage.check("hk.maybe_next_rng_key")
    return _next_key(rng)


def reserve_rng_keys(num: int) -> None:
    """Pre-allocates ``num`` JAX random keys in one split.

    The next ``num`` calls of :func:`next_rng_key` take these keys instead of
    splitting one each, which makes programs that sample many keys smaller.

    >>> hk.reserve_rng_keys(2)  # Pre-allocate 2 keys for us to consume.
    >>> _ = hk.next_rng_key()  # Takes the first pre-allocated key.
    >>> _ = hk.next_rng_key()  # Takes the second pre-allocated key.
    >>> _ = hk.next_rng_key()  # Splits a new key.

    Args:
      num: The number of JAX rng keys to allocate.
    """
    _rng_sequence("hk.reserve_rng_keys").reserve(num)


@contextlib.contextmanager
def with_rng(key: jax.Array | None) -> Iterator[None]:
    """Provides a new sequence for :func:`next_rng_key` to draw from.

    >>> with hk.with_rng(jax.random.PRNGKey(428)):
    ...   s = jax.random.uniform(hk.next_rng_key(), ())
    >>> print("{:.1f}".format(s))
    0.8

    Args:
      key: The key to seed the sequence with (``None`` disables random
        numbers inside the block).

    Returns:
      A context manager under which the given sequence is active.
    """
    frame = base.current_frame("hk.with_rng")
    if config.get_config().check_jax_usage:
        jax_usage.check("hk.with_rng")
    frame.rng_stack.append(PRNGSequence(key) if key is not None else None)
    try:
        yield
    finally:
        frame.rng_stack.pop()


def maybe_get_rng_sequence_state() -> PRNGSequenceState | None:
    """Returns the internal state of the current PRNG sequence, if any.

    The state can be given back later to :func:`replace_rng_sequence_state`.
    """
    rng = base.current_frame("hk.maybe_get_rng_sequence_state").rng_stack[-1]
    return None if rng is None else rng.internal_state


def replace_rng_sequence_state(state: PRNGSequenceState) -> None:
    """Replaces the internal state of the current PRNG sequence.

    Args:
      state: A state from :func:`maybe_get_rng_sequence_state`.
    """
    rng = _rng_sequence("hk.replace_rng_sequence_state")
    rng.replace_internal_state(state)
