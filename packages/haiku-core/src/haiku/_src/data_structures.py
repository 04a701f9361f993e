"""Utilities for Haiku's two level structures: ``hk.data_structures``.

Haiku keeps parameters and state as ``{module_name: {name: value}}``. The
functions here filter, map, partition, merge and measure such structures.
They accept any two level mapping and return new plain ``dict`` structures
(never views of their input).

:func:`to_immutable_dict` returns a :class:`FlatMap`: an immutable mapping
registered as a JAX pytree. It also pickles the way dm-haiku's does, and
:class:`FlatMapping` reads such pickles back (see the ``restore_flatmap``
option of :func:`haiku.config.set`).
"""

from __future__ import annotations

import copy
import operator
from collections.abc import Callable, Generator, Iterator, Mapping, MutableMapping
from typing import Any, Generic, TypeVar

import jax
import numpy as np

from haiku._src import config

__all__ = [
    "FlatMap",
    "FlatMapping",
    "filter",
    "is_subset",
    "map",
    "merge",
    "partition",
    "partition_n",
    "to_haiku_dict",
    "to_immutable_dict",
    "to_mutable_dict",
    "traverse",
    "tree_bytes",
    "tree_size",
]

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")
InT = TypeVar("InT")
OutT = TypeVar("OutT")


# The immutable mapping.


class FlatMap(Mapping[K, V], Generic[K, V]):
    """An immutable mapping that is a JAX pytree.

    Construct it like a ``dict`` (nested mappings are kept as they are; use
    :func:`to_immutable_dict` to freeze a whole structure). As a pytree its
    children are its values in sorted key order, like a ``dict``'s.

    >>> from haiku._src.data_structures import FlatMap
    >>> m = FlatMap({"b": 1, "a": 2})
    >>> m
    FlatMap({'b': 1, 'a': 2})
    >>> jax.tree_util.tree_leaves(m)
    [2, 1]
    >>> m == {"a": 2, "b": 1}
    True
    """

    __slots__ = ("_data",)
    _data: dict[K, V]

    def __init__(self, *args: Any, **kwargs: Any):
        object.__setattr__(self, "_data", dict(*args, **kwargs))

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __repr__(self) -> str:
        return f"FlatMap({self._data!r})"

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"'FlatMap' object has no attribute {name!r} (a FlatMap is immutable: cannot set it)."
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError(
            f"'FlatMap' object has no attribute {name!r} (a FlatMap is immutable: cannot delete "
            "it)."
        )

    # Pickles name ``FlatMapping`` (as dm-haiku's do), which honours the
    # ``restore_flatmap`` option when loading.
    def __reduce__(self) -> tuple[Any, tuple[dict[K, V]]]:
        return FlatMapping, (dict(self._data),)

    def __copy__(self) -> FlatMap[K, V]:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FlatMap[K, V]:
        return FlatMap({k: copy.deepcopy(v, memo) for k, v in self._data.items()})


def _flatmap_flatten_with_keys(m: FlatMap) -> tuple[list[tuple[Any, Any]], tuple[Any, ...]]:
    keys = tuple(sorted(m._data))
    return [(jax.tree_util.DictKey(k), m._data[k]) for k in keys], keys


def _flatmap_flatten(m: FlatMap) -> tuple[list[Any], tuple[Any, ...]]:
    keys = tuple(sorted(m._data))
    return [m._data[k] for k in keys], keys


def _flatmap_unflatten(keys: tuple[Any, ...], values: Any) -> FlatMap:
    return FlatMap(zip(keys, values))


jax.tree_util.register_pytree_with_keys(
    FlatMap, _flatmap_flatten_with_keys, _flatmap_unflatten, _flatmap_flatten
)


class _FlatMappingMeta(type):
    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, FlatMap)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        data = dict(*args, **kwargs)
        if config.get_config().restore_flatmap:
            return FlatMap(data)
        return data


