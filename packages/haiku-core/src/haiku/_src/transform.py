"""Transforms: turning impure Haiku functions into pairs of pure functions."""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple, Optional, TypeVar, Union

import jax

from haiku._src import base
from haiku._src.base import Frame, StatePair
from haiku._src.rng import PRNGSequence, assert_is_prng_key, is_seed
from haiku._src.typing import MutableParams, MutableState, Params, State

__all__ = [
    "MultiTransformed",
    "MultiTransformedWithState",
    "NonEmptyStateError",
    "Transformed",
    "TransformedWithState",
    "multi_transform",
    "multi_transform_with_state",
    "running_init",
    "transform",
    "transform_with_state",
    "with_empty_state",
    "without_apply_rng",
    "without_state",
]

running_init = base.running_init


class Transformed(NamedTuple):
    """Holds a pair of pure functions.

    Attributes:
      init: A pure function: ``params = init(rng, *a, **k)``
      apply: A pure function: ``out = apply(params, rng, *a, **k)``
    """

    init: Callable[..., MutableParams]
    apply: Callable[..., Any]


class TransformedWithState(NamedTuple):
    """Holds a pair of pure functions.

    Attributes:
      init: A pure function: ``params, state = init(rng, *a, **k)``
      apply: A pure function: ``out, state = apply(params, state, rng, *a, **k)``
    """

    init: Callable[..., tuple[MutableParams, MutableState]]
    apply: Callable[..., tuple[Any, MutableState]]


class MultiTransformed(NamedTuple):
    """Holds a collection of pure functions.

    Attributes:
      init: A pure function: ``params = init(rng, *a, **k)``
      apply: A JAX tree of pure functions each with the signature:
        ``out = apply(params, rng, *a, **k)``.
    """

    init: Callable[..., MutableParams]
    apply: Any


class MultiTransformedWithState(NamedTuple):
    """Holds a collection of pure functions.

    Attributes:
      init: A pure function: ``params, state = init(rng, *a, **k)``
      apply: A JAX tree of pure functions each with the signature:
        ``out, state = apply(params, state, rng, *a, **k)``.
    """

    init: Callable[..., tuple[MutableParams, MutableState]]
    apply: Any


TransformedT = TypeVar(
    "TransformedT", Transformed, TransformedWithState, MultiTransformed, MultiTransformedWithState
)

_ANY_TRANSFORMED = (Transformed, TransformedWithState, MultiTransformed, MultiTransformedWithState)


class NonEmptyStateError(ValueError):
    """Raised when a function transformed without state uses state."""


_SIGNATURES = (
    # dm-haiku's words, its doubled backquote included.
    "For reference the parameters for apply are `apply(params, rng, ...)`` for "
    "`hk.transform` and `apply(params, state, rng, ...)` for `hk.transform_with_state`."
)


def _rng_sequence(rng: Any, fn_name: str, signature: str) -> PRNGSequence | None:
    if rng is None:
        return None
    if isinstance(rng, PRNGSequence):
        return PRNGSequence(rng)
    if is_seed(rng):
        return PRNGSequence(rng)
    try:
        assert_is_prng_key(rng)
    except ValueError as e:
        raise ValueError(
            f"{fn_name} must be called with an RNG as the {signature}. The object "
            f"was of type {type(rng)}: {rng}"
        ) from e
    return PRNGSequence(rng)


