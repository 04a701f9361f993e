"""Logical axis names: module authors name axes, users map names to a mesh.

A module author wraps an initializer with :func:`with_logical_axes` to say
what each axis of a parameter means (``("embed", "mlp")``);
:func:`get_logical_axes` reads those names for a whole model, abstractly.
The user then says, once, which mesh axis each logical name is sharded over
(:func:`axis_rules`) and :func:`logical_to_mesh` gives the
``PartitionSpec`` tree; :func:`constrain` does the same for activations and
does nothing when no rules (or no mesh) are active, so models stay runnable
on one device. Parameters made inside ``hk.layer_stack`` get the stack's
leading axis named (``"layers"``, see :func:`haiku._src.stacked_axes.layers_axis`).

Logical names are given as ``PartitionSpec`` of logical names, as Flax's
``nn.get_partition_spec`` does: a tree of them is a tree JAX knows.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.sharding import NamedSharding, PartitionSpec

from haiku._src import interception, jax_compat, partition_specs, stacked_axes, transform

__all__ = [
    "LogicalAxesInit",
    "axis_rules",
    "constrain",
    "get_logical_axes",
    "logical_to_mesh",
    "with_logical_axes",
]

MeshAxes = "str | tuple[str, ...] | None"


def _check_names(caller: str, names: Any) -> tuple[str | None, ...]:
    if isinstance(names, str) or not isinstance(names, (Sequence, PartitionSpec)):
        raise TypeError(
            f"{caller} takes a sequence of logical axis names (str or None), one per "
            f"dimension, e.g. ('embed', 'mlp'); got {names!r}."
        )
    names = tuple(names)
    for name in names:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{caller}: logical axis names are str or None, got {name!r}.")
    return names


def _rank_error(what: str, shape: Sequence[int], names: tuple[str | None, ...]) -> ValueError:
    return ValueError(
        f"{what} has shape {tuple(shape)} (rank {len(shape)}) but {len(names)} logical axis "
        f"names {names}: give one name (or None) per dimension."
    )


class LogicalAxesInit:
    """An initializer that carries the logical names of its parameter's axes.

    Made by :func:`with_logical_axes`; it initialises exactly as ``init`` does.

    Attributes:
      init: The wrapped initializer.
      names: One logical axis name (or ``None``) per dimension.
    """

    __slots__ = ("init", "names")

    def __init__(self, init: Callable[[Sequence[int], Any], jax.Array],
                 names: tuple[str | None, ...]):
        self.init = init
        self.names = names

    def __call__(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        if len(shape) != len(self.names):
            raise _rank_error(f"A parameter initialised by {self!r}", shape, self.names)
        return self.init(shape, dtype)

    def __repr__(self) -> str:
        return f"with_logical_axes({self.init!r}, {self.names!r})"


def with_logical_axes(init: Callable[[Sequence[int], Any], jax.Array],
                      names: Sequence[str | None]) -> LogicalAxesInit:
    """Wraps an initializer so its parameter records logical axis names.

    >>> partitioning = hk.experimental.partitioning
    >>> def f(x):
    ...   w_init = partitioning.with_logical_axes(hk.initializers.TruncatedNormal(), ("embed", "mlp"))
    ...   w = hk.get_parameter("w", [x.shape[-1], 8], init=w_init)
    ...   b = hk.get_parameter("b", [8], init=jnp.zeros)
    ...   return x @ w + b
    >>> init = hk.transform(f).init
    >>> names = partitioning.get_logical_axes(init, jax.random.PRNGKey(0), jnp.ones([2, 4]))
    >>> tuple(names["~"]["w"]), tuple(names["~"]["b"])
    (('embed', 'mlp'), ())

    Modules that take initializers take wrapped ones too, e.g.
    ``hk.Linear(8, w_init=with_logical_axes(init, ("embed", "mlp")))``.

    The values are those of ``init``; a parameter whose rank is not the
    number of names is an error.

    Args:
      init: An initializer (``init(shape, dtype)``).
      names: One logical axis name (``None``: not sharded) per dimension.

    Returns:
      The wrapped initializer.
    """
    names = _check_names("with_logical_axes", names)
    if isinstance(init, LogicalAxesInit):
        init = init.init
    if not callable(init):
        raise TypeError(f"with_logical_axes takes an initializer, got {init!r}.")
    return LogicalAxesInit(init, names)


def _as_tree(out: Any, recorded: dict[str, tuple[str | None, ...]]) -> Any:
    def names_of(path: Sequence[Any], leaf: Any) -> PartitionSpec:
        name = partition_specs.path_name(path)
        names = recorded.get(name)
        ndim = len(getattr(leaf, "shape", ()))
        if names is None:
            return PartitionSpec()
        if len(names) > ndim:
            raise _rank_error(f"Parameter {name!r}", leaf.shape, names)
        # Leading axes nobody named (e.g. a lifted jax.vmap without
        # stacked_axis) are left unnamed: replicated.
        return PartitionSpec(*(None,) * (ndim - len(names)), *names)

    return jax.tree_util.tree_map_with_path(names_of, out)


def get_logical_axes(init_fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The logical axis names of every parameter ``init_fn`` creates, abstractly.

    Runs ``init_fn(*args, **kwargs)`` under :func:`jax.eval_shape` (nothing is
    allocated) and returns, for each parameter (and each state value, for
    the ``init`` of ``hk.transform_with_state``), a ``PartitionSpec`` of
    logical axis names: the names given with :func:`with_logical_axes`,
    after the names of the axes stacking added (``"layers"`` for
    ``hk.layer_stack``). Parameters without names get ``PartitionSpec()``.

    >>> partitioning = hk.experimental.partitioning
    >>> def block(x):
    ...   w = hk.get_parameter("w", [4, 8], init=partitioning.with_logical_axes(
    ...       jnp.ones, ("embed", "mlp")))
    ...   return x + (x @ w).sum()
    >>> f = hk.transform(lambda x: hk.layer_stack(3, name="blocks")(block)(x))
    >>> names = partitioning.get_logical_axes(f.init, None, jnp.ones([2, 4]))
    >>> tuple(names["blocks/~"]["w"])
    ('layers', 'embed', 'mlp')

    Args:
      init_fn: An ``init`` function of a transformed function.
      *args: Its arguments (arrays or ``jax.ShapeDtypeStruct``).
      **kwargs: Its keyword arguments.

    Returns:
      A tree with the structure of ``init_fn``'s output (``params``, or
      ``(params, state)``), a ``PartitionSpec`` of logical names per leaf.
    """
    recorded: list[dict[str, tuple[str | None, ...]]] = [{}, {}]

    def recorder(index: int) -> interception.Creator:
        def record(next_creator, shape, dtype, init, context):
            if isinstance(init, LogicalAxesInit):
                name = (context.lifted_prefix_name or "") + context.full_name
                if len(shape) != len(init.names):
                    raise _rank_error(f"Parameter {name!r}", shape, init.names)
                recorded[index][name] = (*stacked_axes.stacked_axes(), *init.names)
            return next_creator(shape, dtype, init)

        return record

    def run(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        with interception.custom_creator(recorder(0)), \
                interception.custom_creator(recorder(1), params=False, state=True):
            return init_fn(*args, **kwargs)

    # The creators need a frame: an outer transform whose apply returns the
    # inner init's outputs (the creators of a frame apply in those it runs).
    outer = transform.transform_with_state(run)
    out, _ = jax.eval_shape(lambda a, k: outer.apply({}, {}, None, a, k), args, kwargs)
    if isinstance(out, tuple) and len(out) == 2 and all(isinstance(t, Mapping) for t in out):
        return _as_tree(out[0], recorded[0]), _as_tree(out[1], recorded[1])
    return _as_tree(out, recorded[0])


class _Rules(NamedTuple):
    rules: tuple[tuple[str, Any], ...]
    mesh: Any


_ACTIVE: contextvars.ContextVar[_Rules | None] = contextvars.ContextVar(
    "haiku_axis_rules", default=None
)


def _check_rules(rules: Sequence[tuple[str, Any]], mesh: Any) -> tuple[tuple[str, Any], ...]:
    checked = []
    mesh_names = None if mesh is None else tuple(mesh.axis_names)
    for rule in rules:
        if not (isinstance(rule, tuple) and len(rule) == 2 and isinstance(rule[0], str)):
            raise TypeError(
                "axis_rules takes (logical name, mesh axes) pairs, e.g. ('mlp', 'model') "
                f"or ('embed', None); got {rule!r}."
            )
        logical, axes = rule
        if not (axes is None or isinstance(axes, str) or (
                isinstance(axes, tuple) and all(isinstance(a, str) for a in axes))):
            raise TypeError(
                f"The rule for logical axis {logical!r} gives {axes!r}; give a mesh axis "
                "name, a tuple of them, or None (replicated)."
            )
        if mesh_names is not None:
            for axis in partition_specs._entry_axes(axes):
                if axis not in mesh_names:
                    raise ValueError(
                        f"The rule ({logical!r}, {axes!r}) names mesh axis {axis!r}, but the "
                        f"mesh has axes {mesh_names}: use one of those (or None to replicate)."
                    )
        checked.append((logical, axes))
    return tuple(checked)


@contextlib.contextmanager
def axis_rules(rules: Sequence[tuple[str, Any]], *, mesh: Any = None) -> Iterator[None]:
    """Maps logical axis names to mesh axes in the block.

    ``rules`` are ``(logical name, mesh axes)`` pairs; the mesh axes are a
    mesh axis name, a tuple of them, or ``None`` (not sharded). A logical
    name may have several rules: the first whose mesh axes the spec being
    built has not used yet applies (else the dimension is replicated), so
    ``[("batch", "data"), ("embed", "data")]`` shards ``embed`` over
    ``data`` except where ``batch`` already is.

    >>> partitioning = hk.experimental.partitioning
    >>> from jax.sharding import PartitionSpec as P
    >>> with partitioning.axis_rules([("batch", "data"), ("mlp", "model"), ("embed", None)]):
    ...   specs = partitioning.logical_to_mesh({"w": P("embed", "mlp"), "x": P("batch", "embed")})
    >>> specs == {"w": P(None, "model"), "x": P("data", None)}
    True

    With ``mesh`` (a ``jax.sharding.Mesh``), the rules are checked against it
    and :func:`constrain` uses it; without, :func:`constrain` uses the mesh
    entered with ``jax.set_mesh`` (if any). The innermost ``axis_rules``
    applies.

    Args:
      rules: ``(logical name, mesh axes)`` pairs.
      mesh: Optionally, the mesh the rules refer to.

    Returns:
      A context manager.
    """
    token = _ACTIVE.set(_Rules(_check_rules(rules, mesh), mesh))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def _rules(caller: str, rules: Sequence[tuple[str, Any]] | None) -> tuple[tuple[str, Any], ...]:
    if rules is not None:
        return _check_rules(rules, None)
    active = _ACTIVE.get()
    if active is None:
        raise ValueError(
            f"{caller} needs logical axis rules: call it inside `with axis_rules([...]):` "
            "or pass rules=[(logical name, mesh axes), ...]."
        )
    return active.rules


def _to_mesh(spec: PartitionSpec, rules: tuple[tuple[str, Any], ...]) -> PartitionSpec:
    used: set[str] = set()
    out = []
    for entry in spec:
        logicals = partition_specs._entry_axes(entry)
        chosen: list[str] = []
        for logical in logicals:
            candidates = [axes for name, axes in rules if name == logical]
            if not candidates:
                known = sorted({name for name, _ in rules})
                raise ValueError(
                    f"Logical axis {logical!r} (in {partition_specs.spec_text(spec)}) has no rule; the rules name {known}. "
                    f"Add ({logical!r}, <mesh axis>) to shard it, or ({logical!r}, None) to "
                    "replicate it."
                )
            for axes in candidates:
                mesh_axes = partition_specs._entry_axes(axes)
                if not used.intersection(mesh_axes):
                    used.update(mesh_axes)
                    chosen.extend(mesh_axes)
                    break
        out.append(None if not chosen else chosen[0] if len(chosen) == 1 else tuple(chosen))
    return PartitionSpec(*out)


def logical_to_mesh(names: Any, rules: Sequence[tuple[str, Any]] | None = None) -> Any:
    """The ``PartitionSpec`` tree over mesh axes for a tree of logical names.

    ``names`` is a tree of ``PartitionSpec`` of logical names (what
    :func:`get_logical_axes` returns), or a single one. The rules are
    ``rules`` if given, else those of the innermost :func:`axis_rules`:

    >>> from jax.sharding import PartitionSpec as P
    >>> rules = [("layers", None), ("embed", "data"), ("mlp", "model")]
    >>> tuple(hk.experimental.partitioning.logical_to_mesh(P("layers", "embed", "mlp"), rules))
    (None, 'data', 'model')

    Args:
      names: A tree of ``PartitionSpec`` of logical axis names.
      rules: ``(logical name, mesh axes)`` pairs (default: the active ones).

    Returns:
      The same tree, with specs over mesh axes.

    Raises:
      ValueError: outside :func:`axis_rules` without ``rules``, and for a
        logical name no rule maps.
    """
    active = _rules("logical_to_mesh", rules)
    return jax.tree.map(lambda spec: _to_mesh(spec, active), names,
                        is_leaf=partition_specs.is_spec)


def constrain(x: jax.Array, names: Sequence[str | None]) -> jax.Array:
    """``x`` constrained to the sharding its logical axis names map to.

    Inside :func:`axis_rules` with a mesh (given to ``axis_rules`` or entered
    with ``jax.set_mesh``) this is :func:`jax.lax.with_sharding_constraint`
    with ``logical_to_mesh(names)``; otherwise it returns ``x`` itself, so a
    model calling it still runs on one device:

    >>> partitioning = hk.experimental.partitioning
    >>> x = jnp.ones([4, 8])
    >>> partitioning.constrain(x, ("batch", "embed")) is x
    True
    >>> mesh = jax.sharding.Mesh(jax.devices()[:1], ("data",))
    >>> with partitioning.axis_rules([("batch", "data"), ("embed", None)], mesh=mesh):
    ...   jaxpr = jax.make_jaxpr(lambda x: partitioning.constrain(x, ("batch", "embed")))(x)
    >>> "sharding_constraint" in str(jaxpr)
    True

    On mesh axes of type ``Explicit`` (the default of ``jax.make_mesh``
    from JAX 0.7) the array is resharded (``jax.sharding.reshard``) instead.

    Args:
      x: An array (or tracer).
      names: One logical axis name (or ``None``) per dimension of ``x``.

    Returns:
      ``x``, constrained when rules and a mesh are active.
    """
    names = _check_names("constrain", names)
    if len(names) != jnp.ndim(x):
        raise _rank_error("constrain: the array", jnp.shape(x), names)
    active = _ACTIVE.get()
    if active is None:
        return x
    mesh = active.mesh if active.mesh is not None else jax_compat.active_mesh()
    if mesh is None:
        return x
    spec = _to_mesh(PartitionSpec(*names), active.rules)
    sharding = NamedSharding(active.mesh, spec) if active.mesh is not None else spec
    if _explicit(mesh, spec):
        return jax.sharding.reshard(x, sharding)
    return jax.lax.with_sharding_constraint(x, sharding)


def _explicit(mesh: Any, spec: PartitionSpec) -> bool:
    """Whether ``spec`` shards over an ``Explicit`` axis of ``mesh`` (JAX 0.7 on)."""
    axis_type = getattr(jax.sharding, "AxisType", None)
    if axis_type is None or not hasattr(jax.sharding, "reshard"):
        return False
    types = dict(zip(mesh.axis_names, getattr(mesh, "axis_types", ())))
    return any(types.get(axis) == axis_type.Explicit
               for entry in spec for axis in partition_specs._entry_axes(entry))