class FlatMapping(metaclass=_FlatMappingMeta):
    """Loader of pickled ``FlatMap`` objects (dm-haiku's legacy name).

    ``FlatMapping(mapping)`` returns a plain ``dict`` copy of ``mapping``, or a
    :class:`FlatMap` when the ``restore_flatmap`` option is on. Pickled
    ``FlatMap`` checkpoints call it when they are loaded. ``isinstance(x,
    FlatMapping)`` is true for :class:`FlatMap` instances.

    >>> from haiku._src.data_structures import FlatMapping
    >>> FlatMapping({"a": 1})
    {'a': 1}
    >>> with hk.config.context(restore_flatmap=True):
    ...   FlatMapping({"a": 1})
    FlatMap({'a': 1})
    """


# Conversions.


def to_immutable_dict(mapping: Mapping[K, V]) -> FlatMap[K, V]:
    """Returns an immutable copy of the given mapping.

    Nested mappings (at any depth) become :class:`FlatMap` too. The result is a
    JAX pytree; :func:`to_mutable_dict` converts it back.

    >>> m = hk.data_structures.to_immutable_dict({"linear": {"w": 1.0}})
    >>> m
    FlatMap({'linear': FlatMap({'w': 1.0})})
    >>> m["linear"]["w"]
    1.0

    Args:
      mapping: The mapping to copy.

    Returns:
      An immutable copy of ``mapping``.
    """
    if isinstance(mapping, FlatMap):
        return mapping
    return FlatMap(
        (k, to_immutable_dict(v) if isinstance(v, Mapping) else v) for k, v in mapping.items()
    )


def to_mutable_dict(mapping: Mapping[K, Any]) -> dict[K, Any]:
    """Turns an immutable FlatMapping into a mutable dict.

    Nested mappings (at any depth) are converted (and copied) as well.

    >>> m = hk.data_structures.to_immutable_dict({"linear": {"w": 1.0}})
    >>> hk.data_structures.to_mutable_dict(m)
    {'linear': {'w': 1.0}}

    Args:
      mapping: The mapping to convert.

    Returns:
      A ``dict`` copy of ``mapping``.
    """
    return {k: to_mutable_dict(v) if isinstance(v, Mapping) else v for k, v in mapping.items()}


def to_haiku_dict(structure: Mapping[K, Any]) -> MutableMapping[K, Any]:
    """Returns a copy of the given two level structure.

    Uses the same mapping type as Haiku will return from ``init`` or ``apply``
    functions (a plain ``dict``).

    >>> m = hk.data_structures.to_immutable_dict({"linear": {"w": 1.0}})
    >>> hk.data_structures.to_haiku_dict(m)
    {'linear': {'w': 1.0}}

    Args:
      structure: A two level mapping to copy.

    Returns:
      A new two level mapping with the same contents as the input.
    """
    return {k: dict(v) if isinstance(v, Mapping) else v for k, v in structure.items()}


# Traversal and selection.


def traverse(structure: Mapping[str, Mapping[str, T]]) -> Generator[tuple[str, str, T], None, None]:
    """Iterates over a structure yielding module names, names and values.

    NOTE: Items are iterated in key sorted order.

    >>> params = {"linear": {"w": 1, "b": 2}, "conv": {"w": 3}}
    >>> for module_name, name, value in hk.data_structures.traverse(params):
    ...   print(module_name, name, value)
    conv w 3
    linear b 2
    linear w 1

    Args:
      structure: The structure to traverse.

    Yields:
      Tuples of the module name, name and value from the given structure.
    """
    for module_name in sorted(structure):
        bundle = structure[module_name]
        for name in sorted(bundle):
            yield module_name, name, bundle[name]


def _build(items: Iterator[tuple[str, str, T]]) -> dict[str, dict[str, T]]:
    """Groups ``(module_name, name, value)`` triples into a two level dict."""
    out: dict[str, dict[str, T]] = {}
    for module_name, name, value in items:
        out.setdefault(module_name, {})[name] = value
    return out


