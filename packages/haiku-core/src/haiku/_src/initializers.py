"""Parameter initializers: ``hk.initializers``.

An initializer is any callable ``init(shape, dtype) -> jax.Array``. Those in
this file that need randomness draw exactly one key with
:func:`haiku.next_rng_key`, so they must run inside a transformed function
(typically as the ``init`` argument of :func:`haiku.get_parameter`).

Each random initializer performs the same sequence of JAX operations as
dm-haiku 0.0.17, so the same key yields bit-identical parameters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Union

import jax
import jax.numpy as jnp
import numpy as np

from haiku._src import random_keys
from haiku._src.typing import Initializer

__all__ = [
    "Constant",
    "Identity",
    "Initializer",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "UniformScaling",
    "VarianceScaling",
]

# Standard deviation of a standard normal truncated to [-2, 2]. Dividing by it
# makes the truncated distribution have the requested standard deviation.
_TRUNCATED_NORMAL_STDDEV = 0.87962566103423978

_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")

Shape = Union[int, Sequence[int]]


def _shape(shape: Shape) -> tuple[int, ...]:
    """Normalises an int or a sequence of ints to a tuple of ints."""
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def _repr(obj: object, **fields: Any) -> str:
    args = ", ".join(f"{name}={value!r}" for name, value in fields.items())
    return f"{type(obj).__name__}({args})"


def _require_inexact(name: str, dtype: Any) -> None:
    if not jnp.issubdtype(dtype, jnp.inexact):
        raise ValueError(
            f"{name} draws random numbers and needs a floating point or complex "
            f"dtype, got {jnp.dtype(dtype).name}."
        )


def _scalars_like(z: jax.Array, *scalars: jax.Array) -> bool:
    """Whether ``scalars`` are rank-0 arrays of ``z``'s dtype.

    Then ``jax.lax.mul``/``jax.lax.add`` bind the very equations that ``*``
    and ``+`` would, without jax.numpy's dispatch (about 50 µs an operation
    when tracing, paid for every parameter of a model).
    """
    return all(s.ndim == 0 and s.dtype == z.dtype for s in scalars)


class Constant:
    """Initializes with a constant (a scalar, or an array broadcast to ``shape``).

    >>> init = hk.initializers.Constant(0.5)
    >>> init([2, 3], jnp.float32)
    Array([[0.5, 0.5, 0.5],
           [0.5, 0.5, 0.5]], dtype=float32)

    No random key is needed, so a ``Constant`` works outside transforms too.
    """

    def __init__(self, constant: Any):
        """Constructs a Constant initializer.

        Args:
          constant: The constant to initialize with: a scalar, or an array
            that broadcasts to the requested shape.
        """
        self.constant = constant

    def __call__(self, shape: Shape, dtype: Any) -> jax.Array:
        return jnp.broadcast_to(jnp.asarray(self.constant), _shape(shape)).astype(dtype)

    def __repr__(self) -> str:
        return _repr(self, constant=self.constant)


class RandomNormal:
    """Initializes by sampling from a normal distribution.

    >>> init = hk.initializers.RandomNormal(stddev=0.01)
    >>> w = hk.transform(lambda: hk.get_parameter("w", [3, 3], init=init)).init(
    ...     jax.random.PRNGKey(0))["~"]["w"]
    >>> bool(jnp.abs(w).max() < 0.1)
    True
    """

    def __init__(self, stddev: float | jax.Array = 1.0, mean: float | jax.Array = 0.0):
        """Constructs a :class:`RandomNormal` initializer.

        Args:
          stddev: The standard deviation of the normal distribution to sample from.
          mean: The mean of the normal distribution to sample from.
        """
        self.stddev = stddev
        self.mean = mean

    def __call__(self, shape: Shape, dtype: Any) -> jax.Array:
        mean = jax.lax.convert_element_type(self.mean, dtype)
        stddev = jax.lax.convert_element_type(self.stddev, dtype)
        z = jax.random.normal(random_keys.next_rng_key(), _shape(shape), dtype)
        if _scalars_like(z, mean, stddev):
            return jax.lax.add(mean, jax.lax.mul(stddev, z))
        return mean + stddev * z

    def __repr__(self) -> str:
        return _repr(self, stddev=self.stddev, mean=self.mean)


class RandomUniform:
    """Initializes by sampling from a uniform distribution on ``[minval, maxval)``.

    >>> init = hk.initializers.RandomUniform(minval=-1.0, maxval=1.0)
    >>> w = hk.transform(lambda: hk.get_parameter("w", [100], init=init)).init(
    ...     jax.random.PRNGKey(0))["~"]["w"]
    >>> bool((w >= -1).all() and (w < 1).all())
    True
    """

    def __init__(self, minval: float | jax.Array = 0.0, maxval: float | jax.Array = 1.0):
        """Constructs a :class:`RandomUniform` initializer.

        Args:
          minval: The lower limit of the uniform distribution.
          maxval: The upper limit of the uniform distribution.
        """
        self.minval = minval
        self.maxval = maxval

    def __call__(self, shape: Shape, dtype: Any) -> jax.Array:
        return jax.random.uniform(
            random_keys.next_rng_key(), _shape(shape), dtype, self.minval, self.maxval
        )

    def __repr__(self) -> str:
        return _repr(self, minval=self.minval, maxval=self.maxval)


class TruncatedNormal:
    """Initializes by sampling from a truncated normal distribution.

    Samples are ``mean + stddev * z`` where ``z`` follows a standard normal
    truncated to ``[lower, upper]``; the result therefore lies within
    ``[mean + stddev * lower, mean + stddev * upper]``. For a complex dtype the
    real and imaginary parts of ``z`` are drawn independently.

    >>> init = hk.initializers.TruncatedNormal(stddev=0.5, mean=1.0)
    >>> w = hk.transform(lambda: hk.get_parameter("w", [1000], init=init)).init(
    ...     jax.random.PRNGKey(0))["~"]["w"]
    >>> bool((w >= 0.0).all() and (w <= 2.0).all())
    True
    """

    def __init__(
        self,
        stddev: float | jax.Array = 1.0,
        mean: float | complex | jax.Array = 0.0,
        lower: float | jax.Array = -2.0,
        upper: float | jax.Array = 2.0,
    ):
        """Constructs a :class:`TruncatedNormal` initializer.

        Args:
          stddev: The standard deviation parameter of the truncated normal
            distribution.
          mean: The mean of the truncated normal distribution.
          lower: Float or array representing the lower bound for truncation.
          upper: Float or array representing the upper bound for truncation.
        """
        self.stddev = stddev
        self.mean = mean
        self.lower = lower
        self.upper = upper

    def __call__(self, shape: Shape, dtype: Any) -> jax.Array:
        _require_inexact("TruncatedNormal", dtype)
        shape = _shape(shape)
        real_dtype = jnp.finfo(dtype).dtype
        mean = jax.lax.convert_element_type(self.mean, dtype)
        stddev = jax.lax.convert_element_type(self.stddev, real_dtype)
        is_complex = jnp.issubdtype(dtype, jnp.complexfloating)
        draw_shape = (2, *shape) if is_complex else shape
        z = jax.random.truncated_normal(
            random_keys.next_rng_key(), self.lower, self.upper, draw_shape, real_dtype
        )
        if is_complex:
            z = jax.lax.complex(z[0], z[1])
        if _scalars_like(z, stddev, mean):
            return jax.lax.add(jax.lax.mul(stddev, z), mean)
        return stddev * z + mean

    def __repr__(self) -> str:
        return _repr(self, stddev=self.stddev, mean=self.mean, lower=self.lower, upper=self.upper)


def _compute_fans(
    shape: Sequence[int], fan_in_axes: Sequence[int] | None = None
) -> tuple[float, float]:
    """Returns the ``(fan_in, fan_out)`` of a weight of the given shape.

    * rank 0: ``(1, 1)``;
    * rank 1 (a bias-like vector of size ``n``): ``(n, n)``;
    * rank 2 (a ``[in, out]`` matrix): ``(in, out)``;
    * rank 3 and more (a convolution kernel ``[*spatial, in, out]``):
      ``(in * receptive_field, out * receptive_field)`` with
      ``receptive_field = prod(spatial)``. If ``fan_in_axes`` is given the fan
      in is the product of those dimensions and the fan out the product of
      all the others.

    ``fan_in_axes`` only applies to rank 3 and above (as in dm-haiku). An axis
    in it is matched against the non-negative positions of ``shape`` when the
    fan out is computed, so a negative axis counts towards the fan in but is
    not removed from the fan out. This reproduces dm-haiku's numbers exactly;
    pass non-negative axes to avoid the surprise.
    """
    shape = tuple(shape)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    if fan_in_axes is not None:
        axes = tuple(fan_in_axes)
        fan_in = math.prod(shape[i] for i in axes)
        fan_out = math.prod(d for i, d in enumerate(shape) if i not in axes)
        return fan_in, fan_out
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class VarianceScaling:
    """Initializer which adapts its scale to the shape of the initialized array.

    The initializer first computes the scaling factor ``s = scale / n``, where
    ``n`` is:

    * Number of input units in the weight tensor, if ``mode = fan_in``.
    * Number of output units, if ``mode = fan_out``.
    * Average of the numbers of input and output units, if ``mode = fan_avg``.

    (``n`` is at least 1.) Then, with ``distribution="truncated_normal"`` or
    ``"normal"``, samples are drawn from a distribution with a mean of zero and
    a standard deviation (after truncation, if used) ``stddev = sqrt(s)``. The
    truncated normal is cut at two standard deviations (before correction).

    With ``distribution="uniform"``, samples are drawn from a uniform
    distribution within ``[-limit, limit]``, with ``limit = sqrt(3 * s)``.

    The variance scaling initializer can be configured to generate other
    standard initializers using the scale, mode and distribution arguments.
    Here are some example configurations:

    ==============  ==============================================================
    Name            Parameters
    ==============  ==============================================================
    glorot_uniform  ``VarianceScaling(1.0, "fan_avg", "uniform")``
    glorot_normal   ``VarianceScaling(1.0, "fan_avg", "truncated_normal")``
    lecun_uniform   ``VarianceScaling(1.0, "fan_in",  "uniform")``
    lecun_normal    ``VarianceScaling(1.0, "fan_in",  "truncated_normal")``
    he_uniform      ``VarianceScaling(2.0, "fan_in",  "uniform")``
    he_normal       ``VarianceScaling(2.0, "fan_in",  "truncated_normal")``
    ==============  ==============================================================

    >>> init = hk.initializers.VarianceScaling(2.0, "fan_in", "uniform")
    >>> w = hk.transform(lambda: hk.get_parameter("w", [6, 100], init=init)).init(
    ...     jax.random.PRNGKey(0))["~"]["w"]
    >>> bool(jnp.abs(w).max() <= 1.0)  # limit = sqrt(3 * 2 / 6)
    True
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        fan_in_axes: Sequence[int] | None = None,
    ):
        """Constructs the :class:`VarianceScaling` initializer.

        Args:
          scale: Scale to multiply the variance by.
          mode: One of ``fan_in``, ``fan_out``, ``fan_avg``
          distribution: Random distribution to use. One of ``truncated_normal``,
            ``normal`` or ``uniform``.
          fan_in_axes: Optional sequence of int specifying which axes of the
            shape are part of the fan-in. If none provided, then the weight is
            assumed to be like a convolution kernel, where all leading
            dimensions are part of the fan-in, and only the trailing dimension
            is part of the fan-out. Useful if instantiating multi-headed
            attention weights.

        Raises:
          ValueError: if ``scale`` is negative, or ``mode`` or ``distribution``
            is not one of the values above.
        """
        if scale < 0.0:
            raise ValueError("`scale` must be a positive float.")
        if mode not in _MODES:
            raise ValueError(f"Invalid `mode` argument: {mode!r}. Expected one of {_MODES}.")
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"Invalid `distribution` argument: {distribution!r}. "
                f"Expected one of {_DISTRIBUTIONS}."
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.fan_in_axes = fan_in_axes

    def __call__(self, shape: Shape, dtype: Any) -> jax.Array:
        _require_inexact("VarianceScaling", dtype)
        shape = _shape(shape)
        fan_in, fan_out = _compute_fans(shape, self.fan_in_axes)
        if self.mode == "fan_in":
            n = max(1.0, fan_in)
        elif self.mode == "fan_out":
            n = max(1.0, fan_out)
        else:
            n = max(1.0, (fan_in + fan_out) / 2.0)
        s = self.scale / n

        if self.distribution == "truncated_normal":
            # For bit-for-bit parity with dm-haiku: round the correction
            # constant to the (real) dtype, divide in float64 with NumPy, and
            # let TruncatedNormal round the quotient to the dtype.
            real_dtype = jnp.finfo(dtype).dtype
            stddev = np.sqrt(s) / np.asarray(_TRUNCATED_NORMAL_STDDEV, dtype=real_dtype)
            return TruncatedNormal(stddev=stddev)(shape, dtype)
        if self.distribution == "normal":
            return RandomNormal(stddev=np.sqrt(s))(shape, dtype)
        limit = np.sqrt(3.0 * s)
        return RandomUniform(minval=-limit, maxval=limit)(shape, dtype)

    def __repr__(self) -> str:
        return _repr(
            self,
            scale=self.scale,
            mode=self.mode,
            distribution=self.distribution,
            fan_in_axes=self.fan_in_axes,
        )


