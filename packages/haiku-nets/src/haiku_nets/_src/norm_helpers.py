"""What the normalisers share: axis arguments, statistics, scale and offset checks.

Used by :class:`~haiku.LayerNorm`, :class:`~haiku.InstanceNorm`,
:class:`~haiku.GroupNorm`, :class:`~haiku.RMSNorm` and
:class:`~haiku.BatchNorm`: ``axis``/``param_axis`` arguments (an int, a
slice or a sequence of ints), the mean and variance, and dm-haiku's checks
of ``create_scale``/``create_offset`` against the initializers and call
arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import jax
import jax.numpy as jnp

__all__ = [
    "AxisOrAxes",
    "broadcast_to_rank",
    "check_axis",
    "check_call_scale_offset",
    "check_scale_offset_init",
    "mean_and_variance",
    "param_shape",
    "resolve_axes",
]

AxisOrAxes = int | slice | Sequence[int]


def check_axis(axis: AxisOrAxes, module: str,
               what: str = "axis") -> slice | tuple[int, ...]:
    """Validates an ``int``/``slice``/iterable-of-ints axis argument.

    An int becomes a one-element tuple, as in dm-haiku (so ``module.axis`` reads
    the same there and here).

    >>> check_axis([1, 2], "layer_norm")
    (1, 2)
    >>> check_axis(-1, "layer_norm")
    (-1,)
    >>> check_axis("a", "layer_norm")
    Traceback (most recent call last):
    ...
    ValueError: `axis` should be an int, slice or iterable of ints. Got: a (layer_norm: `axis`).
    """
    if isinstance(axis, slice):
        return axis
    if isinstance(axis, int) and not isinstance(axis, bool):
        return (axis,)
    if isinstance(axis, Iterable) and not isinstance(axis, (str, bytes)):
        axes = tuple(axis)
        if all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            return axes
    # dm-haiku says `axis` for `param_axis` too; the argument is named after it.
    raise ValueError(
        f"`axis` should be an int, slice or iterable of ints. Got: {axis} "
        f"({module}: `{what}`).")


def resolve_axes(axis: slice | tuple[int, ...], shape: Sequence[int], module: str,
                 what: str = "axis", error: type[Exception] = ValueError) -> tuple[int, ...]:
    """The non-negative, sorted, distinct axes of ``shape`` that ``axis`` names.

    >>> resolve_axes((-1,), (2, 3, 4), "layer_norm")
    (2,)
    >>> resolve_axes(slice(1, None), (2, 3, 4), "layer_norm")
    (1, 2)
    """
    rank = len(shape)
    if isinstance(axis, slice):
        return tuple(range(rank)[axis])
    axes = axis
    for a in axes:
        if not -rank <= a < rank:
            raise error(
                f"{module}: `{what}` {axis!r} is out of range for inputs of shape "
                f"{tuple(shape)} (rank {rank})."
            )
    return tuple(sorted({a % rank for a in axes}))


def param_shape(param_axes: tuple[int, ...], shape: Sequence[int]) -> tuple[int, ...]:
    """Shape of a scale/offset kept along ``param_axes`` (resolved).

    Only the last axis gives a 1-D parameter; otherwise the parameter has the
    rank of the input with size 1 along every other axis (as in dm-haiku).

    >>> param_shape((2,), (2, 3, 4))
    (4,)
    >>> param_shape((1,), (2, 3, 4))
    (1, 3, 1)
    """
    rank = len(shape)
    if param_axes == (rank - 1,):
        return (shape[-1],)
    return tuple(d if i in param_axes else 1 for i, d in enumerate(shape))


def mean_and_variance(
    inputs: jax.Array, axes: tuple[int, ...], use_fast_variance: bool = False
) -> tuple[jax.Array, jax.Array]:
    """Mean and variance of ``inputs`` over ``axes``, kept as size-1 axes.

    The default variance is ``jnp.var`` (the mean of squared deviations); the
    fast one is ``E[x^2] - E[x]^2``: one pass over the data, less accurate when
    the mean is large compared with the spread.

    >>> m, v = mean_and_variance(jnp.array([[1., 2., 3., 6.]]), (1,))
    >>> print(m, v)
    [[3.]] [[3.5]]

    The statistics over the data are traced before the mean. The numbers do
    not depend on that order, but XLA's CPU fusion does: traced after the
    mean, a 12-block Transformer's train step compiled 3.6x slower, to an
    optimised program 3x larger (``benchmarks/transformer_layer_norm.py``).
    """
    if use_fast_variance:
        mean_of_squares = jnp.mean(jnp.square(inputs), axes, keepdims=True)
        mean = jnp.mean(inputs, axes, keepdims=True)
        variance = mean_of_squares - jnp.square(mean)
    else:
        variance = jnp.var(inputs, axes, keepdims=True)
        mean = jnp.mean(inputs, axes, keepdims=True)
    return mean, variance


def check_scale_offset_init(module: str, *, create_scale: bool, create_offset: bool,
                            scale_init: object, offset_init: object) -> None:
    """Refuses an initializer for a scale or offset that is not created."""
    if not create_scale and scale_init is not None:
        raise ValueError(f"Cannot set `scale_init` if `create_scale=False`. ({module})")
    if not create_offset and offset_init is not None:
        raise ValueError(f"Cannot set `offset_init` if `create_offset=False`. ({module})")


def check_call_scale_offset(module: str, *, create_scale: bool, create_offset: bool,
                            scale: object, offset: object) -> None:
    """Refuses a scale or offset given at call time to a module that creates it."""
    if create_scale and scale is not None:
        raise ValueError(f"Cannot pass `scale` at call time if `create_scale=True`. ({module})")
    if create_offset and offset is not None:
        raise ValueError(
            f"Cannot pass `offset` at call time if `create_offset=True`. ({module})")


def broadcast_to_rank(x: jax.Array | None, rank: int) -> jax.Array | None:
    """``x`` with leading size-1 axes added up to ``rank``; scalars unchanged.

    Explicit rank promotion, so that the normalizers run under
    ``jax_numpy_rank_promotion="raise"``; the elementwise results are the same.

    >>> broadcast_to_rank(jnp.ones([3]), 3).shape
    (1, 1, 3)
    """
    if x is None or not 0 < jnp.ndim(x) < rank:
        return x
    return jnp.reshape(x, (1,) * (rank - jnp.ndim(x)) + jnp.shape(x))