def filter(
    predicate: Callable[[str, str, T], bool],
    structure: Mapping[str, Mapping[str, T]],
) -> Mapping[str, Mapping[str, T]]:
    """Filters an input structure according to a user specified predicate.

    >>> params = {'linear': {'w': None, 'b': None}}
    >>> predicate = lambda module_name, name, value: name == 'w'
    >>> hk.data_structures.filter(predicate, params)
    {'linear': {'w': None}}

    Note: returns a new structure not a view. Entries are visited (and
    inserted) in sorted order; modules with nothing left are dropped.

    Args:
      predicate: criterion to be used to partition the input data. The
        ``predicate`` argument is expected to be a boolean function taking as
        inputs the name of the module, the name of a given entry in the module
        data bundle (e.g. parameter name) and the corresponding data.
      structure: Haiku params or state data structure to be filtered.

    Returns:
      All the input parameters or state as selected by the input predicate.
    """
    return _build(item for item in traverse(structure) if predicate(*item))


def map(
    fn: Callable[[str, str, InT], OutT],
    structure: Mapping[str, Mapping[str, InT]],
) -> Mapping[str, Mapping[str, OutT]]:
    """Maps a function to an input structure accordingly.

    >>> params = {'linear': {'w': 1.0, 'b': 2.0}}
    >>> fn = lambda module_name, name, value: 2 * value if name == 'w' else value
    >>> hk.data_structures.map(fn, params)
    {'linear': {'b': 2.0, 'w': 2.0}}

    Note: returns a new structure not a view. Entries are visited (and
    inserted) in sorted order; empty modules are dropped.

    Args:
      fn: criterion to be used to map the input data. The ``fn`` argument is
        expected to be a function taking as inputs the name of the module, the
        name of a given entry in the module data bundle (e.g. parameter name)
        and the corresponding data, and returning a new value.
      structure: Haiku params or state data structure to be mapped.

    Returns:
      All the input parameters or state as mapped by the input fn.
    """
    return _build((m, n, fn(m, n, v)) for m, n, v in traverse(structure))


def partition(
    predicate: Callable[[str, str, T], bool],
    structure: Mapping[str, Mapping[str, T]],
) -> tuple[Mapping[str, Mapping[str, T]], Mapping[str, Mapping[str, T]]]:
    """Partitions the input structure in two according to a given predicate.

    For a given set of parameters, you can use :func:`partition` to split them:

    >>> params = {'linear': {'w': None, 'b': None}}
    >>> predicate = lambda module_name, name, value: name == 'w'
    >>> weights, biases = hk.data_structures.partition(predicate, params)
    >>> weights
    {'linear': {'w': None}}
    >>> biases
    {'linear': {'b': None}}

    Note: returns new structures not a view.

    Args:
      predicate: criterion to be used to partition the input data. The
        ``predicate`` argument is expected to be a boolean function taking as
        inputs the name of the module, the name of a given entry in the module
        data bundle (e.g. parameter name) and the corresponding data.
      structure: Haiku params or state data structure to be partitioned.

    Returns:
      A tuple containing all the params or state as partitioned by the input
        predicate. Entries matching the predicate will be in the first
        structure, and the rest will be in the second.
    """
    matching: dict[str, dict[str, T]] = {}
    rest: dict[str, dict[str, T]] = {}
    for module_name, name, value in traverse(structure):
        target = matching if predicate(module_name, name, value) else rest
        target.setdefault(module_name, {})[name] = value
    return matching, rest


