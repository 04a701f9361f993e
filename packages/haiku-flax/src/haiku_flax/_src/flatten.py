"""Converting between Flax's nested variables and Haiku's two-level dicts.

Flax stores the variables of one collection as a tree of nested mappings
following the module tree (``{"Dense_0": {"kernel": ..., "bias": ...}}``).
Haiku stores parameters and state as ``{module_name: {name: value}}``, where
a module name is a ``/``-separated path. The two views hold the same
information: a leaf at path ``("inner", "Dense_0", "kernel")`` belongs to the
Haiku module ``"inner/Dense_0"`` under the name ``"kernel"``, and a leaf at
the top of the tree to the module ``"~"`` (Haiku's name for "no module").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax

__all__ = ["flatten_flax_to_haiku"]

# Haiku's module name for values created outside any module.
TOP_LEVEL = "~"


def flatten_flax_to_haiku(collection: Mapping[str, Any]) -> Mapping[str, Mapping[str, jax.Array]]:
    """Flattens a Flax variable collection into a Haiku-style two-level dict.

    Each leaf of the nested ``collection`` lands in the Haiku module named by
    the ``/``-joined path of its parents (``"~"`` for leaves at the top), under
    its own key. Modules appear in the order their first leaf is met in a
    depth-first walk of ``collection``; empty sub-dicts disappear.

    >>> import flax.linen as nn
    >>> variables = nn.Dense(2).init(jax.random.PRNGKey(0), jnp.ones([1, 3]))
    >>> flat = hk.experimental.flax.flatten_flax_to_haiku(variables["params"])
    >>> jax.tree.map(jnp.shape, flat)
    {'~': {'bias': (2,), 'kernel': (3, 2)}}
    >>> nested = {"encoder": {"Dense_0": {"kernel": 1, "bias": 2}, "scale": 3}}
    >>> hk.experimental.flax.flatten_flax_to_haiku(nested)
    {'encoder/Dense_0': {'kernel': 1, 'bias': 2}, 'encoder': {'scale': 3}}

    Args:
      collection: One collection of Flax variables, for example
        ``variables["params"]`` (a dict or ``FrozenDict`` of nested mappings).

    Returns:
      A plain ``dict`` mapping Haiku module names to dicts of values.
    """
    if not isinstance(collection, Mapping):
        raise TypeError(
            "flatten_flax_to_haiku expects a mapping of Flax variables (for example "
            f"variables['params']), got {type(collection).__name__}."
        )
    out: dict[str, dict[str, Any]] = {}
    _walk(collection, (), out)
    return out


def _walk(node: Mapping[str, Any], path: tuple[str, ...], out: dict[str, dict[str, Any]]) -> None:
    for key, value in node.items():
        if isinstance(value, Mapping):
            _walk(value, (*path, str(key)), out)
        else:
            out.setdefault("/".join(path) or TOP_LEVEL, {})[str(key)] = value


def unflatten_haiku_to_flax(
    flat: Mapping[str, Mapping[str, Any]], *, top_level: bool = True
) -> dict[str, Any]:
    """The inverse of :func:`flatten_flax_to_haiku`: ``"a/b"`` -> ``{"a": {"b": ...}}``.

    With ``top_level`` (the inverse proper) the module ``"~"`` holds the
    top-level leaves; without it ``"~"`` is a name like any other, as in
    Haiku's ``mlp/~/linear_0`` (``{"mlp": {"~": {"linear_0": ...}}}``).
    """
    out: dict[str, Any] = {}
    for module_name, bundle in flat.items():
        node = out
        if not (top_level and module_name == TOP_LEVEL):
            for part in module_name.split("/"):
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise ValueError(
                        f"Cannot nest Haiku module {module_name!r}: its path part "
                        f"{part!r} is also a value."
                    )
        for key, value in bundle.items():
            if isinstance(node.get(key), dict):
                raise ValueError(
                    f"Cannot nest Haiku module {module_name!r}: its entry {key!r} "
                    "is also the name of a sub-module."
                )
            node[key] = value
    return out
