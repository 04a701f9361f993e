"""The one place Haiku reads JAX's trace state.

JAX changes how it represents traces between releases (it did so in the
"stackless" rewrite), and code reading trace internals is what broke
dm-haiku most often on JAX upgrades. Everything Haiku needs to know about
traces goes through this module, built on JAX's public API only:

* :func:`current_trace_state` returns an opaque token for the JAX trace in
  effect (the public ``jax.extend.core.get_opaque_trace_state``; older
  releases had it in ``jax.core``). Two tokens compare equal (``==``) exactly when they were taken
  under the same trace: the same ``jax.jit``/``jax.vmap``/``jax.grad``/
  ``jax.lax.cond``/... body, or both outside any transform.

Tokens hold only a weak reference to their trace, are not hashable, and mean
nothing but equality.

* :func:`has_tracer` says whether a pytree holds a JAX tracer (a value being
  traced by a transform rather than a concrete array).

* :func:`separate_trace_caches` keeps what JAX traces inside a block out of
  the caches used outside it. JAX caches traced functions (``jax.jit``
  targets, ``lax.scan`` bodies, ...) by function, argument types and trace
  context; a block that traces with changed semantics (``fast_eval_shape``
  makes initializers zeros) must not leave entries that an ordinary
  ``jax.jit`` later reuses. The block gets XLA metadata
  (``jax.experimental.xla_metadata.set_xla_metadata``), which is part of the
  trace context and changes no shape; were it gone, JAX's caches are cleared
  after the block instead (``jax.clear_caches``: correct, but slower).

>>> outside = current_trace_state()
>>> same_trace(outside, current_trace_state())
True
>>> jax.jit(lambda x: same_trace(outside, current_trace_state()) or x)(1)
Array(1, dtype=int32, weak_type=True)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import jax

try:
    # The function JAX exports as jax.extend.core.get_opaque_trace_state,
    # imported from where it is defined: importing jax.extend runs its package
    # __init__, which imports Pallas (about 35 ms, most of Haiku's start-up).
    # tests/test_jax_compat.py checks it is the public function.
    from jax._src.core import get_opaque_trace_state as _get_opaque_trace_state
except ImportError:  # pragma: no cover - a JAX that moved it.
    try:  # JAX >= 0.4.36: the public home.
        from jax.extend.core import get_opaque_trace_state as _get_opaque_trace_state
    except ImportError:  # Older JAX releases.
        from jax.core import get_opaque_trace_state as _get_opaque_trace_state

_set_xla_metadata: Callable[..., Any] | None
try:
    from jax.experimental.xla_metadata import set_xla_metadata as _set_xla_metadata
except ImportError:  # pragma: no cover - a JAX release without it.
    _set_xla_metadata = None

__all__ = [
    "TraceState",
    "current_trace_state",
    "has_tracer",
    "same_trace",
    "separate_trace_caches",
]

TraceState = Any
"""An opaque token for a JAX trace: compare two with :func:`same_trace`."""


def current_trace_state() -> TraceState:
    """A token for the JAX trace in effect where this is called."""
    return _get_opaque_trace_state(convention="haiku")


def same_trace(a: TraceState, b: TraceState) -> bool:
    """Whether two tokens of :func:`current_trace_state` name the same trace."""
    return bool(a == b)


def has_tracer(tree: Any) -> bool:
    """Whether a leaf of ``tree`` is a JAX tracer (``jax.core.Tracer``)."""
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(tree))


@contextlib.contextmanager
def separate_trace_caches(tag: str) -> Iterator[None]:
    """Traces in the block neither use nor fill the trace caches used outside it.

    Args:
      tag: A name for blocks of one kind (an identifier); blocks with the same
        tag share their caches.
    """
    if _set_xla_metadata is not None:
        with _set_xla_metadata(**{tag: "1"}):
            yield
        return
    try:  # pragma: no cover - see the module docstring.
        yield
    finally:
        jax.clear_caches()