class UniformScaling:
    """Uniform scaling initializer.

    Initializes by sampling from a uniform distribution, but with the variance
    scaled by the inverse square root of the number of input units, multiplied
    by the scale: samples lie in ``[-limit, limit)`` with
    ``limit = scale * sqrt(3 / fan_in)`` and ``fan_in = prod(shape[:-1])``.

    >>> init = hk.initializers.UniformScaling(scale=2.0)
    >>> w = hk.transform(lambda: hk.get_parameter("w", [3, 50], init=init)).init(
    ...     jax.random.PRNGKey(0))["~"]["w"]
    >>> bool(jnp.abs(w).max() <= 2.0)  # limit = 2 * sqrt(3 / 3)
    True
    """

    def __init__(self, scale: float = 1.0):
        """Constructs the :class:`UniformScaling` initializer.

        Args:
          scale: Scale to multiply the upper limit of the uniform distribution by.
        """
        self.scale = scale

    def __call__(self, shape: Shape, dtype: Any) -> jax.Array:
        shape = _shape(shape)
        # An empty input dimension means an empty array; avoid dividing by 0.
        input_size = max(math.prod(shape[:-1]), 1)
        limit = np.sqrt(3 / input_size) * self.scale
        return RandomUniform(minval=-limit, maxval=limit)(shape, dtype)

    def __repr__(self) -> str:
        return _repr(self, scale=self.scale)


