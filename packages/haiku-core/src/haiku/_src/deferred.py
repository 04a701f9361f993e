"""``hk.Deferred``: a module built on its first call."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar


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
        self._call_methods = tuple(call_methods)
        for method_name in self._call_methods:
            if method_name == "__call__":
                continue
            setattr(self, method_name, self._forwarder(method_name))

    @property
    def target(self) -> T:
        """The built module; building it first if needed."""
        if self._target is None:
            self._target = self._factory()
            self._factory = None  # type: ignore[assignment]
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


