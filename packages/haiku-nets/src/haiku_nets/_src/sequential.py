"""Combinator: :class:`Sequential`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import haiku as hk

__all__ = ["Sequential"]


class Sequential(hk.Module):
    """Calls the given layers one after the other.

    The output of each layer is the input of the next:

    >>> mlp = hk.Sequential([
    ...     hk.Linear(3), jax.nn.relu,
    ...     hk.Linear(2),
    ... ])
    >>> mlp(jnp.ones([8, 4])).shape
    (8, 2)

    Extra arguments of a call go to the first layer only:

    >>> add_then_double = hk.Sequential([lambda x, y: x + y, lambda x: 2 * x])
    >>> add_then_double(1.0, 2.0)
    6.0

    ``Sequential`` only chains layers whose input is the previous output. For
    anything else (say, a ``BatchNorm`` whose ``is_training`` flag changes per
    call), write a :class:`~haiku.Module` with its own ``__call__``.

    The layers are usually built outside the ``Sequential``, so their
    parameters are named as if it were not there (``linear``, ``linear_1``).
    """

    def __init__(self, layers: Iterable[Callable[..., Any]], name: str | None = None):
        """Constructs a :class:`Sequential` module.

        Args:
          layers: The callables (modules or functions) to call in order.
          name: An optional name for the module.
        """
        super().__init__(name=name)
        self.layers = tuple(layers)

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """Calls the layers in order; ``args`` and ``kwargs`` go to the first one.

        With no layers the inputs are returned unchanged.
        """
        out = inputs
        for index, layer in enumerate(self.layers):
            out = layer(out, *args, **kwargs) if index == 0 else layer(out)
        return out
