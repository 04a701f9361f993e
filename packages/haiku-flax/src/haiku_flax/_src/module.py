"""Haiku inside Flax: :class:`Module` is a ``flax.linen.Module`` running a Haiku transform."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flax.linen as nn
import haiku as hk
import jax

from haiku_flax._src.flatten import flatten_flax_to_haiku, unflatten_haiku_to_flax

__all__ = ["Module"]

# The Flax collection holding Haiku state, and the Flax rng stream whose key
# goes to the Haiku ``apply``.
STATE = "state"
APPLY_RNG = "apply"


class Module(nn.Module):
    """A Flax ``nn.Module`` that runs a Haiku transformed function.

    This type makes it easy to take a Haiku transformed function and/or a
    Haiku module and use it inside a program that otherwise uses Flax. Given a
    Haiku transformed function

    >>> def f(x):
    ...   return hk.Linear(1)(x)
    >>> f = hk.transform(f)

    you can convert it into a Flax module, and call it like any Flax module:

    >>> mod = hk.experimental.flax.Module(f)
    >>> variables = mod.init(jax.random.PRNGKey(42), jnp.ones([1, 1]))
    >>> jax.tree.map(jnp.shape, variables)
    {'params': {'linear': {'b': (1,), 'w': (1, 1)}}}
    >>> mod.apply(variables, jnp.ones([1, 1])).shape
    (1, 1)

    The Haiku parameters are the Flax ``params`` collection and the Haiku
    state the ``state`` collection, each Haiku module name split at ``/`` into
    nested dicts (``mlp/~/linear_0`` is ``params["mlp"]["~"]["linear_0"]``;
    :func:`flatten_flax_to_haiku` turns them back). ``init`` seeds the Haiku
    ``init`` with ``self.make_rng("params")``; ``apply`` gives the Haiku
    ``apply`` the key of the ``"apply"`` rng stream when there is one
    (``mod.apply(variables, x, rngs={"apply": key})``) and ``None`` otherwise.
    Pass ``mutable=["state"]`` to ``apply`` when the Haiku function updates
    its state (as in training); state that does not change needs no
    ``mutable``. A Haiku module class is converted with :meth:`create`.

    Attributes:
      transformed: The result of :func:`haiku.transform` or
        :func:`haiku.transform_with_state`.
    """

    transformed: hk.Transformed | hk.TransformedWithState

    def __post_init__(self) -> None:
        _with_state(self.transformed)  # Fails early on what is not a transform.
        super().__post_init__()

    @classmethod
    def create(cls, hk_cls: type[Any], *init_args: Any, **init_kwargs: Any) -> Module:
        """Wraps a Haiku module class as a Flax module.

        The Haiku module is built with ``hk_cls(*init_args, **init_kwargs)``
        inside the transform, then called with the Flax module's arguments:

        >>> mod = hk.experimental.flax.Module.create(hk.Linear, 1)
        >>> x = jnp.ones([1, 1])
        >>> variables = mod.init(jax.random.PRNGKey(42), x)
        >>> mod.apply(variables, x).shape
        (1, 1)

        Args:
          hk_cls: A Haiku module class (a callable returning a callable).
          *init_args: Positional arguments for ``hk_cls``.
          **init_kwargs: Keyword arguments for ``hk_cls`` (``name`` included:
            it names the Haiku module).

        Returns:
          A :class:`Module` running ``hk_cls(*init_args, **init_kwargs)(...)``.
        """
        if not callable(hk_cls):
            raise TypeError(
                f"Module.create expects a Haiku module class, got {type(hk_cls).__name__}."
            )

        def fn(*args: Any, **kwargs: Any) -> Any:
            return hk_cls(*init_args, **init_kwargs)(*args, **kwargs)

        return cls(hk.transform_with_state(fn))

    @nn.compact
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Runs the Haiku function on ``args``/``kwargs`` and returns its output."""
        transformed = _with_state(self.transformed)
        if self.is_initializing():
            # Each call during init initialises (a module called twice keeps
            # the values of its last call, as in dm-haiku). Flax sees the
            # Haiku dicts nested and sorted by name.
            params, state = transformed.init(self.make_rng("params"), *args, **kwargs)
            for name, value in _nested(params).items():
                self.put_variable("params", name, value)
            for name, value in _nested(state).items():
                self.put_variable(STATE, name, value)
        haiku_params = flatten_flax_to_haiku(self.variables.get("params", {}))
        haiku_state = flatten_flax_to_haiku(self.variables.get(STATE, {}))
        rng = self.make_rng(APPLY_RNG) if self.has_rng(APPLY_RNG) else None
        out, new_state = transformed.apply(haiku_params, haiku_state, rng, *args, **kwargs)
        if not self.is_initializing():
            self._store_state(haiku_state, new_state)
        return out

    def _store_state(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """Writes the Haiku state back: always when mutable, else only if it changed
        (then Flax raises its "collection is immutable" error)."""
        mutable = self.is_mutable_collection(STATE)
        old_nested = _nested(old)
        for name, value in _nested(new).items():
            if mutable or not _same_leaves(old_nested.get(name), value):
                self.put_variable(STATE, name, value)


def _nested(flat: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    return _sorted(unflatten_haiku_to_flax(flat, top_level=False))


def _sorted(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: _sorted(tree[k]) for k in sorted(tree)}
    return tree


def _with_state(transformed: Any) -> hk.TransformedWithState:
    if isinstance(transformed, hk.TransformedWithState):
        return transformed
    if isinstance(transformed, hk.Transformed):
        return hk.with_empty_state(transformed)
    got = (
        f"the class {transformed.__name__}"
        if isinstance(transformed, type)
        else type(transformed).__name__
    )
    raise TypeError(
        "hk.experimental.flax.Module expects the result of hk.transform or "
        f"hk.transform_with_state as `transformed`, got {got}. "
        "(Use Module.create(hk_cls, ...) for a Haiku module class.)"
    )


def _same_leaves(a: Any, b: Any) -> bool:
    """Whether ``b`` holds the very arrays of ``a`` (Haiku hands unchanged state back)."""
    a_leaves, b_leaves = jax.tree.leaves(a), jax.tree.leaves(b)
    return len(a_leaves) == len(b_leaves) and all(x is y for x, y in zip(a_leaves, b_leaves))
