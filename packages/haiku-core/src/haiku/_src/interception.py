"""Custom creators, getters and setters, and method interceptors.

These let code change, at a distance, how parameters and state are created,
read and written, and how module methods are called.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple, Protocol

import jax

from haiku._src import base
from haiku._src.interceptor_chains import GetterContext, SetterContext

__all__ = [
    "Creator",
    "Getter",
    "GetterContext",
    "MethodContext",
    "MethodGetter",
    "Setter",
    "SetterContext",
    "custom_creator",
    "custom_getter",
    "custom_setter",
    "intercept_methods",
]


class Creator(Protocol):
    def __call__(
        self,
        next_creator: Callable[[Sequence[int], Any, Any], jax.Array],
        shape: Sequence[int],
        dtype: Any,
        init: Any,
        context: GetterContext,
    ) -> jax.Array: ...


class Getter(Protocol):
    def __call__(
        self, next_getter: Callable[[Any], Any], value: Any, context: GetterContext
    ) -> Any: ...


class Setter(Protocol):
    def __call__(
        self, next_setter: Callable[[Any], Any], value: Any, context: SetterContext
    ) -> Any: ...


@contextlib.contextmanager
def _pushed(stack: list, entry: Any) -> Iterator[None]:
    stack.append(entry)
    try:
        yield
    finally:
        stack.remove(entry)


def custom_creator(
    creator: Creator, *, params: bool = True, state: bool = False
) -> contextlib.AbstractContextManager[None]:
    """Registers a custom parameter and/or state creator.

    When a new parameter is created by :func:`haiku.get_parameter`, the
    active creators run first, outermost first, each passing (possibly
    changed) ``shape, dtype, init`` to the next:

    >>> def zeros_creator(next_creator, shape, dtype, init, context):
    ...   init = jnp.zeros
    ...   return next_creator(shape, dtype, init)

    >>> with hk.custom_creator(zeros_creator):
    ...   z = hk.get_parameter("z", [], jnp.float32, jnp.ones)
    >>> print(z)
    0.0

    With ``state=True`` the creator also runs when :func:`haiku.get_state`
    creates state:

    >>> with hk.custom_creator(zeros_creator, state=True):
    ...   z = hk.get_state("z", [], jnp.float32, jnp.ones)
    >>> print(z)
    0.0

    A creator may return :data:`haiku.DO_NOT_STORE` to keep the value out of
    the dictionaries ``init`` returns (a getter must then supply it).

    Args:
      creator: A parameter creator.
      params: Whether to intercept parameter creation, defaults to ``True``.
      state: Whether to intercept state creation, defaults to ``False``.

    Returns:
      Context manager under which the creator is active.
    """
    frame = base.current_frame("hk.custom_creator")
    return _pushed(frame.creators, (creator, params, state))


def custom_getter(
    getter: Getter, *, params: bool = True, state: bool = False
) -> contextlib.AbstractContextManager[None]:
    """Registers a custom parameter or state getter.

    Every read of a parameter by :func:`haiku.get_parameter` runs the active
    getters, outermost first:

    >>> def bf16_getter(next_getter, value, context):
    ...   value = value.astype(jnp.bfloat16)
    ...   return next_getter(value)

    >>> with hk.custom_getter(bf16_getter):
    ...   w = hk.get_parameter("w", [], jnp.float32, jnp.ones)
    >>> w.dtype
    dtype(bfloat16)

    With ``state=True`` the getter also runs for :func:`haiku.get_state`:

    >>> with hk.custom_getter(bf16_getter, state=True):
    ...   c = hk.get_state("c", [], jnp.float32, jnp.ones)
    >>> c.dtype
    dtype(bfloat16)

    Args:
      getter: A parameter getter.
      params: Whether the getter should run on :func:`haiku.get_parameter`.
      state: Whether the getter should run on :func:`haiku.get_state`.

    Returns:
      Context manager under which the getter is active.
    """
    frame = base.current_frame("hk.custom_getter")
    return _pushed(frame.getters, (getter, params, state))


def custom_setter(setter: Setter) -> contextlib.AbstractContextManager[None]:
    """Registers a custom state setter.

    Every :func:`haiku.set_state` runs the active setters, outermost first,
    before the value is saved:

    >>> def zero_during_init(next_setter, value, context):
    ...   if hk.running_init():
    ...     value = jnp.zeros_like(value)
    ...   return next_setter(value)

    >>> with hk.custom_setter(zero_during_init):
    ...   hk.set_state("x", jnp.ones([2]))
    ...   x = hk.get_state("x")
    >>> print(x)
    [0. 0.]

    Args:
      setter: A state setter.

    Returns:
      Context manager under which the setter is active.
    """
    frame = base.current_frame("hk.custom_setter")
    return _pushed(frame.setters, setter)


class MethodContext(NamedTuple):
    """Read only state showing the calling context for a method.

    Attributes:
      module: The module whose method is called.
      method_name: The name of the method being called on the module.
      orig_method: The underlying bound method; calling it skips the
        remaining interceptors.
      orig_class: The class which defined ``orig_method`` (with inheritance,
        not necessarily ``type(module)``).
    """

    module: Any
    method_name: str
    orig_method: Callable[..., Any]
    orig_class: type


class MethodGetter(Protocol):
    def __call__(
        self,
        next_fun: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        context: MethodContext,
    ) -> Any: ...


# The active interceptors, outermost first. Kept in a context variable (not a
# frame) so interceptors entered outside a transform apply inside it too.
interceptors: contextvars.ContextVar[tuple[MethodGetter, ...]] = contextvars.ContextVar(
    "haiku_interceptors", default=()
)


@contextlib.contextmanager
def intercept_methods(interceptor: MethodGetter) -> Iterator[None]:
    """Register a new method interceptor.

    Interceptors see every call of a module method made while they are
    active: they receive the arguments, may change them, call ``next_fun``
    (the next interceptor, and finally the method) and may change the result.
    They run outermost first; calling ``context.orig_method`` instead of
    ``next_fun`` skips the rest.

    >>> def double_inputs(next_fun, args, kwargs, context):
    ...   args = tuple(2 * a for a in args)
    ...   return next_fun(*args, **kwargs)
    >>> class Identity(hk.Module):
    ...   def __call__(self, x):
    ...     return x
    >>> with hk.intercept_methods(double_inputs):
    ...   print(Identity()(1.))
    2.0

    Args:
      interceptor: A method interceptor.

    Returns:
      Context manager under which the interceptor is active.
    """
    token = interceptors.set(interceptors.get() + (interceptor,))
    try:
        yield
    finally:
        interceptors.reset(token)


def run_interceptors(
    active: tuple[MethodGetter, ...],
    bound_method: Callable[..., Any],
    context: MethodContext,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """Calls ``bound_method`` through the ``active`` interceptors."""

    def call(index: int, *args: Any, **kwargs: Any) -> Any:
        if index == len(active):
            return bound_method(*args, **kwargs)
        return active[index](
            lambda *a, **k: call(index + 1, *a, **k), args, kwargs, context
        )

    return call(0, *args, **kwargs)
