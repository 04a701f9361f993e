"""Passing a frame's state into a JAX transform and merging what changed back.

Inside a transformed function, parameters, state and the random key sequence
live in the current frame, outside JAX. A raw JAX transform (``jax.grad``,
``jax.lax.cond``, ``jax.lax.scan``, ...) traces the function it is given in a
new JAX trace, so any value that function writes to the frame would escape
that trace. The wrappers of :mod:`haiku._src.stateful_transforms` and
:mod:`haiku._src.control_flow` therefore make the
function pure:

* :func:`state_in` reads what the function may read besides parameters (the
  current state values and the random key sequence) as a :class:`StateIn`;
* :func:`pure_function` turns ``fun(*args)`` into
  ``pure(state_in, *args) -> (out, StateOut)``: while it runs, the frame holds
  the given values, and it returns what changed (parameters created, state
  created or set, the advanced key sequence) as a :class:`StateOut`;
* :func:`update_frame` merges a :class:`StateOut` back into the frame.

Parameters are never inputs: the traced function reads them by closure, so
the jitted program of a Haiku model is the program of the same model written
by hand.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, TypeVar

import jax

from haiku._src import base, jax_usage
from haiku._src.base import Frame, StatePair
from haiku._src.rng import PRNGSequence, PRNGSequenceState

__all__ = [
    "StateIn",
    "StateOut",
    "current_frame",
    "isolated_names",
    "one_pending_key",
    "pure_function",
    "rng_used",
    "state_in",
    "update_frame",
]

T = TypeVar("T")

StateValues = dict[str, dict[str, Any]]


class StateIn(NamedTuple):
    """What a wrapped function reads from the frame besides parameters."""

    state: StateValues  # module name -> state name -> current value
    rng: PRNGSequenceState | None


class StateOut(NamedTuple):
    """What a wrapped function wrote: values to merge back into the frame."""

    params: StateValues  # parameters created inside
    state: dict[str, dict[str, StatePair]]  # state created (full pair) or set (initial None)
    rng: PRNGSequenceState | None


def _outside(jax_name: str, caller: str = "", parens: str = "()") -> str:
    """dm-haiku's words for ``hk.<caller>`` used outside a transform."""
    caller = caller or jax_name.rpartition(".")[2]
    return (f"hk.{caller}() should not be used outside of hk.transform{parens}. "
            f"Use {jax_name}() instead.")


# dm-haiku's message, verbatim, for each wrapper used outside a transform
# (hk.value_and_grad and hk.map say what hk.grad and hk.scan say in dm-haiku,
# which implements them with those), then what we add.
_OUTSIDE = {
    "grad": _outside("jax.grad"),
    "value_and_grad": _outside("jax.grad", "grad")
    + " (Here hk.value_and_grad: use jax.value_and_grad.)",
    "remat": _outside("jax.remat", parens=""),
    "eval_shape": _outside("jax.eval_shape"),
    "cond": _outside("jax.cond"),
    "switch": _outside("jax.switch"),
    "scan": _outside("jax.lax.scan"),
    "map": _outside("jax.lax.scan", "scan") + " (Here hk.map: use jax.lax.map.)",
    "fori_loop": _outside("jax.lax.fori_loop"),
    "while_loop": "`hk.params_frozen` must be used as part of an `hk.transform` (hk.while_loop "
    "was called outside one: use jax.lax.while_loop there).",
}


def current_frame(caller: str) -> Frame:
    """The current frame; dm-haiku's error for ``hk.<caller>`` outside a transform."""
    if not base.inside_transform() and caller in _OUTSIDE:
        raise ValueError(_OUTSIDE[caller])
    return base.current_frame(f"hk.{caller}")  # "`hk.vmap` must be used as part of ..."


def state_in(frame: Frame) -> StateIn:
    """The frame's current state values and random key sequence state."""
    rng = frame.rng_stack[-1]
    state = {m: {k: pair.current for k, pair in b.items()} for m, b in frame.state.items()}
    return StateIn(state, None if rng is None else rng.internal_state)


@contextlib.contextmanager
def isolated_names(frame: Frame) -> Iterator[None]:
    """Forgets the names of the modules constructed in the block.

    As in dm-haiku, a function run under a Haiku JAX transform or control
    flow (all but :func:`haiku.remat`) names the modules it constructs from
    the names taken before it, and the names it takes are free again after
    it: the function's ``Linear()`` and the next one after it are both
    ``linear_1`` (and share their parameters). This also lets the first step
    of ``hk.scan`` run once outside the loop at init and name its modules as
    the loop body does.

    Only the innermost method call's naming tables can change in the block
    (the calls it makes are popped by its end), so only they are saved.
    """
    index = len(frame.counter_stack) - 1
    counters, used = frame.counter_stack[index], frame.used_names_stack[index]
    saved = (
        None if counters is None else counters.copy(),
        None if used is None else set(used),
    )
    try:
        yield
    finally:
        frame.counter_stack[index], frame.used_names_stack[index] = saved


