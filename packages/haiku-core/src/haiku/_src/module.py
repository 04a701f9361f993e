"""``hk.Module``: naming, method wrapping and the automatic ``__repr__``.

Every method of a module subclass (``__call__`` and any public or private
method, and property accessors) is wrapped so that while it runs the module is
on the frame's module stack. That is what gives parameters their module name
and submodules their ``parent/child`` names:

* created in ``__call__``: ``parent/child``;
* created in ``__init__``: ``parent/~/child``;
* created in any other method ``foo``: ``parent/~foo/child``.

Module names are the class name in ``lower_snake_case``, numbered ``_1``,
``_2``, ... when a name repeats within one method call of the parent (or at
the top level of the transform).
"""

from __future__ import annotations

import abc
import functools
import inspect
import pprint
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol, TypeVar, runtime_checkable

import jax

from haiku._src import base, config, interception
from haiku._src.base import ModuleState

__all__ = [
    "Module",
    "ModuleMetaclass",
    "ModuleProtocol",
    "SupportsCall",
    "name_like",
    "to_module",
    "transparent",
]

T = TypeVar("T")

_CAMEL_TO_SNAKE = re.compile(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))")


def camel_to_snake(name: str) -> str:
    """``"Conv2DTranspose"`` -> ``"conv2_d_transpose"``, ``"MLP"`` -> ``"mlp"``."""
    return _CAMEL_TO_SNAKE.sub(r"_\1", name).lower()


class ForcedName(str):
    """A module name that bypasses scoping and numbering (see ``force_name``)."""

    __slots__ = ()


# An explicit number: ``_0`` or ``_N`` without leading zeros ("foo_01" is a
# plain name, as in dm-haiku).
_NUMBERED = re.compile(r"^(.*)_(0|[1-9]\d*)$")


def check_name(name: str, what: str = "module name") -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"{name!r} is not a valid {what} (must be a valid Python identifier)")


def _scope_and_counters(module: Any, frame: base.Frame):
    """The enclosing (module, method) entry and the counters for a new module."""
    stack = frame.module_stack
    own = 1 if stack and stack[-1].module is module else 0
    parent = stack[-1 - own] if len(stack) > own else None
    return (parent, *frame.scope_names(-1 - own))


def unique_and_canonical_name(module: Any, name: str, frame: base.Frame) -> str:
    """The full, numbered name of a new module called ``name``."""
    parent, counters, used_names = _scope_and_counters(module, frame)
    if parent is not None:
        method_name = parent.method_name
        if method_name == "__init__":
            name = "~/" + name
        elif method_name != "__call__":
            name = f"~{method_name}/{name}"
        try:
            parent_name = parent.module.module_name
        except AttributeError:
            raise ValueError(
                "The super constructor must be called before you create parameters or "
                f"submodules. (A module was created in the constructor of "
                f"{type(parent.module).__name__} before `super().__init__()`)."
            ) from None
        base.check_not_closed_over(parent.module)
        name = f"{parent_name}/{name}"
    numbered = _NUMBERED.match(name)
    if numbered is not None:
        name, number = numbered.group(1), int(numbered.group(2))
        counters[name] = max(counters[name], number + 1)
        qualified = f"{name}_{number}"
    else:
        number = counters[name]
        counters[name] += 1
        qualified = f"{name}_{number}" if number else name
    if qualified in used_names:
        raise ValueError(f"Module name '{qualified}' is not unique.")
    used_names.add(qualified)
    return qualified


def _run_method(self, method, method_name, owner, active, args, kwargs):
    """Calls ``method`` through the ``active`` method interceptors."""
    if not active:
        return method(self, *args, **kwargs)
    bound = functools.partial(method, self)
    context = interception.MethodContext(self, method_name, bound, owner)
    return interception.run_interceptors(active, bound, context, args, kwargs)


class MethodCall(NamedTuple):
    """One call of a module method (``__init__`` included), as a method hook sees it."""

    module: Any
    frame: base.Frame
    method: Callable[..., Any]
    method_name: str
    owner: type
    interceptors: tuple[Any, ...]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    def run(self, args: tuple[Any, ...] | None = None,
            kwargs: dict[str, Any] | None = None) -> Any:
        """Runs the call through the method interceptors, optionally with new arguments."""
        return _run_method(self.module, self.method, self.method_name, self.owner,
                           self.interceptors, self.args if args is None else args,
                           self.kwargs if kwargs is None else kwargs)


class MethodHook(Protocol):
    """Wraps every module method call: returns what the call (``call.run()``) returns."""

    def __call__(self, call: MethodCall) -> Any: ...


