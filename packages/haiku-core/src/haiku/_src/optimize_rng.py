"""``hk.experimental.optimize_rng_use``: one key split for a whole function."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from haiku._src import base, random_keys, stateful_transforms

__all__ = ["isolated_module_names", "optimize_rng_use"]

T = TypeVar("T")


@contextlib.contextmanager
def isolated_module_names(frame: base.Frame) -> Iterator[None]:
    """Forgets the module names taken in the block (as dm-haiku's abstract runs do).

    A function run once abstractly and then for real must name its modules
    the same way both times (``linear``, not ``linear_1``, the second time),
    so the naming tables of the frame's method calls get back their contents.
    """
    counters = [None if c is None else c.copy() for c in frame.counter_stack]
    used = [None if u is None else set(u) for u in frame.used_names_stack]
    try:
        yield
    finally:
        frame.counter_stack[: len(counters)] = counters
        frame.used_names_stack[: len(used)] = used


def _count_next_rng_key_calls(
    frame: base.Frame, fun: Callable[..., Any], args: Any, kwargs: Any
) -> int:
    """How often ``fun(*args, **kwargs)`` calls ``hk.next_rng_key``, costing no flops.

    ``fun`` runs under :func:`haiku.eval_shape`, so whatever it changes in the
    frame (parameters, state, random keys, module names) is discarded. The
    arguments are closed over, not traced: Python values (flags, sizes) stay
    concrete.
    """
    counter = [0]
    token = random_keys.next_rng_key_counters.set(random_keys.next_rng_key_counters.get() + (counter,))
    try:
        with isolated_module_names(frame):
            stateful_transforms.eval_shape(lambda: fun(*args, **kwargs))
    finally:
        random_keys.next_rng_key_counters.reset(token)
    return counter[0]


def optimize_rng_use(fun: Callable[..., T]) -> Callable[..., T]:
    """Optimizes a RNG key splitting in ``fun``.

    Each call of the returned function runs ``fun`` twice. First under
    :func:`jax.eval_shape` (no flops, and any parameter, state, random key or
    module name it creates or changes is thrown away), only to count how many times it
    calls :func:`haiku.next_rng_key`. Then it reserves that many keys with a
    single :func:`jax.random.split` (see :func:`haiku.reserve_rng_keys`) and
    runs ``fun`` for real, which takes its keys from the reserve instead of
    splitting one at a time. The program is smaller and compiles faster; for
    large models ``init`` gains most, since it draws a key per parameter.

    Here each of the three weight initializers draws one key, so three keys
    are reserved with one split:

    >>> def f(x):
    ...   for i, size in enumerate([300, 100, 10]):
    ...     init = hk.initializers.TruncatedNormal(x.shape[-1] ** -0.5)
    ...     x = x @ hk.get_parameter(f"w{i}", [x.shape[-1], size], init=init)
    ...   return x
    >>> f = hk.experimental.optimize_rng_use(f)
    >>> f = hk.transform(f)
    >>> params = f.init(jax.random.PRNGKey(42), jnp.ones([1, 1]))

    The keys ``fun`` gets are those it would get after
    ``hk.reserve_rng_keys(n)``, where ``n`` is the number of
    :func:`haiku.next_rng_key` calls (other ways of drawing keys, such as
    :func:`haiku.next_rng_keys` or :func:`haiku.maybe_next_rng_key`, are not
    counted):

    >>> def sample():
    ...   return [jax.random.uniform(hk.next_rng_key(), ()) for _ in range(3)]
    >>> def reserved():
    ...   hk.reserve_rng_keys(3)
    ...   return sample()
    >>> key = jax.random.PRNGKey(0)
    >>> optimized = hk.transform(hk.experimental.optimize_rng_use(sample))
    >>> assert optimized.apply({}, key) == hk.transform(reserved).apply({}, key)

    Without random keys (``None`` given to ``init``/``apply``) ``fun`` just
    runs, once.

    Args:
      fun: A function to wrap. It must be called inside a transform, and its
        Python side effects happen twice per call.

    Returns:
      A function that applies ``fun`` but only requires one call to
      :func:`jax.random.split` by Haiku.
    """

    @functools.wraps(fun)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        frame = base.current_frame("hk.experimental.optimize_rng_use")
        if frame.rng_stack[-1] is not None:
            count = _count_next_rng_key_calls(frame, fun, args, kwargs)
            if count:
                random_keys.reserve_rng_keys(count)
        return fun(*args, **kwargs)

    return wrapper
