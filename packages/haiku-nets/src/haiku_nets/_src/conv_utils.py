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
from haiku_nets._src.data_format import replicate as _replicate

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
    empty_error: type[Exception] = TypeError,
) -> Padding:
    """Turns any accepted padding argument into a string or explicit pairs.

    Pad functions get the effective kernel size ``(kernel - 1) * rate + 1`` of
    their dimension; one pair or one pad function is used for every dimension.
    An empty sequence raises ``empty_error``: what dm-haiku raises for it in the
    calling module (IndexError in ConvND, JAX's TypeError elsewhere).
    """
    n = len(kernel_shape)
    if isinstance(padding, str):
        upper = padding.upper()
        if upper not in PADDING_STRINGS:
            # RuntimeError: what JAX's convolution raises for it in dm-haiku.
            raise RuntimeError(
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
    except (TypeError, AssertionError) as e:
        if isinstance(padding, Sequence) and not _has_callable(padding):
            if len(padding) == 0:
                detail = (f"{module}: padding is empty; pass 'SAME', 'VALID', a (before, "
                          f"after) pair or a sequence of 1 or {n} of them.")
                # dm-haiku's ConvND looks at the first entry (IndexError, whose words
                # lead); elsewhere its convolution raises a TypeError for no pads.
                raise empty_error(f"list index out of range ({detail})"
                                  if empty_error is IndexError else detail) from None
            if isinstance(padding[0], int) or len(padding) in (1, n):
                # ValueError: what dm-haiku's jax.lax.conv_general_dilated raises for it.
                raise ValueError(
                    f"{module}: padding {padding!r} is not a (before, after) pair of "
                    f"integers, or a sequence of 1 or {n} of them."
                ) from None
        if isinstance(e, AssertionError):
            raise
        # dm-haiku's wording first: its check of (before, after) pairs, or that
        # of pad functions (the message of `pad`).
        lead = str(e) if _has_callable(padding) else (
            f"Padding {padding} must be a Tuple[int, int] or sequence of length 1 or "
            f"sequence of length {n}.")
        raise TypeError(
            f"{lead} ({module}: padding must be 'SAME', 'VALID', a pad function (hk.pad.*), "
            f"a (before, after) pair, or a sequence of length 1 or {n} of pad functions "
            "or pairs.)"
        ) from e


def replicate(module: str, value: int | Sequence[int], n: int, name: str,
              argument: str) -> tuple[int, ...]:
    """``value`` for each of ``n`` spatial dimensions, checked in dm-haiku's words.

    ``name`` is what dm-haiku calls the value (``"strides"`` for ``stride``,
    ``"kernel_dilation"`` for ``rate``), ``argument`` the constructor argument.

    >>> replicate("conv2_d", 3, 2, "strides", "stride")
    (3, 3)
    >>> replicate("conv2_d", (1, 1, 1), 2, "strides", "stride")
    Traceback (most recent call last):
    ...
    TypeError: strides must be a scalar or sequence of length 1 or sequence of length 2. (conv2_d: `stride` is (1, 1, 1).)
    """
    if (isinstance(value, (Sequence, np.ndarray, jax.Array)) and not isinstance(value, str)
            and np.ndim(value) == 1 and len(value) not in (1, n)):
        raise TypeError(
            f"{name} must be a scalar or sequence of length 1 or sequence of length {n}. "
            f"({module}: `{argument}` is {value!r}.)")
    return _replicate(value, n, argument)


def _has_callable(padding: Any) -> bool:
    if callable(padding):
        return True
    return isinstance(padding, Sequence) and any(callable(p) for p in padding)


def check_data_format(module: str, data_format: str) -> int:
    """The channel index of ``data_format``; the error names the module."""
    try:
        return get_channel_index(data_format)
    except ValueError as e:
        raise ValueError(f"{e} ({module})") from None


def batch_input(module: str, kind: str, inputs: jax.Array, num_spatial_dims: int,
                data_format: str, channel_index: int) -> tuple[jax.Array, bool]:
    """Adds a batch axis to an unbatched input; returns it and whether it was added.

    ``kind`` is the class named by the error (dm-haiku's ``ConvND`` or
    ``ConvNDTranspose``).
    """
    rank = len(inputs.shape)
    if rank == num_spatial_dims + 2:
        return inputs, False
    if rank == num_spatial_dims + 1:
        return inputs[None], True
    where = "channels first" if channel_index == 1 else "channels last"
    raise ValueError(
        f"Input to {kind} needs to have rank in {[num_spatial_dims + 1, num_spatial_dims + 2]}, "
        f"but input has shape {tuple(inputs.shape)}. ({module}: a {num_spatial_dims}-D "
        f"convolution with data_format {data_format!r} ({where}) takes batched inputs of "
        f"rank {num_spatial_dims + 2} or unbatched ones of rank {num_spatial_dims + 1}.)"
    )


def default_w_init(fan_in: int) -> hk.initializers.Initializer:
    """Truncated normal with stddev ``1 / sqrt(fan_in)``."""
    return hk.initializers.TruncatedNormal(stddev=1.0 / np.sqrt(fan_in))


def check_mask(module: str, mask: Any, w_shape: tuple[int, ...]) -> None:
    """Refuses a mask whose shape is not that of the weights."""
    if mask is not None and tuple(np.shape(mask)) != tuple(w_shape):
        raise ValueError(
            "Mask needs to have the same shape as weights. Shapes are: "
            f"{tuple(np.shape(mask))}, {tuple(w_shape)} ({module}: the mask, then the "
            "weights.)"
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
