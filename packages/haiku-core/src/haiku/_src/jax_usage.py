"""``hk.experimental.check_jax_usage``: catching raw JAX transforms over Haiku side effects.

A Haiku side effect (creating or reading a parameter, reading or writing
state, drawing a random key) writes to the current frame, which lives outside
JAX. Done under a raw JAX transform or control flow primitive (``jax.vmap``,
``jax.jit``, ``jax.lax.cond``, ...) opened inside the transformed function, the
value written belongs to that inner trace and leaks out of it. The Haiku
wrappers (``hk.vmap``, ``hk.cond``, ...) avoid this by passing the frame's
contents in and out of the function they hand to JAX.

The check works with trace tokens (see :mod:`haiku._src.jax_compat`): a stack
holds the trace of each place where side effects are allowed, innermost last.

* :func:`haiku._src.base.new_frame` pushes the trace an ``init``/``apply`` call
  starts in.
* Every Haiku wrapper enters :func:`allow_haiku_side_effects` inside the
  function it hands to JAX, pushing that inner trace.
* With the check enabled, each side-effecting function of
  :mod:`haiku._src.base` calls :func:`check`, which raises
  :class:`JaxUsageError` unless the trace in effect is the innermost allowed
  one. Disabled, the check costs the side-effecting functions one read of
  ``hk.config``.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from haiku._src.jax_compat import TraceState, current_trace_state, same_trace

__all__ = ["JaxUsageError", "allow_haiku_side_effects", "check", "pop_trace", "push_trace"]


class JaxUsageError(ValueError):
    """Raised when a raw JAX transform is used over Haiku side effects.

    Only raised while :func:`haiku.experimental.check_jax_usage` is enabled.
    """


JaxUsageError.__module__ = "haiku"

# The traces where Haiku side effects are allowed, innermost last.
_ALLOWED_TRACES: contextvars.ContextVar[tuple[TraceState, ...]] = contextvars.ContextVar(
    "haiku_allowed_traces", default=()
)


def push_trace() -> contextvars.Token[tuple[TraceState, ...]]:
    """Allows side effects in the trace in effect; undo with :func:`pop_trace`."""
    return _ALLOWED_TRACES.set(_ALLOWED_TRACES.get() + (current_trace_state(),))


def pop_trace(token: contextvars.Token[tuple[TraceState, ...]]) -> None:
    """Undoes the :func:`push_trace` that returned ``token``."""
    _ALLOWED_TRACES.reset(token)


@contextlib.contextmanager
def allow_haiku_side_effects() -> Iterator[None]:
    """Allows Haiku side effects in the JAX trace in effect, for the block.

    Every Haiku wrapper of a JAX transform or control flow primitive enters
    this inside the function it hands to JAX, where it has made that function
    pure by passing the frame's contents in and out of it:

    >>> def wrapped(x):  # What e.g. hk.vmap hands to jax.vmap.
    ...   with allow_haiku_side_effects():
    ...     return hk.get_parameter("w", [], init=jnp.ones) * x
    >>> with hk.config.context(check_jax_usage=True):
    ...   print(jax.vmap(wrapped)(jnp.arange(2.)))
    [0. 1.]
    """
    token = push_trace()
    try:
        yield
    finally:
        pop_trace(token)


_MESSAGE = """\
`{caller}` was called inside a raw JAX transform or control flow primitive \
(e.g. `jax.vmap`, `jax.jit`, `jax.grad`, `jax.lax.cond`, `jax.lax.scan`) that \
was itself called inside a Haiku transformed function.

Functions using `{caller}` have side effects: they read or write the \
parameters, state or random keys of the enclosing `hk.transform`. JAX \
transforms and control flow expect pure functions, so whatever the function \
writes would leak out of the JAX trace.

What to do: use the Haiku version of the JAX function (`hk.vmap`, `hk.grad`, \
`hk.value_and_grad`, `hk.remat`, `hk.eval_shape`, `hk.cond`, `hk.switch`, \
`hk.scan`, `hk.map`, `hk.fori_loop`, `hk.while_loop`), which makes the function \
pure before calling JAX; to apply a JAX transform to whole parameters or \
modules use `hk.lift`, or apply it to the transformed `init`/`apply` \
functions (e.g. `jax.jit(f.apply)`) instead.

(This check is on because of `hk.experimental.check_jax_usage(True)` or \
`hk.config.context(check_jax_usage=True)`.)"""


def check(caller: str) -> None:
    """Raises :class:`JaxUsageError` unless side effects are allowed here.

    Args:
      caller: The public name of the side-effecting function, for the message.
    """
    allowed = _ALLOWED_TRACES.get()
    if allowed and not same_trace(allowed[-1], current_trace_state()):
        raise JaxUsageError(_MESSAGE.format(caller=caller))
