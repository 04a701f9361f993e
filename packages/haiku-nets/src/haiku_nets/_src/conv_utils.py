"""What the convolution modules share: padding arguments, input checks, bias."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Union

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

from haiku_nets._src import pad
from haiku_nets._src.data_format import get_channel_index

PaddingLike = Union[str, Sequence[tuple[int, int]], pad.PadFn, Sequence[pad.PadFn]]
"""``"SAME"``/``"VALID"``, ``(before, after)`` pairs or pad functions."""

Padding = Union[str, tuple[tuple[int, int], ...]]
"""A resolved padding: ``"SAME"``, ``"VALID"`` or one pair per spatial dimension."""

PADDING_STRINGS = ("SAME", "VALID", "SAME_LOWER")


def resolve_padding(
    module: str,
    padding: PaddingLike,
    kernel_shape: tuple[int, ...],
    rate: tuple[int, ...],
    *,
    allow_padfn: bool = True,
) -> Padding:
    """Turns any accepted padding argument into a string or explicit pairs.

    Pad functions get the effective kernel size ``(kernel - 1) * rate + 1`` of
    their dimension; one pair or one pad function is used for every dimension.
    """
    n = len(kernel_shape)
    if isinstance(padding, str):
        upper = padding.upper()
        if upper not in PADDING_STRINGS:
            raise ValueError(
                f"{module}: padding must be 'SAME', 'VALID', pad functions or "
                f"(before, after) pairs, got {padding!r}."
            )
        return upper
    if isinstance(padding, (np.ndarray, jax.Array)):
        padding = np.asarray(padding).tolist()
    if not allow_padfn and _has_callable(padding):
        raise TypeError(
            f"{module}: padding must be 'SAME', 'VALID' or (before, after) pairs; pad "
            f"functions are not supported by transposed convolutions, got {padding!r}."
        )
    try:
        return tuple(pad.create_from_padfn(padding, kernel_shape, rate, n))
    except TypeError as e:
        raise TypeError(
            f"{module}: padding must be 'SAME', 'VALID', a pad function (hk.pad.*), a "
            f"(before, after) pair, or a sequence of length 1 or {n} of pad functions "
            f"or pairs; got {padding!r}."
        ) from e


def _has_callable(padding: Any) -> bool:
    if callable(padding):
        return True
    return isinstance(padding, Sequence) and any(callable(p) for p in padding)


def check_data_format(module: str, data_format: str) -> int:
    """The channel index of ``data_format``; the error names the module."""
    try:
        return get_channel_index(data_format)
    except ValueError as e:
        raise ValueError(f"{module}: {e}") from None


def batch_input(module: str, inputs: jax.Array, num_spatial_dims: int, data_format: str,
                channel_index: int) -> tuple[jax.Array, bool]:
    """Adds a batch axis to an unbatched input; returns it and whether it was added."""
    rank = len(inputs.shape)
    if rank == num_spatial_dims + 2:
        return inputs, False
    if rank == num_spatial_dims + 1:
        return inputs[None], True
    where = "channels first" if channel_index == 1 else "channels last"
    raise ValueError(
        f"{module}: a {num_spatial_dims}-D convolution with data_format "
        f"{data_format!r} ({where}) needs an input of rank {num_spatial_dims + 2} "
        f"(batched) or {num_spatial_dims + 1} (unbatched), got shape {tuple(inputs.shape)}."
    )


def default_w_init(fan_in: int) -> hk.initializers.Initializer:
    """Truncated normal with stddev ``1 / sqrt(fan_in)``."""
    return hk.initializers.TruncatedNormal(stddev=1.0 / np.sqrt(fan_in))


def check_mask(module: str, mask: Any, w_shape: tuple[int, ...]) -> None:
    if mask is not None and tuple(np.shape(mask)) != tuple(w_shape):
        raise ValueError(
            f"{module}: mask must have the shape of the weights {tuple(w_shape)}, got "
            f"{tuple(np.shape(mask))}."
        )


def add_bias(out: jax.Array, output_channels: int, channel_index: int, num_spatial_dims: int,
             b_init: hk.initializers.Initializer) -> jax.Array:
    """Adds a ``b`` parameter over the channel axis of the (batched) output.

    Its shape is ``[C]`` for channels-last outputs and ``[C, 1, ..., 1]`` (one
    ``1`` per spatial dimension) for channels-first ones.
    """
    if channel_index == -1:
        bias_shape: tuple[int, ...] = (output_channels,)
    else:
        bias_shape = (output_channels,) + (1,) * num_spatial_dims
    b = hk.get_parameter("b", bias_shape, out.dtype, init=b_init)
    return out + jnp.broadcast_to(b, out.shape)


def prod(values: Sequence[int]) -> int:
    return math.prod(values)
