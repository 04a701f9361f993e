"""JAX transforms and control flow that thread Haiku state in and out.

Inside a transformed function, parameters, state and the random key sequence
live in the current frame. A raw JAX transform (``jax.grad``, ``jax.lax.cond``,
``jax.lax.scan``, ...) traces the function it is given in a new JAX trace, so
any value the function writes to the frame would escape that trace. The
wrappers here pass the frame's state into the traced function explicitly and
return what it changed (new parameters, new and updated state, the advanced
random key sequence) as outputs, then write those back to the frame.

Parameters are never inputs: the traced function reads them by closure, so
the jitted program of a Haiku model is the program the same model would be by
hand.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple, TypeVar

import jax
import jax.numpy as jnp

from haiku._src import base, jax_usage
from haiku._src.base import Frame, StatePair
from haiku._src.rng import PRNGSequence, PRNGSequenceState

__all__ = [
    "cond",
    "eval_shape",
    "fori_loop",
    "grad",
    "map",
    "remat",
    "scan",
    "switch",
    "value_and_grad",
    "vmap",
    "while_loop",
]

T = TypeVar("T")


class StateIn(NamedTuple):
    """What a wrapped function reads from the frame besides parameters."""

    state: dict[str, dict[str, Any]]  # current values
    rng: PRNGSequenceState | None


class StateOut(NamedTuple):
    """What a wrapped function wrote: values to merge back into the frame."""

    params: dict[str, dict[str, Any]]  # parameters created inside
    state: dict[str, dict[str, StatePair]]  # state created or set inside
    rng: PRNGSequenceState | None


def _frame(caller: str) -> Frame:
    if not base.inside_transform():
        raise ValueError(
            f"hk.{caller} must be used as part of an `hk.transform`; outside one, "
            "use the JAX function of the same name directly."
        )
    return base.current_frame(f"hk.{caller}")


def state_in(frame: Frame) -> StateIn:
    """The frame's current state values and random key sequence state."""
    rng = frame.rng_stack[-1]
    state = {m: {k: pair.current for k, pair in b.items()} for m, b in frame.state.items()}
    return StateIn(state, None if rng is None else rng.internal_state)


@contextlib.contextmanager
def temporary_state(frame: Frame, given: StateIn) -> Iterator[Callable[[], StateOut]]:
    """Runs the block on a copy of the frame holding ``given``.

    Yields a function returning the changes made in the block. On exit the
    frame is as it was before the block, whatever happened in it.
    """
    saved_params, saved_state, saved_rng = frame.params, frame.state, frame.rng_stack
    frame.params = {m: dict(b) for m, b in saved_params.items()}
    frame.state = {m: {k: StatePair(v, v) for k, v in b.items()} for m, b in given.state.items()}
    rng = None
    if given.rng is not None:
        rng = PRNGSequence(0)
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
                if k in outer:
                    entries[k] = StatePair(None, pair.current)  # initial stays outside
                else:
                    entries[k] = pair
            if entries:
                state[m] = entries
        rng_out = frame.rng_stack[-1]
        return StateOut(params, state, None if rng_out is None else rng_out.internal_state)

    try:
        yield changes
    finally:
        frame.params, frame.state, frame.rng_stack = saved_params, saved_state, saved_rng


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


def _stateful(frame: Frame, fun: Callable[..., T]) -> Callable[..., tuple[T, StateOut]]:
    """``fun(*a, **k)`` as ``pure(state_in, *a, **k) -> (out, state_out)``."""

    def pure(given: StateIn, *args: Any, **kwargs: Any) -> tuple[T, StateOut]:
        # JAX traces ``pure``: allow Haiku side effects in its trace (check_jax_usage).
        with jax_usage.allow_haiku_side_effects(), temporary_state(frame, given) as changes:
            out = fun(*args, **kwargs)
            return out, changes()

    return pure


# JAX transforms.


