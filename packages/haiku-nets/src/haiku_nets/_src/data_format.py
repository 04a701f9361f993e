"""Data formats of convolution inputs and small argument normalisers.

A data format names where the channels of an input live: first (``NCHW``,
``NC...``, ``channels_first``) or last (``NHWC``, ``N...C``, ``BTHWD``,
``channels_last``). :func:`get_channel_index` turns one into ``1`` or ``-1``;
the helpers below turn "an int or a sequence" arguments into tuples and build
``jax.lax.ConvDimensionNumbers`` for any number of spatial dimensions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import jax
import numpy as np

__all__ = ["get_channel_index"]

# Channels first: "NC" then anything but another channel axis.
_CHANNELS_FIRST = re.compile(r"NC[^C]*")
# Channels last: "N", anything but a channel axis, then "C"; or a sequence
# format "BT...D" (batch, time, ..., depth).
_CHANNELS_LAST = re.compile(r"N[^C]*C|BT.*D")


def get_channel_index(data_format: str) -> int:
    """Returns the channel index when given a valid data format.

    >>> hk.get_channel_index('channels_last')
    -1
    >>> hk.get_channel_index('channels_first')
    1
    >>> hk.get_channel_index('N...C')
    -1
    >>> hk.get_channel_index('NCHW')
    1

    Args:
      data_format: String, the data format to get the channel index from.
        Valid data formats are spatial (e.g. ``NCHW``), sequential (e.g.
        ``BTHWD``), ``channels_first`` and ``channels_last``.

    Returns:
      The channel index as an int, either ``1`` or ``-1``.

    Raises:
      ValueError: If the data format is unrecognised.
    """
    if data_format == "channels_first":
        return 1
    if data_format == "channels_last":
        return -1
    if isinstance(data_format, str):
        if _CHANNELS_FIRST.fullmatch(data_format):
            return 1
        if _CHANNELS_LAST.fullmatch(data_format):
            return -1
    raise ValueError(
        f"Unable to extract channel information from {data_format!r}. Valid data "
        "formats are spatial (e.g.`NCHW`), sequential (e.g. `BTHWD`), "
        "`channels_first` and `channels_last`)."  # dm-haiku's words, verbatim.
    )


def replicate(value: int | Sequence[int], n: int, what: str) -> tuple[int, ...]:
    """``3`` -> ``(3,) * n``; a sequence of length 1 or ``n`` -> a tuple of ``n``.

    >>> replicate(2, 3, "stride")
    (2, 2, 2)
    >>> replicate([1, 2], 2, "rate")
    (1, 2)
    """
    if isinstance(value, (np.ndarray, jax.Array)) and np.ndim(value) == 1:
        value = np.asarray(value).tolist()
    if isinstance(value, Sequence) and not isinstance(value, str):
        values = tuple(value)
        if len(values) == 1:
            values = values * n
        if len(values) != n:
            raise TypeError(
                f"{what} must be an int or a sequence of length 1 or {n}, got {value!r}."
            )
    elif isinstance(value, str):
        raise TypeError(f"{what} must be an int or a sequence of length 1 or {n}, got {value!r}.")
    else:
        values = (value,) * n
    return tuple(_as_int(v, what) for v in values)


def _as_int(value, what: str) -> int:
    try:
        return int(value.__index__())
    except (AttributeError, TypeError):
        raise TypeError(f"{what} must hold integers, got {value!r}.") from None


def dimension_numbers(num_spatial_dims: int, channel_index: int,
                      kernel_io: tuple[int, int]) -> jax.lax.ConvDimensionNumbers:
    """Dimension numbers for ``num_spatial_dims`` and a channels first/last input.

    The kernel is laid out ``spatial... + kernel_io`` where ``kernel_io`` gives
    the positions (counted after the spatial axes) of its (output, input)
    feature axes: ``(1, 0)`` for ``HWIO`` kernels, ``(0, 1)`` for ``HWOI``.
    """
    n = num_spatial_dims
    spatial = tuple(range(n))
    if channel_index == 1:
        lhs = (0, 1, *range(2, n + 2))
    else:
        lhs = (0, n + 1, *range(1, n + 1))
    rhs = (n + kernel_io[0], n + kernel_io[1], *spatial)
    return jax.lax.ConvDimensionNumbers(lhs_spec=lhs, rhs_spec=rhs, out_spec=lhs)
