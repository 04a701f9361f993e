"""``hk.experimental.fast_eval_shape``: ``eval_shape`` skipping work whose shape is known.

While :func:`fast_eval_shape` runs (in the calling thread or asyncio task
only):

* every parameter initializer is replaced with zeros (through
  :data:`haiku._src.base.param_init_override`, so custom creators see the
  zeros initializer); state initializers run as usual, as in dm-haiku 0.0.17;
* :func:`jax.random.fold_in` returns its key unchanged;
* functions decorated with :func:`substitute_in_fast_eval_shape` run their
  substitute instead. This is the hook for layers outside haiku-core (public
  as ``haiku.plugins.substitute_in_fast_eval_shape``): haiku-nets'
  ``hk.dropout`` draws no random mask with it.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import jax
import jax.numpy as jnp

from haiku._src import base, jax_compat, stateful_transforms
from haiku._src.optimize_rng import isolated_module_names

__all__ = ["fast_eval_shape", "fast_eval_shape_active", "substitute_in_fast_eval_shape"]

F = TypeVar("F", bound=Callable[..., Any])

_ACTIVE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "haiku_fast_eval_shape", default=False
)


def fast_eval_shape_active() -> bool:
    """Whether :func:`fast_eval_shape` is running in this thread or task."""
    return _ACTIVE.get()


def substitute_in_fast_eval_shape(substitute: Callable[..., Any]) -> Callable[[F], F]:
    """Decorates a function to run ``substitute`` instead while :func:`fast_eval_shape` runs.

    ``substitute`` takes the function's arguments and must return a value of
    the same shapes and dtypes, only cheaper to trace. Outside
    :func:`fast_eval_shape` the decorated function costs one extra
    :class:`contextvars.ContextVar` read per call.

    >>> def substitute(rate, x):
    ...   return x
    >>> @substitute_in_fast_eval_shape(substitute)
    ... def noisy(rate, x):
    ...   return x + rate * jax.random.normal(hk.next_rng_key(), x.shape)
    >>> hk.experimental.fast_eval_shape(noisy, 0.5, jnp.ones([2]))
    ShapeDtypeStruct(shape=(2,), dtype=float32)

    Args:
      substitute: What to run instead, with the same arguments.

    Returns:
      A decorator.
    """

    def decorator(fun: F) -> F:
        @functools.wraps(fun)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if _ACTIVE.get():
                return substitute(*args, **kwargs)
            return fun(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def _zeros(shape: Sequence[int], dtype: Any) -> jax.Array:
    return jnp.zeros(shape, dtype)


_zeros.__name__ = "zeros"


# jax.random.fold_in is replaced (module-wide) while any thread runs
# fast_eval_shape, by a function that is the identity only for those threads.
_patch_lock = threading.Lock()
_patch_users = 0
_original_fold_in: Callable[..., Any] | None = None


def _fold_in(key: Any, data: Any) -> Any:
    if _ACTIVE.get():
        return key
    assert _original_fold_in is not None
    return _original_fold_in(key, data)


@contextlib.contextmanager
def _fold_in_patched() -> Iterator[None]:
    global _patch_users, _original_fold_in
    with _patch_lock:
        if _patch_users == 0:
            _original_fold_in = jax.random.fold_in
            jax.random.fold_in = _fold_in
        _patch_users += 1
    try:
        yield
    finally:
        with _patch_lock:
            _patch_users -= 1
            if _patch_users == 0:
                if jax.random.fold_in is _fold_in:
                    jax.random.fold_in = _original_fold_in  # type: ignore[assignment]
                _original_fold_in = None


@contextlib.contextmanager
def _fast_mode() -> Iterator[None]:
    active = _ACTIVE.set(True)
    init = base.param_init_override.set(_zeros)
    try:
        with _fold_in_patched():
            yield
    finally:
        base.param_init_override.reset(init)
        _ACTIVE.reset(active)


def fast_eval_shape(fun: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Equivalent to ``eval_shape`` in JAX.

    Gives the shapes and dtypes :func:`jax.eval_shape` gives (or, inside a
    transformed function, :func:`haiku.eval_shape`: nothing ``fun`` creates or
    changes is kept, not even the module names it takes), while tracing less: work whose output shape is known
    without looking is skipped. For very large models the Python time JAX
    spends tracing it adds up. While ``fun`` is traced:

    * every parameter initializer is replaced with zeros (state initializers
      still run);
    * ``hk.dropout`` returns its input;
    * ``jax.random.fold_in`` returns its key.

    >>> def f(x):
    ...   w = hk.get_parameter("w", [x.shape[-1], 3], init=hk.initializers.RandomNormal())
    ...   return x @ w
    >>> f = hk.transform(f)
    >>> key = jax.random.PRNGKey(42)
    >>> x = jnp.ones([8, 5])
    >>> hk.experimental.fast_eval_shape(f.init, key, x)
    {'~': {'w': ShapeDtypeStruct(shape=(5, 3), dtype=float32)}}
    >>> params = f.init(key, x)
    >>> hk.experimental.fast_eval_shape(f.apply, params, key, x)
    ShapeDtypeStruct(shape=(8, 3), dtype=float32)

    Args:
      fun: The function to trace.
      *args: Positional arguments to ``fun`` (arrays or
        ``jax.ShapeDtypeStruct``).
      **kwargs: Keyword arguments to ``fun``.

    Returns:
      The shape produced by ``fun`` for the given args/kwargs.
    """
    # What is traced here must not be reused by later ordinary traces (e.g. a
    # jax.jit(f.init) getting zero parameters), nor the other way round.
    with jax_compat.separate_trace_caches("haiku_fast_eval_shape"), _fast_mode():
        if base.inside_transform():
            with isolated_module_names(base.current_frame()):
                return stateful_transforms.eval_shape(fun, *args, **kwargs)
        return jax.eval_shape(fun, *args, **kwargs)
