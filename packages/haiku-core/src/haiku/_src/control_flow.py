"""Control flow that threads Haiku state in and out: ``hk.cond``, ``hk.scan``, ...

Like the transforms of :mod:`haiku._src.stateful_transforms`, each wrapper
hands JAX a pure version of the user's function (see
:mod:`haiku._src.state_passing`) and merges what it changed back into the
frame.

Control flow carries the key sequence with exactly one reserved key (see
:func:`haiku._src.state_passing.one_pending_key`); the keys drawn inside are
the keys the same draws would give without control flow, as in dm-haiku.
Modules constructed inside are named from the names taken before the
wrapper, and those names are free again after it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import jax
import jax.numpy as jnp

from haiku._src import eager_scan
from haiku._src.base import Frame, StatePair
from haiku._src.state_passing import (
    StateIn,
    StateOut,
    created_names,
    current_frame,
    isolated_names,
    one_pending_key,
    pure_function,
    rng_used,
    state_in,
    update_frame,
)

__all__ = ["cond", "fori_loop", "map", "scan", "switch", "while_loop"]

T = TypeVar("T")


def _branches(
    frame: Frame,
    caller: str,
    funs: Sequence[Callable[..., Any]],
    run: Callable[[StateIn, list[Callable[..., Any]]], tuple[Any, StateOut]],
) -> Any:
    """Runs ``run(given, pure_branches)`` (a ``jax.lax`` conditional) and merges its state.

    Every branch returns the full state and the key sequence with one reserved
    key, so the branches' outputs have the same structure. At init, branches
    may create parameters and state only if all of them create the same.
    """
    given = state_in(frame)
    given = given._replace(rng=one_pending_key(given.rng))
    created: dict[int, list[str]] = {}

    def make(index: int, fun: Callable[..., Any]) -> Callable[..., Any]:
        pure = pure_function(frame, fun)

        def branch(given: StateIn, *operands: Any):
            out, changes = pure(given, *operands)
            created[index] = created_names(changes, given)
            state = {
                m: {k: StatePair(None, v) for k, v in bundle.items()}
                for m, bundle in given.state.items()
            }
            for m, bundle in changes.state.items():
                state.setdefault(m, {}).update(bundle)
            return out, StateOut(changes.params, state, one_pending_key(changes.rng))

        return branch

    try:
        out, changes = run(given, [make(i, f) for i, f in enumerate(funs)])
    except TypeError as e:
        if len({tuple(names) for names in created.values()}) > 1:
            what = "; ".join(f"branch {i} created {names}" for i, names in sorted(created.items()))
            raise ValueError(
                f"hk.{caller}: parameters and state can be created inside branches only "
                f"if every branch creates the same ones ({what}). Create them before "
                f"the hk.{caller}, e.g. by calling every branch unconditionally when "
                "hk.running_init() is true."
            ) from e
        raise
    update_frame(frame, changes)
    return out


_NO_OPERAND = object()


def cond(
    pred: Any,
    true_fun: Callable[..., Any],
    false_fun: Callable[..., Any],
    *operands: Any,
    operand: Any = _NO_OPERAND,
    linear: Any = None,
) -> Any:
    """Conditionally apply ``true_fun`` or ``false_fun``, with Haiku state.

    Equivalent to :func:`jax.lax.cond`: only the chosen branch runs, and the
    state it sets (and the random keys it draws) reach the enclosing
    transform.

    >>> def f(x):
    ...   n = hk.get_state("n", [], init=jnp.zeros)
    ...   return hk.cond(x > 0, lambda: hk.set_state("n", n + 1), lambda: None)
    >>> f = hk.transform_with_state(f)
    >>> params, state = f.init(None, 1.)
    >>> _, state = f.apply(params, state, None, 1.)
    >>> _, state = f.apply(params, state, None, -1.)
    >>> print(state["~"]["n"])
    1.0

    At init, the branches may create parameters and state only if both
    create the same ones (e.g. both call the same module); otherwise create
    them before the ``cond`` (see :func:`haiku.running_init`).

    Args:
      pred: Boolean scalar type, indicating which branch function to apply.
      true_fun: Function (A -> B), to be applied if ``pred`` is True.
      false_fun: Function (A -> B), to be applied if ``pred`` is False.
      *operands: Operands (A) input to either branch.
      operand: (Deprecated) a single operand, as in old :func:`jax.lax.cond`.
      linear: Unused; kept for compatibility with :func:`jax.lax.cond`.

    Returns:
      The value of ``true_fun(*operands)`` or ``false_fun(*operands)``.
    """
    del linear
    if operand is not _NO_OPERAND:
        if operands:
            raise ValueError(
                "When the operand keyword argument is used you cannot also pass operands "
                f"positionally. Got operand={operand} and *operands={operands} (hk.cond: "
                "pass either positional operands or operand=, not both)."
            )
        operands = (operand,)
    frame = current_frame("cond")

    def run(given, branches):
        false_branch, true_branch = branches
        return jax.lax.cond(pred, true_branch, false_branch, given, *operands)

    return _branches(frame, "cond", (false_fun, true_fun), run)


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """Equivalent to :func:`jax.lax.switch` but with Haiku state passed in/out.

    Creating parameters inside a branch is not supported (unless every
    branch creates the same ones): at init, call every branch
    unconditionally, and use ``switch`` only at apply:

    >>> def f(i, x):
    ...   experts = [hk.to_module(lambda x: x * hk.get_parameter("w", [], init=jnp.ones))(name=f"e{j}")
    ...              for j in range(3)]
    ...   if hk.running_init():
    ...     return [e(x) for e in experts][0]
    ...   return hk.switch(i, experts, x)
    >>> f = hk.transform(f)
    >>> params = f.init(None, 0, 1.)
    >>> params = {"e0": {"w": 1.}, "e1": {"w": 2.}, "e2": {"w": 3.}}
    >>> print(f.apply(params, None, 2, 10.))
    30.0

    Args:
      index: Integer scalar type, indicating which branch function to apply
        (clamped to the valid range, as in :func:`jax.lax.switch`).
      branches: Sequence of functions (A -> B) to be applied based on index.
      *operands: Operands (A) input to whichever branch is applied.

    Returns:
      Value (B) of ``branch(*operands)`` for the selected branch.
    """
    frame = current_frame("switch")

    def run(given, pure_branches):
        return jax.lax.switch(index, pure_branches, given, *operands)

    return _branches(frame, "switch", tuple(branches), run)


# dm-haiku's words when hk.while_loop's body would create parameters or state.
_WHILE_LOOP_INIT = """\
hk.while_loop does not support initialization (since we cannot statically determine if your \
loop will run at least once). Please use `hk.running_init` to run the body unconditionally:

    if hk.running_init():
      # Unconditionally connect the module at init time.
      val = module(val)
    else:
      val = hk.while_loop(lambda val: val.mean() < 1, module, val)