def partition_n(
    fn: Callable[[str, str, T], int],
    structure: Mapping[str, Mapping[str, T]],
    n: int,
) -> tuple[Mapping[str, Mapping[str, T]], ...]:
    """Partitions a structure into n structures.

    For a given set of parameters, you can use :func:`partition_n` to split
    them into ``n`` groups. For example, to split your parameters/gradients by
    module name:

    >>> def partition_by_module(structure):
    ...   cnt = itertools.count()
    ...   d = collections.defaultdict(lambda: next(cnt))
    ...   fn = lambda m, n, v: d[m]
    ...   return hk.data_structures.partition_n(fn, structure, len(structure))

    >>> structure = {f'layer_{i}': {'w': None, 'b': None} for i in range(3)}
    >>> for substructure in partition_by_module(structure):
    ...   print(substructure)
    {'layer_0': {'b': None, 'w': None}}
    {'layer_1': {'b': None, 'w': None}}
    {'layer_2': {'b': None, 'w': None}}

    Args:
      fn: Callable returning which bucket in ``[0, n)`` the given element
        should be output.
      structure: Haiku params or state data structure to be partitioned.
      n: The total number of buckets.

    Returns:
      A tuple of size ``n``, where each element will contain the values for
      which the function returned the current index.

    Raises:
      AssertionError: if ``fn`` returns an index outside ``[0, n)`` (dm-haiku
        asserts it).
      TypeError: if ``fn`` returns something that is not an integer.
    """
    buckets: list[dict[str, dict[str, T]]] = [{} for _ in range(n)]
    for module_name, name, value in traverse(structure):
        index = fn(module_name, name, value)
        try:
            index = operator.index(index)
        except TypeError:
            raise TypeError(
                f"partition_n's fn must return an int, got {index!r} for {module_name}.{name}."
            ) from None
        if not 0 <= index < n:
            # dm-haiku asserts this, hence the type.
            raise AssertionError(f"{index} must be in range [0, {n})")
        buckets[index].setdefault(module_name, {})[name] = value
    return tuple(buckets)


def is_subset(
    *,
    subset: Mapping[str, Mapping[str, Any]],
    superset: Mapping[str, Mapping[str, Any]],
) -> bool:
    """Checks whether the leaves of subset appear in superset.

    Only the paths ``(module_name, name)`` are compared, not the values.
    Note that this is vacuously true in the case that both structures have no
    leaves:

    >>> hk.data_structures.is_subset(subset={'a': {}}, superset={})
    True

    >>> params = {'linear': {'w': 1, 'b': 2}}
    >>> hk.data_structures.is_subset(subset={'linear': {'w': 0}}, superset=params)
    True
    >>> hk.data_structures.is_subset(subset=params, superset={'linear': {'w': 1}})
    False

    Args:
      subset: The subset to check.
      superset: The superset to check.

    Returns:
      A boolean indicating whether all elements in subset are contained in
      superset.
    """
    for module_name, bundle in subset.items():
        if not bundle:
            continue
        other = superset.get(module_name)
        if other is None:
            return False
        for name in bundle:
            if name not in other:
                return False
    return True


# Merging.


def _dtype_short_name(dtype: Any) -> str:
    """``float32`` -> ``f32``, ``int8`` -> ``s8``, ``bfloat16`` -> ``bf16``, ..."""
    dtype = np.dtype(dtype)
    name = dtype.name
    if name == "bool":
        return "bool"
    if name == "bfloat16":
        return "bf16"
    for prefix, short in (("float", "f"), ("uint", "u"), ("int", "s"), ("complex", "c")):
        if name.startswith(prefix):
            suffix = name[len(prefix) :]
            return f"{short}{suffix}" if suffix[:1].isdigit() else name
    return name


def _describe(value: Any) -> str:
    if _is_array_like(value):
        dims = ",".join(str(d) for d in value.shape)
        return f"{_dtype_short_name(value.dtype)}[{dims}]"
    return repr(value)


