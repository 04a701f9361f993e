"""Tracing a function to a jaxpr whose equations know their Haiku module.

While the function is traced (:func:`jax.make_jaxpr`), a method interceptor
(:func:`haiku.intercept_methods`) runs every module method call inside a
:func:`jax.named_scope` with a unique token (``hk_call_3``). Each equation's
name stack then says which module calls it ran in, outermost first; the
token table maps tokens back to modules. Only public JAX and Haiku APIs are
used, so functions with ``custom_jvp``/``custom_vjp`` rules (``jax.nn.relu``)
trace like any other.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from typing import Any

import jax

import haiku as hk

__all__ = ["ModuleCall", "Traced", "trace"]

TOKEN_PREFIX = "hk_call_"


@dataclasses.dataclass(frozen=True)
class ModuleCall:
    """One module method call seen while tracing."""

    module: Any
    method_name: str

    @property
    def label(self) -> str:
        """``"mlp/~/linear_0 (Linear)"``, or ``"... (Linear.encode)"`` for other methods."""
        method = "" if self.method_name == "__call__" else f".{self.method_name}"
        return f"{self.module.module_name} ({type(self.module).__name__}{method})"


@dataclasses.dataclass
class Traced:
    """The jaxpr of a function and what its name-stack tokens stand for."""

    jaxpr: Any  # jax.extend.core.ClosedJaxpr
    calls: dict[str, ModuleCall]
    in_paths: list[str]  # one per jaxpr invar: "args[0]['mlp/~/linear_0']['w']"
    out_paths: list[str]  # one per jaxpr outvar: "output[0]"
    out_tree: Any


def _is_abstract_leaf(x: Any) -> bool:
    return isinstance(x, (jax.Array, jax.ShapeDtypeStruct)) or (
        hasattr(x, "shape") and hasattr(x, "dtype")
    )


def _path_label(root: str, path: tuple[Any, ...]) -> str:
    return root + jax.tree_util.keystr(path)


def trace(
    fun: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    axis_env: Any = None,
    on_call: Callable[[str, hk.MethodContext], None] | None = None,
    skip: Callable[[], bool] | None = None,
) -> Traced:
    """Traces ``fun(*args, **kwargs)`` with module calls marked in the name stack.

    Array leaves (and ``jax.ShapeDtypeStruct``) of the arguments become jaxpr
    inputs; any other leaf is passed to ``fun`` as is. ``on_call(token,
    context)`` is told of each module method call; calls made while
    ``skip()`` is true are not marked.
    """
    leaves_with_paths, treedef = jax.tree_util.tree_flatten_with_path((args, kwargs))
    leaves = [x for _, x in leaves_with_paths]
    abstract = [i for i, x in enumerate(leaves) if _is_abstract_leaf(x)]
    in_paths = []
    for i in abstract:
        path = leaves_with_paths[i][0]
        root = "args" if path[0].idx == 0 else "kwargs"
        in_paths.append(_path_label(root, path[1:]))

    calls: dict[str, ModuleCall] = {}
    counter = itertools.count()

    def interceptor(next_fun, a, k, context: hk.MethodContext):
        if context.method_name == "__init__" or (skip is not None and skip()):
            return next_fun(*a, **k)
        token = f"{TOKEN_PREFIX}{next(counter)}"
        calls[token] = ModuleCall(context.module, context.method_name)
        if on_call is not None:
            on_call(token, context)
        with jax.named_scope(token):
            return next_fun(*a, **k)

    def flat_fun(*abstract_leaves):
        full = list(leaves)
        for i, x in zip(abstract, abstract_leaves):
            full[i] = x
        a, k = jax.tree_util.tree_unflatten(treedef, full)
        with hk.intercept_methods(interceptor):
            return fun(*a, **k)

    make = jax.make_jaxpr(flat_fun, return_shape=True, axis_env=axis_env)
    closed, out_shape = make(*(leaves[i] for i in abstract))
    out_leaves, out_tree = jax.tree_util.tree_flatten_with_path(out_shape)
    out_paths = [_path_label("output", p) for p, _ in out_leaves]
    return Traced(closed, calls, in_paths, out_paths, out_tree)


def split_name_stack(name_stack: Any) -> list[str]:
    """The components of an equation's name stack (``"a/b"`` -> ``["a", "b"]``)."""
    text = str(name_stack)
    return [part for part in text.split("/") if part] if text else []
