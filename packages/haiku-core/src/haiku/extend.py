"""What plugins build on: haiku-core's public API for extending haiku.

Plugins (haiku-nets, haiku-experimental, third-party distributions) use these
instead of haiku-core's private modules, so that haiku-core can move its
internals without breaking them. Everything here is a stable part of
haiku-core's API, like :mod:`haiku.plugins` (which registers names; this
module is what their code calls).

- :func:`module_stack`: the module methods running now, e.g. for a method
  interceptor that records call stacks (``hk.experimental.eval_summary``).
- :class:`ModuleCall`: one entry of that stack.
- :func:`substitute_in_fast_eval_shape`: a cheaper stand-in for a function
  while ``hk.experimental.fast_eval_shape`` runs (``hk.dropout`` uses it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from haiku._src import base as _base
from haiku._src import fast_eval as _fast_eval
from haiku._src import plugin_namespace as _namespace
from haiku._src.base import ModuleState as ModuleCall

__all__ = ["ModuleCall", "module_stack", "substitute_in_fast_eval_shape"]

F = TypeVar("F", bound=Callable[..., Any])


def __dir__() -> list[str]:
    """``__all__`` and the dunders: a walk over ``dir()`` never reaches ``haiku._src``."""
    return _namespace.module_dir(globals())


def module_stack(caller: str = "haiku.extend.module_stack") -> tuple[ModuleCall, ...]:
    """The module methods running now, outermost first, as :class:`ModuleCall` s.

    Each entry is ``(module, method_name)``; ``method_name`` is the name used
    to name submodules (see :func:`haiku.name_like`). A name scope
    (:func:`haiku.name_scope`) counts as a call of a module of its own.

    Args:
      caller: How the error names the caller when there is no transform.

    Raises:
      ValueError: Outside ``hk.transform`` (``init``/``apply``).

    Example:

    >>> import haiku.extend
    >>> class Outer(hk.Module):
    ...   def __call__(self):
    ...     return [(c.module.module_name, c.method_name) for c in haiku.extend.module_stack()]
    >>> hk.transform(lambda: Outer()()).apply({}, None)
    [('outer', '__call__')]
    """
    return tuple(_base.current_frame(caller).module_stack)


def substitute_in_fast_eval_shape(substitute: Callable[..., Any]) -> Callable[[F], F]:
    """Decorates a function to run ``substitute`` while ``hk.experimental.fast_eval_shape`` runs.

    ``substitute`` takes the same arguments and returns values of the same
    shapes and dtypes, skipping work that does not change them (random
    masks, ...). haiku-nets' ``hk.dropout`` uses it.

    >>> import haiku.extend
    >>> @haiku.extend.substitute_in_fast_eval_shape(lambda x: x)
    ... def expensive_identity(x):
    ...   return x + 0 * jax.random.normal(jax.random.PRNGKey(0), x.shape)
    >>> hk.experimental.fast_eval_shape(expensive_identity, jnp.ones([2]))
    ShapeDtypeStruct(shape=(2,), dtype=float32)

    Args:
      substitute: What to run instead, with the same arguments.

    Returns:
      A decorator.
    """
    return _fast_eval.substitute_in_fast_eval_shape(substitute)
