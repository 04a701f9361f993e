"""Global options of Haiku: ``hk.config`` and a few ``hk.experimental`` switches.

Four options exist:

``check_jax_usage`` (default ``False``)
  Raise when raw JAX transforms or control flow are used on impure Haiku
  functions (see :func:`check_jax_usage`).
``module_auto_repr`` (default ``True``)
  Give every :class:`~haiku.Module` a generated ``__repr__`` built from its
  constructor arguments (see :func:`module_auto_repr`).
``restore_flatmap`` (default ``False``)
  Unpickle legacy ``FlatMap`` checkpoints as ``FlatMap`` instead of ``dict``.
``rng_reserve_size`` (default ``1``)
  How many keys :func:`~haiku.next_rng_key` splits off at once (see
  :func:`rng_reserve_size`).

Threads
-------

Options are kept per thread, as in dm-haiku. The main thread's options are the
process-wide default: a thread (or a fresh :mod:`contextvars` context) that
reads the options for the first time starts from a snapshot of the main
thread's current options, and from then on its options are its own.

* :func:`set` changes the options of the calling thread. Called on the main
  thread it therefore also changes what threads started later begin with.
* :func:`context` overrides options until the ``with`` block exits (normally or
  through an exception) and then restores every option, including ones that
  :func:`set` changed inside the block. It is built on :mod:`contextvars`, so
  on top of threads it also isolates asyncio tasks from each other.

The runtime reads the options on hot paths through :func:`get_config`, which
costs one :class:`contextvars.ContextVar` lookup. The returned :class:`Config`
is immutable: changing an option swaps in a new one.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import operator
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = [
    "Config",
    "check_jax_usage",
    "context",
    "get_config",
    "module_auto_repr",
    "rng_reserve_size",
    "set",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Config:
    """A snapshot of the Haiku options (immutable; see :func:`set`).

    Attributes:
      check_jax_usage: Whether to check that JAX transforms and control flow
        are used appropriately inside Haiku transformed functions.
      module_auto_repr: Whether modules get a generated ``__repr__``.
      restore_flatmap: Whether legacy pickled ``FlatMap`` checkpoints are
        restored as ``FlatMap`` (``True``) or as plain ``dict`` (``False``).
      rng_reserve_size: How many keys ``next_rng_key`` reserves per split.
    """

    check_jax_usage: bool = False
    module_auto_repr: bool = True
    restore_flatmap: bool = False
    rng_reserve_size: int = 1


# The options of the main thread, which is also what a thread starts from the
# first time it reads its options. Only ever replaced, never mutated.
_main_thread_config: Config = Config()

# The options of the current thread / context. ``None`` until first read.
_current: contextvars.ContextVar[Config | None] = contextvars.ContextVar(
    "haiku_config", default=None
)


def get_config() -> Config:
    """Returns the options in effect for the calling thread (cheap; hot path).

    >>> from haiku._src import config
    >>> config.get_config().rng_reserve_size
    1
    """
    current = _current.get()
    if current is None:
        # First read in this thread/context: pin a snapshot of the main
        # thread's options, so later changes there do not leak in.
        current = _main_thread_config
        _current.set(current)
    return current


def _activate(new: Config) -> None:
    """Makes ``new`` the calling thread's options."""
    global _main_thread_config
    _current.set(new)
    if threading.current_thread() is threading.main_thread():
        _main_thread_config = new


def _check_bool(name: str, value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"`{name}` must be a bool, got {value!r} of type {type(value).__name__}.")


def _check_reserve_size(size: Any) -> int:
    if isinstance(size, (bool, np.bool_)):
        raise TypeError(f"RNG reserve size must be an int, got {size!r}.")
    try:
        size = operator.index(size)
    except TypeError:
        raise TypeError(
            f"RNG reserve size must be an int, got {size!r} of type {type(size).__name__}."
        ) from None
    if size <= 0:
        raise ValueError(f"RNG reserve size needs to be more than 0, got {size}.")
    return size


