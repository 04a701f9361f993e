"""``hk.pad``: padding functions for convolutions.

A padding function (:data:`PadFn`) maps the *effective* kernel size of one
spatial dimension (``(kernel - 1) * rate + 1``) to the ``(before, after)``
padding of that dimension. Convolutions accept one padding function, or one per
spatial dimension, wherever they accept ``"SAME"`` or ``"VALID"``:

>>> conv = hk.Conv1D(output_channels=1, kernel_shape=3, padding=hk.pad.causal)
>>> conv.padding
((2, 0),)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

from haiku_nets._src.data_format import replicate

__all__ = [
    "PadFn",
    "causal",
    "create",
    "create_from_padfn",
    "create_from_tuple",
    "full",
    "is_padfn",
    "reverse_causal",
    "same",
    "valid",
]

PadFn = Callable[[int], tuple[int, int]]
"""A function from an effective kernel size to ``(pad_before, pad_after)``."""


def valid(effective_kernel_size: int) -> tuple[int, int]:
    """No padding.

    >>> hk.pad.valid(3)
    (0, 0)
    """
    del effective_kernel_size
    return (0, 0)


def same(effective_kernel_size: int) -> tuple[int, int]:
    """Pads such that the output size matches input size for stride=1.

    An even kernel puts the extra element after:

    >>> hk.pad.same(3), hk.pad.same(4)
    ((1, 1), (1, 2))
    """
    return ((effective_kernel_size - 1) // 2, effective_kernel_size // 2)


def full(effective_kernel_size: int) -> tuple[int, int]:
    """Maximal padding whilst not convolving over just padded elements.

    >>> hk.pad.full(3)
    (2, 2)
    """
    return (effective_kernel_size - 1, effective_kernel_size - 1)


def causal(effective_kernel_size: int) -> tuple[int, int]:
    """Pre-padding such that output has no dependence on the future.

    >>> hk.pad.causal(3)
    (2, 0)
    """
    return (effective_kernel_size - 1, 0)


def reverse_causal(effective_kernel_size: int) -> tuple[int, int]:
    """Post-padding such that output has no dependence on the past.

    >>> hk.pad.reverse_causal(3)
    (0, 2)
    """
    return (0, effective_kernel_size - 1)


def is_padfn(padding: PadFn | Sequence[PadFn] | Any) -> bool:
    """Tests whether the given argument is a single or sequence of PadFns.

    >>> hk.pad.is_padfn(hk.pad.same), hk.pad.is_padfn([hk.pad.same, hk.pad.causal])
    (True, True)
    >>> hk.pad.is_padfn("SAME"), hk.pad.is_padfn([(1, 1)])
    (False, False)
    """
    if callable(padding):
        return True
    if isinstance(padding, Sequence) and not isinstance(padding, str) and padding:
        return all(callable(p) for p in padding)
    return False


def _is_pair(value: Any) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == 2
        and all(hasattr(v, "__index__") for v in value)
    )


def _as_pair(value: Any, what: str) -> tuple[int, int]:
    if not _is_pair(value):
        raise TypeError(f"{what} must be a (before, after) pair of integers, got {value!r}.")
    return (int(value[0].__index__()), int(value[1].__index__()))


def _per_dimension(
    padding: Any, n: int, is_item: Callable[[Any], bool], message: str
) -> list[Any]:
    """One padding item per dimension from an item or a sequence of 1 or ``n`` items.

    ``message`` (dm-haiku's wording) starts the ``TypeError`` raised otherwise.
    """
    if is_item(padding):
        return [padding] * n
    if isinstance(padding, Sequence) and not isinstance(padding, str):
        items = list(padding)
        if len(items) == 1:
            items *= n
        if len(items) == n and all(is_item(p) for p in items):
            return items
    raise TypeError(
        f"{message} (A padding, or a sequence of 1 or {n} of them, one per spatial "
        "dimension, is expected.)"
    )


def _replicate(value: int | Sequence[int], n: int, name: str) -> tuple[int, ...]:
    """``value`` for each of ``n`` dimensions (see :func:`replicate`), in dm-haiku's words."""
    if isinstance(value, (Sequence, np.ndarray, jax.Array)) and not isinstance(value, str):
        if np.ndim(value) == 1 and len(value) not in (1, n):
            raise TypeError(
                f"{name} must be a scalar or sequence of length 1 or sequence of length "
                f"{n}. (got {value!r}, of length {len(value)}.)")
    return replicate(value, n, name)


def create_from_padfn(
    padding: PadFn | tuple[int, int] | Sequence[PadFn | tuple[int, int]],
    kernel: int | Sequence[int],
    rate: int | Sequence[int],
    n: int,
) -> Sequence[tuple[int, int]]:
    """Generates the padding required for a given padding algorithm.

    >>> hk.pad.create_from_padfn(hk.pad.same, kernel=3, rate=2, n=2)
    ((2, 2), (2, 2))
    >>> hk.pad.create_from_padfn([hk.pad.causal, hk.pad.full], kernel=[3, 2], rate=1, n=2)
    ((2, 0), (1, 1))

    Args:
      padding: A callable or ``(before, after)`` tuple, or a sequence of them
        of length 1 or ``n``. A callable gets the effective kernel size of its
        dimension (the kernel size when the rate is 1) and returns the padding
        before and after.
      kernel: The kernel size of each dimension: an int (used for every
        dimension) or a sequence of length ``n``.
      rate: The dilation rate of each dimension: an int or a sequence of
        length ``n``.
      n: The number of spatial dimensions.

    Returns:
      A sequence of length ``n`` of ``(pad_before, pad_after)`` pairs.

    Raises:
      TypeError: If ``kernel``, ``rate`` or ``padding`` is a sequence of a
        length other than 1 or ``n``, or a padding is not a callable or a pair
        of integers.
    """
    kernel = _replicate(kernel, n, "kernel")
    rate = _replicate(rate, n, "rate")
    items = _per_dimension(
        padding, n, lambda p: callable(p) or _is_pair(p),
        f"padding must be a scalar or sequence of length 1 or sequence of length {n}. "
        f"(got {padding!r}.)")
    out = []
    for item, k, r in zip(items, kernel, rate):
        if callable(item):
            effective = (k - 1) * r + 1
            out.append(_as_pair(item(effective), f"The padding function {item!r}'s result"))
        else:
            out.append(_as_pair(item, "padding"))
    return tuple(out)


create = create_from_padfn


def create_from_tuple(
    padding: tuple[int, int] | Sequence[tuple[int, int]], n: int
) -> Sequence[tuple[int, int]]:
    """Create a padding tuple using partially specified padding tuple.

    >>> hk.pad.create_from_tuple((1, 2), n=2)
    ((1, 2), (1, 2))
    >>> hk.pad.create_from_tuple([(1, 2), (3, 4)], n=2)
    ((1, 2), (3, 4))

    Args:
      padding: A ``(before, after)`` pair, or a sequence of length 1 or ``n``
        of them.
      n: The number of spatial dimensions.

    Returns:
      A sequence of length ``n`` of ``(pad_before, pad_after)`` pairs.

    Raises:
      AssertionError: If ``padding`` is empty (as dm-haiku's ``assert``).
      TypeError: If ``padding`` is not a pair or a sequence of 1 or ``n``
        pairs of integers.
    """
    if isinstance(padding, Sequence) and len(padding) == 0:
        raise AssertionError(
            f"Padding must not be empty. (got {padding!r}; expected a (before, after) pair "
            f"or a sequence of 1 or {n} of them.)")
    items = _per_dimension(
        padding, n, _is_pair,
        f"Padding {padding} must be a Tuple[int, int] or sequence of length 1 or sequence "
        f"of length {n}.")
    return tuple(_as_pair(p, "padding") for p in items)