# Set by haiku._src.mixed_precision while any policy is registered: it runs
# each call under the policy of the module's class.
method_hook: MethodHook | None = None


def _wrap_method(method_name: str, method: Callable[..., Any], owner: type) -> Callable[..., Any]:
    """Wraps ``method`` so it runs with its module on the module stack."""
    scope_name = getattr(method, "_hk_name_like", method_name)

    @functools.wraps(method)
    def wrapped(self, *args, **kwargs):
        frames = base._FRAMES.get()
        if not frames:
            return method(self, *args, **kwargs)
        frame = frames[-1]
        frame.push_module(ModuleState(self, scope_name))
        try:
            active = interception.interceptors.get()
            if not active and method_hook is None:
                return method(self, *args, **kwargs)
            if method_hook is not None:
                return method_hook(
                    MethodCall(self, frame, method, method_name, owner, active, args, kwargs))
            return _run_method(self, method, method_name, owner, active, args, kwargs)
        finally:
            frame.pop_module()

    wrapped._hk_wrapped = True  # type: ignore[attr-defined]
    return wrapped


def _wrap_property(name: str, prop: property, owner: type) -> property:
    wrap = lambda f: None if f is None else _wrap_method(name, f, owner)  # noqa: E731
    return property(wrap(prop.fget), wrap(prop.fset), wrap(prop.fdel), prop.__doc__)


def _should_wrap(name: str, value: Any) -> bool:
    if name.startswith("__") and name != "__call__":
        return False
    if getattr(value, "_hk_transparent", False) or getattr(value, "_hk_wrapped", False):
        return False
    return inspect.isfunction(value) or isinstance(value, property)


def _module_repr(self: Module) -> str:
    args = self.__dict__.get("_hk_repr_args")
    if args is None:
        return object.__repr__(self)
    return _format_repr(type(self), *args)


@functools.lru_cache(maxsize=None)
def _init_signature(cls: type) -> inspect.Signature | None:
    try:
        return inspect.signature(cls.__init__)  # type: ignore[misc]
    except (TypeError, ValueError):
        return None


def _equals_default(value: Any, default: Any) -> bool:
    if value is default:
        return True
    if type(value) is not type(default):
        return False
    try:
        return bool(value == default)
    except Exception:  # noqa: BLE001 - arrays and odd types: not equal.
        return False


_REPR_WIDTH = 80


