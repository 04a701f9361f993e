"""The logical names of the leading axes that stacking adds to parameters.

``hk.layer_stack`` stacks the parameters of its layer function along a new
leading axis; a lifted ``jax.vmap`` of an ``init`` (an ensemble) does the
same. The logical axis names a module author gives a parameter
(``hk.experimental.partitioning.with_logical_axes``) describe the parameter
of one layer; while a stacked ``init`` runs, :func:`stacked_axes` holds the
names of the axes stacking will add in front, outermost first, so
``get_logical_axes`` can name every axis of the stacked parameter.

Lives apart from the partitioning module so that ``layer_stack`` imports
nothing but this.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

__all__ = ["layers_axis", "layers_axis_name", "stacked_axis", "stacked_axes"]

_LAYERS_AXIS: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "haiku_layers_axis", default="layers"
)
_STACKED: contextvars.ContextVar[tuple[str | None, ...]] = contextvars.ContextVar(
    "haiku_stacked_axes", default=()
)


def _check_name(caller: str, name: object) -> None:
    if name is not None and not isinstance(name, str):
        raise TypeError(
            f"{caller} takes a logical axis name (a str) or None, got {name!r}."
        )


@contextlib.contextmanager
def layers_axis(name: str | None) -> Iterator[None]:
    """The logical name of the leading axis of ``hk.layer_stack``'s parameters.

    ``hk.layer_stack`` called in the block names the axis it stacks its
    layers' parameters along ``name`` (``"layers"`` by default; ``None``
    leaves it unnamed, i.e. replicated):

    >>> partitioning = hk.experimental.partitioning
    >>> def layer(x):
    ...   w = hk.get_parameter("w", [2, 2], init=partitioning.with_logical_axes(
    ...       jnp.ones, ("embed", "mlp")))
    ...   return x @ w
    >>> def f(x):
    ...   with partitioning.layers_axis("stage"):
    ...     return hk.layer_stack(3, name="stack")(layer)(x)
    >>> names = partitioning.get_logical_axes(hk.transform(f).init, None, jnp.ones([1, 2]))
    >>> tuple(names["stack/~"]["w"])
    ('stage', 'embed', 'mlp')

    Args:
      name: The logical axis name, or ``None``.

    Returns:
      A context manager.
    """
    _check_name("layers_axis", name)
    token = _LAYERS_AXIS.set(name)
    try:
        yield
    finally:
        _LAYERS_AXIS.reset(token)


def layers_axis_name() -> str | None:
    """The logical name ``hk.layer_stack`` gives its stacked axis here."""
    return _LAYERS_AXIS.get()


@contextlib.contextmanager
def stacked_axis(name: str | None) -> Iterator[None]:
    """Parameters created in the block get a leading logical axis ``name``.

    For code that stacks parameters itself, such as an ensemble made by
    lifting a ``jax.vmap`` of an ``init`` (``hk.layer_stack`` does this for
    you, see :func:`layers_axis`):

    >>> partitioning = hk.experimental.partitioning
    >>> member = hk.transform(lambda x: x @ hk.get_parameter(
    ...     "w", [2, 3], init=partitioning.with_logical_axes(jnp.ones, ("embed", "mlp"))))
    >>> def ensemble(x):
    ...   keys = jax.random.split(hk.next_rng_key(), 4)
    ...   with partitioning.stacked_axis("members"):
    ...     params = hk.lift(jax.vmap(member.init, (0, None)), name="ensemble")(keys, x)
    ...   return jax.vmap(member.apply, (0, None, None))(params, None, x)
    >>> init = hk.transform(ensemble).init
    >>> names = partitioning.get_logical_axes(init, jax.random.PRNGKey(0), jnp.ones([1, 2]))
    >>> tuple(names["ensemble/~"]["w"])
    ('members', 'embed', 'mlp')

    Args:
      name: The logical axis name (``None``: unnamed, replicated).

    Returns:
      A context manager.
    """
    _check_name("stacked_axis", name)
    token = _STACKED.set(_STACKED.get() + (name,))
    try:
        yield
    finally:
        _STACKED.reset(token)


def stacked_axes() -> tuple[str | None, ...]:
    """The names of the axes stacking adds to parameters made here, outermost first."""
    return _STACKED.get()
