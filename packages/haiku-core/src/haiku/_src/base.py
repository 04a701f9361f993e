"""The runtime context of a transformed function.

Every call of ``init`` or ``apply`` runs the user's function inside a
:class:`Frame`. The frame holds the parameters, the state, the random number
sequence and the stack of module method calls that are active, and the public
functions of this file (``get_parameter``, ``get_state``, ``next_rng_key``, ...)
read and write it.

Frames live in a :class:`contextvars.ContextVar` holding an immutable tuple, so
two threads (or two asyncio tasks) running transforms at the same time never
see each other's frames.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from haiku._src import config, interceptor_chains, jax_usage
from haiku._src.rng import PRNGSequence

__all__ = [
    "DO_NOT_STORE",
    "Frame",
    "current_frame",
    "current_name",
    "get_current_state",
    "get_initial_state",
    "get_parameter",
    "get_params",
    "get_state",
    "running_init",
    "set_state",
]


class DoNotStore:
    """Type of :data:`DO_NOT_STORE`; it has a single instance."""

    _instance: DoNotStore | None = None

    def __new__(cls) -> DoNotStore:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "hk.DO_NOT_STORE"

    @property
    def shape(self):
        raise ValueError("DO_NOT_STORE does not have a shape.")

    @property
    def dtype(self):
        raise ValueError("DO_NOT_STORE does not have a dtype.")


DO_NOT_STORE = DoNotStore()
DO_NOT_STORE.__doc__ = """Causes a parameter or state value to not be stored.