def _format_repr(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """``Cls(a=1, b=2)``; over 80 characters, one argument per line.

    As dm-haiku: the one-line form uses ``repr`` of each value, the multi-line
    form ``pprint.pformat`` (so long strings, lists and dicts wrap and dicts
    are sorted), its continuation lines aligned after ``name=``.
    """
    arguments = _shown_arguments(cls, args, kwargs)
    one_line = ", ".join(f"{prefix}{value!r}" for prefix, value in arguments)
    one_line = f"{cls.__name__}({one_line})"
    if len(one_line) <= _REPR_WIDTH:
        return one_line
    lines = [f"{cls.__name__}("]
    for prefix, value in arguments:
        indent = " " * (4 + len(prefix))
        text = pprint.pformat(value, width=_REPR_WIDTH).replace("\n", "\n" + indent)
        lines.append(f"    {prefix}{text},")
    lines.append(")")
    return "\n".join(lines)


def _shown_arguments(
    cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> list[tuple[str, Any]]:
    """The ``(prefix, value)`` pairs the repr shows: ``("name=", value)`` or ``("", value)``."""
    signature = _init_signature(cls)
    try:
        bound = signature.bind(None, *args, **kwargs) if signature else None
    except TypeError:
        bound = None
    if bound is None or signature is None:
        return [("", a) for a in args] + [(f"{k}=", v) for k, v in kwargs.items()]
    shown: list[tuple[str, Any]] = []
    for param in list(signature.parameters.values())[1:]:
        if param.name not in bound.arguments:
            continue
        value = bound.arguments[param.name]
        if param.kind is param.VAR_POSITIONAL:
            shown.extend(("", v) for v in value)
        elif param.kind is param.VAR_KEYWORD:
            shown.extend((f"{k}=", v) for k, v in value.items())
        elif param.kind is param.KEYWORD_ONLY or not _equals_default(value, param.default):
            # As dm-haiku: a keyword-only argument that was passed is shown
            # even when it equals its default.
            shown.append((f"{param.name}=", value))
    return shown


class ModuleMetaclass(abc.ABCMeta):
    """Wraps module methods and runs ``__init__`` as a module method call."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs):
        inherits_repr = all(
            getattr(b, "__repr__", _module_repr) is _module_repr for b in bases
        )
        if "__repr__" not in namespace and inherits_repr and bases:
            # Claims __repr__ so @dataclass does not replace the automatic one.
            namespace["__repr__"] = _module_repr
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        for attr, value in namespace.items():
            if not _should_wrap(attr, value):
                continue
            if isinstance(value, property):
                setattr(cls, attr, _wrap_property(attr, value, cls))
            else:
                setattr(cls, attr, _wrap_method(attr, value, cls))
        return cls

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        frames = base._FRAMES.get()
        if not frames:
            raise ValueError(
                "All `hk.Module`s must be initialized inside an `hk.transform`. "
                f"(tried to construct {cls.__name__})"
            )
        frame = frames[-1]
        module = cls.__new__(cls)  # type: ignore[call-arg, arg-type]
        init = cls.__init__  # type: ignore[misc]
        frame.push_module(ModuleState(module, "__init__"))
        try:
            active = interception.interceptors.get()
            if method_hook is not None:
                method_hook(MethodCall(module, frame, init, "__init__", cls, active, args, kwargs))
            elif active:
                bound = functools.partial(init, module)
                context = interception.MethodContext(module, "__init__", bound, cls)
                interception.run_interceptors(active, bound, context, args, kwargs)
            else:
                init(module, *args, **kwargs)
        finally:
            frame.pop_module()
        if "module_name" not in module.__dict__:
            raise ValueError(
                "Constructing an hk.Module without calling the super constructor is "
                "not supported. Add the following as the first line in your __init__ "
                f"method:\n\nsuper({cls.__name__}, self).__init__()\n\n(or "
                f"`super().__init__(name=name)`, in {cls.__name__}.__init__)."
            )
        if getattr(cls, "AUTO_REPR", True) and config.get_config().module_auto_repr:
            module.__dict__["_hk_repr_args"] = (args, kwargs)
        return module


class Module(metaclass=ModuleMetaclass):
    """Base class for Haiku modules.

    A module is a lightweight container for parameters, state and other
    modules, with one or more methods (typically ``__call__``) that compute
    with them. Modules must be created inside a transformed function.

    >>> class AddModule(hk.Module):
    ...   def __call__(self, x):
    ...     w = hk.get_parameter("w", [], init=jnp.ones)
    ...     return x + w

    >>> def forward_fn(x):
    ...   mod = AddModule()
    ...   return mod(x)

    >>> forward = hk.transform(forward_fn)
    >>> x = 1.
    >>> rng = None
    >>> params = forward.init(rng, x)
    >>> print(forward.apply(params, None, x))
    2.0

    Attributes:
      module_name: The full name of the module (e.g. ``"mlp/~/linear_0"``),
        the key of its parameters and state.
      name: The last component of ``module_name``.
    """

    AUTO_REPR = True
    module_name: str
    name: str

    def __init__(self, name: str | None = None):
        """Initializes the current module with the given name.

        Subclasses must call this before creating parameters or submodules.

        Args:
          name: An optional name: a valid Python identifier (optionally ending
            in ``_N`` to pick a number), or the result of
            :func:`haiku.force_name`. Defaults to the class name in
            ``lower_snake_case``.
        """
        if name is None:
            # Dataclass modules hold their `name` field before calling us.
            field_value = self.__dict__.get("name")
            name = field_value if isinstance(field_value, str) else None
        if name is None:
            name = camel_to_snake(type(self).__name__)
        frame = base.current_frame("hk.Module")
        if isinstance(name, ForcedName):
            module_name = str(name)
        else:
            check_name(name)
            module_name = unique_and_canonical_name(self, name, frame)
        self.__dict__["module_name"] = module_name
        self.__dict__["name"] = module_name.rsplit("/", 1)[-1]
        self.__dict__["_hk_frame_id"] = frame.frame_id  # See base.check_not_closed_over.

    def __post_init__(self, name: str | None = None) -> None:
        """Initializes a ``@dataclasses.dataclass`` module (see ``__init__``)."""
        Module.__init__(self, name)

    __repr__ = _module_repr

    def params_dict(self) -> dict[str, jax.Array]:
        """The parameters of this module and its submodules, by full name.

        >>> class Foo(hk.Module):
        ...   def __call__(self):
        ...     return hk.get_parameter("w", [], init=jnp.ones)
        >>> foo = Foo()
        >>> _ = foo()
        >>> foo.params_dict()
        {'foo/w': Array(1., dtype=float32)}
        """
        frame = base.current_frame("module.params_dict()")
        return _flatten_owned(self.module_name, frame.params)

    def state_dict(self) -> dict[str, jax.Array]:
        """The current state of this module and its submodules, by full name."""
        frame = base.current_frame("module.state_dict()")
        state = {m: {k: pair.current for k, pair in b.items()} for m, b in frame.state.items()}
        return _flatten_owned(self.module_name, state)


def _flatten_owned(prefix: str, tree: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    return {
        f"{module_name}/{name}": value
        for module_name, bundle in tree.items()
        if module_name == prefix or module_name.startswith(prefix + "/")
        for name, value in bundle.items()
    }


@runtime_checkable
class ModuleProtocol(Protocol):
    """Protocol for Module like types.

    Like dm-haiku's, these protocols may only be extended by other protocols:
    a concrete class conforms by having the members, not by subclassing.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if Protocol not in cls.__bases__:
            bases = ", ".join(b.__name__ for b in cls.__bases__)
            raise TypeError(
                f"{cls.__name__} is a Protocol and should not be subclassed by a "
                "non-Protocol type. If you intended your subclass to be a protocol "
                "then you need to explicitly additionally extend Protocol: "
                f"`class {cls.__name__}({bases}, Protocol)`. A class conforms without "
                "subclassing: `isinstance` checks its members."
            )

    @property
    def module_name(self) -> str: ...

    def params_dict(self) -> Mapping[str, jax.Array]: ...

    def state_dict(self) -> Mapping[str, jax.Array]: ...


@runtime_checkable
class SupportsCall(ModuleProtocol, Protocol):
    """Protocol for Module like types that are Callable.

    Being a protocol, classes need not extend it: any module with a
    ``__call__`` passes an ``isinstance`` check.

    >>> class Double(hk.Module):
    ...   def __call__(self, x):
    ...     return 2 * x
    >>> assert isinstance(Double(), hk.SupportsCall)
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


def transparent(method: T) -> T:
    """Decorator to wrap a method, preventing automatic variable scope wrapping.

    Modules and parameters created in a transparent method are named as if
    they were created by the caller of the method.

    >>> class Wrapper(hk.Module):
    ...   @hk.transparent
    ...   def bias(self):
    ...     return hk.get_parameter("b", [], init=jnp.ones)
    >>> _ = Wrapper().bias()
    >>> list(hk.get_params())
    ['~']

    Args:
      method: the method to wrap.

    Returns:
      The method, marked so that no name scope wrapping occurs.
    """
    method._hk_transparent = True  # type: ignore[attr-defined]
    return method


def name_like(method_name: str) -> Callable[[T], T]:
    """Allows a method to be named like some other method.

    Submodules are named after the method creating them (``parent/~encode/x``
    for a method ``encode``); decorating ``encode`` with
    ``@hk.name_like("__call__")`` names them ``parent/x`` instead, which keeps
    checkpoints compatible when code moves out of ``__call__``.

    >>> class Autoencoder(hk.Module):
    ...   @hk.name_like("__call__")
    ...   def encode(self, x):
    ...     return hk.get_parameter("w", [], init=jnp.ones) * x
    >>> _ = Autoencoder().encode(1.)
    >>> list(hk.get_params())
    ['autoencoder']

    Args:
      method_name: The name of a method whose name we should adopt. It need
        not be defined on the class.

    Returns:
      A decorator that marks a method as having a different name.
    """

    def decorator(method: T) -> T:
        method._hk_name_like = method_name  # type: ignore[attr-defined]
        return method

    return decorator


def to_module(f: Callable[..., Any]) -> type[Module]:
    """Converts a function into a callable module class.

    The module is named after the function unless a ``name`` is given.

    >>> def bias_fn(x):
    ...   b = hk.get_parameter("b", [], init=hk.initializers.RandomNormal())
    ...   return x + b
    >>> Bias = hk.to_module(bias_fn)
    >>> def net(x, y):
    ...   b = Bias(name="my_bias")
    ...   # Bias x and y by the same amount.
    ...   return b(x) * b(y)

    Args:
      f: The function to convert.

    Returns:
      A module class which runs ``f`` when called.
    """

    class ToModuleWrapper(Module):
        def __init__(self, name: str | None = None):
            if name is None:
                name = getattr(f, "__name__", None)
                if not isinstance(name, str) or not name.isidentifier():
                    raise ValueError(
                        f"{name!r} is not a valid module name (must be a valid Python "
                        f"identifier). (hk.to_module names the module after {f!r}'s "
                        "__name__; pass `name=`.)"
                    )
            super().__init__(name=name)

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return f(*args, **kwargs)

    ToModuleWrapper.__doc__ = getattr(f, "__doc__", None)
    return ToModuleWrapper