class Orthogonal:
    """Uniform scaling initializer.

    Draws uniformly distributed (Haar) orthogonal matrices: a standard normal
    matrix is QR-decomposed and the columns of ``Q`` are multiplied by the
    signs of the diagonal of ``R``. Shapes of rank above 2 are treated as a
    matrix with ``shape[axis]`` rows and all other dimensions flattened into
    columns.

    >>> init = hk.initializers.Orthogonal()
    >>> w = hk.transform(lambda: hk.get_parameter("w", [4, 4], init=init)).init(
    ...     jax.random.PRNGKey(0))["~"]["w"]
    >>> bool(jnp.allclose(w @ w.T, jnp.eye(4), atol=1e-5))
    True
    """

    def __init__(self, scale: float = 1.0, axis: int = -1):
        """Construct an initializer for uniformly distributed orthogonal matrices.

        These matrices will be row-orthonormal along the access specified by
        ``axis``. If the rank of the weight is greater than 2, the shape will be
        flattened in all other dimensions and then will be row-orthonormal
        along the final dimension. Note that this only works if the ``axis``
        dimension is larger, otherwise the matrix will be transposed
        (equivalently, it will be column orthonormal instead of row
        orthonormal).

        If the shape is not square, the matrices will have orthonormal rows or
        columns depending on which side is smaller.

        Args:
          scale: Scale factor.
          axis: Which axis corresponds to the "output dimension" of the tensor.
        """
        self.scale = scale
        self.axis = axis

    def __call__(self, shape: Shape, dtype: Any) -> jax.Array:
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError("Orthogonal initializer requires at least a 2D shape.")
        _require_inexact("Orthogonal", dtype)
        axis = self.axis
        if not -len(shape) <= axis < len(shape):
            raise np.exceptions.AxisError(axis, len(shape))
        axis %= len(shape)
        n_rows = shape[axis]
        n_cols = math.prod(shape) // n_rows if n_rows else 0
        matrix_shape = (n_rows, n_cols) if n_rows > n_cols else (n_cols, n_rows)
        # QR is only implemented for 32/64-bit types: draw low-precision floats
        # in float32 and cast at the end.
        draw_dtype = dtype
        if jnp.issubdtype(dtype, jnp.floating) and jnp.finfo(dtype).bits < 32:
            draw_dtype = jnp.float32
        normal = jax.random.normal(random_keys.next_rng_key(), matrix_shape, draw_dtype)
        q, r = jnp.linalg.qr(normal)
        q = q * jnp.sign(jnp.diag(r))
        if n_rows < n_cols:
            q = q.T
        rest = shape[:axis] + shape[axis + 1 :]
        q = jnp.moveaxis(jnp.reshape(q, (n_rows, *rest)), 0, axis)
        q = jax.lax.convert_element_type(self.scale, draw_dtype) * q
        return q.astype(dtype)

    def __repr__(self) -> str:
        return _repr(self, scale=self.scale, axis=self.axis)


class Identity:
    """Initializer that generates the identity matrix.

    Constructs a 2D identity matrix or batches of these: for a shape
    ``[..., n, m]`` every ``[n, m]`` slice is ``gain`` times the (rectangular)
    identity.

    >>> hk.initializers.Identity(gain=2.0)([2, 3], jnp.float32)
    Array([[2., 0., 0.],
           [0., 2., 0.]], dtype=float32)

    No random key is needed, so ``Identity`` works outside transforms too.
    """

    def __init__(self, gain: float | jax.Array = 1.0):
        """Constructs an identity initializer.

        Args:
          gain: Multiplicative factor to apply to the identity matrix.
        """
        self.gain = gain

    def __call__(self, shape: Shape, dtype: Any) -> jax.Array:
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError("Identity initializer requires at least a 2D shape.")
        eye = jnp.eye(shape[-2], shape[-1], dtype=dtype)
        if eye.shape != shape:
            eye = jnp.broadcast_to(eye, shape)
        return jax.lax.convert_element_type(self.gain, dtype) * eye

    def __repr__(self) -> str:
        return _repr(self, gain=self.gain)
