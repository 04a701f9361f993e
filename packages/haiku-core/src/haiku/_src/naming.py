"""Name scopes and forced names."""

from __future__ import annotations

from haiku._src import base
from haiku._src.base import ModuleState, current_name
from haiku._src.module import ForcedName, Module, check_name

__all__ = ["current_name", "force_name", "name_scope"]


class NameScopeModule(Module):
    """The module a :func:`name_scope` stands for; it holds nothing itself."""

    AUTO_REPR = False


class NameScope:
    """The single use context manager :func:`name_scope` returns.

    Its modules are created (so its name is taken) when it is made; entering it
    runs the code inside as a method call of the innermost one.
    """

    def __init__(self, name: str, method_name: str):
        frame = base.current_frame("hk.name_scope")
        if not isinstance(name, str) or not name or name.startswith("/"):
            raise ValueError(
                f"Name scopes must not start with / (or be empty), got {name!r}: "
                "pass a name like 'foo' or 'foo/bar'."
            )
        # A forced name is one module at that absolute name, slashes included.
        parts = [name] if isinstance(name, ForcedName) else name.split("/")
        if not isinstance(name, ForcedName):
            for part in parts:
                try:
                    check_name(part)
                except ValueError as e:
                    raise ValueError(f"{e}, in name scope {name!r}.") from None
        depth = len(frame.module_stack)
        try:
            for part in parts:
                module = NameScopeModule(name=part)
                frame.push_module(ModuleState(module, method_name))
        finally:
            while len(frame.module_stack) > depth:
                frame.pop_module()
        self._module = module
        self._method_name = method_name
        self._frame: base.Frame | None = None
        self._used = False

    def __enter__(self) -> None:
        if self._used:
            raise ValueError(
                "name_scope is not reusable: make a new `hk.name_scope(...)` for each "
                "`with` block (it would give the new block the name the first one used)."
            )
        if self._frame is not None:
            raise ValueError(
                "name_scope is not reentrant: it is already active; make a new "
                "`hk.name_scope(...)` to nest a scope."
            )
        self._frame = base.current_frame("hk.name_scope")
        self._frame.push_module(ModuleState(self._module, self._method_name))

    def __exit__(self, *exc_info: object) -> None:
        assert self._frame is not None
        self._frame.pop_module()
        self._frame = None
        self._used = True


def name_scope(name: str, *, method_name: str = "__call__") -> NameScope:
    """Context manager which adds a prefix to all new modules, params or state.

    >>> with hk.name_scope("my_name_scope"):
    ...   w = hk.get_parameter("w", [], init=jnp.ones)
    >>> list(hk.get_params())
    ['my_name_scope']

    Inside a module the scope is nested in the module's name. A name scope is
    exactly a call of a method ``method_name`` on a module named ``name``, so
    two scopes of the same name give ``name`` then ``name_1``. The name is
    taken when ``name_scope`` is called; each scope is entered once.

    Args:
      name: The name scope to use (e.g. ``"foo"`` or ``"foo/bar"``).
      method_name: (Advanced) the method the scope stands for; submodules are
        named as if created in that method (``"__call__"`` by default).

    Returns:
      A single use context manager that prefixes new modules, parameters and
      state with the given name.
    """
    return NameScope(name, method_name)


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