def value_and_grad(
    fun: Callable[..., Any],
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
) -> Callable[..., tuple[Any, Any]]:
    """Creates a function which evaluates both ``fun`` and the grad of ``fun``.

    Like :func:`jax.value_and_grad`, but state set inside ``fun`` (and
    parameters it creates at init) reach the enclosing transform:

    >>> class MyModule(hk.Module):
    ...   def __call__(self, x):
    ...     hk.set_state("last", jnp.sum(x))
    ...     return x ** 2
    >>> def f(x):
    ...   return hk.value_and_grad(MyModule())(x)
    >>> f = hk.transform_with_state(f)
    >>> (y, g), state = f.apply({}, {}, None, jnp.array(3.))
    >>> print(y, g, state["my_module"]["last"])
    9.0 6.0 3.0

    Args:
      fun: Function to be differentiated; it must return a scalar (or a
        ``(scalar, aux)`` pair when ``has_aux``).
      argnums: Which positional argument(s) to differentiate with respect to.
      has_aux: Whether ``fun`` returns a pair ``(output, auxiliary data)``.
      holomorphic: Whether ``fun`` is promised to be holomorphic.

    Returns:
      A function with the arguments of ``fun`` returning ``(value, grads)``
      (``((value, aux), grads)`` when ``has_aux``).
    """

    @functools.wraps(fun)
    def wrapper(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        frame = _frame("value_and_grad")
        pure = _stateful(frame, fun)

        def differentiated(*args: Any, **kwargs: Any):
            given = kwargs.pop("_hk_state_in")
            out, changes = pure(given, *args, **kwargs)
            value, aux = out if has_aux else (out, None)
            return value, (aux, changes)

        value_and_grad_fun = jax.value_and_grad(
            differentiated, argnums=argnums, has_aux=True, holomorphic=holomorphic
        )
        (value, (aux, changes)), grads = value_and_grad_fun(
            *args, _hk_state_in=state_in(frame), **kwargs
        )
        update_frame(frame, changes)
        return ((value, aux) if has_aux else value), grads

    return wrapper


def grad(
    fun: Callable[..., Any],
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
) -> Callable[..., Any]:
    """Creates a function which evaluates the gradient of ``fun``.

    Needed instead of :func:`jax.grad` only when ``fun`` uses Haiku state (or
    creates parameters) inside a transformed function:

    >>> class MyModule(hk.Module):
    ...   def __call__(self, x):
    ...     hk.set_state("last", x ** 2)
    ...     return x ** 2
    >>> def f(x):
    ...   return hk.grad(MyModule())(x)
    >>> f = hk.transform_with_state(f)
    >>> params, state = jax.jit(f.init)(None, jnp.array(2.))
    >>> print(state["my_module"]["last"])
    4.0

    Args:
      fun: Function to be differentiated; it must return a scalar.
      argnums: Which positional argument(s) to differentiate with respect to.
      has_aux: Whether ``fun`` returns a pair ``(output, auxiliary data)``.
      holomorphic: Whether ``fun`` is promised to be holomorphic.

    Returns:
      A function evaluating the gradient of ``fun`` (``(grads, aux)`` when
      ``has_aux``).
    """
    value_and_grad_fun = value_and_grad(fun, argnums, has_aux, holomorphic)

    @functools.wraps(fun)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        value, grads = value_and_grad_fun(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapper


def _axis_size(in_axes: Any, args: tuple[Any, ...], axis_size: int | None) -> int:
    """The size of the mapped axis, read from the first mapped argument."""
    if axis_size is not None:
        return axis_size
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    is_none = lambda x: x is None  # noqa: E731
    full_axes = jax.tree.broadcast(axes, args, is_leaf=is_none)
    for axis, arg in zip(jax.tree.leaves(full_axes, is_leaf=is_none), jax.tree.leaves(args)):
        if axis is not None:
            return jnp.shape(arg)[axis]
    raise ValueError("hk.vmap(split_rng=True) found no mapped argument: pass `axis_size`.")


def vmap(
    fun: Callable[..., Any],
    in_axes: Any = 0,
    out_axes: Any = 0,
    axis_name: Any = None,
    axis_size: int | None = None,
    *,
    split_rng: bool,
) -> Callable[..., Any]:
    """Equivalent to :func:`jax.vmap` with module parameters/state not mapped.

    ``split_rng`` (required) says whether Haiku's random keys differ across
    the mapped axis (the key is split before the call) or are the same (the
    key is broadcast):

    >>> x = jnp.arange(2)
    >>> f = hk.vmap(lambda _: hk.next_rng_key(), split_rng=False)
    >>> key1, key2 = f(x)
    >>> assert (key1 == key2).all()

    >>> f = hk.vmap(lambda _: hk.next_rng_key(), split_rng=True)
    >>> key1, key2 = f(x)
    >>> assert not (key1 == key2).all()

    A common choice is ``split_rng=(not hk.running_init())``: the same
    parameters for every element at init, different dropout masks at apply.
    To map parameters themselves use :func:`haiku.lift` with
    :func:`jax.vmap`.

    Args:
      fun: See :func:`jax.vmap`.
      in_axes: See :func:`jax.vmap`.
      out_axes: See :func:`jax.vmap`.
      axis_name: See :func:`jax.vmap`.
      axis_size: See :func:`jax.vmap`.
      split_rng: Whether Haiku random keys differ (``True``) or are the same
        (``False``) across the mapped axis.

    Returns:
      See :func:`jax.vmap`.
    """
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)

    @functools.wraps(fun)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        frame = _frame("vmap")
        given = state_in(frame)
        pure = _stateful(frame, fun)
        rng_axis = None
        if split_rng and given.rng is not None:
            size = _axis_size(in_axes, args, axis_size)
            keys = jax.random.split(base.next_rng_key(), size)
            given = StateIn(given.state, (keys, tuple()))
            rng_axis = (0, None)
        state_axes = StateIn(None, rng_axis)  # type: ignore[arg-type]
        if isinstance(in_axes, tuple):
            full_in_axes = (state_axes, *in_axes)
        else:
            full_in_axes = (state_axes, *(in_axes,) * len(args))
        changes_axes = StateOut(None, None, rng_axis)  # type: ignore[arg-type]
        mapped = jax.vmap(
            pure,
            in_axes=full_in_axes,
            out_axes=(out_axes, changes_axes),
            axis_name=axis_name,
            axis_size=axis_size,
        )
        out, changes = mapped(given, *args, **kwargs)
        if rng_axis is not None:
            # Each element drew from its own key; the outer sequence moved on
            # by the one key split for them.
            changes = changes._replace(rng=None)
        update_frame(frame, changes)
        return out

    return wrapper


def remat(
    fun: Callable[..., T],
    prevent_cse: bool = True,
    static_argnums: int | tuple[int, ...] = (),
    policy: Callable[..., bool] | None = None,
) -> Callable[..., T]:
    """Equivalent to :func:`jax.checkpoint` but passing Haiku state.

    >>> def f(x):
    ...   w = hk.get_parameter("w", [], init=jnp.ones)
    ...   return hk.remat(lambda x: jnp.sin(x * w))(x)
    >>> print(hk.transform(f).apply({"~": {"w": jnp.array(2.)}}, None, 0.))
    0.0

    Args:
      fun: The function to rematerialise in the backward pass.
      prevent_cse: See :func:`jax.checkpoint`.
      static_argnums: See :func:`jax.checkpoint`.
      policy: See :func:`jax.checkpoint`.

    Returns:
      ``fun`` wrapped so that its intermediates are recomputed when
      differentiated.
    """
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)

    @functools.wraps(fun)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        frame = _frame("remat")
        pure = _stateful(frame, fun)
        checkpointed = jax.checkpoint(
            pure,
            prevent_cse=prevent_cse,
            static_argnums=tuple(i + 1 for i in static_argnums),
            policy=policy,
        )
        out, changes = checkpointed(state_in(frame), *args, **kwargs)
        update_frame(frame, changes)
        return out

    return wrapper


