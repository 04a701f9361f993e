"""Test helpers: :func:`transform_and_run`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import jax

from haiku._src.transform import transform_with_state

__all__ = ["transform_and_run"]

Fn = TypeVar("Fn", bound=Callable[..., Any])
Key = jax.Array


def transform_and_run(
    f: Fn | None = None,
    seed: int | None = 42,
    run_apply: bool = True,
    jax_transform: Callable[[Fn], Fn] | None = None,
    *,
    map_rng: Callable[[Key], Key] | None = None,
) -> Any:
    """Transforms the given function and runs init then (optionally) apply.

    ``transform_and_run(f)(*a)`` is equivalent to::

      f = hk.transform_with_state(lambda: f(*a))
      params, state = f.init(jax.random.PRNGKey(seed))
      out, state = f.apply(params, state, jax.random.PRNGKey(seed + 1))

    and returns ``out`` (``None`` when ``run_apply=False``). It makes Haiku
    code easy to unit test:

    >>> @hk.testing.transform_and_run
    ... def linear_output_rank():
    ...   w = hk.get_parameter("w", [2, 3], init=jnp.ones)
    ...   return (jnp.ones([1, 2]) @ w).ndim
    >>> linear_output_rank()
    2

    Use it as a decorator with or without arguments. ``jax_transform`` (e.g.
    ``jax.jit`` or ``jax.pmap``) wraps ``init`` and ``apply``; ``map_rng``
    maps the keys before they are passed (e.g. to give each device a key).

    Args:
      f: A function method to transform.
      seed: A seed to pass to init and apply (``None`` for no key).
      run_apply: Whether to run apply as well as init. Defaults to true.
      jax_transform: An optional jax transform to apply on the init and apply
        functions.
      map_rng: If set, maps the init and apply keys before use.

    Returns:
      A function that transforms ``f`` and runs init and optionally apply.
    """
    if f is None:
        return functools.partial(
            transform_and_run,
            seed=seed,
            run_apply=run_apply,
            jax_transform=jax_transform,
            map_rng=map_rng,
        )

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        init, apply = transform_with_state(lambda: f(*args, **kwargs))
        if jax_transform is not None:
            init, apply = jax_transform(init), jax_transform(apply)  # type: ignore[arg-type]
        init_key = apply_key = None
        if seed is not None:
            init_key, apply_key = jax.random.PRNGKey(seed), jax.random.PRNGKey(seed + 1)
            if map_rng is not None:
                init_key, apply_key = map_rng(init_key), map_rng(apply_key)
        params, state = init(init_key)
        if not run_apply:
            return None
        out, _ = apply(params, state, apply_key)
        return out

    return wrapper
