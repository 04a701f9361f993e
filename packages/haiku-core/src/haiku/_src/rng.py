"""An iterator of JAX random keys: :class:`PRNGSequence`."""

from __future__ import annotations

import collections
from collections.abc import Iterator
from typing import Any, Union

import jax
import numpy as np

__all__ = ["PRNGSequence", "PRNGSequenceState", "assert_is_prng_key", "is_seed"]

PRNGSequenceState = tuple[jax.Array, tuple[jax.Array, ...]]


def _is_typed_key(key: Any) -> bool:
    dtype = getattr(key, "dtype", None)
    return dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key)


def assert_is_prng_key(key: Any) -> None:
    """Raises a ``ValueError`` unless ``key`` is a JAX random key.

    Raw ``uint32[2]`` keys (from ``jax.random.PRNGKey``) and typed keys (from
    ``jax.random.key``) are accepted; tracers of either are too.
    """
    if _is_typed_key(key):
        if key.shape != ():
            raise ValueError(
                f"A typed PRNG key must be a scalar, got one of shape {key.shape}."
            )
        return
    shape = getattr(key, "shape", None)
    dtype = getattr(key, "dtype", None)
    if shape is None or dtype is None:
        raise ValueError(
            f"Expected a JAX PRNG key (or an int seed), got {type(key).__name__}: {key!r}"
        )
    if tuple(shape) != (2,) or np.dtype(dtype) != np.uint32:
        raise ValueError(
            "Expected a JAX PRNG key: a uint32[2] array from jax.random.PRNGKey or a "
            f"typed key from jax.random.key, got an array of shape {tuple(shape)} and "
            f"dtype {dtype}."
        )


KeyOrSeed = Union[int, jax.Array, np.ndarray]


def is_seed(value: Any) -> bool:
    """Whether ``value`` is an integer seed: an ``int`` or an integer scalar array.

    Scalar integer arrays include tracers, so ``jax.jit(f.init)(0, ...)`` works.
    """
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    dtype = getattr(value, "dtype", None)
    return (
        dtype is not None
        and getattr(value, "shape", None) == ()
        and not _is_typed_key(value)
        and np.issubdtype(np.dtype(dtype), np.integer)
    )


class PRNGSequence(Iterator[jax.Array]):
    """Iterator of JAX random keys.

    Each ``next`` splits the internal key in two, keeps the first half and
    returns the second:

    >>> seq = hk.PRNGSequence(42)  # OR pass a jax.random.PRNGKey
    >>> key1 = next(seq)
    >>> key2 = next(seq)
    >>> assert key1 is not key2

    If you know how many keys you will want then you can use :meth:`reserve`
    to split them all at once:

    >>> seq.reserve(4)
    >>> keys = [next(seq) for _ in range(4)]
    """

    __slots__ = ("_key", "_subkeys")

    def __init__(self, key_or_seed: KeyOrSeed | PRNGSequence):
        """Creates a new :class:`PRNGSequence`.

        Args:
          key_or_seed: an int seed, a ``jax.random.PRNGKey`` or typed
            ``jax.random.key``, or another sequence to copy.
        """
        if isinstance(key_or_seed, PRNGSequence):
            self._key: jax.Array = key_or_seed._key
            self._subkeys: collections.deque[jax.Array] = collections.deque(
                key_or_seed._subkeys
            )
            return
        if is_seed(key_or_seed):
            key = jax.random.PRNGKey(key_or_seed)
        else:
            assert_is_prng_key(key_or_seed)
            key = key_or_seed  # type: ignore[assignment]
        self._key = key
        self._subkeys = collections.deque()

    def reserve(self, num: int) -> None:
        """Splits ``num`` keys at once; the next ``num`` ``next`` calls take them."""
        if num > 0:
            keys = jax.random.split(self._key, num + 1)
            self._key = keys[0]
            self._subkeys.extend(keys[1:])

    def reserve_if_empty(self, num: int) -> None:
        """Like :meth:`reserve`, but only when no key is reserved."""
        if not self._subkeys:
            self.reserve(num)

    def __next__(self) -> jax.Array:
        if not self._subkeys:
            self._key, subkey = jax.random.split(self._key)
            return subkey
        return self._subkeys.popleft()

    next = __next__

    def take(self, num: int) -> tuple[jax.Array, ...]:
        """Returns ``num`` keys, splitting once for those not yet reserved."""
        self.reserve(max(num - len(self._subkeys), 0))
        return tuple(next(self) for _ in range(num))

    @property
    def internal_state(self) -> PRNGSequenceState:
        """The internal key and the reserved keys."""
        return self._key, tuple(self._subkeys)

    def replace_internal_state(self, state: PRNGSequenceState) -> None:
        """Replaces the internal key and reserved keys (see :attr:`internal_state`)."""
        key, subkeys = state
        assert_is_prng_key(key)
        self._key = key
        self._subkeys = collections.deque(subkeys)

    def __iter__(self) -> PRNGSequence:
        return self

    def __repr__(self) -> str:
        return f"PRNGSequence(key={self._key}, reserved={len(self._subkeys)})"