def _is_array_like(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype")


def _check_same_aval(path: str, old: Any, new: Any) -> None:
    old_array, new_array = _is_array_like(old), _is_array_like(new)
    if not old_array and not new_array:
        return
    if (
        old_array
        and new_array
        and tuple(old.shape) == tuple(new.shape)
        and np.dtype(old.dtype) == np.dtype(new.dtype)
    ):
        return
    raise ValueError(
        f"Duplicate array found with different shape/dtype for {path}: "
        f"{_describe(old)} vs {_describe(new)}."
    )


def merge(
    *structures: Mapping[str, Mapping[str, Any]],
    check_duplicates: bool = False,
) -> MutableMapping[str, MutableMapping[str, Any]]:
    """Merges multiple input structures.

    >>> weights = {'linear': {'w': None}}
    >>> biases = {'linear': {'b': None}}
    >>> hk.data_structures.merge(weights, biases)
    {'linear': {'w': None, 'b': None}}

    When structures are not disjoint the output will contain the value from
    the last structure for each path:

    >>> weights1 = {'linear': {'w': 1}}
    >>> weights2 = {'linear': {'w': 2}}
    >>> hk.data_structures.merge(weights1, weights2)
    {'linear': {'w': 2}}

    Note: returns a new structure not a view. Keys keep the order in which
    they are first seen; modules without entries are dropped.

    Args:
      *structures: One or more structures to merge.
      check_duplicates: If True, a ValueError will be thrown if an array is
        found in multiple structures but with a different shape and dtype.

    Returns:
      A single structure with an entry for each path in the input structures.
    """
    out: dict[str, MutableMapping[str, Any]] = {}
    for structure in structures:
        for module_name, bundle in structure.items():
            for name, value in bundle.items():
                target = out.setdefault(module_name, {})
                if check_duplicates and name in target:
                    _check_same_aval(f"{module_name}.{name}", target[name], value)
                target[name] = value
    return out


# Sizes.


def _leaves_with_size(tree: Any, what: str) -> list[Any]:
    leaves = jax.tree_util.tree_leaves(tree)
    for leaf in leaves:
        if not _is_array_like(leaf) or not hasattr(leaf, "size"):
            raise TypeError(
                f"{what} expects a pytree of arrays (anything with `size` and `dtype`, "
                f"e.g. jax.Array, np.ndarray, jax.ShapeDtypeStruct); got a leaf of type "
                f"{type(leaf).__name__}: {leaf!r}."
            )
    return leaves


def tree_size(tree: Any) -> int:
    """Sums the sizes of all arrays in a pytree.

    >>> params = {'linear': {'w': jnp.zeros([3, 4]), 'b': jnp.zeros([4])}}
    >>> hk.data_structures.tree_size(params)
    16

    ``jax.ShapeDtypeStruct`` leaves count too, so the size of a model can be
    measured without allocating it (e.g. on the output of ``jax.eval_shape``).
    For a ResNet50 built by haiku-nets ``tree_size`` gives ``25557032``.

    Args:
      tree: A tree of jax.Arrays.

    Returns:
      The total size (number of elements) of the array(s) in the input.

    Raises:
      TypeError: if a leaf has no ``size`` or ``dtype`` (e.g. a Python float).
    """
    return int(sum(leaf.size for leaf in _leaves_with_size(tree, "tree_size")))


def tree_bytes(tree: Any) -> int:
    """Sums the size in bytes of all arrays in a pytree.

    Note that this is the minimum size of the array (e.g. for a float32 we need
    at least 4 bytes) however on some accelerators buffers may occupy more
    memory due to padding/alignment constraints.

    >>> params = {'linear': {'w': jnp.zeros([3, 4]), 'b': jnp.zeros([4])}}
    >>> hk.data_structures.tree_bytes(params)
    64
    >>> params = jax.tree_util.tree_map(lambda x: x.astype(jnp.bfloat16), params)
    >>> hk.data_structures.tree_bytes(params)
    32

    Args:
      tree: A tree of jax.Arrays.

    Returns:
      The total size in bytes of the array(s) in the input.

    Raises:
      TypeError: if a leaf has no ``size`` or ``dtype`` (e.g. a Python float).
    """
    return int(
        sum(
            leaf.size * np.dtype(leaf.dtype).itemsize
            for leaf in _leaves_with_size(tree, "tree_bytes")
        )
    )
