"""``hk.Deferred``: a module built on its first call."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from haiku._src import base


__all__ = ["Deferred"]

T = TypeVar("T")


class Deferred(Generic[T]):
    """Defers the construction of another module until the first call.

    Modules that depend on properties known only after another module ran
    (its input size, say) can be declared up front:

    >>> class Scale(hk.Module):
    ...   def __call__(self, x):
    ...     self.input_size = x.shape[-1]
    ...     return x * hk.get_parameter("s", [self.input_size], init=jnp.ones)
    >>> first = Scale()
    >>> second = hk.Deferred(lambda: Scale(name=f"after_{first.input_size}"))
    >>> y = second(first(jnp.ones([3])))
    >>> second.target.module_name
    'after_3'

    Once the module is built, attributes are read from, set on and deleted
    from it; ``str`` and ``repr`` build it (as in dm-haiku).
    """

    def __init__(self, factory: Callable[[], T], call_methods: Sequence[str] = ("__call__",)):
        """Initializes the :class:`Deferred` module.

        Args:
          factory: A no argument callable which constructs the module to defer
            to. The first time one of ``call_methods`` is called the factory
            runs, then the built module is called with the same method and
            arguments.
          call_methods: Methods which trigger construction of the target
            module, e.g. ``("__call__", "encode", "decode")``.
        """
        self._factory = factory
        self._target: T | None = None
        self._scope = _capture_scope()
        self._call_methods = tuple(call_methods)
        for method_name in self._call_methods:
            if method_name == "__call__":
                continue
            setattr(self, method_name, self._forwarder(method_name))

    @property
    def target(self) -> T:
        """The built module; building it first if needed."""
        if self._target is None:
            with _restored_scope(self._scope):
                self._target = self._factory()
            self._factory = None  # type: ignore[assignment]
            self._scope = None
        return self._target

    def _forwarder(self, method_name: str) -> Callable[..., Any]:
        def forward(*args: Any, **kwargs: Any) -> Any:
            return getattr(self.target, method_name)(*args, **kwargs)

        forward.__name__ = method_name
        return forward

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        target = self.target
        if not callable(target):
            raise TypeError(
                f"{type(target).__name__!r} object is not callable: this Deferred was "
                f"built with call_methods={self._call_methods!r}; call one of those "
                "methods instead."
            )
        return target(*args, **kwargs)

    def __str__(self) -> str:
        return f"Deferred({self.target})"

    def __repr__(self) -> str:
        return f"Deferred({self.target!r})"

    def _is_built(self) -> bool:
        # Read through ``__dict__``: ``__getattr__`` runs before ``__init__`` too
        # (copy, pickle), when ``_target`` does not exist yet.
        return self.__dict__.get("_target") is not None

    def __getattr__(self, name: str) -> Any:
        if name not in _OWN_ATTRIBUTES and self._is_built():
            return getattr(self._target, name)
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}: attributes are "
            "read from the deferred module, which is built on the first call of one "
            f"of {self.__dict__.get('_call_methods')!r} (or by reading `.target`)."
        )

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in _OWN_ATTRIBUTES and self._is_built():
            setattr(self._target, name, value)
        else:
            super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        if name not in _OWN_ATTRIBUTES and self._is_built():
            delattr(self._target, name)
        else:
            super().__delattr__(name)


# Attributes of the Deferred itself, never forwarded to the built module.
_OWN_ATTRIBUTES = frozenset({"_factory", "_target", "_scope", "_call_methods"})

_Scope = tuple[base.Frame, list, list, list]


def _capture_scope() -> _Scope | None:
    """The naming context of the current method call (to name the target as if built now)."""
    if not base.inside_transform():
        return None
    frame = base.current_frame()
    frame.scope_names(-1)  # Shared with the running call, so numbering continues.
    return (frame, list(frame.module_stack), list(frame.counter_stack), list(frame.used_names_stack))


@contextlib.contextmanager
def _restored_scope(scope: _Scope | None) -> Iterator[None]:
    if scope is None or not base.inside_transform() or base.current_frame() is not scope[0]:
        yield
        return
    frame = scope[0]
    saved = frame.module_stack, frame.counter_stack, frame.used_names_stack
    frame.module_stack, frame.counter_stack, frame.used_names_stack = (list(s) for s in scope[1:])
    try:
        yield
    finally:
        frame.module_stack, frame.counter_stack, frame.used_names_stack = saved
