"""Name scopes and forced names."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from haiku._src import base
from haiku._src.base import ModuleState, current_name
from haiku._src.module import ForcedName, Module, check_name

__all__ = ["current_name", "force_name", "name_scope"]


class NameScope(Module):
    """The module a :func:`name_scope` enters; it holds nothing itself."""

    AUTO_REPR = False


@contextlib.contextmanager
def name_scope(name: str, *, method_name: str = "__call__") -> Iterator[None]:
    """Context manager which adds a prefix to all new modules, params or state.

    >>> with hk.name_scope("my_name_scope"):
    ...   w = hk.get_parameter("w", [], init=jnp.ones)
    >>> list(hk.get_params())
    ['my_name_scope']

    Inside a module the scope is nested in the module's name. A name scope is
    exactly a call of a method ``method_name`` on a module named ``name``, so
    entering the same scope twice gives ``name`` then ``name_1``.

    Args:
      name: The name scope to use (e.g. ``"foo"`` or ``"foo/bar"``).
      method_name: (Advanced) the method the scope stands for; submodules are
        named as if created in that method (``"__call__"`` by default).

    Returns:
      A single use context manager that prefixes new modules, parameters and
      state with the given name.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"hk.name_scope needs a non-empty string name, got {name!r}.")
    parts = name.split("/")
    for part in parts:
        check_name(part, what=f"name scope component of {name!r}")
    frame = base.current_frame("hk.name_scope")
    depth = len(frame.module_stack)
    try:
        for part in parts:
            scope = NameScope(name=part)
            frame.push_module(ModuleState(scope, method_name))
        yield
    finally:
        while len(frame.module_stack) > depth:
            frame.pop_module()


def force_name(name: str) -> str:
    """Forces Haiku to use this name, ignoring all context information.

    Haiku names modules by where they are created. A forced name is used as
    given, which lets two modules share parameters:

    >>> class Scale(hk.Module):
    ...   def __call__(self, x):
    ...     return x * hk.get_parameter("s", [], init=jnp.ones)
    >>> mod0 = Scale()
    >>> mod1 = Scale(name=hk.force_name(mod0.module_name))
    >>> mod1.module_name == mod0.module_name
    True

    Use sparingly: it makes the module a singleton at that absolute name.

    Args:
      name: String name for the module. For example ``"foo"`` or ``"foo/bar"``.

    Returns:
      A value suitable to pass into the ``name`` argument of any Haiku module
      constructor.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"hk.force_name needs a non-empty string, got {name!r}.")
    return ForcedName(name)
