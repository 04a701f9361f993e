"""JAX transforms that thread Haiku state in and out: ``hk.grad``, ``hk.vmap``, ...

Each wrapper hands JAX a pure version of the user's function (see
:mod:`haiku._src.state_passing`): the frame's state and random key sequence go
in as arguments, what the function changed (parameters created, state created
or set, the advanced key sequence) comes out as outputs and is merged back
into the frame. Parameters are read by closure, never passed in.

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
from haiku._src.state_passing import (
    StateIn,
    current_frame,
    pure_function,
    state_in,
    update_frame,
)

__all__ = ["eval_shape", "grad", "remat", "value_and_grad", "vmap"]

T = TypeVar("T")

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
    split_rng: bool | None = None,
    spmd_axis_name: Any = None,
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
        (``False``) across the mapped axis. Required, as in dm-haiku, unless
        ``hk.vmap.require_split_rng = False`` (then it defaults to ``False``).
      spmd_axis_name: See :func:`jax.vmap`: the mesh axis (or axes) the
        mapped axis is sharded over when the function runs under ``jax.jit``
        on a mesh, so sharding constraints inside it keep the batch sharded.
        (Newer dm-haiku releases take it too.)

    Returns:
      See :func:`jax.vmap`.
    """
    if not jax.tree.leaves(in_axes) and axis_size is None:
        # dm-haiku refuses even with an axis_size; we let JAX's axis_size work.
        raise ValueError(
            f"{getattr(fun, '__name__', repr(fun))} must have at least one non-None value in "
            f"in_axes to use with `hk.vmap`. (Got in_axes={in_axes!r}: give the mapped axis "
            "of at least one argument, e.g. in_axes=0, or an axis_size.)"
        )
    if split_rng is None:
        if vmap.require_split_rng:  # type: ignore[attr-defined]
            raise TypeError(
                "Haiku now requires the split_rng argument to be passed to hk.vmap. If "
                "you have code using the old API which you cannot change, you can "
                "opt-out of this requirement by using `hk.vmap.require_split_rng = "
                "False`. (Pass `split_rng=True` for different random keys along the "
                "mapped axis, `split_rng=False` for the same key.)"
            )
        split_rng = False
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
            spmd_axis_name=spmd_axis_name,
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


vmap.require_split_rng = True  # type: ignore[attr-defined]


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