def eval_shape(fun: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Equivalent to :func:`jax.eval_shape` with any changed Haiku state discarded.

    >>> def f(x):
    ...   return hk.eval_shape(lambda x: x @ hk.get_parameter("w", [3, 2], init=jnp.ones), x)
    >>> hk.transform(f).init(None, jnp.ones([4, 3]))
    {}

    Args:
      fun: The function whose output shape to compute.
      *args: Positional arguments (arrays or ``jax.ShapeDtypeStruct``).
      **kwargs: Keyword arguments.

    Returns:
      The shapes and dtypes of the outputs of ``fun`` as
      ``jax.ShapeDtypeStruct`` trees.
    """
    frame = _frame("eval_shape")
    pure = _stateful(frame, fun)
    out, _ = jax.eval_shape(pure, state_in(frame), *args, **kwargs)
    return out


# Control flow.


def _no_new_values(caller: str, changes: StateOut, given: StateIn) -> None:
    new_state = [
        f"{m}/{k}"
        for m, bundle in changes.state.items()
        for k in bundle
        if k not in given.state.get(m, {})
    ]
    new_params = [f"{m}/{k}" for m, bundle in changes.params.items() for k in bundle]
    if new_params or new_state:
        where = "the loop body" if caller in ("while_loop", "fori_loop") else "a branch"
        raise ValueError(
            f"hk.{caller}: creating parameters or state inside {where} is not "
            f"supported (it created {sorted(new_params + new_state)}): it cannot "
            "be known statically whether it runs. Create them before, e.g. by "
            "calling the body (or every branch) unconditionally when "
            "hk.running_init() is true."
        )


def _branch(frame: Frame, caller: str, given: StateIn, fun: Callable[..., Any]):
    pure = _stateful(frame, fun)

    def branch(given: StateIn, *operands: Any):
        out, changes = pure(given, *operands)
        _no_new_values(caller, changes, given)
        # Every branch returns the full state so the branches' outputs match.
        current = {
            m: {k: StatePair(None, v) for k, v in bundle.items()} for m, bundle in given.state.items()
        }
        for m, bundle in changes.state.items():
            for k, pair in bundle.items():
                current[m][k] = pair
        return out, StateOut({}, current, changes.rng)

    return branch


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

    Parameters and state must exist before the ``cond`` (see
    :func:`haiku.running_init`).

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
            raise ValueError("hk.cond: pass either positional operands or operand=, not both.")
        operands = (operand,)
    frame = _frame("cond")
    given = state_in(frame)
    branches = [_branch(frame, "cond", given, f) for f in (false_fun, true_fun)]
    out, changes = jax.lax.cond(pred, branches[1], branches[0], given, *operands)
    update_frame(frame, changes)
    return out


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """Equivalent to :func:`jax.lax.switch` but with Haiku state passed in/out.

    Creating parameters inside a branch is not supported: at init, call every
    branch unconditionally, and use ``switch`` only at apply:

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
      index: Integer scalar type, indicating which branch function to apply.
      branches: Sequence of functions (A -> B) to be applied based on index.
      *operands: Operands (A) input to whichever branch is applied.

    Returns:
      Value (B) of ``branch(*operands)`` for the selected branch.
    """
    frame = _frame("switch")
    given = state_in(frame)
    wrapped = [_branch(frame, "switch", given, f) for f in branches]
    out, changes = jax.lax.switch(index, wrapped, given, *operands)
    update_frame(frame, changes)
    return out


def _carried(frame: Frame, caller: str, given: StateIn, fun: Callable[..., Any]):
    """``fun`` as a loop body carrying the frame's state and keys."""
    pure = _stateful(frame, fun)

    def body(given: StateIn, *args: Any):
        out, changes = pure(given, *args)
        _no_new_values(caller, changes, given)
        state = {m: dict(bundle) for m, bundle in given.state.items()}
        for m, bundle in changes.state.items():
            for k, pair in bundle.items():
                state[m][k] = pair.current
        return out, StateIn(state, changes.rng)

    return body


def _merge_carried(frame: Frame, final: StateIn) -> None:
    state = {m: {k: StatePair(None, v) for k, v in b.items()} for m, b in final.state.items()}
    update_frame(frame, StateOut({}, state, final.rng))


def scan(
    f: Callable[[Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any,
    length: int | None = None,
    reverse: bool = False,
    unroll: int = 1,
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
    frame = _frame("scan")
    if frame.is_init:
        if length is None:
            leaves = jax.tree_util.tree_leaves(xs)
            if not leaves:
                raise ValueError("hk.scan: pass `length` when `xs` is None.")
            length = jnp.shape(leaves[0])[0]
        if length == 0:
            return init, xs
        index = length - 1 if reverse else 0
        x0 = jax.tree_util.tree_map(lambda x: x[index], xs)
        carry, y0 = f(init, x0)
        rest = jax.tree_util.tree_map(
            lambda x: x[:-1] if reverse else x[1:], xs
        )
        if length == 1:
            ys = jax.tree_util.tree_map(lambda y: jnp.expand_dims(y, 0), y0)
            return carry, ys
        carry, ys = _scan_loop(frame, f, carry, rest, length - 1, reverse, unroll)
        ys = jax.tree_util.tree_map(
            lambda y, y0: jnp.concatenate(
                [y, jnp.expand_dims(y0, 0)] if reverse else [jnp.expand_dims(y0, 0), y]
            ),
            ys,
            y0,
        )
        return carry, ys
    return _scan_loop(frame, f, init, xs, length, reverse, unroll)


def _scan_loop(frame, f, init, xs, length, reverse, unroll):
    given = state_in(frame)
    body = _carried(frame, "scan", given, lambda c, x: f(c, x))

    def scan_body(carry, x):
        given, c = carry
        (c, y), given = body(given, c, x)
        return (given, c), y

    (final, carry), ys = jax.lax.scan(
        scan_body, (given, init), xs, length=length, reverse=reverse, unroll=unroll
    )
    _merge_carried(frame, final)
    return carry, ys


def map(fun: Callable[[Any], Any], xs: Any) -> Any:  # noqa: A001 - mirrors jax.lax.map
    """Equivalent to :func:`jax.lax.map` but with Haiku state passed in/out.

    >>> def f(xs):
    ...   return hk.map(lambda x: x * hk.get_parameter("w", [], init=jnp.ones), xs)
    >>> f = hk.transform(f)
    >>> print(f.apply(f.init(None, jnp.arange(3.)), None, jnp.arange(3.)))
    [0. 1. 2.]

    Args:
      fun: The function applied to each slice of ``xs`` (leading axis).
      xs: The values to map over.

    Returns:
      The stacked results.
    """
    return scan(lambda _, x: ((), fun(x)), (), xs)[1]


def fori_loop(lower: int, upper: int, body_fun: Callable[[int, T], T], init_val: T) -> T:
    """Equivalent to :func:`jax.lax.fori_loop` with Haiku state passed in/out.

    >>> def f(x):
    ...   return hk.fori_loop(0, 3, lambda i, x: x * hk.get_parameter("w", [], init=jnp.ones), x)
    >>> f = hk.transform(f)
    >>> print(f.apply({"~": {"w": 2.}}, None, 1.))
    8.0

    At init the first step runs outside the loop, so the parameters and state
    the body creates exist before it.

    Args:
      lower: The loop index lower bound (inclusive).
      upper: The loop index upper bound (exclusive).
      body_fun: ``(i, val) -> val``.
      init_val: The initial loop value.

    Returns:
      The final loop value.
    """
    frame = _frame("fori_loop")
    if frame.is_init and _concrete(upper) and _concrete(lower) and upper > lower:
        # The first step runs outside the loop and creates what the body creates.
        init_val = body_fun(lower, init_val)
        lower = lower + 1
    given = state_in(frame)
    body = _carried(frame, "fori_loop", given, body_fun)

    def loop_body(i, carry):
        given, val = carry
        val, given = body(given, i, val)
        return given, val

    final, out = jax.lax.fori_loop(lower, upper, loop_body, (given, init_val))
    _merge_carried(frame, final)
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
    unconditionally when :func:`haiku.running_init` is true); ``cond_fun`` may
    read but not change them.

    Args:
      cond_fun: ``val -> bool``: whether to run the body again.
      body_fun: ``val -> val``.
      init_val: The initial loop value.

    Returns:
      The final loop value.
    """
    frame = _frame("while_loop")
    given = state_in(frame)
    body = _carried(frame, "while_loop", given, body_fun)
    pure_cond = _stateful(frame, cond_fun)

    def loop_cond(carry):
        given, val = carry
        out, _ = pure_cond(given, val)
        return out

    def loop_body(carry):
        given, val = carry
        val, given = body(given, val)
        return given, val

    final, out = jax.lax.while_loop(loop_cond, loop_body, (given, init_val))
    _merge_carried(frame, final)
    return out
