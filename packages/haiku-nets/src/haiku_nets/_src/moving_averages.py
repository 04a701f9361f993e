"""Moving averages: :class:`ExponentialMovingAverage` and :class:`EMAParamsTree`."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp

__all__ = ["ExponentialMovingAverage", "EMAParamsTree"]


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
                f"`warmup_length` is {warmup_length}, but should be non-negative. "
                f"({self.module_name})")
        if warmup_length and zero_debias:
            raise ValueError(
                "Zero debiasing does not make sense when warming up the value of the "
                "average to an initial value. Set zero_debias=False if setting "
                f"warmup_length to a non-zero value. ({self.module_name}: "
                f"warmup_length={warmup_length}.)")
        self.decay = decay
        self.zero_debias = zero_debias
        self.warmup_length = warmup_length

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
          shape: The shape of the averaged values. (Deprecated: an array, whose
            shape and dtype are used, with a ``DeprecationWarning``.)
          dtype: Their dtype.
        """
        if hasattr(shape, "shape"):
            warnings.warn(
                "Passing a value into initialize instead of a shape/dtype is deprecated. "
                "Update your code to use: `ema.initialize(v.shape, v.dtype)`.",
                category=DeprecationWarning, stacklevel=2)
            value: Any = shape
            shape, dtype = value.shape, value.dtype
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
            init=hk.initializers.Constant(-self.warmup_length))
        counter = counter + 1
        hidden = hk.get_state("hidden", value.shape, value.dtype, init=jnp.zeros)
        try:
            jnp.broadcast_shapes(jnp.shape(hidden), value.shape)
        except ValueError:
            raise TypeError(
                f"{self.module_name}: the value's shape {value.shape} does not match "
                f"the shape {jnp.shape(hidden)} of the average (set by an earlier call "
                "or initialize).") from None

        decay = jnp.asarray(self.decay, dtype=value.dtype)
        if self.warmup_length > 0:
            decay = jnp.where(counter <= 0, jnp.zeros_like(decay), decay)
        one = jnp.ones([], decay.dtype)
        hidden = hidden * decay + value * (one - decay)

        average = hidden
        if self.zero_debias:
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

        >>> def f(x):
        ...   ema = hk.ExponentialMovingAverage(0.5)
        ...   ema(x)
        ...   return ema.average
        >>> f = hk.transform_with_state(f)
        >>> _, state = f.init(None, 1.)
        >>> f.apply(None, state, None, 3.)[0]
        Array(3., dtype=float32)
        """
        return hk.get_state("average")


def tree_module_name(module_name: str, param_name: str, tilde: str = "_tilde_") -> str:
    """The name of the per-parameter module of a params tree wrapper.

    In ``"module_name/param_name"`` every ``/`` becomes ``__`` and every ``~``
    becomes ``tilde``: with dm-haiku's rules ``("mlp/~/linear_0", "w")`` gives
    ``"mlp___tilde___linear_0__w"`` for :class:`EMAParamsTree` (``"_tilde_"``)
    and ``"mlp___tilde__linear_0__w"`` for ``SNParamsTree`` (``"_tilde"``).
    """
    path = f"{module_name}/{param_name}"
    return path.replace("/", "__").replace("~", tilde)


def map_params_tree(
    owner: str,
    tree: Mapping[str, Mapping[str, Any]],
    ignore_regex: str,
    fn: Callable[[str, Any], Any],
    tilde: str = "_tilde_",
) -> dict[str, dict[str, Any]]:
    """Applies ``fn(leaf_module_name, value)`` to the leaves of a params tree.

    ``tree`` is a two-level mapping ``{module_name: {param_name: value}}`` as
    :func:`haiku.transform` creates it. Leaves whose ``module_name/param_name``
    matches ``ignore_regex`` (``re.match``, anchored at the start; the empty
    string matches nothing here) are returned unchanged. The result is a plain
    ``dict`` of ``dict`` in the order of ``tree``. ``tilde`` replaces ``~`` in
    the leaf module names (see :func:`tree_module_name`).

    Raises:
      AttributeError: If ``tree`` or one of its values is not a mapping.
    """
    not_mappings = [tree] if not isinstance(tree, Mapping) else [
        v for v in tree.values() if not isinstance(v, Mapping)]
    if not_mappings:
        # AttributeError, as dm-haiku's ``.items()`` on the offending value.
        raise AttributeError(
            f"'{type(not_mappings[0]).__name__}' object has no attribute 'items' ({owner}: expected a "
            "params tree, a mapping from module names to mappings from parameter names to "
            f"arrays, got {jax.tree_util.tree_structure(tree)}.)")
    pattern = re.compile(ignore_regex) if ignore_regex else None
    out: dict[str, dict[str, Any]] = {}
    for module_name, bundle in tree.items():
        new_bundle = {}
        for param_name, value in bundle.items():
            if pattern is not None and pattern.match(f"{module_name}/{param_name}"):
                new_bundle[param_name] = value
            else:
                new_bundle[param_name] = fn(
                    tree_module_name(module_name, param_name, tilde), value)
        out[module_name] = new_bundle
    return out


class EMAParamsTree(hk.Module):
    """Keeps an exponential moving average of every parameter of a params tree.

    Where :class:`ExponentialMovingAverage` averages one array, this module
    averages a whole ``{module_name: {param_name: array}}`` tree: call it with
    the current parameters and it returns a tree of the same structure holding
    their averages. Each parameter gets its own :class:`ExponentialMovingAverage`
    submodule, named from its path (``"linear/w"`` gives ``"linear__w"``,
    ``"mlp/~/linear_0/b"`` gives ``"mlp___tilde___linear_0__b"``).

    >>> network_fn = lambda x: hk.Linear(10)(x)
    >>> x = jnp.ones([1, 1])
    >>> params = hk.transform(network_fn).init(jax.random.PRNGKey(428), x)
    >>> ema_fn = hk.transform_with_state(lambda x: hk.EMAParamsTree(0.2)(x))
    >>> _, ema_state = ema_fn.init(None, params)
    >>> ema_params, ema_state = ema_fn.apply(None, ema_state, None, params)
    >>> list(ema_state)
    ['ema_params_tree/linear__w', 'ema_params_tree/linear__b']
    >>> ema_params["linear"]["w"].shape
    (1, 10)
    """

    def __init__(
        self,
        decay: float | jax.Array,
        zero_debias: bool = True,
        warmup_length: int = 0,
        ignore_regex: str = "",
        name: str | None = None,
    ):
        """Constructs an :class:`EMAParamsTree`.

        Args:
          decay: The decay, in ``[0, 1)`` (see :class:`ExponentialMovingAverage`).
          zero_debias: Whether to zero-debias the averages.
          warmup_length: Number of updates during which the averages follow the
            input (only with ``zero_debias=False``).
          ignore_regex: Parameters whose ``"module_name/param_name"`` matches
            this regular expression (``re.match``: anchored at the start, so
            ``".*/b"`` ignores every bias and ``"b"`` ignores nothing of
            ``"linear/b"``) are returned unchanged and get no average. The
            empty string averages every parameter.
          name: The name of the module.
        """
        super().__init__(name=name)
        self.decay = decay
        self.zero_debias = zero_debias
        self.warmup_length = warmup_length
        self.ignore_regex = ignore_regex

    def __call__(self, tree: Mapping[str, Mapping[str, Any]],
                 update_stats: bool = True) -> dict[str, dict[str, Any]]:
        """Updates the averages with ``tree`` and returns the tree of averages.

        Args:
          tree: A params tree ``{module_name: {param_name: array}}``.
          update_stats: Whether to store the updated averages (see
            :meth:`ExponentialMovingAverage.__call__`).

        Returns:
          A ``dict`` of ``dict`` like ``tree`` holding the averages (ignored
          parameters unchanged).
        """
        def ema(name: str, value: Any) -> jax.Array:
            return ExponentialMovingAverage(
                self.decay, zero_debias=self.zero_debias,
                warmup_length=self.warmup_length, name=name,
            )(value, update_stats=update_stats)

        return map_params_tree(self.module_name, tree, self.ignore_regex, ema)
