"""An iterator of JAX random keys: :class:`PRNGSequence`."""

from __future__ import annotations

import collections
import functools
from collections.abc import Iterator
from typing import Any, Union

import jax
import numpy as np

__all__ = ["PRNGSequence", "PRNGSequenceState", "assert_is_prng_key", "is_seed"]

PRNGSequenceState = tuple[jax.Array, tuple[jax.Array, ...]]


def _is_typed_key(key: Any) -> bool:
    dtype = getattr(key, "dtype", None)
    return dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key)


def _raw_key_shape() -> tuple[int, ...]:
    """The shape of a raw key of the default PRNG implementation (``(2,)`` for threefry)."""
    return _raw_key_shape_of(_default_prng_impl())


def _default_prng_impl() -> str:
    """The configured ``jax_default_prng_impl`` (not in ``jax.config``'s type stubs)."""
    return getattr(jax.config, "jax_default_prng_impl")


@functools.cache
def _raw_key_shape_of(impl_name: str) -> tuple[int, ...]:
    del impl_name  # The cache key: the shape depends on the configured impl.
    return jax.eval_shape(lambda: jax.random.key_data(jax.random.key(0))).shape


def assert_is_prng_key(key: Any) -> None:
    """Raises a ``ValueError`` unless ``key`` is a JAX random key.

    Raw keys from ``jax.random.PRNGKey`` (``uint32[2]`` with the default
    threefry implementation, ``uint32[4]`` under ``jax_default_prng_impl="rbg"``)
    and scalar typed keys from ``jax.random.key`` are accepted; tracers of
    either are too.
    """
    shape = getattr(key, "shape", None)
    dtype = getattr(key, "dtype", None)
    if shape is None or dtype is None:
        raise ValueError(
            f"The provided key is not a JAX PRNGKey but a {type(key)}:\n{key}\n"
            "Pass an int seed, a key from jax.random.PRNGKey or a typed key from "
            "jax.random.key."
        )
    if _is_typed_key(key):
        if shape:
            raise ValueError(
                "Provided key did not have expected shape and/or dtype: "
                f"expected=(shape=(), dtype={dtype}), actual=(shape={shape}, dtype={dtype}). "
                "A typed key must be a scalar: pass one key of the batch, or use hk.vmap."
            )
        return
    expected = _raw_key_shape()
    if tuple(shape) != expected or np.dtype(dtype) != np.uint32:
        hint = ""
        if expected != (2,):
            hint = (
                f"\nHint: jax_default_prng_impl has been set to "
                f"'{_default_prng_impl()}', the shape mismatch might be "
                "because a jax.random.PRNGKey was created before this flag was set."
            )
        raise ValueError(
            "Provided key did not have expected shape and/or dtype: "
            f"expected=(shape={expected}, dtype=uint32), "
            f"actual=(shape={tuple(shape)}, dtype={dtype}). Raw keys come from "
            f"jax.random.PRNGKey; typed keys from jax.random.key are accepted too.{hint}"
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

    def __init__(self, key_or_seed: KeyOrSeed | PRNGSequenceState | PRNGSequence):
        """Creates a new :class:`PRNGSequence`.

        Args:
          key_or_seed: an int seed, a ``jax.random.PRNGKey`` or typed
            ``jax.random.key``, the :attr:`internal_state` of a sequence (to
            restore it), or another sequence to copy.
        """
        if isinstance(key_or_seed, PRNGSequence):
            self._key: jax.Array = key_or_seed._key
            self._subkeys: collections.deque[jax.Array] = collections.deque(
                key_or_seed._subkeys
            )
        elif isinstance(key_or_seed, tuple):
            self._key, self._subkeys = _checked_state(key_or_seed)
        else:
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
        self._key, self._subkeys = _checked_state(state)

    def __iter__(self) -> PRNGSequence:
        return self

    def __repr__(self) -> str:
        return f"PRNGSequence(key={self._key}, reserved={len(self._subkeys)})"



def _checked_state(state: Any) -> tuple[jax.Array, collections.deque[jax.Array]]:
    """The key and reserved keys of a :attr:`PRNGSequence.internal_state`, checked."""
    if not isinstance(state, tuple) or len(state) != 2:
        raise ValueError(
            "A PRNGSequence state is a pair `(key, reserved_keys)` as returned by "
            f"`PRNGSequence.internal_state`, got {state!r}."
        )
    key, subkeys = state
    assert_is_prng_key(key)
    subkeys = tuple(subkeys)
    for subkey in subkeys:
        assert_is_prng_key(subkey)
    return key, collections.deque(subkeys)
