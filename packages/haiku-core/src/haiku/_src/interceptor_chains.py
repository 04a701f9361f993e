"""The chains of custom creators, getters and setters, and their contexts.

``hk.get_parameter``, ``hk.get_state`` and ``hk.set_state`` run these chains
(the frame holds the registered interceptors); the public context managers
that register them live in :mod:`haiku._src.interception`.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

__all__ = [
    "GetterContext",
    "SetterContext",
    "getter_context",
    "lifted_prefix_name",
    "run_creators",
    "run_getters",
    "run_setters",
]



class GetterContext(NamedTuple):
    """Context about where parameters (or state) are being created or read.

    Attributes:
      full_name: The full name of the value (e.g. ``mlp/~/linear_0/w``).
      module: The module that owns it, ``None`` outside any module.
      original_dtype: The dtype given to ``get_parameter``/``get_state``.
      original_shape: The shape given to ``get_parameter``/``get_state``.
      original_init: The initializer given to ``get_parameter``/``get_state``.
      lifted_prefix_name: The names of all enclosing lifted modules (``None``
        when not lifted); prefixed to ``full_name`` it gives the name in the
        outer transform.
    """

    full_name: str
    module: Any
    original_dtype: Any
    original_shape: Sequence[int]
    original_init: Callable[..., Any] | None
    lifted_prefix_name: str | None

    @property
    def module_name(self) -> str:
        """The full name of the enclosing modules (``~`` at the top level)."""
        return self.full_name.rpartition("/")[0]

    @property
    def name(self) -> str:
        """The name of this parameter or state."""
        return self.full_name.rpartition("/")[2]


class SetterContext(NamedTuple):
    """Context about where state is being set.

    Attributes:
      full_name: The full name of the state (e.g. ``mlp/~/linear_0/w``).
      module: The module that owns it, ``None`` outside any module.
      original_dtype: The dtype of the value given to ``set_state``.
      original_shape: The shape of the value given to ``set_state``.
      lifted_prefix_name: The names of all enclosing lifted modules (``None``
        when not lifted).
    """

    full_name: str
    module: Any
    original_dtype: Any
    original_shape: Sequence[int]
    lifted_prefix_name: str | None

    @property
    def module_name(self) -> str:
        """The full name of the enclosing modules (``~`` at the top level)."""
        return self.full_name.rpartition("/")[0]

    @property
    def name(self) -> str:
        """The name of this state."""
        return self.full_name.rpartition("/")[2]


# Set by haiku._src.lift while a lifted init runs; read for context objects.
lifted_prefix_name: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "haiku_lifted_prefix_name", default=None
)


def getter_context(frame, module, bundle_name, name, shape, dtype, init) -> GetterContext:
    """The context custom creators and getters see for one parameter or state."""
    return GetterContext(
        full_name=f"{bundle_name}/{name}",
        module=module,
        original_dtype=dtype,
        original_shape=shape,
        original_init=init,
        lifted_prefix_name=lifted_prefix_name.get() if frame.is_init else None,
    )


def run_creators(frame, for_params, context, shape, dtype, init, missing=None):
    """Runs the creator chain; its end raises ``missing`` (if given) instead of ``init``."""
    chain = [c for c, params, state in frame.creators if (params if for_params else state)]

    def call(index, shape, dtype, init):
        if index == len(chain):
            if missing is not None:
                raise missing
            return init(shape, dtype)
        return chain[index](lambda *a: call(index + 1, *a), shape, dtype, init, context)

    return call(0, shape, dtype, init)


def run_getters(frame, for_params, context, value):
    """Runs the getter chain on ``value``."""
    chain = [g for g, params, state in frame.getters if (params if for_params else state)]

    def call(index, value):
        if index == len(chain):
            return value
        return chain[index](lambda v: call(index + 1, v), value, context)

    return call(0, value)


def run_setters(frame, module, bundle_name, name, value):
    """Runs the setter chain on ``value``."""
    context = SetterContext(
        full_name=f"{bundle_name}/{name}",
        module=module,
        original_dtype=getattr(value, "dtype", type(value)),
        original_shape=getattr(value, "shape", ()),
        lifted_prefix_name=lifted_prefix_name.get() if frame.is_init else None,
    )
    chain = frame.setters

    def call(index, value):
        if index == len(chain):
            return value
        return chain[index](lambda v: call(index + 1, v), value, context)

    return call(0, value)