@contextlib.contextmanager
def _temporary_state(
    frame: Frame, given: StateIn, isolate_names: bool
) -> Iterator[Callable[[], StateOut]]:
    """Runs the block on a copy of the frame holding ``given``.

    Yields a function returning the changes made in the block. On exit the
    frame is as it was before the block, whatever happened in it (module
    names taken in it included, if ``isolate_names``). Haiku side effects are
    allowed in the JAX trace the block runs in (see
    ``hk.experimental.check_jax_usage``).
    """
    saved_params, saved_state, saved_rng = frame.params, frame.state, frame.rng_stack
    frame.params = {m: dict(b) for m, b in saved_params.items()}
    frame.state = {m: {k: StatePair(v, v) for k, v in b.items()} for m, b in given.state.items()}
    rng = None
    if given.rng is not None:
        rng = PRNGSequence(given.rng[0])
        rng.replace_internal_state(given.rng)
    frame.rng_stack = saved_rng[:-1] + [rng]

    def changes() -> StateOut:
        params = {}
        for m, bundle in frame.params.items():
            outer = saved_params.get(m, {})
            new = {k: v for k, v in bundle.items() if k not in outer}
            if new:
                params[m] = new
        state = {}
        for m, bundle in frame.state.items():
            outer = given.state.get(m, {})
            entries = {}
            for k, pair in bundle.items():
                if k not in outer:
                    entries[k] = pair  # created inside: its initial value too
                elif pair.current is not outer[k]:
                    entries[k] = StatePair(None, pair.current)  # initial stays outside
            if entries:
                state[m] = entries
        rng_out = frame.rng_stack[-1]
        return StateOut(params, state, None if rng_out is None else rng_out.internal_state)

    try:
        with contextlib.ExitStack() as stack:
            if isolate_names:
                stack.enter_context(isolated_names(frame))
            stack.enter_context(jax_usage.allow_haiku_side_effects())
            yield changes
    finally:
        frame.params, frame.state, frame.rng_stack = saved_params, saved_state, saved_rng


def pure_function(
    frame: Frame, fun: Callable[..., T], *, isolate_names: bool = True
) -> Callable[..., tuple[T, StateOut]]:
    """``fun(*a, **k)`` as ``pure(state_in, *a, **k) -> (out, state_out)``.

    With ``isolate_names`` (see :func:`isolated_names`), the names of the
    modules ``fun`` constructs are free again after each call.
    """

    def pure(given: StateIn, *args: Any, **kwargs: Any) -> tuple[T, StateOut]:
        with _temporary_state(frame, given, isolate_names) as changes:
            out = fun(*args, **kwargs)
            return out, changes()

    return pure


def update_frame(frame: Frame, out: StateOut) -> None:
    """Merges the changes of a wrapped function back into the frame."""
    for m, bundle in out.params.items():
        frame.params.setdefault(m, {}).update(bundle)
    for m, bundle in out.state.items():
        target = frame.state.setdefault(m, {})
        for k, pair in bundle.items():
            old = target.get(k)
            initial = pair.initial if old is None else old.initial
            target[k] = StatePair(initial, pair.current)
    rng = frame.rng_stack[-1]
    if rng is not None and out.rng is not None:
        rng.replace_internal_state(out.rng)


def one_pending_key(rng: PRNGSequenceState | None) -> PRNGSequenceState | None:
    """The key sequence state control flow carries: exactly one reserved key.

    A loop carry (and the outputs of the branches of a conditional) must have
    the same structure whatever the body did, but drawing a key changes the
    number of reserved keys. As dm-haiku does, control flow keeps exactly one
    reserved key: with none, it splits one off exactly as ``next`` would (so
    the keys drawn are the same as without control flow); with more, it
    keeps the first and drops the others.
    """
    if rng is None:
        return None
    key, subkeys = rng
    if subkeys:
        return key, tuple(subkeys[:1])
    key, subkey = jax.random.split(key)
    return key, (subkey,)


def rng_used(given: PRNGSequenceState | None, out: PRNGSequenceState | None) -> bool:
    """Whether a function drew keys (or reserved some): its output state is new."""
    if given is None or out is None:
        return False
    (key, subkeys), (out_key, out_subkeys) = given, out
    return (
        out_key is not key
        or len(out_subkeys) != len(subkeys)
        or any(a is not b for a, b in zip(subkeys, out_subkeys))
    )


def created_names(changes: StateOut, given: StateIn) -> list[str]:
    """``module/name`` of the parameters and state a function created."""
    names = [f"{m}/{k}" for m, bundle in changes.params.items() for k in bundle]
    names += [
        f"{m}/{k}"
        for m, bundle in changes.state.items()
        for k in bundle
        if k not in given.state.get(m, {})
    ]
    return sorted(names)
