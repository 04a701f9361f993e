"""Lifting: registering the values of an inner ``init`` in the outer transform.

A lifted ``init`` function runs during the outer ``init``; what it returns is
stored in the outer frame under ``<scope>/<name>/<inner module name>`` (just
``<scope>/<inner module name>`` when transparent). During the outer ``apply``
the lifted function does not run ``init`` at all: it hands back the values
stored under that prefix.

Each lift is a module (``LiftingModule``) so its name is numbered like any
module name (``lifted``, ``lifted_1``, ...), and method interceptors see it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from haiku._src import base, interceptor_chains
from haiku._src.base import Frame, StatePair
from haiku._src.module import Module
from haiku._src.transform import NonEmptyStateError
from haiku._src.typing import MutableParams, MutableState, Params, State

__all__ = [
    "LiftWithStateUpdater",
    "lift",
    "lift_with_state",
    "transparent_lift",
    "transparent_lift_with_state",
]

_REUSE = (
    "Key '{key}' already exists in the destination {what}. To prevent accidental "
    "parameter re-use during lift, you can't re-use a parameter already defined in "
    "the outer scope. (Pass `allow_reuse=True` if the lifted init is meant to run "
    "more than once, e.g. inside control flow.)"
)


def _prefix(module_name: str, transparent: bool) -> str:
    """The prefix lifted names get: the lift's own scope, or its parent's."""
    if not transparent:
        return module_name + "/"
    parent = module_name.rpartition("/")[0]
    return parent + "/" if parent else ""


def _pack(
    src: Mapping[str, Mapping[str, Any]],
    dst: dict[str, dict[str, Any]],
    prefix: str,
    *,
    allow_reuse: bool,
    what: str,
) -> None:
    """Stores ``src`` into the frame's ``dst`` with names prefixed by ``prefix``."""
    for name, bundle in src.items():
        key = prefix + name
        if dst.get(key) and not allow_reuse:
            raise ValueError(_REUSE.format(key=key, what=what))
        if what == "state":
            bundle = {k: StatePair(v, v) for k, v in bundle.items()}
        dst.setdefault(key, {}).update(bundle)


def _unpack(src: Mapping[str, Mapping[str, Any]], prefix: str) -> dict[str, dict[str, Any]]:
    """The bundles of ``src`` named ``prefix...``, with ``prefix`` removed."""
    size = len(prefix)
    return {k[size:]: dict(b) for k, b in src.items() if b and k.startswith(prefix)}


class LiftingModule(Module):
    """The module a lifted ``init`` runs under (see :func:`lift`)."""

    AUTO_REPR = False

    def __init__(
        self,
        init_fn: Callable[..., Any],
        *,
        transparent: bool,
        allow_reuse: bool,
        with_state: bool,
        name: str = "lifted",
    ):
        super().__init__(name=name)
        self._init_fn = init_fn
        self._allow_reuse = allow_reuse
        self._with_state = with_state
        self._transparent = transparent
        self.prefix = _prefix(self.module_name, transparent)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        frame = base.current_frame("lifted init")
        if frame.is_init:
            return _run_init(self, frame, args, kwargs)
        params = _unpack(frame.params, self.prefix)
        if not self._with_state:
            return params
        state = {m: {k: p.current for k, p in b.items()} for m, b in frame.state.items()}
        return params, _unpack(state, self.prefix)


