"""``jax.lax.scan`` that compiles a loop once, not once per call, when run eagerly.

Outside any JAX transform, ``jax.lax.scan`` runs its loop as a compiled XLA
program that JAX caches by the identity of the body function. Haiku's loops
(:func:`hk.scan`, :func:`hk.layer_stack`, and through them ``dynamic_unroll``)
make a new body function on every call, so an un-jitted ``init`` or ``apply``
of a model with a loop would compile that loop again on every call.

:func:`scan` traces the body to a jaxpr (as ``jax.lax.scan`` does) and keys
the compiled loop by what the body computes: the jaxpr's text, the pytree
structures and the loop options. The arrays the body closes over (the
parameters, ...) are arguments of the compiled loop, not constants baked into
it, so a new call with the same program and new values compiles nothing:

>>> w = jnp.arange(3.)
>>> def step(c, x):
...   return c + w * x, c
>>> carry, ys = scan(step, jnp.zeros(3), jnp.ones([4, 3]))
>>> print(carry)
[0. 4. 8.]

Under a transform (the carry or the inputs are tracers) it is
``jax.lax.scan`` itself.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from haiku._src import jax_compat

__all__ = ["scan"]

# Compiled loops kept (least recently used ones are dropped first).
CACHE_SIZE = 256

_cache: collections.OrderedDict[tuple[Any, ...], Callable[..., Any]] = collections.OrderedDict()
_cache_lock = threading.Lock()


def scan(
    f: Callable[[Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
) -> tuple[Any, Any]:
    """:func:`jax.lax.scan` with eager calls of the same program compiled once.

    Args:
      f: The loop body, ``(carry, x) -> (carry, y)``.
      init: The initial carry.
      xs: The values to loop over (leading axis).
      length: The number of steps, if ``xs`` has no leaves.
      reverse: Whether to run from the last step to the first.
      unroll: As for :func:`jax.lax.scan`.

    Returns:
      The final carry and the stacked ``y``, as :func:`jax.lax.scan` returns.
    """
    options: dict[str, Any] = {"length": length, "reverse": reverse, "unroll": unroll}
    if jax_compat.has_tracer((init, xs)) or any(jnp.ndim(x) == 0 for x in jax.tree.leaves(xs)):
        # Under a transform, or inputs jax.lax.scan rejects (with its error).
        return jax.lax.scan(f, init, xs, **options)
    x_shapes = jax.tree.map(_step_shape, xs)
    closed, out_shapes = jax.make_jaxpr(f, return_shape=True)(init, x_shapes)
    init_leaves, carry_tree = jax.tree.flatten(init)
    if not (isinstance(out_shapes, tuple) and len(out_shapes) == 2) or (
        jax.tree.structure(out_shapes[0]) != carry_tree  # type: ignore[operator]
    ):
        # A malformed body: let jax.lax.scan raise its own error.
        return jax.lax.scan(f, init, xs, **options)
    y_tree = jax.tree.structure(out_shapes[1])
    jaxpr, consts = jax_compat.open_jaxpr(closed), jax_compat.jaxpr_consts(closed)
    if jax_compat.has_tracer(consts):
        # Concrete inputs but a body closing over tracers: a transform is in
        # progress, so the loop is traced into it, as jax.lax.scan would.
        loop = _loop(jaxpr, len(init_leaves), options, jit=False)
    else:
        key = (
            str(jaxpr),
            tuple(_unprinted_params(jaxpr)),
            carry_tree,
            jax.tree.structure(xs),
            y_tree,
            # With their types: unroll=True must not find the loop of unroll=1.
            *((type(value), value) for value in options.values()),
        )
        loop = _cached_loop(key, jaxpr, len(init_leaves), options)
    carry, ys = loop(consts, init_leaves, jax.tree.leaves(xs))
    if jax_compat.scan_returns_unchanged_carry():
        # As this JAX's jax.lax.scan: a carry the body returns unchanged is
        # the initial value itself (a Python scalar stays one).
        invars, outvars = jaxpr.invars, jaxpr.outvars
        carry = [
            init_leaves[i] if outvars[i] is invars[i] else leaf for i, leaf in enumerate(carry)
        ]
    return jax.tree.unflatten(carry_tree, carry), jax.tree.unflatten(y_tree, ys)


# Parameters of custom_jvp/custom_vjp calls that only differentiation uses.
# The cached loops run forward on concrete values, never under a JAX
# transform, so they can share a loop whatever these are.
_DIFFERENTIATION_RULES = frozenset(
    {"jvp_jaxpr_fun", "jvp_jaxpr_thunk", "fwd_jaxpr_thunk", "bwd", "out_trees", "symbolic_zeros"}
)
_PRINTED_TYPES = (str, int, float, complex, bool, type(None), np.dtype)


def _unprinted_params(jaxpr: Any) -> Iterator[Any]:
    """The equation parameters the jaxpr's text may not capture, recursively.

    Python callables (``jax.pure_callback``, ``jax.debug.callback``, ...),
    shardings, meshes and other objects: they join the cache key by their own
    equality, so two bodies differing only in them never share a loop (an
    unhashable one makes the key unhashable: that loop is not cached).
    """
    for eqn in jaxpr.eqns:
        for name, value in eqn.params.items():
            if name not in _DIFFERENTIATION_RULES:
                yield from _unprinted_values(value)


def _unprinted_values(value: Any) -> Iterator[Any]:
    if isinstance(value, jax_compat.jaxpr_types()):
        yield from _unprinted_params(jax_compat.open_jaxpr(value))
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _unprinted_values(item)
    elif not isinstance(value, _PRINTED_TYPES):
        yield value


def _cached_loop(
    key: tuple[Any, ...], jaxpr: Any, num_carry: int, options: dict[str, Any]
) -> Callable[..., Any]:
    try:
        hash(key)
    except TypeError:
        return _loop(jaxpr, num_carry, options, jit=True)
    with _cache_lock:
        loop = _cache.get(key)
        if loop is not None:
            _cache.move_to_end(key)
            return loop
        loop = _cache[key] = _loop(jaxpr, num_carry, options, jit=True)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
        return loop


def _loop(jaxpr: Any, num_carry: int, options: dict[str, Any], jit: bool) -> Callable[..., Any]:
    """``(consts, carry_leaves, x_leaves) -> (carry_leaves, y_leaves)`` running ``jaxpr``."""

    def loop(consts: list[Any], carry: list[Any], xs: list[Any]) -> tuple[Any, Any]:
        def step(c: list[Any], x: list[Any]) -> tuple[list[Any], list[Any]]:
            out = jax_compat.eval_jaxpr(jaxpr, consts, *c, *x)
            return list(out[:num_carry]), list(out[num_carry:])

        return jax.lax.scan(step, carry, xs, **options)

    return jax.jit(loop) if jit else loop


def _step_shape(x: Any) -> jax.ShapeDtypeStruct:
    """The shape and dtype of one step's slice of ``x``."""
    return jax.ShapeDtypeStruct(
        jnp.shape(x)[1:], jnp.result_type(x), weak_type=bool(getattr(x, "weak_type", False))
    )
