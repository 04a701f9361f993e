"""Automatic mixed precision: ``hk.mixed_precision``.

A :class:`jmp.Policy` registered for a module class changes every method call
of the instances of exactly that class (subclasses need their own policy):

* the positional and keyword arguments are cast with
  ``policy.cast_to_compute`` (only floating point arrays change);
* while the method runs, the policy is :func:`current_policy`, parameters the
  method (or any module it calls) creates are created with
  ``policy.param_dtype``, and every parameter or state value read is cast with
  ``policy.cast_to_compute``; parameters are *stored* in the parameter dtype;
* the result is cast with ``policy.cast_to_output``.

This holds for ``__init__`` as well (its arguments are cast, and parameters
it creates follow the policy) and for every other wrapped method. The
parameter creator and getter of a policy run innermost: custom creators and
getters entered outside the module see the requested dtype and the stored
value; method interceptors see the cast arguments.

Threads
-------

Registered policies are per thread: a policy set in one thread does not
apply in another, not even in threads started afterwards.

Cost
----

While no policy is registered in any thread, a module method call pays one
``is None`` check for this feature. Once one is registered, every module
method call looks up the class of its module; ``clear_policy`` of the last
registered policy restores the free path (policies left behind by threads
that ended keep the lookup on, which costs time but never changes results).
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from haiku._src import module as module_lib

if TYPE_CHECKING:
    import jmp

    from haiku._src.module import Module

__all__ = [
    "clear_policy",
    "current_policy",
    "get_policy",
    "push_policy",
    "set_policy",
]


class _Entry(NamedTuple):
    """A registered policy with its creator and getter entries for the frame."""

    policy: Any
    creator: tuple[Callable[..., Any], bool, bool]
    getter: tuple[Callable[..., Any], bool, bool]


def _make_entry(policy: jmp.Policy) -> _Entry:
    # Both read the innermost running policy, not ``policy``: when a module
    # with a policy calls one with another, the entries of both are on the
    # frame and the inner policy alone decides (a value is never cast to the
    # outer compute dtype on its way to the inner one).
    def creator(next_creator, shape, dtype, init, context):
        del dtype, context
        return next_creator(shape, (_current.get() or policy).param_dtype, init)

    def getter(next_getter, value, context):
        del context
        return next_getter((_current.get() or policy).cast_to_compute(value))

    # (function, params, state), as frame.creators and frame.getters hold them.
    return _Entry(policy, (creator, True, False), (getter, True, True))


class _Registry(threading.local):
    def __init__(self) -> None:
        self.entries: dict[type, _Entry] = {}


_registry = _Registry()

# How many (thread, class) policies are registered; guarded by _lock. While it
# is zero, module.py's method hook is None and module calls skip this file.
_lock = threading.Lock()
_count = 0

# The innermost policy of the module methods now running.
_current: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "haiku_mixed_precision_policy", default=None
)


def _call_with_policy(call: module_lib.MethodCall) -> Any:
    """``module.py``'s method hook: runs one method call under its class's policy."""
    entry = _registry.entries.get(type(call.module))
    if entry is None:
        return call.run()
    policy = entry.policy
    args, kwargs = policy.cast_to_compute((call.args, call.kwargs))
    token = _current.set(policy)
    call.frame.creators.append(entry.creator)
    call.frame.getters.append(entry.getter)
    try:
        out = call.run(args, kwargs)
    finally:
        _remove_last(call.frame.getters, entry.getter)
        _remove_last(call.frame.creators, entry.creator)
        _current.reset(token)
    return policy.cast_to_output(out)


def _remove_last(stack: list[Any], item: Any) -> None:
    for index in range(len(stack) - 1, -1, -1):
        if stack[index] is item:
            del stack[index]
            return


def _update_count(delta: int) -> None:
    global _count
    with _lock:
        _count += delta
        module_lib.method_hook = _call_with_policy if _count > 0 else None


def set_policy(cls: type[Module], policy: jmp.Policy) -> None:
    """Uses the given policy for all instances of the module class.

    NOTE: Policies are only applied to modules created in the current thread.

    Every method call of an instance of ``cls`` (exactly this class, not its
    subclasses) casts its inputs to the compute dtype, creates parameters in
    the parameter dtype and reads them (and state) in the compute dtype, and
    casts its outputs to the output dtype. The policy also applies to the
    modules those methods call, unless they have a policy of their own.

    >>> import jmp
    >>> class Scale(hk.Module):
    ...   def __call__(self, x):
    ...     w = hk.get_parameter("w", [], init=jnp.ones)
    ...     return x * w
    >>> policy = jmp.get_policy('params=float32,compute=bfloat16,output=float32')
    >>> hk.mixed_precision.set_policy(Scale, policy)
    >>> f = hk.transform(lambda x: Scale()(x))
    >>> x = jnp.ones([2], jnp.float32)
    >>> params = f.init(None, x)
    >>> params['scale']['w'].dtype
    dtype('float32')
    >>> f.apply(params, None, x).dtype
    dtype('float32')
    >>> hk.mixed_precision.clear_policy(Scale)

    Args:
      cls: A Haiku module class.
      policy: A JMP policy to apply to the module.

    See also:
      :func:`push_policy`: Context manager for setting policies.
      :func:`current_policy`: Retrieves the currently active policy (if any).
      :func:`clear_policy`: Clears any policies associated with a class.
      :func:`get_policy`: Gets the policy for a given class.
    """
    _put(cls, _make_entry(policy))


def _put(cls: type, entry: _Entry) -> None:
    entries = _registry.entries
    new = cls not in entries
    entries[cls] = entry
    if new:
        _update_count(+1)


def get_policy(cls: type[Module]) -> jmp.Policy | None:
    """Retrieves the currently active policy for the given class.

    Note that policies applied explicitly to a top level class (e.g. a ResNet)
    will be applied implicitly to all child modules (e.g. its convolutions)
    called from the parent. This function only returns policies that have been
    applied explicitly (e.g. via :func:`set_policy`) to ``cls`` in the current
    thread.

    >>> import jmp
    >>> class Foo(hk.Module):
    ...   pass
    >>> print(hk.mixed_precision.get_policy(Foo))
    None
    >>> policy = jmp.get_policy('float16')
    >>> hk.mixed_precision.set_policy(Foo, policy)
    >>> assert hk.mixed_precision.get_policy(Foo) is policy
    >>> hk.mixed_precision.clear_policy(Foo)

    Args:
      cls: A Haiku module class.

    Returns:
      A JMP policy that is used for the given class, or ``None`` if one is not
      active.

    See also:
      :func:`current_policy`: Retrieves the currently active policy (if any).
      :func:`clear_policy`: Clears any policies associated with a class.
      :func:`set_policy`: Sets a policy for a given class.
      :func:`push_policy`: Context manager for setting policies.
    """
    entry = _registry.entries.get(cls)
    return None if entry is None else entry.policy


def clear_policy(cls: type[Module]) -> None:
    """Clears any policy associated with the given class.

    Clearing a class that has no policy does nothing.

    >>> import jmp
    >>> class Foo(hk.Module):
    ...   pass
    >>> hk.mixed_precision.set_policy(Foo, jmp.get_policy('float16'))
    >>> hk.mixed_precision.clear_policy(Foo)
    >>> print(hk.mixed_precision.get_policy(Foo))
    None

    Args:
      cls: A Haiku module class.

    See also:
      :func:`current_policy`: Retrieves the currently active policy (if any).
      :func:`get_policy`: Gets the policy for a given class.
      :func:`set_policy`: Sets a policy for a given class.
      :func:`push_policy`: Context manager for setting policies.
    """
    if _registry.entries.pop(cls, None) is not None:
        _update_count(-1)


def current_policy() -> jmp.Policy | None:
    """Retrieves the currently active policy in the current context.

    That is the policy of the innermost running module method whose class has
    one (a policy on a parent class applies to the modules it calls), or
    ``None``:

    >>> import jmp
    >>> class Inner(hk.Module):
    ...   def __call__(self):
    ...     return hk.mixed_precision.current_policy()
    >>> class Outer(hk.Module):
    ...   def __call__(self):
    ...     return Inner()()
    >>> policy = jmp.get_policy('params=float32,compute=float16,output=float32')
    >>> hk.mixed_precision.set_policy(Outer, policy)
    >>> assert Outer()() is policy
    >>> print(hk.mixed_precision.current_policy())
    None
    >>> hk.mixed_precision.clear_policy(Outer)

    Returns:
      The currently active mixed precision policy, or ``None``.

    See also:
      :func:`clear_policy`: Clears any policies associated with a class.
      :func:`get_policy`: Gets the policy for a given class.
      :func:`set_policy`: Sets a policy for a given class.
      :func:`push_policy`: Context manager for setting policies.
    """
    return _current.get()


@contextlib.contextmanager
def push_policy(cls: type[Module], policy: jmp.Policy) -> Iterator[None]:
    """Sets the given policy for the given class while the context is active.

    On exit (also through an exception) the class gets back the policy it had
    before, or none.

    >>> import jmp
    >>> class Foo(hk.Module):
    ...   def __call__(self, x):
    ...     return x
    >>> policy = jmp.get_policy('params=float32,compute=float16,output=bfloat16')
    >>> with hk.mixed_precision.push_policy(Foo, policy):
    ...   y = Foo()(jnp.ones([]))
    >>> y.dtype
    dtype(bfloat16)
    >>> print(hk.mixed_precision.get_policy(Foo))
    None

    Args:
      cls: A Haiku module class.
      policy: A JMP policy to apply to the module.

    Yields:
      ``None``.

    See also:
      :func:`clear_policy`: Clears any policies associated with a class.
      :func:`get_policy`: Gets the policy for a given class.
      :func:`set_policy`: Sets a policy for a given class.
      :func:`current_policy`: Retrieves the currently active policy (if any).
    """
    previous = _registry.entries.get(cls)
    set_policy(cls, policy)
    try:
        yield
    finally:
        if previous is None:
            clear_policy(cls)
        else:
            _put(cls, previous)
