"""``hk.experimental.eval_summary``: the module method calls a function makes.

The function is transformed (unless it already is), initialised and applied
under :func:`jax.eval_shape`, so no FLOPs are spent and inputs may be
:class:`jax.ShapeDtypeStruct`. A method interceptor
(:func:`haiku.intercept_methods`) records each module method call of the
``apply`` pass.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import jax

import haiku as hk
import haiku.extend
from haiku_experimental._src.records import (
    ArraySpec,
    MethodInvocation,
    ModuleDetails,
    to_spec_tree,
)

__all__ = ["eval_summary", "original_function", "run_summary"]

_TRANSFORMED = (
    hk.Transformed,
    hk.TransformedWithState,
)

# The RNG key used for the abstract init and apply; its value never matters.
_SEED = 42


def original_function(f: Any, caller: str) -> Callable[..., Any]:
    """The user function behind ``f``.

    ``f`` is a plain function, a ``hk.Transformed``/``hk.TransformedWithState``
    or the ``init``/``apply`` function of one: the summary of any of them is
    the summary of the function that was transformed.
    """
    if isinstance(f, _TRANSFORMED):
        f = f.init
    original = getattr(f, "_hk_original_fn", None)
    if original is not None:
        return original
    if isinstance(f, (hk.MultiTransformed, hk.MultiTransformedWithState)):
        raise TypeError(
            f"{caller} does not support {type(f).__name__}: pass one of its apply "
            "functions, or the function given to hk.multi_transform's f."
        )
    if not callable(f):
        raise TypeError(
            f"{caller} expects a function or the result of hk.transform / "
            f"hk.transform_with_state, got {type(f).__name__}: {f!r}"
        )
    return f


def _is_abstract_leaf(x: Any) -> bool:
    return isinstance(x, (jax.Array, jax.ShapeDtypeStruct)) or (
        hasattr(x, "shape") and hasattr(x, "dtype")
    )


@dataclasses.dataclass
class Summary:
    """What one abstract run of a function observed."""

    invocations: list[MethodInvocation]
    params: dict[str, dict[str, ArraySpec]]  # module name -> param name -> spec, creation order
    state: dict[str, dict[str, ArraySpec]]


class _Recorder:
    """A method interceptor that records every module method call."""

    def __init__(self) -> None:
        self.invocations: list[MethodInvocation | None] = []
        self._describing = False  # ModuleDetails.of calls module methods itself

    def _details(self, module: hk.Module, method_name: str) -> ModuleDetails:
        self._describing = True
        try:
            return ModuleDetails.of(module, method_name)
        finally:
            self._describing = False

    def __call__(self, next_fun, args, kwargs, context: hk.MethodContext):
        if context.method_name == "__init__" or self._describing:
            return next_fun(*args, **kwargs)
        call_stack = tuple(
            self._details(call.module, call.method_name)
            for call in reversed(haiku.extend.module_stack("eval_summary"))
        )
        index = len(self.invocations)
        self.invocations.append(None)  # calls are listed in the order they start
        out = next_fun(*args, **kwargs)
        self.invocations[index] = MethodInvocation(
            module_details=self._details(context.module, context.method_name),
            args_spec=to_spec_tree(tuple(args)),
            kwargs_spec=to_spec_tree(dict(kwargs)),
            output_spec=to_spec_tree(out),
            context=context,
            call_stack=call_stack,
        )
        return out


def run_summary(f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Summary:
    """Initialises and applies ``hk.transform_with_state(f)`` abstractly, recording calls.

    Array arguments (and ``jax.ShapeDtypeStruct``) are abstract; any other
    argument (a Python bool, a string, ...) is passed to ``f`` unchanged, so
    ``f`` may branch on it.
    """
    transformed = hk.transform_with_state(f)
    leaves, treedef = jax.tree_util.tree_flatten((args, kwargs))
    abstract = [i for i, x in enumerate(leaves) if _is_abstract_leaf(x)]
    recorder = _Recorder()
    order: dict[str, list[tuple[str, str]]] = {}

    def init_apply(*abstract_leaves):
        full = list(leaves)
        for i, x in zip(abstract, abstract_leaves):
            full[i] = x
        a, k = jax.tree_util.tree_unflatten(treedef, full)
        key = jax.random.PRNGKey(_SEED)
        params, state = transformed.init(key, *a, **k)
        with hk.intercept_methods(recorder):
            transformed.apply(params, state, key, *a, **k)
        # Creation order, which eval_shape's outputs (sorted dicts) lose.
        order["params"] = [(m, n) for m, bundle in params.items() for n in bundle]
        order["state"] = [(m, n) for m, bundle in state.items() for n in bundle]
        return params, state

    params, state = jax.eval_shape(init_apply, *(leaves[i] for i in abstract))

    def as_specs(tree, keys):
        out: dict[str, dict[str, ArraySpec]] = {}
        for m, n in keys:
            out.setdefault(m, {})[n] = ArraySpec.from_array(tree[m][n])
        return out

    invocations = [i for i in recorder.invocations if i is not None]
    return Summary(
        invocations, as_specs(params, order["params"]), as_specs(state, order["state"])
    )


def eval_summary(f: Any) -> Callable[..., Sequence[MethodInvocation]]:
    """Records module method calls performed by ``f``.

    ``f`` runs abstractly (under :func:`jax.eval_shape`): nothing is computed,
    and arrays may be given as :class:`jax.ShapeDtypeStruct`. Arguments that
    are not arrays are passed through unchanged.

    >>> class Affine(hk.Module):
    ...   def __call__(self, x):
    ...     w = hk.get_parameter("w", [x.shape[-1], 3], init=jnp.ones)
    ...     return x @ w
    >>> def f(x):
    ...   return Affine()(x)
    >>> for i in hk.experimental.eval_summary(f)(jnp.ones([8, 2])):
    ...   print(i.module_details.module.module_name, i.args_spec[0], i.output_spec)
    affine f32[8,2] f32[8,3]

    The same works for ``hk.transform(f)`` and for its ``init`` and ``apply``
    functions, which take the arguments of ``f`` here (no params or RNG).

    Args:
      f: A function or transformed function to trace: a plain function using
        Haiku modules, a ``hk.Transformed`` / ``hk.TransformedWithState``, or
        the ``init`` / ``apply`` function of one.

    Returns:
      A callable taking the same arguments as the provided function, but
      returning a sequence of :class:`~haiku.experimental.MethodInvocation`
      instances revealing the methods called on each module when applying
      ``f``, in the order the calls started.
    """
    original = original_function(f, "eval_summary")

    def wrapper(*args: Any, **kwargs: Any) -> Sequence[MethodInvocation]:
        return run_summary(original, args, kwargs).invocations

    return wrapper