def _changes(
    check_jax_usage: bool | None,
    module_auto_repr: bool | None,
    restore_flatmap: bool | None,
    rng_reserve_size: int | None,
) -> dict[str, Any]:
    """Validates the keyword arguments of set/context; drops the ``None`` ones."""
    changes: dict[str, Any] = {}
    if check_jax_usage is not None:
        changes["check_jax_usage"] = _check_bool("check_jax_usage", check_jax_usage)
    if module_auto_repr is not None:
        changes["module_auto_repr"] = _check_bool("module_auto_repr", module_auto_repr)
    if restore_flatmap is not None:
        changes["restore_flatmap"] = _check_bool("restore_flatmap", restore_flatmap)
    if rng_reserve_size is not None:
        changes["rng_reserve_size"] = _check_reserve_size(rng_reserve_size)
    return changes


def set(
    *,
    check_jax_usage: bool | None = None,
    module_auto_repr: bool | None = None,
    restore_flatmap: bool | None = None,
    rng_reserve_size: int | None = None,
) -> None:
    """Sets the given config option(s).

    Options passed as ``None`` (the default) keep their current value. The
    change applies to the calling thread; on the main thread it is also what
    threads started afterwards begin with.

    >>> hk.config.set(rng_reserve_size=4)
    >>> hk.experimental.rng_reserve_size(1)  # Returns the previous value.
    4

    Args:
      check_jax_usage: Checks that jax transforms and control flow are used
        appropriately in Haiku transformed functions.
      module_auto_repr: Can be used to disable the "to string" functionality
        that is part of Haiku's base constructor.
      restore_flatmap: Whether legacy checkpoints should be restored in the old
        FlatMap datatype (as returned by ``to_immutable_dict``), default is to
        restore these as plain dicts.
      rng_reserve_size: Amount of keys to reserve when splitting off a key
        through ``next_rng_key()``, defaults to 1. Reserving larger blocks of
        keys can improve compilation and run-time of your model. Changing the
        reservation size will change RNG keys returned by ``next_rng_key``,
        and will change the generated random numbers.

    Raises:
      TypeError: if a flag is not a bool or ``rng_reserve_size`` not an int.
      ValueError: if ``rng_reserve_size`` is not positive.
    """
    changes = _changes(check_jax_usage, module_auto_repr, restore_flatmap, rng_reserve_size)
    if changes:
        _activate(dataclasses.replace(get_config(), **changes))


@contextlib.contextmanager
def _applied(changes: dict[str, Any]) -> Iterator[None]:
    previous = get_config()
    _activate(dataclasses.replace(previous, **changes))
    try:
        yield
    finally:
        _activate(previous)


def context(
    *,
    check_jax_usage: bool | None = None,
    module_auto_repr: bool | None = None,
    restore_flatmap: bool | None = None,
    rng_reserve_size: int | None = None,
) -> contextlib.AbstractContextManager[None]:
    """Context manager for setting config options.

    This context manager can be used to override config settings in a given
    context, values that are not explicitly passed as keyword arguments retain
    their current value:

    >>> with hk.config.context(check_jax_usage=True):
    ...   pass

    On exit (also when the block raises) every option gets back the value it
    had on entry:

    >>> with hk.config.context(rng_reserve_size=8):
    ...   inside = hk.experimental.rng_reserve_size(8)  # Returns the current value.
    >>> inside
    8
    >>> hk.experimental.rng_reserve_size(1)  # Back to the value before the block.
    1

    The arguments are validated when ``context`` is called, before the block
    is entered.

    Args:
      check_jax_usage: Checks that jax transforms and control flow are used
        appropriately in Haiku transformed functions.
      module_auto_repr: Can be used to disable the "to string" functionality
        that is part of Haiku's base constructor.
      restore_flatmap: Whether legacy checkpoints should be restored in the old
        FlatMap datatype (as returned by ``to_immutable_dict``), default is to
        restore these as plain dicts.
      rng_reserve_size: Amount of keys to reserve when splitting off a key
        through ``next_rng_key()``, defaults to 1. Reserving larger blocks of
        keys can improve compilation and run-time of your model. Changing the
        reservation size will change RNG keys returned by ``next_rng_key``,
        and will change the generated random numbers.

    Returns:
      Context manager that applies the given configs while active.

    Raises:
      TypeError: if a flag is not a bool or ``rng_reserve_size`` not an int.
      ValueError: if ``rng_reserve_size`` is not positive.
    """
    return _applied(_changes(check_jax_usage, module_auto_repr, restore_flatmap, rng_reserve_size))


