"""JAX transforms and control flow that thread Haiku state in and out.

Each wrapper hands JAX a pure version of the user's function (see
:mod:`haiku._src.state_passing`): the frame's state and random key sequence go
in as arguments, what the function changed (parameters created, state created
or set, the advanced key sequence) comes out as outputs and is merged back
into the frame. Parameters are read by closure, never passed in.

Control flow carries the key sequence with exactly one reserved key (see
:func:`haiku._src.state_passing.one_pending_key`); the keys drawn inside are
the keys the same draws would give without control flow, as in dm-haiku.

As in dm-haiku, the modules a wrapped function constructs (every wrapper but
``remat``) are named from the names taken before the wrapper, and those
names are free again after it (see
:func:`haiku._src.state_passing.isolated_names`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import jax
import jax.numpy as jnp

from haiku._src import random_keys
from haiku._src.base import Frame, StatePair
from haiku._src.state_passing import (
    StateIn,
    StateOut,
    current_frame,
    isolated_names,
    one_pending_key,
    pure_function,
    rng_used,
    state_in,
    update_frame,
)

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


def _created(changes: StateOut, given: StateIn) -> list[str]:
    """``module/name`` of the parameters and state a function created."""
    names = [f"{m}/{k}" for m, bundle in changes.params.items() for k in bundle]
    names += [
        f"{m}/{k}"
        for m, bundle in changes.state.items()
        for k in bundle
        if k not in given.state.get(m, {})
    ]
    return sorted(names)


# JAX transforms.


def _value_and_grad(caller, fun, argnums, has_aux, holomorphic):
    @functools.wraps(fun)
    def wrapper(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        frame = current_frame(caller)
        pure = pure_function(frame, fun)

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


def value_and_grad(
    fun: Callable[..., Any],
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
) -> Callable[..., tuple[Any, Any]]:
    """Creates a function which evaluates both ``fun`` and the grad of ``fun``.

    Like :func:`jax.value_and_grad`, but the state ``fun`` sets (and, at init,
    the parameters it creates) reach the enclosing transform:

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
    return _value_and_grad("value_and_grad", fun, argnums, has_aux, holomorphic)


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
    value_and_grad_fun = _value_and_grad("grad", fun, argnums, has_aux, holomorphic)

    @functools.wraps(fun)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        value, grads = value_and_grad_fun(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapper


def _axis_size(in_axes: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """The size of the mapped axis, read from the first mapped argument."""
    is_none = lambda x: x is None  # noqa: E731
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    try:
        treedef = jax.tree.structure(axes, is_leaf=is_none)
        subtrees = treedef.flatten_up_to(args)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        subtrees = []  # in_axes does not fit the arguments: jax.vmap will say so
    for axis, subtree in zip(jax.tree.leaves(axes, is_leaf=is_none), subtrees):
        leaves = jax.tree.leaves(subtree)
        if axis is not None and leaves:
            return jnp.shape(leaves[0])[axis]
    for leaf in jax.tree.leaves(kwargs):  # jax.vmap maps keyword arguments on axis 0
        return jnp.shape(leaf)[0]
    raise ValueError(
        "hk.vmap(split_rng=True) needs the size of the mapped axis to split the "
        "key, but no argument is mapped: pass `axis_size`."
    )


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

    With ``split_rng=True`` the enclosing key sequence hands out one key per
    element (as :func:`haiku.next_rng_keys` does) and each element draws from
    its own sequence started at that key; the keys are dm-haiku's. Parameters
    and state are shared by every element, so a value that differs along the
    axis cannot be stored (an error says so): parameters must not be drawn
    from the split keys at init, and state must be reduced over the axis
    (e.g. ``jax.lax.pmean`` with an ``axis_name``) before it is set. A common
    choice is ``split_rng=(not hk.running_init())``: the same parameters for
    every element at init, different dropout masks at apply. To map
    parameters themselves use :func:`haiku.lift` with :func:`jax.vmap`.

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
        frame = current_frame("vmap")
        given = state_in(frame)
        rng_axis = None
        if split_rng and given.rng is not None:
            size = axis_size if axis_size is not None else _axis_size(in_axes, args, kwargs)
            given = StateIn(given.state, (random_keys.next_rng_keys(size), ()))
            rng_axis = (0, None)
        pure = pure_function(frame, fun)
        created: list[str] = []
        written: list[str] = []

        def mapped_fun(given: StateIn, *args: Any, **kwargs: Any):
            out, changes = pure(given, *args, **kwargs)
            created.extend(f"{m}/{k}" for m, b in changes.params.items() for k in b)
            written.extend(created)
            written.extend(f"{m}/{k}" for m, b in changes.state.items() for k in b)
            if rng_axis is not None:
                # Each element drew from its own sequence; the enclosing one
                # moved on by the keys handed out above.
                changes = changes._replace(rng=None)
            return out, changes

        state_axes = StateIn(None, rng_axis)  # type: ignore[arg-type]
        if isinstance(in_axes, tuple):
            full_in_axes = (state_axes, *in_axes)
        else:
            full_in_axes = (state_axes, *(in_axes,) * len(args))
        mapped = jax.vmap(
            mapped_fun,
            in_axes=full_in_axes,
            out_axes=(out_axes, None),
            axis_name=axis_name,
            axis_size=axis_size,
        )
        try:
            out, changes = mapped(given, *args, **kwargs)
        except ValueError as e:
            # JAX: "... got axis spec None but output was batched ...": a
            # parameter or state value differs along the axis (or an output
            # the caller mapped with out_axes=None does).
            if written and "batched" in str(e):
                raise ValueError(_vmap_batched_message(split_rng, created, written)) from e
            raise
        update_frame(frame, changes)
        return out

    return wrapper


def _vmap_batched_message(split_rng: bool, created: list[str], written: list[str]) -> str:
    if split_rng and created:
        return (
            "hk.vmap does not support split_rng=True at init when parameters are "
            f"created inside (here {sorted(created)}): parameters are shared along the "
            "mapped axis, so they cannot be drawn from a different key per element. "
            "Use `split_rng=(not hk.running_init())`."
        )
    return (
        "hk.vmap: parameters and state are shared along the mapped axis, but a "
        f"value written to one of {sorted(written)} differs along it (or an "
        "output mapped with out_axes=None does). Reduce it over the axis before "
        "setting it (e.g. jax.lax.pmean with an axis_name), or map whole "
        "parameters and state with hk.lift(jax.vmap(...))."
    )


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
        frame = current_frame("remat")
        checkpointed = jax.checkpoint(
            # As in dm-haiku, remat is the one wrapper whose modules take names.
            pure_function(frame, fun, isolate_names=False),
            prevent_cse=prevent_cse,
            static_argnums=tuple(i + 1 if i >= 0 else i for i in static_argnums),
            policy=policy,
        )
        out, changes = checkpointed(state_in(frame), *args, **kwargs)
        update_frame(frame, changes)
        return out

    return wrapper


def eval_shape(fun: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Equivalent to :func:`jax.eval_shape` with any changed Haiku state discarded.

    Parameters it would create, state it would set and keys it would draw are
    all forgotten; the enclosing key sequence does not move:

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
    frame = current_frame("eval_shape")
    out, _ = jax.eval_shape(pure_function(frame, fun), state_in(frame), *args, **kwargs)
    return out


# Control flow.


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
            created[index] = _created(changes, given)
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
            raise ValueError("hk.cond: pass either positional operands or operand=, not both.")
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


def _loop_body(frame: Frame, caller: str, fun: Callable[..., Any]):
    """``fun`` as a loop body carrying the frame's state and keys as a :class:`StateIn`."""
    pure = pure_function(frame, fun)

    def body(given: StateIn, *args: Any):
        out, changes = pure(given, *args)
        created = _created(changes, given)
        if created:
            raise ValueError(
                f"hk.{caller}: creating parameters or state inside the loop body is not "
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

    (final, carry), ys = jax.lax.scan(
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
    body = _loop_body(frame, "while_loop", body_fun)
    pure_cond = pure_function(frame, cond_fun)

    def loop_cond(carry):
        given, val = carry
        out, changes = pure_cond(given, val)
        if changes.params or changes.state or rng_used(given.rng, changes.rng):
            written = _created(changes, given) or sorted(
                f"{m}/{k}" for m, b in changes.state.items() for k in b
            )
            raise ValueError(
                "hk.while_loop: cond_fun must not create parameters or state, set "
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