"""


def _loop_body(frame: Frame, caller: str, fun: Callable[..., Any], lead: str = ""):
    """``fun`` as a loop body carrying the frame's state and keys as a :class:`StateIn`.

    ``lead``: dm-haiku's own words, if it has any, to start the error raised when
    the body creates parameters or state.
    """
    pure = pure_function(frame, fun)

    def body(given: StateIn, *args: Any):
        out, changes = pure(given, *args)
        created = created_names(changes, given)
        if created:
            raise ValueError(
                f"{lead}hk.{caller}: creating parameters or state inside the loop body is not "
                f"supported (it created {created}): they must exist before the loop. "
                "At init hk.scan and hk.fori_loop run the first step outside the loop "
                "for this reason; if the body constructs modules, construct them "
                "outside it (each call of the body names its modules anew); for "
                "hk.while_loop, call the body once when hk.running_init() is true."
            )
        state = {m: dict(bundle) for m, bundle in given.state.items()}
        for m, bundle in changes.state.items():
            for k, pair in bundle.items():
                state[m][k] = pair.current
        return out, StateIn(state, one_pending_key(changes.rng))

    return body


def _loop_state(frame: Frame) -> StateIn:
    given = state_in(frame)
    return given._replace(rng=one_pending_key(given.rng))


def _merge_loop_state(frame: Frame, final: StateIn) -> None:
    state = {m: {k: StatePair(None, v) for k, v in b.items()} for m, b in final.state.items()}
    update_frame(frame, StateOut({}, state, final.rng))


def scan(
    f: Callable[[Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
) -> tuple[Any, Any]:
    """Equivalent to :func:`jax.lax.scan` but with Haiku state passed in/out.

    At init the first step runs outside the scan, so parameters and state the
    body creates exist before the loop (the other steps then reuse them):

    >>> def f(xs):
    ...   def step(total, x):
    ...     total = total + x * hk.get_parameter("w", [], init=jnp.ones)
    ...     return total, total
    ...   return hk.scan(step, 0., xs)
    >>> f = hk.transform(f)
    >>> params = f.init(None, jnp.arange(4.))
    >>> print(f.apply(params, None, jnp.arange(4.)))
    (Array(6., dtype=float32), Array([0., 1., 3., 6.], dtype=float32))

    Run without ``jax.jit``, the loop is compiled once per program: calling
    ``init``/``apply`` again (new parameters, new inputs of the same shapes)
    reuses the compiled loop, where a bare :func:`jax.lax.scan` would compile
    the new body function again.

    Args:
      f: The loop body ``(carry, x) -> (carry, y)``.
      init: The initial carry.
      xs: The values scanned over (leading axis), or ``None``.
      length: The number of steps when ``xs`` is ``None``.
      reverse: Whether to scan from the end.
      unroll: How many steps to unroll per loop iteration.

    Returns:
      ``(final carry, stacked ys)``, as :func:`jax.lax.scan`.
    """
    frame = current_frame("scan")
    leaves = jax.tree.leaves(xs)
    steps = length if length is not None else (jnp.shape(leaves[0])[0] if leaves else None)
    if not frame.is_init or not steps:
        return _scan_loop(frame, f, init, xs, length, reverse, unroll)
    # The first step (the last one when reversed) runs outside the loop,
    # naming its modules as the loop body will.
    index = steps - 1 if reverse else 0
    with isolated_names(frame):
        carry, y0 = f(init, jax.tree.map(lambda x: x[index], xs))
    y0 = jax.tree.map(lambda y: jnp.expand_dims(y, 0), y0)
    if steps == 1:
        return carry, y0
    rest = jax.tree.map(lambda x: x[:-1] if reverse else x[1:], xs)
    carry, ys = _scan_loop(frame, f, carry, rest, steps - 1, reverse, unroll)
    ys = jax.tree.map(lambda y, y0: jnp.concatenate([y, y0] if reverse else [y0, y]), ys, y0)
    return carry, ys


def _scan_loop(frame, f, init, xs, length, reverse, unroll):
    body = _loop_body(frame, "scan", f)

    def scan_body(carry, x):
        given, c = carry
        (c, y), given = body(given, c, x)
        return (given, c), y

    (final, carry), ys = eager_scan.scan(
        scan_body, (_loop_state(frame), init), xs, length=length, reverse=reverse, unroll=unroll
    )
    _merge_loop_state(frame, final)
    return carry, ys


def map(fun: Callable[[Any], Any], xs: Any) -> Any:  # noqa: A001 - mirrors jax.lax.map
    """Equivalent to :func:`jax.lax.map` but with Haiku state passed in/out.

    >>> def f(xs):
    ...   return hk.map(lambda x: x * hk.get_parameter("w", [], init=jnp.ones), xs)
    >>> f = hk.transform(f)
    >>> print(f.apply(f.init(None, jnp.arange(3.)), None, jnp.arange(3.)))
    [0. 1. 2.]

    It is :func:`scan` with no carry, so at init the first element is
    computed outside the loop.

    Args:
      fun: The function applied to each slice of ``xs`` (leading axis).
      xs: The values to map over.

    Returns:
      The stacked results.
    """
    current_frame("map")  # Outside a transform: dm-haiku's hk.scan error, naming hk.map.
    return scan(lambda _, x: ((), fun(x)), (), xs)[1]


def fori_loop(lower: int, upper: int, body_fun: Callable[[int, T], T], init_val: T) -> T:
    """Equivalent to :func:`jax.lax.fori_loop` with Haiku state passed in/out.

    >>> def f(x):
    ...   return hk.fori_loop(0, 3, lambda i, x: x * hk.get_parameter("w", [], init=jnp.ones), x)
    >>> f = hk.transform(f)
    >>> print(f.apply({"~": {"w": 2.}}, None, 1.))
    8.0

    At init the first step (``i = lower``) runs outside the loop, so the
    parameters and state the body creates exist before it. As in dm-haiku it
    runs even when the loop would not (``upper <= lower``, or bounds only known
    at run time) so that the parameters are created; the result is then still
    that of the loop (``init_val`` for an empty one).

    Args:
      lower: The loop index lower bound (inclusive).
      upper: The loop index upper bound (exclusive).
      body_fun: ``(i, val) -> val``.
      init_val: The initial loop value.

    Returns:
      The final loop value.
    """
    frame = current_frame("fori_loop")
    if not frame.is_init:
        return _fori_loop(frame, lower, upper, body_fun, init_val)
    with isolated_names(frame):  # named as the loop body will be
        first = body_fun(lower, init_val)
    if _concrete(lower) and _concrete(upper):
        if int(upper) <= int(lower):
            return init_val
        return _fori_loop(frame, lower + 1, upper, body_fun, first)
    out = _fori_loop(frame, lower + 1, upper, body_fun, first)
    return jax.lax.cond(upper > lower, lambda: out, lambda: init_val)


def _fori_loop(frame, lower, upper, body_fun, init_val):
    body = _loop_body(frame, "fori_loop", body_fun)

    def loop_body(i, carry):
        given, val = carry
        val, given = body(given, i, val)
        return given, val

    final, out = jax.lax.fori_loop(lower, upper, loop_body, (_loop_state(frame), init_val))
    _merge_loop_state(frame, final)
    return out


def _concrete(value: Any) -> bool:
    try:
        int(value)
    except (TypeError, jax.errors.ConcretizationTypeError):
        return False
    return True


def while_loop(
    cond_fun: Callable[[T], Any], body_fun: Callable[[T], T], init_val: T
) -> T:
    """Equivalent to :func:`jax.lax.while_loop` with Haiku state threaded in/out.

    >>> def f(x):
    ...   return hk.while_loop(lambda x: x < 10, lambda x: x * hk.get_parameter("w", [], init=jnp.ones), x)
    >>> f = hk.transform(f)
    >>> print(f.apply({"~": {"w": 3.}}, None, 1.))
    27.0

    Parameters and state must exist before the loop (at init, call the body
    once when :func:`haiku.running_init` is true); the body may set state and
    draw random keys. ``cond_fun`` may read parameters and state but not
    create, set or draw anything.

    Args:
      cond_fun: ``val -> bool``: whether to run the body again.
      body_fun: ``val -> val``.
      init_val: The initial loop value.

    Returns:
      The final loop value.
    """
    frame = current_frame("while_loop")
    body = _loop_body(frame, "while_loop", body_fun, lead=_WHILE_LOOP_INIT)
    pure_cond = pure_function(frame, cond_fun)

    def loop_cond(carry):
        given, val = carry
        out, changes = pure_cond(given, val)
        if changes.params or changes.state or rng_used(given.rng, changes.rng):
            written = created_names(changes, given) or sorted(
                f"{m}/{k}" for m, b in changes.state.items() for k in b
            )
            raise ValueError(
                "`hk.while_loop` does not support `hk.set_state`, `hk.next_rng_key` (et al) "
                "in `cond_fun`. hk.while_loop: cond_fun must not create parameters or state, set "
                f"state or draw random keys (it wrote {written or 'random keys'}); "
                "do that in body_fun."
            )
        return out

    def loop_body(carry):
        given, val = carry
        val, given = body(given, val)
        return given, val

    final, out = jax.lax.while_loop(loop_cond, loop_body, (_loop_state(frame), init_val))
    _merge_loop_state(frame, final)
    return out
