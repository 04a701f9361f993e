"""Pooling: :func:`avg_pool`, :func:`max_pool` and their module forms.

How ``window_shape`` and ``strides`` are read (the dm-haiku convention):

- an ``int`` ``n`` pools every axis but the first (taken to be the batch axis)
  and ``channel_axis`` with a window (or stride) of ``n``;
- a sequence gives one size per axis; a sequence shorter than the input's rank
  is padded with ``1`` on the left (leading axes are batch-like and not
  pooled), so ``(2, 2)`` pools the last two axes of any input.

``channel_axis`` only matters for ``int`` arguments.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Sequence

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["AvgPool", "MaxPool", "avg_pool", "max_pool"]

_PADDINGS = ("SAME", "VALID")


def _per_axis(
    what: str,
    value_shape: tuple[int, ...],
    size: int | Sequence[int],
    channel_axis: int | None,
    caller: str,
) -> tuple[int, ...]:
    """Expands ``size`` (an int or a sequence) to one entry per input axis."""
    ndim = len(value_shape)
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        # ``channel_axis`` of 0 (the batch axis) or None: nothing extra to skip.
        if channel_axis and not abs(channel_axis) < ndim:
            raise ValueError(
                f"Invalid channel axis {channel_axis} for {value_shape} ({caller}: the input "
                f"has rank {ndim}.)"
            )
        skip = {0, channel_axis % ndim} if channel_axis else {0}
        return tuple(1 if axis in skip else int(size) for axis in range(ndim))
    try:
        if isinstance(size, (str, bytes)):
            raise TypeError
        sizes = tuple(operator.index(s) for s in size)  # type: ignore[union-attr]
    except TypeError:
        raise TypeError(
            f"{caller}: {what} must be an int or a sequence of ints, got {size!r}."
        ) from None
    if len(sizes) > ndim:
        # AssertionError: what dm-haiku's ``assert x.ndim == len(size)`` raises for it.
        raise AssertionError(
            f"{caller}: {what} {sizes} has {len(sizes)} entries but the input of shape "
            f"{value_shape} has rank {ndim}; give at most one entry per input axis."
        )
    return (1,) * (ndim - len(sizes)) + sizes


def _check_padding(padding: str, caller: str) -> None:
    if not isinstance(padding, str) or padding not in _PADDINGS:
        raise ValueError(f"Invalid padding '{padding}', must be 'SAME' or 'VALID'. ({caller})")


def _prepare(value, window_shape, strides, padding, channel_axis, caller):
    _check_padding(padding, caller)
    value = jnp.asarray(value)
    shape = tuple(value.shape)
    window = _per_axis("window_shape", shape, window_shape, channel_axis, caller)
    stride = _per_axis("strides", shape, strides, channel_axis, caller)
    if any(w < 1 for w in window) or any(s < 1 for s in stride):
        # TypeError: what dm-haiku's jax.lax.reduce_window raises for it.
        raise TypeError(
            f"{caller}: window_shape {window} and strides {stride} must be positive."
        )
    return value, window, stride


def _lowest(dtype) -> np.ndarray:
    """The identity of ``max`` for ``dtype``.

    A NumPy (concrete) scalar, so that ``jax.lax.reduce_window`` recognises the
    max monoid and uses its differentiable primitive, also under tracing.
    """
    dtype = np.dtype(dtype)
    if jnp.issubdtype(dtype, jnp.floating):
        return np.array(-np.inf, dtype)
    if jnp.issubdtype(dtype, jnp.integer):
        return np.array(np.iinfo(dtype).min, dtype)
    if dtype == np.bool_:
        return np.array(False)
    raise TypeError(f"max_pool: unsupported input dtype {dtype}.")


def max_pool(
    value: jax.Array,
    window_shape: int | Sequence[int],
    strides: int | Sequence[int],
    padding: str,
    channel_axis: int | None = -1,
) -> jax.Array:
    """Max pool.

    >>> x = jnp.arange(16.).reshape([1, 4, 4, 1])
    >>> hk.max_pool(x, window_shape=2, strides=2, padding="VALID")[0, :, :, 0]
    Array([[ 5.,  7.],
           [13., 15.]], dtype=float32)

    Args:
      value: Value to pool.
      window_shape: Shape of the pooling window, an int or one entry per axis
        of ``value`` (see the module docstring for how they are expanded).
      strides: Strides of the pooling window, same form as ``window_shape``.
      padding: Padding algorithm. Either ``"VALID"`` or ``"SAME"``.
      channel_axis: Axis of the spatial channels for which pooling is skipped
        (used when ``window_shape`` or ``strides`` is an int).

    Returns:
      Pooled result. Same rank and dtype as ``value``.

    Raises:
      ValueError: If the padding or ``channel_axis`` is not valid.
      AssertionError: If the window or strides have more entries than
        ``value`` has axes.
      TypeError: If the window or strides are not ints or are not positive.
    """
    return _max_pool(value, window_shape, strides, padding, channel_axis, "max_pool")


def _max_pool(value, window_shape, strides, padding, channel_axis, caller):
    value, window, stride = _prepare(value, window_shape, strides, padding, channel_axis, caller)
    return jax.lax.reduce_window(value, _lowest(value.dtype), jax.lax.max, window, stride, padding)


def _same_counts(shape, window, stride) -> np.ndarray:
    """How many non-padding elements each ``SAME`` window covers.

    The count is the product of per-axis counts, so it is built (at trace time,
    from static shapes) with size 1 along every axis whose window is 1.
    """
    pads = jax.lax.padtype_to_pads(shape, window, stride, "SAME")
    counts = np.ones((), np.int64)
    for axis, (n, w, s, (lo, _)) in enumerate(zip(shape, window, stride, pads)):
        if w == 1:
            axis_counts = np.ones(1, np.int64)
        else:
            starts = np.arange(0, -(-n // s)) * s - lo
            axis_counts = np.minimum(starts + w, n) - np.maximum(starts, 0)
        counts = np.multiply.outer(counts, axis_counts)
    return counts


def avg_pool(
    value: jax.Array,
    window_shape: int | Sequence[int],
    strides: int | Sequence[int],
    padding: str,
    channel_axis: int | None = -1,
) -> jax.Array:
    """Average pool.

    With ``"SAME"`` padding each output averages only the input elements its
    window covers (padding is not counted):

    >>> x = jnp.arange(9.).reshape([1, 3, 3, 1])
    >>> hk.avg_pool(x, window_shape=2, strides=1, padding="SAME")[0, :, :, 0]
    Array([[2. , 3. , 3.5],
           [5. , 6. , 6.5],
           [6.5, 7.5, 8. ]], dtype=float32)

    Integer inputs are averaged in floating point.

    Args:
      value: Value to pool.
      window_shape: Shape of the pooling window, an int or one entry per axis
        of ``value`` (see the module docstring for how they are expanded).
      strides: Strides of the pooling window, same form as ``window_shape``.
      padding: Padding algorithm. Either ``"VALID"`` or ``"SAME"``.
      channel_axis: Axis of the spatial channels for which pooling is skipped
        (used when ``window_shape`` or ``strides`` is an int).

    Returns:
      Pooled result. Same rank as ``value``.

    Raises:
      ValueError: If the padding or ``channel_axis`` is not valid.
      AssertionError: If the window or strides have more entries than
        ``value`` has axes.
      TypeError: If the window or strides are not ints or are not positive.
    """
    return _avg_pool(value, window_shape, strides, padding, channel_axis, "avg_pool")


def _avg_pool(value, window_shape, strides, padding, channel_axis, caller):
    value, window, stride = _prepare(value, window_shape, strides, padding, channel_axis, caller)
    if not jnp.issubdtype(value.dtype, jnp.inexact):
        value = value.astype(jnp.result_type(float))
    # A concrete zero: reduce_window then uses its (differentiable) sum.
    summed = jax.lax.reduce_window(
        value, np.array(0, value.dtype), jax.lax.add, window, stride, padding)
    if padding == "VALID":
        return summed / int(np.prod(window))
    counts = _same_counts(value.shape, window, stride)
    return summed / jnp.asarray(counts, summed.dtype)


class MaxPool(hk.Module):
    """Max pool: :func:`max_pool` with its arguments fixed at construction.

    >>> pool = hk.MaxPool(window_shape=(1, 2, 2, 1), strides=(1, 2, 2, 1), padding="SAME")
    >>> pool(jnp.ones([8, 5, 5, 3])).shape
    (8, 3, 3, 3)

    For an unbatched input give one entry per axis (missing leading entries
    count as 1, an int always skips the first axis):

    >>> hk.MaxPool((2, 2, 1), (2, 2, 1), "SAME")(jnp.ones([5, 5, 3])).shape
    (3, 3, 3)
    """

    def __init__(
        self,
        window_shape: int | Sequence[int],
        strides: int | Sequence[int],
        padding: str,
        channel_axis: int | None = -1,
        name: str | None = None,
    ):
        """Max pool.

        Args:
          window_shape: Shape of the pooling window, an int or one entry per
            axis of the input.
          strides: Strides of the pooling window, same form as ``window_shape``.
          padding: Padding algorithm. Either ``"VALID"`` or ``"SAME"``.
          channel_axis: Axis of the spatial channels for which pooling is
            skipped (used when ``window_shape`` or ``strides`` is an int).
          name: String name for the module.
        """
        super().__init__(name=name)
        self.window_shape = window_shape
        self.strides = strides
        self.padding = padding
        self.channel_axis = channel_axis

    def __call__(self, value: jax.Array) -> jax.Array:
        """Max pools ``value``."""
        return _max_pool(value, self.window_shape, self.strides, self.padding, self.channel_axis,
                         self.module_name)


class AvgPool(hk.Module):
    """Average pool: :func:`avg_pool` with its arguments fixed at construction.

    >>> pool = hk.AvgPool(window_shape=3, strides=1, padding="VALID")
    >>> pool(jnp.ones([8, 5, 5, 3])).shape
    (8, 3, 3, 3)
    """

    def __init__(
        self,
        window_shape: int | Sequence[int],
        strides: int | Sequence[int],
        padding: str,
        channel_axis: int | None = -1,
        name: str | None = None,
    ):
        """Average pool.

        Args:
          window_shape: Shape of the pooling window, an int or one entry per
            axis of the input.
          strides: Strides of the pooling window, same form as ``window_shape``.
          padding: Padding algorithm. Either ``"VALID"`` or ``"SAME"``.
          channel_axis: Axis of the spatial channels for which pooling is
            skipped (used when ``window_shape`` or ``strides`` is an int).
          name: String name for the module.
        """
        super().__init__(name=name)
        self.window_shape = window_shape
        self.strides = strides
        self.padding = padding
        self.channel_axis = channel_axis

    def __call__(self, value: jax.Array) -> jax.Array:
        """Average pools ``value``."""
        return _avg_pool(value, self.window_shape, self.strides, self.padding, self.channel_axis,
                         self.module_name)
