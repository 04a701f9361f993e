"""The one place Haiku reads JAX's trace state.

JAX changes how it represents traces between releases (it did so in the
"stackless" rewrite), and code reading trace internals is what broke
dm-haiku most often on JAX upgrades. Everything Haiku needs to know about
traces goes through this module, built on JAX's public API only:

* :func:`current_trace_state` returns an opaque token for the JAX trace in
  effect (``jax.extend.core.get_opaque_trace_state``; older releases had it in
  ``jax.core``). Two tokens compare equal (``==``) exactly when they were taken
  under the same trace: the same ``jax.jit``/``jax.vmap``/``jax.grad``/
  ``jax.lax.cond``/... body, or both outside any transform.

Tokens hold only a weak reference to their trace, are not hashable, and mean
nothing but equality.

>>> outside = current_trace_state()
>>> same_trace(outside, current_trace_state())
True
>>> jax.jit(lambda x: same_trace(outside, current_trace_state()) or x)(1)
Array(1, dtype=int32, weak_type=True)
"""

from __future__ import annotations

from typing import Any

try:  # JAX >= 0.4.36 exposes it here (its home in JAX 0.10).
    from jax.extend.core import get_opaque_trace_state as _get_opaque_trace_state
except ImportError:  # pragma: no cover - older JAX releases.
    from jax.core import get_opaque_trace_state as _get_opaque_trace_state

__all__ = ["TraceState", "current_trace_state", "same_trace"]

TraceState = Any
"""An opaque token for a JAX trace: compare two with :func:`same_trace`."""


def current_trace_state() -> TraceState:
    """A token for the JAX trace in effect where this is called."""
    return _get_opaque_trace_state(convention="haiku")


def same_trace(a: TraceState, b: TraceState) -> bool:
    """Whether two tokens of :func:`current_trace_state` name the same trace."""
    return bool(a == b)
