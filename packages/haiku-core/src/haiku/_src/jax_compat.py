"""The one place Haiku uses JAX beyond its stable public API.

JAX changes how it represents traces and programs between releases (the
"stackless" rewrite; ``ClosedJaxpr`` merged into ``Jaxpr`` in JAX 0.11), and
code reading those internals is what broke dm-haiku most often on JAX
upgrades. Every such use in haiku-core goes through this module, each with a
fallback for the other API; ``tests/test_jax_forward_compat.py`` fails if
another file imports ``jax.extend``, ``jax.core`` or ``jax._src``.

Traces:

* :func:`current_trace_state` returns an opaque token for the JAX trace in
  effect (the public ``jax.extend.core.get_opaque_trace_state``; older
  releases had it in ``jax.core``). Two tokens compare equal (``==``) exactly
  when they were taken under the same trace: the same ``jax.jit``/
  ``jax.vmap``/``jax.grad``/``jax.lax.cond``/... body, or both outside any
  transform. Tokens hold only a weak reference to their trace, are not
  hashable, and mean nothing but equality.

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

Programs (for ``eager_scan``, which runs a traced loop body again):

* :func:`jaxpr_types`, :func:`open_jaxpr`, :func:`jaxpr_consts` and
  :func:`eval_jaxpr` read and run what ``jax.make_jaxpr`` returns, whether
  JAX gives a ``ClosedJaxpr`` wrapping a ``Jaxpr`` or one ``Jaxpr`` holding
  its constants.
* :func:`scan_returns_unchanged_carry` says whether this JAX's
  ``jax.lax.scan`` returns a carry its body passes through as it was given (a
  Python scalar stays one; JAX 0.6.0 returns an array).

Meshes (for ``hk.experimental.partitioning``), whose API moved after JAX 0.6:

* :func:`shard_map` is ``jax.shard_map`` (``jax.experimental.shard_map``'s
  ``shard_map`` before JAX 0.7, whose ``check_rep`` is ``check_vma`` now).
* :func:`set_mesh` enters a mesh as the context of ``jax.jit`` and
  ``PartitionSpec`` shardings (``jax.set_mesh``; ``jax.sharding.use_mesh``
  before JAX 0.7).
* :func:`active_mesh` is the mesh :func:`set_mesh` entered, or ``None``.

>>> outside = current_trace_state()
>>> same_trace(outside, current_trace_state())
True
>>> jax.jit(lambda x: same_trace(outside, current_trace_state()) or x)(1)
Array(1, dtype=int32, weak_type=True)
"""

from __future__ import annotations

import contextlib
import functools
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
    try:  # Its public home from JAX 0.7.
        from jax.extend.core import get_opaque_trace_state as _get_opaque_trace_state
    except ImportError:  # JAX 0.6.
        from jax.core import get_opaque_trace_state as _get_opaque_trace_state

try:
    _Tracer: type = jax.core.Tracer
except AttributeError:  # pragma: no cover - a JAX that no longer exports it there.
    from jax._src.core import Tracer as _Tracer

_eval_jaxpr: Callable[..., list[Any]] | None = getattr(jax.core, "eval_jaxpr", None)

_set_xla_metadata: Callable[..., Any] | None
try:
    from jax.experimental.xla_metadata import set_xla_metadata as _set_xla_metadata
except ImportError:  # pragma: no cover - a JAX release without it.
    _set_xla_metadata = None

__all__ = [
    "TraceState",
    "active_mesh",
    "current_trace_state",
    "eval_jaxpr",
    "has_tracer",
    "jaxpr_consts",
    "jaxpr_types",
    "open_jaxpr",
    "same_trace",
    "scan_returns_unchanged_carry",
    "separate_trace_caches",
    "set_mesh",
    "shard_map",
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
    return any(isinstance(leaf, _Tracer) for leaf in jax.tree.leaves(tree))


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


@functools.cache
def jaxpr_types() -> tuple[type, ...]:
    """The classes of JAX programs: ``ClosedJaxpr`` (before JAX 0.11) and ``Jaxpr``."""
    import jax.extend.core as jex  # On first use: importing it costs start-up time.

    # From JAX 0.11 ClosedJaxpr, where it remains, is Jaxpr itself.
    closed = getattr(jex, "ClosedJaxpr", None)
    return tuple(dict.fromkeys(cls for cls in (closed, jex.Jaxpr) if isinstance(cls, type)))


def open_jaxpr(jaxpr: Any) -> Any:
    """The program of ``jaxpr`` (what ``jax.make_jaxpr`` returns), without values.

    A ``ClosedJaxpr``'s ``.jaxpr``; a ``Jaxpr`` that holds its constants (JAX
    0.11 on) is its own program.
    """
    return getattr(jaxpr, "jaxpr", jaxpr)


def jaxpr_consts(jaxpr: Any) -> list[Any]:
    """The values of the constants ``jaxpr`` closes over (none for an open one)."""
    return list(getattr(jaxpr, "consts", ()))


def eval_jaxpr(jaxpr: Any, consts: list[Any], *args: Any) -> list[Any]:
    """Runs the program ``open_jaxpr(...)`` on ``consts`` and ``args``; its outputs."""
    if _eval_jaxpr is not None:
        return _eval_jaxpr(jaxpr, consts, *args)
    return _eval_closed_jaxpr(jaxpr, consts, *args)  # pragma: no cover - see its test.


def _eval_closed_jaxpr(jaxpr: Any, consts: list[Any], *args: Any) -> list[Any]:
    """:func:`eval_jaxpr` for a JAX without ``jax.core.eval_jaxpr``."""
    import jax.extend.core as jex

    return jex.jaxpr_as_fun(jex.ClosedJaxpr(jaxpr, consts))(*args)


def scan_returns_unchanged_carry() -> bool:
    """Whether eager ``jax.lax.scan`` returns a passed-through carry as given.

    JAX 0.6.0 returns an array for a Python scalar carry that the body
    returns unchanged; 0.6.1 and later return the scalar itself (checked on
    each release from 0.6.0 to 0.10.2). A version test, not a probe: a probe
    would compile a loop.
    """
    return jax.__version_info__ > (0, 6, 0)


def shard_map(f: Callable[..., Any], *, mesh: Any, in_specs: Any, out_specs: Any,
              check_vma: bool = True) -> Callable[..., Any]:
    """``jax.shard_map(f, mesh=..., in_specs=..., out_specs=..., check_vma=...)``."""
    new = getattr(jax, "shard_map", None)
    if new is not None:
        return new(f, mesh=mesh, in_specs=in_specs, out_specs=out_specs, check_vma=check_vma)
    from jax.experimental.shard_map import shard_map as old  # JAX 0.6.

    return old(f, mesh=mesh, in_specs=in_specs, out_specs=out_specs, check_rep=check_vma)


def set_mesh(mesh: Any) -> contextlib.AbstractContextManager[Any]:
    """``with set_mesh(mesh):`` is ``with jax.set_mesh(mesh):`` on every supported JAX."""
    new = getattr(jax, "set_mesh", None)
    return new(mesh) if new is not None else getattr(jax.sharding, "use_mesh")(mesh)  # JAX 0.6.


def active_mesh() -> Any:
    """The (abstract) mesh entered with :func:`set_mesh`, or ``None`` outside one."""
    mesh = jax.sharding.get_abstract_mesh()
    return None if mesh is None or mesh.empty else mesh