Return it from a custom creator or setter (or an initializer) and Haiku keeps
the value out of the dictionaries that ``init`` returns; a custom getter must
then provide the value. See :func:`haiku.custom_creator`.
"""


class StatePair(NamedTuple):
    """The value a piece of state started with and the value it has now."""

    initial: Any
    current: Any


class ModuleState(NamedTuple):
    """One entry of the module stack: a module and the method it is running.

    ``method_name`` is the name used for naming submodules (see
    :func:`haiku.name_like`), not necessarily the name of the running method.
    """

    module: Any
    method_name: str


class Frame:
    """Everything a single ``init`` or ``apply`` call reads and writes.

    Attributes:
      params: module name to parameter name to value.
      state: module name to state name to :class:`StatePair`.
      rng_stack: the active random number sequences (``None`` when no key).
      module_stack: the module methods currently running, innermost last.
      counter_stack: per method call, how many modules of each name exist.
      used_names_stack: per method call, the module names already taken.
      params_frozen: true in ``apply``: no parameter may be created.
      is_init: true while running an ``init`` function.
    """

    __slots__ = (
        "params",
        "state",
        "rng_stack",
        "module_stack",
        "counter_stack",
        "used_names_stack",
        "params_frozen",
        "is_init",
        "creators",
        "getters",
        "setters",
        "on_exit",
        "frame_id",
    )

    def __init__(
        self,
        params: dict[str, dict[str, Any]],
        state: dict[str, dict[str, StatePair]],
        rng: PRNGSequence | None,
        *,
        params_frozen: bool,
        is_init: bool,
    ):
        self.params = params
        self.state = state
        self.rng_stack: list[PRNGSequence | None] = [rng]
        self.module_stack: list[ModuleState] = []
        self.counter_stack: list[collections.Counter[str] | None] = [None]
        self.used_names_stack: list[set[str] | None] = [None]
        self.params_frozen = params_frozen
        self.is_init = is_init
        # Custom creators, getters and setters; see haiku._src.interception.
        # As in dm-haiku, those of an enclosing transform also apply to the
        # transforms run inside it (e.g. a lifted init): the lists are shared.
        outer = _FRAMES.get()[-1] if _FRAMES.get() else None
        self.creators: list[tuple[Callable[..., Any], bool, bool]] = (
            outer.creators if outer else []
        )
        self.getters: list[tuple[Callable[..., Any], bool, bool]] = outer.getters if outer else []
        self.setters: list[Callable[..., Any]] = outer.setters if outer else []
        # Checks run when the frame's block ends without an error (see lift).
        self.on_exit: list[Callable[[], None]] = []
        # Increasing: modules remember the frame they were made in.
        self.frame_id = next(_FRAME_IDS)

    @contextlib.contextmanager
    def module(self, module_state: ModuleState) -> Iterator[None]:
        """Runs the body as a method call of ``module_state.module``."""
        self.push_module(module_state)
        try:
            yield
        finally:
            self.pop_module()

    def push_module(self, module_state: ModuleState) -> None:
        # The per-call naming tables are made on first use (see scope_names):
        # most method calls create no submodule.
        self.module_stack.append(module_state)
        self.counter_stack.append(None)
        self.used_names_stack.append(None)

    def pop_module(self) -> None:
        self.module_stack.pop()
        self.counter_stack.pop()
        self.used_names_stack.pop()

    def scope_names(self, index: int) -> tuple[collections.Counter[str], set[str]]:
        """The name counters and used names of method call ``index`` of the stack."""
        counters = self.counter_stack[index]
        if counters is None:
            counters = self.counter_stack[index] = collections.Counter()
            self.used_names_stack[index] = set()
        return counters, self.used_names_stack[index]  # type: ignore[return-value]


_FRAMES: contextvars.ContextVar[tuple[Frame, ...]] = contextvars.ContextVar(
    "haiku_frames", default=()
)


_FRAME_IDS = itertools.count()

# The first frame id of a `hk.transparent_lift` init running: modules made in
# earlier frames (closed over by the lifted function) may not be used in it.
_CLOSURE_BOUNDARY: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "haiku_closure_boundary", default=None
)


@contextlib.contextmanager
def closure_boundary() -> Iterator[None]:
    """Forbids using, inside the block, modules made before it (see ``hk.transparent_lift``)."""
    token = _CLOSURE_BOUNDARY.set(next(_FRAME_IDS))
    try:
        yield
    finally:
        _CLOSURE_BOUNDARY.reset(token)


def check_not_closed_over(module: Any) -> None:
    """Raises if ``module`` was made outside the running ``hk.transparent_lift`` init."""
    boundary = _CLOSURE_BOUNDARY.get()
    frame_id = module.__dict__.get("_hk_frame_id")
    if boundary is not None and frame_id is not None and frame_id < boundary:
        raise ValueError(
            "You can't functionally close over a module which has been intitialized "
            "outside of the function wrapped in hk.transparent_lift or hk.layer_stack.\n"
            f"The module you closed over is called '{module.module_name}'. Create it "
            "inside the lifted function instead."
        )


@contextlib.contextmanager
def new_frame(frame: Frame) -> Iterator[Frame]:
    """Makes ``frame`` the current frame for the duration of the block."""
    token = _FRAMES.set(_FRAMES.get() + (frame,))
    # The trace the frame starts in allows Haiku side effects (check_jax_usage).
    trace_token = jax_usage.push_trace()
    try:
        yield frame
    finally:
        jax_usage.pop_trace(trace_token)
        _FRAMES.reset(token)
    for check in frame.on_exit:
        check()


def inside_transform() -> bool:
    """Whether a transformed function is running in this context."""
    return bool(_FRAMES.get())


def current_frame(caller: str = "This function") -> Frame:
    """The innermost frame; raises a ``ValueError`` naming ``caller`` if none."""
    frames = _FRAMES.get()
    if not frames:
        raise ValueError(f"`{caller}` must be used as part of an `hk.transform`.")
    return frames[-1]


def current_module_state(frame: Frame) -> ModuleState | None:
    return frame.module_stack[-1] if frame.module_stack else None


def _bundle_name(frame: Frame, caller: str) -> str:
    if not frame.module_stack:
        return "~"
    module = frame.module_stack[-1].module
    try:
        name = module.module_name
    except AttributeError:
        raise ValueError(
            "The super constructor must be called before you create parameters or "
            f"submodules. (`{caller}` was called in the constructor of "
            f"{type(module).__name__} before `super().__init__()`)."
        ) from None
    check_not_closed_over(module)
    return name


def _current_module(frame: Frame) -> Any:
    return frame.module_stack[-1].module if frame.module_stack else None


def current_name() -> str:
    """Returns the currently active module name.

    Outside any module (but inside a transform) this is ``"~"``, the key under
    which top level parameters and state are stored:

    >>> hk.current_name()
    '~'

    Inside a module (or a :func:`haiku.name_scope`) it is the module's name:

    >>> class ExampleModule(hk.Module):
    ...   def __call__(self):
    ...     return hk.current_name()
    >>> ExampleModule()()
    'example_module'
    """
    return _bundle_name(current_frame("hk.current_name"), "hk.current_name")


def running_init() -> bool:
    """Returns ``True`` if running the ``init`` function of a Haiku transform.

    Use it where ``init`` must create what ``apply`` only uses conditionally,
    for example every branch of a :func:`haiku.switch`:

    >>> def f(x):
    ...   return x * 2 if hk.running_init() else x
    >>> f = hk.transform(f)
    >>> f.init(None, 1.), f.apply({}, None, 1.)
    ({}, 1.0)
    """
    return current_frame("hk.running_init").is_init


# Parameters.

# While set, replaces the initializer of every parameter created (custom
# creators see the replacement). Set by hk.experimental.fast_eval_shape.
param_init_override: contextvars.ContextVar[Callable[[Sequence[int], Any], Any] | None] = (
    contextvars.ContextVar("haiku_param_init_override", default=None)
)


def _param_init(init: Callable[..., Any] | None) -> Callable[..., Any] | None:
    """``init``, or the active :data:`param_init_override` (only for a given ``init``)."""
    if init is None:
        return None
    override = param_init_override.get()
    return init if override is None else override


def _check_shape(full_name: str, value: Any, shape: Sequence[int], dtype: Any) -> None:
    """Raises unless ``value`` has ``shape`` (the shape as requested, printed as given)."""
    if value is DO_NOT_STORE:
        return
    value_shape = getattr(value, "shape", None)
    if value_shape is not None and tuple(value_shape) != tuple(shape):
        raise ValueError(
            f"{full_name!r} with retrieved shape {tuple(value_shape)!r} does not match "
            f"shape={shape!r} dtype={dtype!r}: the stored value and the requested "
            "shape differ (check the module's size arguments, or the params given)."
        )


def _checked_shape(caller: str, bundle_name: str, name: str, shape: Sequence[int]) -> tuple[int, ...]:
    """``shape`` as a tuple; a clear error for negative or non-integer sizes."""
    shape = tuple(shape)
    for size in shape:
        # Symbolic sizes (jax.export shape polymorphism) pass through.
        if isinstance(size, (bool, float, complex)) or (
                isinstance(size, (int, np.integer)) and size < 0):
            # TypeError for both, as JAX raises for such shapes in dm-haiku.
            raise TypeError(
                f"{caller}: '{bundle_name}/{name}' was requested with shape {list(shape)}; "
                "every size must be a non-negative integer (check the module's size "
                "arguments)."
            )
    return shape


def get_parameter(
    name: str,
    shape: Sequence[int],
    dtype: Any = jnp.float32,
    init: Callable[[Sequence[int], Any], jax.Array] | None = None,
) -> jax.Array:
    """Creates or reuses a parameter for the given transformed function.

    >>> print(hk.get_parameter("w", [], init=jnp.ones))
    1.0

    Parameters with the same name in the same module (or at the top level of
    the same transform) are the same value:

    >>> w1 = hk.get_parameter("w", [], init=jnp.zeros)
    >>> w2 = hk.get_parameter("w", [], init=jnp.zeros)
    >>> assert w1 is w2

    Args:
      name: A name for the parameter.
      shape: The shape of the parameter.
      dtype: The dtype of the parameter.
      init: A callable of ``shape, dtype`` that makes the initial value. It may
        only be omitted when the parameter already exists.

    Returns:
      The parameter, after any custom getters have run.

    Raises:
      ValueError: outside a transform; when ``init`` is missing for a new
        parameter; when ``apply`` lacks the parameter; when the stored value
        has a different shape.
    """
    frame = current_frame("hk.get_parameter")
    if config.get_config().check_jax_usage:
        jax_usage.check("hk.get_parameter")
    bundle_name = _bundle_name(frame, "hk.get_parameter")
    requested = shape
    shape = _checked_shape("hk.get_parameter", bundle_name, name, shape)
    bundle = frame.params.get(bundle_name)
    value = bundle.get(name, _MISSING) if bundle is not None else _MISSING
    context = None
    if value is _MISSING:
        full_name = f"{bundle_name}/{name}"
        init = _param_init(init)
        if frame.params_frozen:
            missing = ValueError(
                f"Unable to retrieve parameter {name!r} for module {bundle_name!r} "
                "All parameters must be created as part of `init`. (The params "
                f"given to `apply` have no '{full_name}'.)"
            )
            if init is None or not any(params for _, params, _ in frame.creators):
                raise missing
            # In apply a custom creator may still decline to store the value
            # (DO_NOT_STORE) and leave it to a custom getter; nothing is created.
            context = interceptor_chains.getter_context(frame, _current_module(frame), bundle_name, name, shape, dtype, init)
            value = interceptor_chains.run_creators(frame, True, context, shape, dtype, init, missing)
            if value is not DO_NOT_STORE:
                raise missing
        elif init is None:
            raise ValueError(
                f"Initializer must be specified. '{full_name}' is a new parameter: pass "
                "`init=` to hk.get_parameter."
            )
        elif frame.creators:
            context = interceptor_chains.getter_context(frame, _current_module(frame), bundle_name, name, shape, dtype, init)
            value = interceptor_chains.run_creators(frame, True, context, shape, dtype, init)
        else:
            value = init(shape, dtype)
        _check_shape(full_name, value, requested, dtype)
        if value is not DO_NOT_STORE and not frame.params_frozen:
            frame.params.setdefault(bundle_name, {})[name] = value
    else:
        _check_shape(f"{bundle_name}/{name}", value, requested, dtype)
    if frame.getters:
        if context is None:
            context = interceptor_chains.getter_context(frame, _current_module(frame), bundle_name, name, shape, dtype, init)
        value = interceptor_chains.run_getters(frame, True, context, value)
    if value is DO_NOT_STORE:
        raise ValueError(
            f"Parameter '{bundle_name}/{name}' was not stored (DO_NOT_STORE) and no "
            "custom getter provided a value for it."
        )
    return value


class _Missing:
    pass


_MISSING: Any = _Missing()


# State.


def get_state(
    name: str,
    shape: Sequence[int] | None = None,
    dtype: Any = jnp.float32,
    init: Callable[[Sequence[int], Any], jax.Array] | None = None,
) -> jax.Array:
    """Gets the current value for state with an optional initializer.

    State is mutable data of a network (e.g. the moving averages of batch
    normalisation). A network that uses it must be transformed with
    :func:`haiku.transform_with_state`.

    >>> print(hk.get_state("counter", [], init=jnp.zeros))
    0.0

    Once the state exists it can be read with just its name:

    >>> print(hk.get_state("counter"))
    0.0

    Args:
      name: A name for the state.
      shape: The shape of the state (needed only to create it).
      dtype: The dtype of the state.
      init: A callable ``f(shape, dtype)`` giving the initial value (needed
        only to create it).

    Returns:
      The current value of the state.
    """
    frame = current_frame("hk.get_state")
    if config.get_config().check_jax_usage:
        jax_usage.check("hk.get_state")
    bundle_name = _bundle_name(frame, "hk.get_state")
    bundle = frame.state.get(bundle_name)
    pair = bundle.get(name) if bundle is not None else None
    context = None
    if pair is None:
        full_name = f"{bundle_name}/{name}"
        if init is None:
            raise ValueError(
                f"No value for {name!r} in {bundle_name!r}, perhaps set an init "
                f"function? State '{full_name}' does not exist yet: pass `init` (and "
                "`shape`) to create it."
            )
        if shape is None or dtype is None:
            raise ValueError(
                f"Must provide shape and dtype to initialize {name!r} in "
                f"{bundle_name!r}. State '{full_name}' is created on first use: pass "
                "`shape` (and `dtype`) with `init`."
            )
        requested = shape
        shape = _checked_shape("hk.get_state", bundle_name, name, shape)
        if any(state for _, _, state in frame.creators):
            context = interceptor_chains.getter_context(frame, _current_module(frame), bundle_name, name, shape, dtype, init)
            value = interceptor_chains.run_creators(frame, False, context, shape, dtype, init)
        else:
            value = init(shape, dtype)
        _check_shape(full_name, value, requested, dtype)
        if value is not DO_NOT_STORE:
            frame.state.setdefault(bundle_name, {})[name] = StatePair(value, value)
    else:
        value = pair.current
    if frame.getters and any(state for _, _, state in frame.getters):
        if context is None:
            vshape = tuple(shape) if shape is not None else None  # as called
            context = interceptor_chains.getter_context(frame, _current_module(frame), bundle_name, name, vshape, dtype, init)
        value = interceptor_chains.run_getters(frame, False, context, value)
    return value


def set_state(name: str, value: Any) -> None:
    """Sets the current value for some state.

    See :func:`get_state`.

    >>> hk.set_state("counter", jnp.zeros([]))
    >>> print(hk.get_state("counter"))
    0.0

    Args:
      name: A name for the state.
      value: A value to set.
    """
    frame = current_frame("hk.set_state")
    if config.get_config().check_jax_usage:
        jax_usage.check("hk.set_state")
    bundle_name = _bundle_name(frame, "hk.set_state")
    if frame.setters:
        value = interceptor_chains.run_setters(frame, _current_module(frame), bundle_name, name, value)
        if value is DO_NOT_STORE:
            return
    bundle = frame.state.setdefault(bundle_name, {})
    pair = bundle.get(name)
    if pair is None:
        bundle[name] = StatePair(value, value)
    else:
        bundle[name] = StatePair(pair.initial, value)


def _copy_params(params: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    return {m: dict(bundle) for m, bundle in params.items() if bundle}


def _state_values(state: Mapping[str, Mapping[str, StatePair]], initial: bool):
    index = 0 if initial else 1
    return {m: {k: pair[index] for k, pair in b.items()} for m, b in state.items() if b}


def get_params() -> dict[str, dict[str, jax.Array]]:
    """Returns a copy of the parameters of the current transform.

    During ``init`` this holds the parameters created so far; during
    ``apply`` it is the dictionary given to ``apply``. Custom getters and
    initializers are not run.

    >>> def f(x):
    ...   before = jax.tree_util.tree_map(jnp.shape, hk.get_params())
    ...   hk.get_parameter("w", [2], init=jnp.ones)
    ...   return before, jax.tree_util.tree_map(jnp.shape, hk.get_params())
    >>> hk.transform(f).apply({"~": {"w": jnp.ones([2])}}, None, 1.)
    ({'~': {'w': (2,)}}, {'~': {'w': (2,)}})
    """
    return _copy_params(current_frame("hk.get_params").params)


def get_current_state() -> dict[str, dict[str, jax.Array]]:
    """Returns a copy of the current state of the current transform.

    It is the state that ``apply`` would return if the function ended now:
    the most recently set value of each piece of state. Custom getters and
    initializers are not run.
    """
    return _state_values(current_frame("hk.get_current_state").state, initial=False)


def get_initial_state() -> dict[str, dict[str, jax.Array]]:
    """Returns a copy of the initial state of the current transform.

    During ``init`` each value is the first one set (directly or by the
    ``init`` of :func:`get_state`); during ``apply`` it is the state given to
    ``apply``. Custom getters and initializers are not run.
    """
    return _state_values(current_frame("hk.get_initial_state").state, initial=True)