def _run_init(
    module: LiftingModule, frame: Frame, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """Runs the lifted init and stores what it returns in the outer ``frame``.

    (A function, not a method: interceptors see only the module's ``__call__``.)
    """
    outer = interceptor_chains.lifted_prefix_name.get()
    token = interceptor_chains.lifted_prefix_name.set(((outer or "") + module.prefix) or None)
    # As in dm-haiku, only hk.transparent_lift forbids closing over modules.
    boundary = (
        base.closure_boundary()
        if module._transparent and not module._with_state
        else contextlib.nullcontext()
    )
    try:
        with boundary:
            out = module._init_fn(*args, **kwargs)
    finally:
        interceptor_chains.lifted_prefix_name.reset(token)
    if module._with_state:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise ValueError(
                "hk.lift_with_state expects `init_fn` to return `(params, state)`, as "
                "the init of hk.transform_with_state does; use hk.lift for the "
                f"init of hk.transform (got {type(out).__name__})."
            )
        params, state = out
    else:
        if isinstance(out, tuple):
            raise NonEmptyStateError(
                "For stateful lifted functions use `hk.lift_with_state` (the lifted "
                "init returned a tuple, as the init of hk.transform_with_state does)."
            )
        params, state = out, {}
    reuse = module._allow_reuse
    _pack(params, frame.params, module.prefix, allow_reuse=reuse, what="params")
    _pack(state, frame.state, module.prefix, allow_reuse=reuse, what="state")
    return out


def _lifting_module(caller: str, init_fn: Callable[..., Any], **kwargs: Any) -> LiftingModule:
    base.current_frame(caller)
    if not callable(init_fn):
        raise TypeError(f"{caller} expects an init function, got {type(init_fn).__name__}.")
    return LiftingModule(init_fn, **kwargs)


def lift(
    init_fn: Callable[..., Params],
    *,
    allow_reuse: bool = False,
    name: str = "lifted",
) -> Callable[..., MutableParams]:
    """Registers parameters from an inner init function in an outer transform.

    Use it when nesting Haiku transforms (typically to apply a JAX transform
    such as :func:`jax.vmap` to an inner ``init``): during the outer ``init``
    the returned function runs ``init_fn`` and adds the parameters it returns
    to the outer parameters, under ``<scope>/<name>/``; during the outer
    ``apply`` it does not run ``init_fn`` but returns those parameters back.

    >>> inner = hk.transform(lambda x: x * hk.get_parameter("w", [], init=jnp.ones))
    >>> def f(x):
    ...   init_fn = hk.lift(inner.init, name="inner")
    ...   params = init_fn(hk.maybe_next_rng_key(), x)
    ...   return inner.apply(params, None, x)
    >>> f = hk.transform(f)
    >>> params = f.init(None, 2.)
    >>> params
    {'inner/~': {'w': Array(1., dtype=float32)}}
    >>> print(f.apply(params, None, 2.))
    2.0

    Calling the lifted function twice in one ``init`` re-registers the same
    names, which is an error unless ``allow_reuse=True`` (useful in control
    flow that traces its body more than once, such as ``hk.scan``).

    Args:
      init_fn: The ``init`` function of a :class:`haiku.Transformed` (or any
        function returning parameters).
      allow_reuse: Allows lifted parameters to be registered again (the last
        registration wins).
      name: The name scope the lifted parameters get.

    Returns:
      A function taking the arguments of ``init_fn``; it returns the lifted
      parameters, both in ``init`` and in ``apply``.
    """
    return _lifting_module(
        "hk.lift",
        init_fn,
        transparent=False,
        allow_reuse=allow_reuse,
        with_state=False,
        name=name,
    )


def transparent_lift(
    init_fn: Callable[..., Params],
    *,
    allow_reuse: bool = False,
) -> Callable[..., MutableParams]:
    """Registers parameters in an outer transform without adding a name scope.

    As :func:`lift`, but the lifted parameters keep their inner names, under
    the current module's scope only:

    >>> inner = hk.transform(lambda: hk.get_parameter("w", [], init=jnp.ones))
    >>> def f():
    ...   return hk.transparent_lift(inner.init)(None)
    >>> hk.transform(f).init(None)
    {'~': {'w': Array(1., dtype=float32)}}

    Args:
      init_fn: The ``init`` function of a :class:`haiku.Transformed`.
      allow_reuse: Allows lifted parameters to be registered again.

    Returns:
      A function taking the arguments of ``init_fn``; it returns the lifted
      parameters, both in ``init`` and in ``apply``.
    """
    return _lifting_module(
        "hk.transparent_lift",
        init_fn,
        transparent=True,
        allow_reuse=allow_reuse,
        with_state=False,
    )


class LiftWithStateUpdater:
    """Handles updating the state for a ``lift_with_state`` computation.

    :func:`lift_with_state` returns one. After running the inner ``apply``,
    give it the new state with :meth:`update` (or call :meth:`ignore_update`):
    using it neither way by the end of the transform is an error, and so is
    using it twice.
    """

    __slots__ = ("_prefix", "_frame", "_used")

    def __init__(self, name: str | None):
        """Makes an updater for state lifted under ``name`` (``None``: top level)."""
        self._prefix = f"{name}/" if name else ""
        self._frame = base.current_frame("LiftWithStateUpdater")
        self._used = False

    def _use(self) -> Frame:
        if self._used:
            raise ValueError("State updater must only be used once.")
        if not base.inside_transform():
            raise ValueError(
                "State updater must be used inside hk.transform_with_state (it was "
                "used outside any transform)."
            )
        frame = base.current_frame("LiftWithStateUpdater.update")
        if frame is not self._frame:
            raise ValueError(
                "State updater must be used within the same call to init/apply: "
                "LiftWithStateUpdater must be used inside the transform that created it."
            )
        self._used = True
        return frame

    def update(self, state: State) -> None:
        """Updates Haiku's internal state to the given state.

        Args:
          state: The state returned by the inner ``apply``.
        """
        frame = self._use()
        for name, bundle in state.items():
            target = frame.state.setdefault(self._prefix + name, {})
            for key, value in bundle.items():
                pair = target.get(key)
                target[key] = StatePair(value if pair is None else pair.initial, value)

    def ignore_update(self) -> None:
        """Notes that the state is deliberately not updated."""
        self._use()

    def assert_used(self) -> None:
        """Raises unless :meth:`update` or :meth:`ignore_update` was called."""
        if not self._used:
            raise ValueError(
                "LiftWithStateUpdater (from `lift_with_state`) must be used, call "
                "`.update(..)` or `.ignore_update()` before it goes out of scope."
            )


def _lift_with_state(
    caller: str, init_fn: Callable[..., Any], **kwargs: Any
) -> tuple[Callable[..., tuple[MutableParams, MutableState]], LiftWithStateUpdater]:
    module = _lifting_module(caller, init_fn, with_state=True, **kwargs)
    updater = LiftWithStateUpdater(module.prefix[:-1] or None)
    base.current_frame(caller).on_exit.append(updater.assert_used)
    return module, updater


def lift_with_state(
    init_fn: Callable[..., tuple[Params, State]],
    *,
    allow_reuse: bool = False,
    name: str = "lifted",
) -> tuple[Callable[..., tuple[MutableParams, MutableState]], LiftWithStateUpdater]:
    """Registers params and state from an init function in an outer transform.

    As :func:`lift`, for the ``init`` of :func:`haiku.transform_with_state`:
    the returned function gives ``(params, state)``, and the updater writes
    the state that the inner ``apply`` returns back to the outer transform.

    >>> def counter():
    ...   n = hk.get_state("n", [], init=jnp.zeros)
    ...   hk.set_state("n", n + 1)
    ...   return n
    >>> inner = hk.transform_with_state(counter)
    >>> def f():
    ...   init_fn, updater = hk.lift_with_state(inner.init, name="inner")
    ...   params, state = init_fn(None)
    ...   out, state = inner.apply(params, state, None)
    ...   updater.update(state)
    ...   return out
    >>> f = hk.transform_with_state(f)
    >>> params, state = f.init(None)
    >>> state
    {'inner/~': {'n': Array(0., dtype=float32)}}
    >>> _, state = f.apply(params, state, None)
    >>> state
    {'inner/~': {'n': Array(1., dtype=float32)}}

    Args:
      init_fn: The ``init`` function of a :class:`haiku.TransformedWithState`.
      allow_reuse: Allows lifted parameters and state to be registered again.
      name: The name scope the lifted parameters and state get.

    Returns:
      A function taking the arguments of ``init_fn`` and returning the lifted
      ``(params, state)`` in ``init`` and ``apply``, and a
      :class:`LiftWithStateUpdater` that must be used once per call.
    """
    return _lift_with_state(
        "hk.lift_with_state", init_fn, transparent=False, allow_reuse=allow_reuse, name=name
    )


def transparent_lift_with_state(
    init_fn: Callable[..., tuple[Params, State]],
    *,
    allow_reuse: bool = False,
) -> tuple[Callable[..., tuple[MutableParams, MutableState]], LiftWithStateUpdater]:
    """Registers params and state in an outer transform without adding scope.

    As :func:`lift_with_state`, with names as in :func:`transparent_lift`.

    >>> inner = hk.transform_with_state(lambda: hk.set_state("n", jnp.zeros([])))
    >>> def f():
    ...   init_fn, updater = hk.transparent_lift_with_state(inner.init)
    ...   _, state = init_fn(None)
    ...   updater.ignore_update()
    >>> hk.transform_with_state(f).init(None)
    ({}, {'~': {'n': Array(0., dtype=float32)}})

    Args:
      init_fn: The ``init`` function of a :class:`haiku.TransformedWithState`.
      allow_reuse: Allows lifted parameters and state to be registered again.

    Returns:
      The lifted function and its :class:`LiftWithStateUpdater`.
    """
    return _lift_with_state(
        "hk.transparent_lift_with_state", init_fn, transparent=True, allow_reuse=allow_reuse
    )
