"""``layer_stack``: a function applied ``num_layers`` times, traced once.

The layer function is transformed into an inner ``init``/``apply`` pair. The
outer ``init`` runs the inner ``init`` under a ``jax.lax.scan`` over the
layers, so each layer gets its own parameters (and state), stacked along a
leading ``[num_layers]`` axis, and lifts them into the outer transform (see
:mod:`haiku._src.lift`). Both ``init`` and ``apply`` then run the inner
``apply`` under a ``jax.lax.scan`` over those stacked values. The program
holds one copy of the layer whatever ``num_layers`` is.

Random keys follow dm-haiku, so the same seed gives the same parameters: two
keys are drawn from the outer sequence on every call (``init_key`` then
``apply_key``, each ``None`` without a sequence). The ``init`` scan carries a
key that each layer splits into three: its ``init`` key, the carried key and
the key of the ``apply`` that computes the next layer's input. The ``apply``
scan gives layer ``i`` the key ``jax.random.split(apply_key, num_layers)[i]``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import jax
import jax.numpy as jnp

from haiku._src import base, eager_scan, lift, random_keys, stacked_axes, transform

__all__ = ["LayerStackTransparencyMapping", "layer_stack"]

Tree = dict[str, dict[str, Any]]
TreeIn = Mapping[str, Mapping[str, Any]]


class LayerStackTransparencyMapping(Protocol):
    """Module name mapping for transparent layer_stack.

    With a mapping, :func:`layer_stack` stores the parameters of layer ``i``
    under the names a plain Python loop over the layers would give them, so
    the stack and the loop share checkpoints. Subclass it and implement both
    methods; they must be inverses of each other:

    >>> class NumberedLayers(hk.LayerStackTransparencyMapping):
    ...   def stacked_to_flat(self, stacked_module_name, scan_idx):
    ...     return stacked_module_name + ("" if scan_idx == 0 else f"_{scan_idx}")
    ...   def flat_to_stacked(self, unstacked_module_name):
    ...     name, _, idx = unstacked_module_name.rpartition("_")
    ...     if idx.isdigit():
    ...       return name, int(idx)
    ...     return unstacked_module_name, 0
    >>> m = NumberedLayers()
    >>> m.stacked_to_flat("layer", 2), m.flat_to_stacked("layer_2")
    ('layer_2', ('layer', 2))
    """

    def stacked_to_flat(self, stacked_module_name: str, scan_idx: int) -> str:
        """Creates flat module name from stacked name and index during scan.

        Args:
          stacked_module_name: The name of a module inside the layer function,
            relative to the layer stack (e.g. ``"linear"``).
          scan_idx: The layer index.

        Returns:
          The module name that layer ``scan_idx``'s module has without the
          stack (e.g. ``"linear_2"``).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement stacked_to_flat")

    def flat_to_stacked(self, unstacked_module_name: str) -> tuple[str, int] | None:
        """Creates stacked module name and scan index from flat name.

        Args:
          unstacked_module_name: A module name of the enclosing scope.

        Returns:
          ``(stacked_module_name, scan_idx)``, the inverse of
          :meth:`stacked_to_flat`, or ``None`` for a module that is not part
          of the stack.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement flat_to_stacked")


def _check_no_varargs(f: Callable[..., Any]) -> None:
    """Rejects ``f(*args)``: without per-layer inputs the arguments are the carry."""
    if isinstance(f, type):  # A class: its constructor is the "layer"; not checked.
        return
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):  # Builtins and some callables: nothing to check.
        return
    if params and params[0].kind is inspect.Parameter.VAR_POSITIONAL:
        name = getattr(f, "__name__", repr(f))
        # dm-haiku's words (its missing space included), then ours.
        raise ValueError(
            "The function `f` should not have any `varargs` (that is *args) argument. "
            "Instead, it should only use explicit positionalarguments (here "
            f"`{name}` takes *args: its positional arguments are the carry, so their "
            "number is fixed)."
        )


def _to_flat(stacked: TreeIn, num_layers: int, mapping: LayerStackTransparencyMapping) -> Tree:
    flat: Tree = {}
    for name, bundle in stacked.items():
        for i in range(num_layers):
            flat_name = mapping.stacked_to_flat(name, i)
            if flat_name in flat:
                raise ValueError(
                    f"Found conflicting unstacked module name for {name} at {flat_name}: "
                    f"the transparency map gives layer {i} a name already taken, "
                    "stacked_to_flat must give every (module, layer) its own name."
                )
            flat[flat_name] = {k: v[i] for k, v in bundle.items()}
    return flat


def _to_stacked(flat: TreeIn, num_layers: int, mapping: LayerStackTransparencyMapping) -> Tree:
    layers: dict[str, dict[int, Mapping[str, Any]]] = {}
    for flat_name, bundle in flat.items():
        found = mapping.flat_to_stacked(flat_name)
        if found is not None:
            name, index = found
            by_index = layers.setdefault(name, {})
            clash = sorted(by_index.get(index, {}).keys() & bundle.keys())
            if clash:
                raise ValueError(
                    f"Found conflicting values for param {name}/{clash[0]} at index "
                    f"{index}: flat_to_stacked maps {flat_name!r} and another module to "
                    "the same stacked module and layer."
                )
            by_index[index] = {**by_index.get(index, {}), **bundle}
    stacked: Tree = {}
    for name, by_index in layers.items():
        if sorted(by_index) != list(range(num_layers)):
            raise ValueError(
                f"The transparency map gives layer indices {sorted(by_index)} for the "
                f"stacked module {name!r}, expected 0..{num_layers - 1}: flat_to_stacked "
                "must return None for modules that are not part of the stack."
            )
        keys = by_index[0].keys()
        stacked[name] = {k: jnp.stack([by_index[i][k] for i in range(num_layers)]) for k in keys}
    return stacked


class _Stack:
    """The settings of one ``layer_stack`` and the layer function they wrap."""

    def __init__(self, f: Callable[..., Any], num_layers: int, per_layer: bool, unroll: int,
                 pass_reverse: bool, mapping: LayerStackTransparencyMapping | None,
                 name: str | None):  # fmt: skip
        self.f = f
        self.num_layers = num_layers
        self.per_layer = per_layer
        self.unroll = unroll
        self.pass_reverse = pass_reverse
        self.mapping = mapping
        default = "__layer_stack_with_per_layer" if per_layer else "__layer_stack_no_per_layer"
        self.name = name or default
        self.inner = transform.transform_with_state(self.step)

    def step(self, carry: Any, ys: tuple[Any, ...], reverse: bool) -> tuple[Any, Any]:
        """One layer: ``(carry, ys) -> (carry, per-layer output)``."""
        kwargs = {"reverse": reverse} if self.pass_reverse else {}
        if not self.per_layer:
            out = self.f(*carry, **kwargs)
            return (out,) if len(carry) == 1 else out, None
        out = self.f(carry, *ys, **kwargs)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            # The types Python's unpacking of ``carry, y = out`` raises.
            error = ValueError if isinstance(out, (tuple, list)) else TypeError
            raise error(
                "With `with_per_layer_inputs=True` the layer function must return a "
                f"pair `(carry, per_layer_output)`, got {type(out).__name__}."
            )
        return tuple(out)

    def init_all(self, key: jax.Array | None, carry: Any, ys: tuple[Any, ...]) -> tuple[Tree, Tree]:
        """Creates the stacked params and state of every layer (the lifted init)."""

        def body(loop, ys_i):
            x, rng = loop
            init_rng = apply_rng = None
            if rng is not None:
                init_rng, rng, apply_rng = jax.random.split(rng, 3)
            params, state = self.inner.init(init_rng, x, ys_i, False)
            (x, _), state = self.inner.apply(params, state, apply_rng, x, ys_i, False)
            return (x, rng), (params, state)

        _, (params, state) = eager_scan.scan(
            body, (carry, key), ys, length=self.num_layers, unroll=self.unroll
        )
        if self.mapping is not None:
            params = _to_flat(params, self.num_layers, self.mapping)
            state = _to_flat(state, self.num_layers, self.mapping)
        return params, state

    def __call__(self, args: tuple[Any, ...], reverse: bool) -> Any:
        base.current_frame("hk.layer_stack")
        if not args:
            raise TypeError(
                "A layer_stack function needs at least one positional argument: the carry."
            )
        carry, ys = (args[0], args[1:]) if self.per_layer else (args, ())
        self._check_per_layer_inputs(ys)
        # Reuse is allowed: calling one stack twice (a module called twice)
        # shares its parameters, as in dm-haiku.
        if self.mapping is None:
            lifted, updater = lift.lift_with_state(self.init_all, allow_reuse=True, name=self.name)
        else:
            lifted, updater = lift.transparent_lift_with_state(self.init_all, allow_reuse=True)
        init_key = random_keys.maybe_next_rng_key()
        params: Any
        state: Any
        # Logical axis names (hk.experimental.partitioning) see the stacked axis;
        # a transparent stack stores each layer's parameters unstacked.
        stacking = (stacked_axes.stacked_axis(stacked_axes.layers_axis_name())
                    if self.mapping is None else contextlib.nullcontext())
        with stacking:
            params, state = lifted(init_key, carry, ys)
        apply_key = random_keys.maybe_next_rng_key()
        if self.mapping is not None:
            params = _to_stacked(params, self.num_layers, self.mapping)
            state = _to_stacked(state, self.num_layers, self.mapping)
        keys = None if apply_key is None else jax.random.split(apply_key, self.num_layers)

        def body(x, xs):
            params_i, state_i, key_i, ys_i = xs
            (x, out), state_i = self.inner.apply(params_i, state_i, key_i, x, ys_i, reverse)
            return x, (out, state_i)

        carry, (outs, state) = eager_scan.scan(
            body,
            carry,
            (params, state, keys, ys),
            length=self.num_layers,
            reverse=reverse,
            unroll=self.unroll,
        )
        if self.mapping is not None:
            state = _to_flat(state, self.num_layers, self.mapping)
        updater.update(state)
        if self.per_layer:
            return carry, outs
        return carry[0] if len(args) == 1 else carry

    def _check_per_layer_inputs(self, ys: tuple[Any, ...]) -> None:
        for leaf in jax.tree_util.tree_leaves(ys):
            size = jnp.shape(leaf)[0] if jnp.ndim(leaf) else None
            if size != self.num_layers:
                # dm-haiku asserts this, hence the type and the leading `size != n`.
                raise AssertionError(
                    f"{size} != {self.num_layers}: every per-layer input of a layer_stack "
                    f"of {self.num_layers} layers must have a leading axis of size "
                    f"{self.num_layers}, got one of shape {jnp.shape(leaf)}."
                )


def layer_stack(
    num_layers: int,
    with_per_layer_inputs: bool = False,
    unroll: int = 1,
    pass_reverse_to_layer_fn: bool = False,
    transparent: bool = False,
    transparency_map: LayerStackTransparencyMapping | None = None,
    name: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Utility to wrap a Haiku function and recursively apply it to an input.

    ``layer_stack(n)(f)(x)`` computes what ``for _ in range(n): x = f(x)``
    does, but traces ``f`` once (under :func:`jax.lax.scan`), which keeps
    compile times flat in ``n``. Parameters created in ``f`` are never
    shared: each layer has its own, stacked along a leading ``[n]`` axis.

    >>> def layer(x):
    ...   return x + hk.get_parameter("b", [], init=jnp.ones)
    >>> f = hk.transform(lambda x: hk.layer_stack(3)(layer)(x))
    >>> params = f.init(None, 0.)
    >>> params
    {'__layer_stack_no_per_layer/~': {'b': Array([1., 1., 1.], dtype=float32)}}
    >>> print(f.apply(params, None, 0.))
    3.0

    With several arguments, ``f`` must return a tuple of the same structure.
    With ``with_per_layer_inputs=True``, ``f(x, *ys_i)`` is given the
    ``i``-th slice of every further argument and returns ``(x, z_i)``; the
    stack returns ``(x, zs)`` with the ``z_i`` stacked:

    >>> stack = hk.layer_stack(3, with_per_layer_inputs=True)
    >>> x, zs = stack(lambda x, y: (x + y, 2 * x))(0, jnp.arange(3))
    >>> print(x, zs)
    3 [0 0 2]

    Call the stacked function with ``reverse=True`` to run the layers last
    to first (with ``pass_reverse_to_layer_fn=True``, ``f`` gets ``reverse``
    as a keyword argument too). Layer functions may use state (it is stacked
    like the parameters).

    Args:
      num_layers: The number of times to iterate the wrapped function.
      with_per_layer_inputs: Whether or not to pass per-layer inputs to the
        wrapped function.
      unroll: The ``unroll`` used by :func:`jax.lax.scan`.
      pass_reverse_to_layer_fn: Whether or not to pass the ``reverse`` keyword
        to the function ``f``.
      transparent: Whether to apply layer_stack transparently: parameters
        get the names given by ``transparency_map`` (the names a plain Python
        loop would give them) instead of a stacked layout.
      transparency_map: How to map stacked module names to flat names and
        back; required with ``transparent=True``.
      name: Name of the Haiku context (ignored when transparent).

    Returns:
      A decorator, which turns a layer function into the stacked function.
    """
    if transparent and transparency_map is None:
        raise ValueError("transparency_map must be provided with transparent=True.")
    if num_layers < 0:
        raise ValueError(f"num_layers must be non-negative, got {num_layers}.")

    def decorator(f: Callable[..., Any]) -> Callable[..., Any]:
        if not with_per_layer_inputs:
            _check_no_varargs(f)

        @functools.wraps(f)
        def stacked(*args: Any, reverse: bool = False) -> Any:
            stack = _Stack(f, num_layers, with_per_layer_inputs, unroll,
                           pass_reverse_to_layer_fn, transparency_map, name)  # fmt: skip
            return stack(args, reverse)

        return stacked

    return decorator