def check_jax_usage(enabled: bool = True) -> bool:
    """Ensures JAX APIs (e.g. :func:`jax.vmap`) are used correctly with Haiku.

    JAX transforms and control flow expect pure functions. Haiku functions
    such as :func:`~haiku.get_parameter` have side effects, so functions using
    them only become pure after :func:`~haiku.transform`; inside a transform
    use the Haiku versions (:func:`~haiku.vmap`, :func:`~haiku.cond`, ...).
    With this check enabled, applying a raw JAX transform to such a function
    inside a Haiku transform raises :class:`haiku.JaxUsageError` instead of
    silently misbehaving:

    >>> def f():
    ...   return hk.get_parameter("some_param", [], init=jnp.zeros)
    >>> previous_value = hk.experimental.check_jax_usage(True)
    >>> jax.vmap(f, axis_size=2)()
    Traceback (most recent call last):
      ...
    haiku.JaxUsageError: ...

    The Haiku version of the JAX function works:

    >>> print(hk.vmap(f, axis_size=2, split_rng=False)())
    [0. 0.]
    >>> hk.experimental.check_jax_usage(previous_value)
    True

    Args:
      enabled: Boolean indicating whether usage should be checked or not.

    Returns:
      Boolean with the previous value for this setting.

    Raises:
      TypeError: if ``enabled`` is not a bool.
    """
    enabled = _check_bool("check_jax_usage", enabled)
    previous = get_config().check_jax_usage
    set(check_jax_usage=enabled)
    return previous


def module_auto_repr(enabled: bool) -> bool:
    """Disables automatically generating an implementation of Module.__repr__.

    By default, Haiku generates a string representation of every module from
    its constructor arguments (``Linear(output_size=1)``). Building that string
    costs time when the arguments are large nested structures or when modules
    are created in great numbers; this switch turns the feature off for all
    modules (a class can also opt out alone with ``AUTO_REPR = False``).

    >>> previous_value = hk.experimental.module_auto_repr(False)
    >>> previous_value
    True
    >>> hk.experimental.module_auto_repr(True)
    False

    Args:
      enabled: Boolean indicating whether a module should be enabled.

    Returns:
      The previous value of this config setting.

    Raises:
      TypeError: if ``enabled`` is not a bool.
    """
    enabled = _check_bool("module_auto_repr", enabled)
    previous = get_config().module_auto_repr
    set(module_auto_repr=enabled)
    return previous


def rng_reserve_size(size: int) -> int:
    """Change amount of RNG keys reserved when calling ``next_rng_key``.

    >>> previous = hk.experimental.rng_reserve_size(16)
    >>> previous
    1
    >>> hk.experimental.rng_reserve_size(previous)
    16

    Args:
      size: Amount of keys to reserve when splitting off a key through
        ``next_rng_key()``, defaults to 1. Reserving larger blocks of keys can
        improve compilation and run-time of your model. Changing the
        reservation size will change RNG keys returned by ``next_rng_key``,
        and will change the generated random numbers.

    Returns:
      The previous value of the rng_reserve_size setting.

    Raises:
      TypeError: if ``size`` is not an int.
      ValueError: if ``size`` is not positive.
    """
    size = _check_reserve_size(size)
    previous = get_config().rng_reserve_size
    set(rng_reserve_size=size)
    return previous
