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

    Attributes other than the call methods are read from the built module
    (which must exist by then).
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
        if "__call__" not in self._call_methods:
            raise TypeError(
                f"This Deferred was built with call_methods={self._call_methods!r}; "
                "__call__ is not one of them."
            )
        return self.target(*args, **kwargs)  # type: ignore[operator]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._target is None:
            raise AttributeError(
                f"Deferred has no attribute {name!r} yet: the deferred module is built "
                f"on the first call of one of {self._call_methods!r}."
            )
        return getattr(self._target, name)

    def __repr__(self) -> str:
        target = "unbuilt" if self._target is None else repr(self._target)
        return f"Deferred({target})"




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