def _check_mapping(what: str, value: Any) -> Mapping[str, Mapping[str, Any]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(
            f"{what} argument does not appear valid. It should be a mapping but is "
            f"of type {type(value)}. {_SIGNATURES}\nThe argument was: {value!r}."
        )
    return value


# Types of ``jax.jit`` and ``jax.pmap`` wrapped functions.
_JAX_TRANSFORMED_TYPES = ("PjitFunction", "PmapFunction")


def _check_not_transformed(f: Any, caller: str) -> None:
    if type(f).__name__ in _JAX_TRANSFORMED_TYPES:
        raise ValueError(
            "A common error with Haiku is to pass an already jit (or pmap) decorated "
            "function into hk.transform (e.g. `hk.transform(jax.jit(f)))`. You should "
            "instead jit/pmap the init or apply function you get back from Haiku (e.g. "
            "`jax.jit(hk.transform(f).apply)`).\n\nThis is because the function you pass "
            "into hk.transform is not a pure function (because you don't explicitly pass "
            "in/out params/rng). jit and pmap require you to pass in a pure function (such "
            "as the init or apply functions Haiku gives you back from hk.transform). "
            f"(A jitted function was given to {caller}.)"
        )
    if isinstance(f, _ANY_TRANSFORMED):
        raise TypeError(
            f"{caller} expects a function, not an already transformed "
            f"{type(f).__name__}: transform the original function instead."
        )
    if not callable(f):
        raise TypeError(f"{caller} expects a callable, got {type(f).__name__}: {f!r}")


@contextlib.contextmanager
def _tracer_hint() -> Iterator[None]:
    """Re-raises a leaked-tracer error with a hint at Haiku's own transforms."""
    try:
        yield
    except jax.errors.UnexpectedTracerError as e:
        raise jax.errors.UnexpectedTracerError(
            "An UnexpectedTracerError was raised while inside a Haiku transformed "
            "function (see error above).\n"
            "Hint: are you using a JAX transform or JAX control-flow function "
            "(jax.vmap/jax.lax.scan/...) inside a Haiku transform? You might want to "
            "use the Haiku version of the transform instead (hk.vmap/hk.scan/...).\n"
            "See https://dm-haiku.readthedocs.io/en/latest/notebooks/transforms.html "
            "on why you can't use JAX transforms inside a Haiku module."
        ) from e


def _tag(fn: Callable[..., Any], original: Callable[..., Any]) -> Callable[..., Any]:
    fn._hk_original_fn = original  # type: ignore[attr-defined]
    return fn


# ``inspect.signature`` of the transformed functions: the leading arguments
# Haiku adds, then the parameters of the user's function (as in dm-haiku).

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _param(name: str, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation)


_RNG = _param("rng", Optional[Union[jax.Array, int]])
_PARAMS = _param("params", Optional[Params])
_STATE = _param("state", Optional[State])


def _signature_of(fn: Callable[..., Any]) -> inspect.Signature:
    """``fn``'s signature, or ``(*args, **kwargs)`` for callables without one."""
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return inspect.signature(lambda *args, **kwargs: None)


def _set_signature(fn: Callable[..., Any], signature: inspect.Signature) -> None:
    fn.__signature__ = signature  # type: ignore[attr-defined]


def _replace_leading(
    signature: inspect.Signature,
    n: int,
    leading: list[inspect.Parameter],
    returns: Callable[[Any], Any] = lambda annotation: annotation,
) -> inspect.Signature:
    """``signature`` with its first ``n`` positional parameters replaced by ``leading``.

    ``returns`` maps the return annotation. The result is not validated: a
    user's positional-only parameters may follow the added ones.
    """
    rest = list(signature.parameters.values())
    dropped = 0
    while dropped < min(n, len(rest)) and rest[dropped].kind in _POSITIONAL:
        dropped += 1
    return inspect.Signature(
        parameters=leading + rest[dropped:],
        return_annotation=returns(signature.return_annotation),
        __validate_parameters__=False,
    )


def _add_state(annotation: Any) -> Any:
    """``tuple[annotation, State]``: the return type once state is returned too."""
    if annotation is inspect.Signature.empty:
        annotation = Any
    return tuple[annotation, State]


def _remove_state(annotation: Any) -> Any:
    """``X`` for ``tuple[X, State]``: the return type once state is dropped."""
    args: tuple[Any, ...] = getattr(annotation, "__args__", ())
    if getattr(annotation, "__origin__", None) is tuple and len(args) == 2:
        return args[0]
    return Any


def _frame_outputs(frame: Frame, initial_state: bool):
    params = {m: dict(b) for m, b in frame.params.items() if b}
    index = 0 if initial_state else 1
    state = {m: {k: p[index] for k, p in b.items()} for m, b in frame.state.items() if b}
    return params, state


def _init_frame(rng: Any) -> Frame:
    seq = _rng_sequence(rng, "Init", "first argument, the required signature is: `init(rng, *a, **k)`")
    return Frame({}, {}, seq, params_frozen=False, is_init=True)


def _apply_frame(params: Any, state: Any, rng: Any) -> Frame:
    # ``state`` is None when called through ``hk.transform``'s stateless apply.
    signature = (
        "second argument, the required signature is: `apply(params, rng, *a, **k)`"
        if state is None
        else "third argument, the required signature is: `apply(params, state, rng, *a, **k)`"
    )
    params = _check_mapping("params", params)
    state = _check_mapping("state", state)
    seq = _rng_sequence(rng, "Apply", signature)
    frame_state = {m: {k: StatePair(v, v) for k, v in b.items()} for m, b in state.items()}
    return Frame(params, frame_state, seq, params_frozen=True, is_init=False)


def transform_with_state(f: Callable[..., Any]) -> TransformedWithState:
    """Transforms a function using Haiku modules into a pair of pure functions.

    See :func:`transform` for general details on Haiku transformations. Here
    ``init`` also returns the initial state and ``apply`` takes the state and
    returns the updated state::

      params, state = init(rng, *a, **k)
      out, state = apply(params, state, rng, *a, **k)

    State is read and written with :func:`haiku.get_state` and
    :func:`haiku.set_state`:

    >>> def f():
    ...   counter = hk.get_state("counter", shape=[], dtype=jnp.int32,
    ...                          init=jnp.zeros)
    ...   hk.set_state("counter", counter + 1)
    ...   return counter
    >>> f = hk.transform_with_state(f)

    >>> params, state = f.init(None)
    >>> for _ in range(10):
    ...   counter, state = f.apply(params, state, None)
    >>> print(counter)
    9

    Args:
      f: A function closing over :class:`Module` instances.

    Returns:
      A :class:`TransformedWithState` tuple with ``init`` and ``apply`` pure
      functions.
    """
    _check_not_transformed(f, "hk.transform_with_state")

    def init_fn(rng, *args, **kwargs):
        """Creates the parameters and initial state of ``f``."""
        frame = _init_frame(rng)
        with base.new_frame(frame), _tracer_hint():
            f(*args, **kwargs)
        return _frame_outputs(frame, initial_state=True)

    def apply_fn(params, state, rng, *args, **kwargs):
        """Runs ``f`` with the given parameters and state."""
        frame = _apply_frame(params, state, rng)
        with base.new_frame(frame), _tracer_hint():
            out = f(*args, **kwargs)
        return out, _frame_outputs(frame, initial_state=False)[1]

    f_signature = _signature_of(f)
    _set_signature(
        init_fn, _replace_leading(f_signature, 0, [_RNG], lambda _: tuple[Params, State])
    )
    _set_signature(
        apply_fn, _replace_leading(f_signature, 0, [_PARAMS, _STATE, _RNG], _add_state)
    )
    return TransformedWithState(_tag(init_fn, f), _tag(apply_fn, f))


def transform(f: Callable[..., Any], *, apply_rng: bool = True) -> Transformed:
    """Transforms a function using Haiku modules into a pair of pure functions.

    For ``out = f(*a, **k)`` it returns ``init`` and ``apply`` such that::

      params = init(rng, *a, **k)
      out = apply(params, rng, *a, **k)

    ``apply`` may be given ``None`` as its key if ``f`` draws no random
    numbers.

    >>> class MyModule(hk.Module):
    ...   def __call__(self, x):
    ...     w = hk.get_parameter("w", [], init=jnp.zeros)
    ...     return x + w

    >>> def f(x):
    ...   a = MyModule()
    ...   b = MyModule()
    ...   return a(x) + b(x)
    >>> f = hk.transform(f)

    >>> params = f.init(None, 1)
    >>> params
    {'my_module': {'w': ...Array(0., dtype=float32)}, 'my_module_1': {'w': ...Array(0., dtype=float32)}}

    >>> print(f.apply(params, None, 1))
    2.0

    >>> new_params = {"my_module": {"w": jnp.array(2.)},
    ...               "my_module_1": {"w": jnp.array(3.)}}
    >>> print(f.apply(new_params, None, 2))
    9.0

    For functions that use state see :func:`transform_with_state`.

    Args:
      f: A function closing over :class:`Module` instances.
      apply_rng: In the process of being removed. Can only value ``True``.

    Returns:
      A :class:`Transformed` tuple with ``init`` and ``apply`` pure functions.
    """
    if not apply_rng:
        raise ValueError(
            "The apply_rng argument has been removed and hk.transform now *always* "
            "applies an rng.\nReplace hk.transform(..., apply_rng=False) with "
            "hk.without_apply_rng(hk.transform(...)).\nReplace "
            "hk.transform(..., apply_rng=True) with hk.transform(...)."
        )
    _check_not_transformed(f, "hk.transform")
    return without_state(transform_with_state(f))


def _raise_if_state(state: Mapping[str, Any], use: str = "hk.transform_with_state") -> None:
    if state:
        raise NonEmptyStateError(
            "If your transformed function uses `hk.{get,set}_state` then use "
            f"`{use}`. (State found for {sorted(state)}.)"
        )


def _check_single(f: Any, caller: str) -> None:
    if isinstance(f, (MultiTransformed, MultiTransformedWithState)) or not callable(
        getattr(f, "apply", None)
    ):
        raise TypeError(
            f"{caller} expects the result of hk.transform or hk.transform_with_state "
            f"(a single apply function), got {type(f).__name__}."
        )


def without_state(f: TransformedWithState) -> Transformed:
    """Wraps a transformed tuple and ignores state in/out.

    >>> def f(x):
    ...   return x + hk.get_parameter("b", [1], init=jnp.zeros)
    >>> f = hk.without_state(hk.transform_with_state(f))
    >>> params = f.init(None, 1.)
    >>> print(f.apply(params, None, 1.))
    [1.]

    Args:
      f: A transformed function.

    Returns:
      A transformed function that does not take or return state. Using state
      inside it raises :class:`NonEmptyStateError`.
    """

    _check_single(f, "hk.without_state")

    def init_fn(*args, **kwargs):
        params, state = f.init(*args, **kwargs)
        _raise_if_state(state)
        return params

    def apply_fn(params, *args, **kwargs):
        if "state" in kwargs:
            raise TypeError(
                "Haiku transform adds three arguments (params, state, rng) to apply. "
                "If the functions you are transforming use the same names you must "
                "pass them positionally (e.g. `f.apply(.., my_state)` and not by "
                "name (e.g. `f.apply(.., state=my_state)`). Here `state` is the "
                "keyword argument that clashes."
            )
        out, state = f.apply(params, None, *args, **kwargs)
        _raise_if_state(state)
        return out

    _set_signature(init_fn, _replace_leading(_signature_of(f.init), 0, [], _remove_state))
    _set_signature(
        apply_fn, _replace_leading(_signature_of(f.apply), 2, [_PARAMS], _remove_state)
    )
    original = getattr(f.init, "_hk_original_fn", None)
    if original is not None:
        _tag(init_fn, original)
        _tag(apply_fn, original)
    return Transformed(init_fn, apply_fn)


def with_empty_state(f: Transformed) -> TransformedWithState:
    """Wraps a transformed tuple and passes empty state in/out.

    >>> f = hk.with_empty_state(hk.transform(lambda x: x + 1))
    >>> params, state = f.init(None, 1)
    >>> state
    {}
    >>> f.apply(params, state, None, 1)
    (2, {})

    Args:
      f: A transformed function.

    Returns:
      A transformed function that accepts and returns (empty) state.
    """

    _check_single(f, "hk.with_empty_state")

    def init_fn(*args, **kwargs):
        return f.init(*args, **kwargs), {}

    def apply_fn(params, state, *args, **kwargs):
        del state
        return f.apply(params, *args, **kwargs), {}

    _set_signature(init_fn, _replace_leading(_signature_of(f.init), 0, [], _add_state))
    _set_signature(
        apply_fn, _replace_leading(_signature_of(f.apply), 1, [_PARAMS, _STATE], _add_state)
    )
    original = getattr(f.init, "_hk_original_fn", None)
    if original is not None:
        _tag(init_fn, original)
        _tag(apply_fn, original)
    return TransformedWithState(init_fn, apply_fn)


def without_apply_rng(f: TransformedT) -> TransformedT:
    """Removes the rng argument from the apply function.

    Handy when ``f`` draws no random numbers in ``apply``; if it does, it
    raises an error saying a key is needed.

    >>> f = hk.without_apply_rng(hk.transform(lambda x: 2 * x))
    >>> f.apply({}, 3)
    6

    Args:
      f: A transformed function (any of the four transformed types).

    Returns:
      The same transformed function, with an ``apply`` that takes no rng.
    """
    if isinstance(f, (Transformed, MultiTransformed)):

        def wrap(apply):
            @functools.wraps(apply)
            def apply_fn(params, *args, **kwargs):
                _check_no_rng_kwarg(kwargs)
                return apply(params, None, *args, **kwargs)

            _set_signature(apply_fn, _replace_leading(_signature_of(apply), 2, [_PARAMS]))
            return apply_fn

    elif isinstance(f, (TransformedWithState, MultiTransformedWithState)):

        def wrap(apply):
            @functools.wraps(apply)
            def apply_fn(params, state, *args, **kwargs):
                _check_no_rng_kwarg(kwargs)
                return apply(params, state, None, *args, **kwargs)

            _set_signature(
                apply_fn, _replace_leading(_signature_of(apply), 3, [_PARAMS, _STATE])
            )
            return apply_fn

    else:
        raise ValueError(
            "Must be called with the result of `hk.transformed`, `hk.multi_transform`, "
            "`hk.transformed_with_state` or `hk.multi_transform_with_state`, actually "
            f"called with {type(f)}: hk.without_apply_rng wraps the `apply` of a "
            "transformed function."
        )
    return f._replace(apply=jax.tree_util.tree_map(wrap, f.apply))


def _check_no_rng_kwarg(kwargs: Mapping[str, Any]) -> None:
    if "rng" in kwargs:
        raise TypeError(
            "Haiku transform adds three arguments (params, state, rng) to apply. "
            "If the functions you are transforming use the same names you must "
            "pass them positionally (e.g. `f.apply(.., my_rng)` and not by name "
            "(e.g. `f.apply(.., rng=my_rng)`). Here `rng` is the keyword argument "
            "that clashes (hk.without_apply_rng passes rng=None itself)."
        )


def _apply_structure(f: Callable[[], tuple[Any, Any]]) -> jax.tree_util.PyTreeDef:
    """The tree structure of the apply functions ``f`` returns."""
    frame = Frame({}, {}, None, params_frozen=False, is_init=True)
    with base.new_frame(frame):
        _, apply_fns = f()
    return jax.tree_util.tree_structure(apply_fns)


def multi_transform_with_state(
    f: Callable[[], tuple[Callable[..., Any], Any]],
) -> MultiTransformedWithState:
    """Transforms a collection of functions using Haiku into pure functions.

    ``f`` returns a template function, which connects every module and
    defines ``init``, and a tree of functions reusing those modules, which
    become the tree of ``apply`` functions. See :func:`multi_transform`.

    >>> def f():
    ...   scale = hk.to_module(lambda x: x * hk.get_parameter("s", [], init=jnp.ones))(name="scale")
    ...   counter = lambda: hk.set_state("n", hk.get_state("n", [], init=jnp.zeros) + 1)
    ...   def init(x):
    ...     counter()
    ...     return scale(x)
    ...   return init, (scale, counter)
    >>> f = hk.multi_transform_with_state(f)
    >>> params, state = f.init(None, 1.)
    >>> scale, count = f.apply
    >>> out, state = scale(params, state, None, 2.)
    >>> _, state = count(params, state, None)
    >>> print(out, state["~"]["n"])
    2.0 1.0

    Args:
      f: Function returning a "template" function and an arbitrary tree of
        functions using modules connected in the template function.

    Returns:
      An ``init`` function and a tree of pure ``apply`` functions.
    """
    _check_not_transformed(f, "hk.multi_transform_with_state")

    def init_fn(rng, *args, **kwargs):
        frame = _init_frame(rng)
        with base.new_frame(frame), _tracer_hint():
            template, _ = f()
            template(*args, **kwargs)
        return _frame_outputs(frame, initial_state=True)

    def make_apply(index: int) -> Callable[..., Any]:
        def apply_fn(params, state, rng, *args, **kwargs):
            frame = _apply_frame(params, state, rng)
            with base.new_frame(frame), _tracer_hint():
                _, apply_fns = f()
                out = jax.tree_util.tree_leaves(apply_fns)[index](*args, **kwargs)
            return out, _frame_outputs(frame, initial_state=False)[1]

        return _tag(apply_fn, f)

    structure = _apply_structure(f)
    apply_fns = jax.tree_util.tree_unflatten(
        structure, [make_apply(i) for i in range(structure.num_leaves)]
    )
    return MultiTransformedWithState(_tag(init_fn, f), apply_fns)


def multi_transform(f: Callable[[], tuple[Callable[..., Any], Any]]) -> MultiTransformed:
    """Transforms a collection of functions using Haiku into pure functions.

    Useful when several functions share modules (an encoder and a decoder,
    say) and need one ``init`` that creates every parameter. ``f`` returns a
    template function, which must use every module and defines ``init``, and
    a tree of functions reusing those modules, which become the ``apply``
    functions.

    >>> def f():
    ...   scale = hk.to_module(lambda x: x * hk.get_parameter("s", [], init=jnp.ones))
    ...   encoder, decoder = scale(name="encoder"), scale(name="decoder")
    ...   def init(x):
    ...     return decoder(encoder(x))
    ...   return init, (encoder, decoder)
    >>> f = hk.multi_transform(f)
    >>> params = f.init(None, 1.)
    >>> sorted(params)
    ['decoder', 'encoder']
    >>> encode, decode = f.apply
    >>> print(decode(params, None, encode(params, None, 3.)))
    3.0

    Args:
      f: A factory function that returns two functions, firstly a common init
        function that creates all modules, and secondly a pytree of apply
        functions which make use of those modules.

    Returns:
      A :class:`MultiTransformed` with a pure ``init`` creating all parameters
      and a pytree of pure ``apply`` functions.
    """
    _check_not_transformed(f, "hk.multi_transform")
    f_with_state = multi_transform_with_state(f)

    def init_fn(*args, **kwargs):
        params, state = f_with_state.init(*args, **kwargs)
        _raise_if_state(state, use="hk.multi_transform_with_state")
        return params

    def wrap(apply):
        def apply_fn(params, *args, **kwargs):
            out, state = apply(params, None, *args, **kwargs)
            _raise_if_state(state, use="hk.multi_transform_with_state")
            return out

        return _tag(apply_fn, f)

    return MultiTransformed(_tag(init_fn, f), jax.tree_util.tree_map(wrap, f_with_state.apply))
