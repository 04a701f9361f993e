"""Moving averages: :class:`ExponentialMovingAverage` and :class:`EMAParamsTree`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp

__all__ = ["ExponentialMovingAverage"]


class ExponentialMovingAverage(hk.Module):
    """Keeps an exponential moving average (EMA) of the values it is called on.

    Each update (``counter`` counts them) mixes the new value into a hidden
    accumulator::

        hidden = hidden * decay + value * (1 - decay)

    With ``zero_debias=True`` (Adam's correction, https://arxiv.org/abs/1412.6980)
    the average is ``hidden / (1 - decay ** counter)``, so the first average
    equals the first value instead of being pulled towards the initial zeros.
    With ``warmup_length=n`` (requires ``zero_debias=False``) the counter starts
    at ``-n`` and the decay is zero while the counter is not positive: the
    average simply follows the input for the first ``n`` updates and only then
    starts decaying.

    The state is ``counter`` (an ``int32`` scalar), ``hidden`` and ``average``
    (the shape of the value; ``hidden`` keeps the value's dtype). The decay is
    computed in the dtype of the value.

    >>> def f(x):
    ...   return hk.ExponentialMovingAverage(decay=0.5)(x)
    >>> f = hk.transform_with_state(f)
    >>> params, state = f.init(None, jnp.zeros([2]))
    >>> avg, state = f.apply(params, state, None, jnp.array([4., 8.]))
    >>> avg
    Array([4., 8.], dtype=float32)
    >>> avg, state = f.apply(params, state, None, jnp.array([1., 2.]))
    >>> avg  # (0.5 * 0.5 * 4 + 0.5 * 1) / (1 - 0.5 ** 2)
    Array([2., 4.], dtype=float32)
    >>> state["exponential_moving_average"]["counter"]
    Array(2, dtype=int32)
    """

    def __init__(
        self,
        decay: float | jax.Array,
        zero_debias: bool = True,
        warmup_length: int = 0,
        name: str | None = None,
    ):
        """Constructs an :class:`ExponentialMovingAverage`.

        Args:
          decay: The decay, in ``[0, 1)``. Values close to 1 decay slowly,
            values close to 0 quickly. (Like dm-haiku, the range is not
            checked.)
          zero_debias: Whether to divide the hidden accumulator by
            ``1 - decay ** counter`` (zero-debiasing).
          warmup_length: A non-negative integer: the number of updates during
            which the average just follows the input before it starts to
            decay. Only with ``zero_debias=False``.
          name: The name of the module.

        Raises:
          ValueError: If ``warmup_length`` is negative, or positive while
            ``zero_debias`` is true.
        """
        super().__init__(name=name)
        if warmup_length < 0:
            raise ValueError(
                f"{self.module_name}: `warmup_length` is {warmup_length}, but should be "
                "non-negative.")
        if warmup_length and zero_debias:
            raise ValueError(
                f"{self.module_name}: zero debiasing does not make sense when warming up "
                "the average to an initial value (warmup_length="
                f"{warmup_length}). Set zero_debias=False to use a non-zero "
                "warmup_length.")
        self._decay = decay
        self._zero_debias = zero_debias
        self._warmup_length = warmup_length

    def initialize(self, shape: Sequence[int], dtype: Any = jnp.float32) -> None:
        """Creates ``hidden`` and ``average`` as zeros if they do not exist yet.

        Calling it is optional (the first ``__call__`` creates the state from
        its value); it lets :attr:`average` be read before any update.

        >>> def f():
        ...   ema = hk.ExponentialMovingAverage(0.9)
        ...   ema.initialize([3])
        ...   return ema.average
        >>> hk.transform_with_state(f).init(None)[1]["exponential_moving_average"]["average"]
        Array([0., 0., 0.], dtype=float32)

        Args:
          shape: The shape of the averaged values.
          dtype: Their dtype.
        """
        hk.get_state("hidden", shape, dtype, init=jnp.zeros)
        hk.get_state("average", shape, dtype, init=jnp.zeros)

    def __call__(self, value: float | jax.Array, update_stats: bool = True) -> jax.Array:
        """Applies one update with ``value`` and returns the new average.

        Args:
          value: The array (or number) to average.
          update_stats: Whether to store the updated ``counter``, ``hidden``
            and ``average``. When false the updated average is still computed
            and returned, but the state is left unchanged.

        Returns:
          The exponentially weighted average including ``value``.
        """
        value = jnp.asarray(value)
        counter = hk.get_state(
            "counter", (), jnp.int32,
            init=hk.initializers.Constant(-self._warmup_length))
        counter = counter + 1
        hidden = hk.get_state("hidden", value.shape, value.dtype, init=jnp.zeros)
        try:
            jnp.broadcast_shapes(jnp.shape(hidden), value.shape)
        except ValueError:
            raise TypeError(
                f"{self.module_name}: the value's shape {value.shape} does not match "
                f"the shape {jnp.shape(hidden)} of the average (set by an earlier call "
                "or initialize).") from None

        decay = jnp.asarray(self._decay, dtype=value.dtype)
        if self._warmup_length > 0:
            decay = jnp.where(counter <= 0, jnp.zeros_like(decay), decay)
        one = jnp.ones([], decay.dtype)
        hidden = hidden * decay + value * (one - decay)

        average = hidden
        if self._zero_debias:
            average = average / (1.0 - jnp.power(decay, counter))

        if update_stats:
            hk.set_state("counter", counter)
            hk.set_state("hidden", hidden)
            hk.set_state("average", average)
        return average

    @property
    def average(self) -> jax.Array:
        """The stored average (the ``average`` state).

        Raises ``ValueError`` if neither a stored update nor :meth:`initialize`
        created it.
        """
        return hk.get_state("average")
