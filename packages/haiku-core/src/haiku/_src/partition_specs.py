"""Partition specs for parameter trees: rules by name, checks against a mesh.

:func:`match_rules` gives every parameter of an existing model (no change to
the model) a :class:`jax.sharding.PartitionSpec`, by regular expressions on
its ``"module/name"`` path. :func:`check_specs` says, before anything is
compiled, which parameter a spec does not fit (rank, a mesh axis the mesh
lacks, a dimension its mesh axes do not divide). :func:`named_shardings`
and :func:`sharded_init` turn the specs into shardings and an ``init`` whose
outputs are created sharded.

Everything here works on abstract trees (``jax.eval_shape`` of ``init``): only
the ``shape`` of each leaf is read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import jax
from jax.sharding import NamedSharding, PartitionSpec

__all__ = ["check_specs", "match_rules", "named_shardings", "sharded_init"]

Rule = tuple["str | re.Pattern[str]", "PartitionSpec | None"]

_NO_DEFAULT: Any = object()


def is_spec(x: Any) -> bool:
    """Whether ``x`` is a ``PartitionSpec`` (a leaf of a spec tree)."""
    return isinstance(x, PartitionSpec)


def path_name(path: Sequence[Any]) -> str:
    """``"module/name"`` for the key path of a parameter (``"0/module/name"`` in a tuple)."""
    parts = []
    for key in path:
        for attr in ("key", "name", "idx"):
            if hasattr(key, attr):
                parts.append(str(getattr(key, attr)))
                break
        else:  # pragma: no cover - a key type JAX may add.
            parts.append(str(key))
    return "/".join(parts)


def spec_text(spec: PartitionSpec) -> str:
    """``spec`` as ``PartitionSpec('data', None)`` on every JAX (whose reprs differ)."""
    return "PartitionSpec(" + ", ".join(repr(entry) for entry in spec) + ")"


def _shape(leaf: Any) -> tuple[int, ...]:
    return tuple(getattr(leaf, "shape", ()))


def _entry_axes(entry: Any) -> tuple[str, ...]:
    """The mesh axes one entry of a spec names (``None``, a name or a tuple of names)."""
    if entry is None:
        return ()
    if isinstance(entry, str):
        return (entry,)
    return tuple(entry)


def _check_mesh_axes(what: str, spec: PartitionSpec, mesh: Any) -> None:
    names = tuple(mesh.axis_names)
    for entry in spec:
        for axis in _entry_axes(entry):
            if axis not in names:
                raise ValueError(
                    f"{what} names mesh axis {axis!r}, but the mesh has axes {names}: "
                    "use one of those (or None to replicate)."
                )


def check_spec(name: str, shape: Sequence[int], spec: PartitionSpec, mesh: Any = None) -> None:
    """Raises ``ValueError`` unless ``spec`` fits parameter ``name`` of ``shape`` on ``mesh``.

    >>> from jax.sharding import PartitionSpec as P
    >>> mesh = jax.sharding.AbstractMesh((2, 4), ("data", "model"))
    >>> check_spec("linear/w", (8, 6), P("data", "model"), mesh)
    Traceback (most recent call last):
      ...
    ValueError: Parameter 'linear/w' of shape (8, 6): dimension 1 (size 6) is not divisible by mesh axis 'model' of size 4 (spec PartitionSpec('data', 'model')); pick a size divisible by 4, or shard that dimension over other axes.
    """
    shape = tuple(shape)
    if len(spec) > len(shape):
        raise ValueError(
            f"Parameter {name!r} of shape {shape} (rank {len(shape)}) got the partition spec "
            f"{spec_text(spec)} with {len(spec)} entries: give at most one entry per dimension."
        )
    if mesh is not None:
        _check_mesh_axes(f"The partition spec {spec_text(spec)} of parameter {name!r}", spec, mesh)
    used: dict[str, int] = {}
    for dim, entry in enumerate(spec):
        axes = _entry_axes(entry)
        for axis in axes:
            if axis in used:
                raise ValueError(
                    f"Parameter {name!r}: the partition spec {spec_text(spec)} uses mesh axis {axis!r} "
                    f"for dimensions {used[axis]} and {dim}; a mesh axis can shard one "
                    "dimension only."
                )
            used[axis] = dim
        if mesh is None or not axes:
            continue
        size = math.prod(mesh.shape[axis] for axis in axes)
        if shape[dim] % size:
            axis_text = repr(entry if isinstance(entry, str) else tuple(entry))
            raise ValueError(
                f"Parameter {name!r} of shape {shape}: dimension {dim} (size {shape[dim]}) is "
                f"not divisible by mesh axis {axis_text} of size {size} (spec {spec_text(spec)}); pick a "
                f"size divisible by {size}, or shard that dimension over other axes."
            )


def check_specs(specs: Any, shapes: Any, mesh: Any = None) -> None:
    """Raises ``ValueError`` unless every spec of ``specs`` fits its leaf of ``shapes``.

    ``specs`` has the structure of ``shapes`` (or a prefix of it) with a
    ``PartitionSpec`` (or ``None``: replicated) per parameter. With a
    ``mesh`` (a ``jax.sharding.Mesh`` or ``AbstractMesh``) the axes each spec
    names must exist and divide their dimension.

    >>> from jax.sharding import PartitionSpec as P
    >>> shapes = {"linear": {"w": jax.ShapeDtypeStruct((4, 6), jnp.float32)}}
    >>> mesh = jax.sharding.AbstractMesh((2,), ("data",))
    >>> check_specs({"linear": {"w": P("data")}}, shapes, mesh)  # fits: no error
    >>> check_specs({"linear": {"w": P("model")}}, shapes, mesh)
    Traceback (most recent call last):
      ...
    ValueError: The partition spec PartitionSpec('model') of parameter 'linear/w' names mesh axis 'model', but the mesh has axes ('data',): use one of those (or None to replicate).
    """

    def check(path: Sequence[Any], spec: Any, subtree: Any) -> None:
        spec = PartitionSpec() if spec is None else spec
        for leaf_path, leaf in jax.tree_util.tree_flatten_with_path(subtree)[0]:
            check_spec(path_name((*path, *leaf_path)), _shape(leaf), spec, mesh)

    jax.tree_util.tree_map_with_path(check, specs, shapes, is_leaf=lambda x: x is None or is_spec(x))


def _compile(rules: Sequence[Rule], mesh: Any) -> list[tuple[re.Pattern[str], PartitionSpec]]:
    compiled = []
    for rule in rules:
        if not (isinstance(rule, tuple) and len(rule) == 2):
            raise TypeError(
                f"match_rules takes rules as (regex, PartitionSpec) pairs, got {rule!r}."
            )
        pattern, spec = rule
        spec = PartitionSpec() if spec is None else spec
        if not is_spec(spec):
            raise TypeError(
                f"The rule for {pattern!r} gives {spec!r}; a rule gives a "
                "jax.sharding.PartitionSpec (or None to replicate)."
            )
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        if mesh is not None:
            _check_mesh_axes(f"The rule {regex.pattern!r} -> {spec_text(spec)}", spec, mesh)
        compiled.append((regex, spec))
    return compiled


def match_rules(
    rules: Sequence[Rule], params: Any, default: PartitionSpec | None = _NO_DEFAULT, *,
    mesh: Any = None,
) -> Any:
    """A tree of ``PartitionSpec`` for ``params``, by rules on parameter names.

    Each parameter gets the spec of the first rule whose regular expression
    matches its ``"module/name"`` path (:func:`re.search`: a rule may match
    part of the path). The model itself is not changed, so this works for
    every existing Haiku model. ``params`` may be abstract (what
    :func:`jax.eval_shape` gives for ``init``): nothing is allocated. Any
    tree keyed like Haiku parameters works: ``state``, or an optax state
    holding parameter-shaped trees (its paths are then
    ``"0/mu/module/name"``, which the same rules match).

    >>> from jax.sharding import PartitionSpec as P
    >>> params = {"mlp/~/linear_0": {"w": jnp.ones([3, 8]), "b": jnp.ones([8])},
    ...           "mlp/~/linear_1": {"w": jnp.ones([8, 4]), "b": jnp.ones([4])}}
    >>> rules = [(r"linear_0/w", P(None, "model")), (r"linear_1/w", P("model", None)),
    ...          (r"/b$", P())]
    >>> specs = hk.experimental.partitioning.match_rules(rules, params)
    >>> specs["mlp/~/linear_0"]["w"] == P(None, "model")
    True
    >>> tuple(specs["mlp/~/linear_1"]["w"]), tuple(specs["mlp/~/linear_1"]["b"])
    (('model', None), ())

    For a model, ``params = jax.eval_shape(f.init, key, x)`` gives the same
    tree without computing (or allocating) a parameter.

    A parameter no rule matches is an error, unless ``default`` is given
    (e.g. ``default=P()`` replicates it). With a ``mesh``, a rule naming an
    axis the mesh lacks is an error, and so is a dimension that its mesh axes
    do not divide.

    Args:
      rules: ``(regex, PartitionSpec)`` pairs, tried in order. ``None`` for
        a spec means ``PartitionSpec()`` (replicated).
      params: A tree of parameters (or state), abstract or concrete.
      default: The spec of parameters no rule matches (none: an error).
      mesh: A ``jax.sharding.Mesh`` (or ``AbstractMesh``) to check the specs
        against.

    Returns:
      A tree with the structure of ``params``, a ``PartitionSpec`` per leaf.

    Raises:
      ValueError: for a parameter no rule matches (without ``default``),
        and for a spec that does not fit its parameter or the mesh.
    """
    compiled = _compile(rules, mesh)
    if default is not _NO_DEFAULT:
        default = PartitionSpec() if default is None else default
        if mesh is not None:
            _check_mesh_axes(f"The default {spec_text(default)}", default, mesh)
    unmatched: list[str] = []

    def spec_of(path: Sequence[Any], leaf: Any) -> PartitionSpec:
        name = path_name(path)
        for regex, spec in compiled:
            if regex.search(name):
                break
        else:
            if default is _NO_DEFAULT:
                unmatched.append(name)
                return PartitionSpec()
            spec = default
        check_spec(name, _shape(leaf), spec, mesh)
        return spec

    specs = jax.tree_util.tree_map_with_path(spec_of, params)
    if unmatched:
        shown = ", ".join(repr(n) for n in unmatched[:10])
        more = f" and {len(unmatched) - 10} more" if len(unmatched) > 10 else ""
        raise ValueError(
            f"No partitioning rule matches {len(unmatched)} parameter(s): {shown}{more}. Add a "
            "rule for each (rules match the 'module/name' path with re.search), or pass "
            "default=PartitionSpec() to replicate the parameters no rule matches."
        )
    return specs


def named_shardings(mesh: Any, specs: Any, shapes: Any = None) -> Any:
    """``specs`` with each ``PartitionSpec`` made a ``NamedSharding`` on ``mesh``.

    With ``shapes`` (the tree the specs describe, abstract or concrete) every
    spec is first checked against its parameter and the mesh
    (:func:`check_specs`), so a misfit names the parameter, not an XLA op.

    >>> from jax.sharding import PartitionSpec as P
    >>> mesh = jax.make_mesh((1,), ("data",))
    >>> named_shardings(mesh, {"linear": {"w": P("data")}})["linear"]["w"].spec == P("data")
    True

    Args:
      mesh: A ``jax.sharding.Mesh``.
      specs: A tree of ``PartitionSpec`` (``None``: replicated).
      shapes: Optionally, the tree of values to check the specs against.

    Returns:
      The tree of ``jax.sharding.NamedSharding``.
    """
    if shapes is not None:
        check_specs(specs, shapes, mesh)
    return jax.tree.map(
        lambda s: NamedSharding(mesh, PartitionSpec() if s is None else s), specs,
        is_leaf=lambda x: x is None or is_spec(x))


def sharded_init(
    init_fn: Callable[..., Any], mesh: Any, specs: Any | Callable[[Any], Any]
) -> Callable[..., Any]:
    """``init_fn`` compiled to create its outputs already sharded over ``mesh``.

    The returned function computes the output shapes abstractly
    (:func:`jax.eval_shape`), gets the specs (``specs`` itself, or
    ``specs(abstract_outputs)``, e.g. a :func:`match_rules` call), checks them
    (:func:`check_specs`) and runs ``jax.jit(init_fn, out_shardings=...)``.
    XLA then computes on each device only its shard of each parameter, so a
    model larger than one device's memory is never materialised whole:

    >>> from jax.sharding import PartitionSpec as P
    >>> partitioning = hk.experimental.partitioning
    >>> def linear(x):
    ...   w = hk.get_parameter("w", [x.shape[-1], 4], init=hk.initializers.RandomNormal())
    ...   return x @ w + hk.get_parameter("b", [4], init=jnp.zeros)
    >>> f = hk.transform(linear)
    >>> mesh = jax.make_mesh((1,), ("model",))
    >>> rules = [(r"/w$", P(None, "model")), (r"/b$", P("model"))]
    >>> init = partitioning.sharded_init(f.init, mesh, lambda p: partitioning.match_rules(rules, p))
    >>> params = init(jax.random.PRNGKey(0), jnp.ones([2, 3]))
    >>> params["~"]["w"].sharding.spec == P(None, "model")
    True

    Args:
      init_fn: An ``init`` function (of ``hk.transform``, or any function).
      mesh: A ``jax.sharding.Mesh``.
      specs: A tree of ``PartitionSpec`` for the outputs of ``init_fn``, or a
        function from the abstract outputs to one.

    Returns:
      A function with the arguments of ``init_fn`` returning its sharded
      outputs.
    """

    def init(*args: Any, **kwargs: Any) -> Any:
        abstract = jax.eval_shape(init_fn, *args, **kwargs)
        tree = specs(abstract) if callable(specs) else specs
        shardings = named_shardings(mesh, tree, abstract)
        return jax.jit(init_fn, out_shardings=shardings)(*args, **kwargs)

    return init
