"""``hk.data_structures``: the spec examples, ordering, errors, FlatMap, sizes.

Expected outputs (including key order, dropped empty modules and error texts)
were checked against dm-haiku 0.0.17 (black box).
"""

from __future__ import annotations

import collections
import copy
import itertools
import pathlib
import pickle
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import haiku as hk
from haiku._src import data_structures as ds_impl
from haiku._src.data_structures import FlatMap, FlatMapping

ds = hk.data_structures
GOLDEN = pathlib.Path(__file__).parent / "golden"


# The spec examples, rebuilt (repr compared, so key order counts).


def test_spec_filter():
    params = {"linear": {"w": None, "b": None}}
    predicate = lambda module_name, name, value: name == "w"  # noqa: E731 - as in the spec.
    assert repr(ds.filter(predicate, params)) == "{'linear': {'w': None}}"


def test_spec_is_subset():
    assert ds.is_subset(subset={"a": {}}, superset={}) is True


def test_spec_map():
    params = {"linear": {"w": 1.0, "b": 2.0}}
    fn = lambda module_name, name, value: 2 * value if name == "w" else value  # noqa: E731 - as in the spec.
    assert repr(ds.map(fn, params)) == "{'linear': {'b': 2.0, 'w': 2.0}}"


def test_spec_merge():
    weights = {"linear": {"w": None}}
    biases = {"linear": {"b": None}}
    assert repr(ds.merge(weights, biases)) == "{'linear': {'w': None, 'b': None}}"
    weights1 = {"linear": {"w": 1}}
    weights2 = {"linear": {"w": 2}}
    assert repr(ds.merge(weights1, weights2)) == "{'linear': {'w': 2}}"


def test_spec_partition():
    params = {"linear": {"w": None, "b": None}}
    predicate = lambda module_name, name, value: name == "w"  # noqa: E731 - as in the spec.
    weights, biases = ds.partition(predicate, params)
    assert repr(weights) == "{'linear': {'w': None}}"
    assert repr(biases) == "{'linear': {'b': None}}"


def test_spec_partition_n():
    def partition_by_module(structure):
        cnt = itertools.count()
        d = collections.defaultdict(lambda: next(cnt))
        fn = lambda m, n, v: d[m]  # noqa: E731 - as in the spec.
        return ds.partition_n(fn, structure, len(structure))

    structure = {f"layer_{i}": {"w": None, "b": None} for i in range(3)}
    assert [repr(s) for s in partition_by_module(structure)] == [
        "{'layer_0': {'b': None, 'w': None}}",
        "{'layer_1': {'b': None, 'w': None}}",
        "{'layer_2': {'b': None, 'w': None}}",
    ]


# Ordering and shapes of the outputs.

UNSORTED = {"linear": {"w": None, "b": None}, "a": {"z": 1, "c": 2}}


def test_traverse_is_sorted():
    assert list(ds.traverse(UNSORTED)) == [
        ("a", "c", 2),
        ("a", "z", 1),
        ("linear", "b", None),
        ("linear", "w", None),
    ]
    assert list(ds.traverse({})) == []
    assert list(ds.traverse({"empty": {}})) == []


def test_traverse_is_lazy():
    gen = ds.traverse(UNSORTED)
    assert next(gen) == ("a", "c", 2)


def test_filter_map_partition_output_sorted_order():
    assert repr(ds.filter(lambda m, n, v: n != "z", UNSORTED)) == (
        "{'a': {'c': 2}, 'linear': {'b': None, 'w': None}}"
    )
    assert repr(ds.map(lambda m, n, v: v, UNSORTED)) == (
        "{'a': {'c': 2, 'z': 1}, 'linear': {'b': None, 'w': None}}"
    )
    assert repr(ds.partition(lambda m, n, v: n == "w", UNSORTED)) == (
        "({'linear': {'w': None}}, {'a': {'c': 2, 'z': 1}, 'linear': {'b': None}})"
    )
    assert repr(ds.partition_n(lambda m, n, v: 0, UNSORTED, 2)) == (
        "({'a': {'c': 2, 'z': 1}, 'linear': {'b': None, 'w': None}}, {})"
    )


def test_empty_modules_are_dropped():
    structure = {"z": {}, "a": {"w": 1}}
    assert ds.filter(lambda *a: True, structure) == {"a": {"w": 1}}
    assert ds.filter(lambda *a: False, structure) == {}
    assert ds.map(lambda m, n, v: v, structure) == {"a": {"w": 1}}
    assert ds.partition(lambda *a: True, {"z": {}}) == ({}, {})
    assert ds.merge({"z": {}}, {"a": {}}) == {}


def test_map_passes_names_and_values():
    seen = []
    ds.map(lambda m, n, v: seen.append((m, n, v)), {"b": {"y": 2}, "a": {"x": 1}})
    assert seen == [("a", "x", 1), ("b", "y", 2)]


def test_merge_keeps_first_seen_order_and_last_value():
    out = ds.merge({"z": {"b": 1}}, {"a": {"y": 2}}, {"z": {"a": 3, "b": 4}})
    assert repr(out) == "{'z': {'b': 4, 'a': 3}, 'a': {'y': 2}}"
    assert ds.merge() == {}


def test_results_are_new_plain_dicts():
    src = {"a": {"w": 1}}
    frozen = ds.to_immutable_dict(src)
    for out in (
        ds.filter(lambda *a: True, frozen),
        ds.map(lambda m, n, v: v, frozen),
        ds.merge(frozen),
        ds.partition(lambda *a: True, frozen)[0],
        ds.partition_n(lambda *a: 0, frozen, 1)[0],
        ds.to_haiku_dict(frozen),
    ):
        assert type(out) is dict and type(out["a"]) is dict
        out["a"]["w"] = 5
    assert src == {"a": {"w": 1}}
    merged = ds.merge(src)
    merged["a"]["w"] = 9
    assert src["a"]["w"] == 1


# partition_n errors.


@pytest.mark.parametrize("index", [-1, 3])
def test_partition_n_index_out_of_range(index):
    structure = {"a": {"w": 1}}
    with pytest.raises(AssertionError) as info:
        ds.partition_n(lambda m, n, v: index, structure, 3)
    assert str(info.value) == f"{index} must be in range [0, 3)"


def test_partition_n_zero_buckets():
    assert ds.partition_n(lambda *a: 0, {}, 0) == ()
    with pytest.raises(AssertionError, match=r"0 must be in range \[0, 0\)"):
        ds.partition_n(lambda *a: 0, {"a": {"w": 1}}, 0)


def test_partition_n_index_type():
    assert ds.partition_n(lambda *a: np.int32(1), {"a": {"w": 1}}, 2) == ({}, {"a": {"w": 1}})
    with pytest.raises(TypeError) as info:
        ds.partition_n(lambda *a: 1.0, {"a": {"w": 1}}, 2)
    assert str(info.value) == "partition_n's fn must return an int, got 1.0 for a.w."


# is_subset.


@pytest.mark.parametrize(
    "subset, superset, result",
    [
        ({}, {}, True),
        ({"a": {}}, {}, True),
        ({"a": {"w": 1}}, {"a": {"w": 1, "b": 2}}, True),
        ({"a": {"w": 1}}, {"a": {"w": 2}}, True),  # Values are not compared.
        ({"a": {"w": 1}}, {"a": {"b": 2}}, False),
        ({"a": {"w": 1}}, {"b": {"w": 1}}, False),
        ({"a": {"w": 1, "b": 2}}, {"a": {"w": 1}}, False),
        ({"a": {"w": 1}, "c": {"x": 0}}, {"a": {"w": 1}, "c": {"x": 0}, "d": {"y": 1}}, True),
    ],
)
def test_is_subset(subset, superset, result):
    assert ds.is_subset(subset=subset, superset=superset) is result


def test_is_subset_is_keyword_only():
    with pytest.raises(TypeError, match="positional"):
        ds.is_subset({"a": {}}, {})  # type: ignore[misc]


# merge(check_duplicates=True).


def test_check_duplicates_accepts_matching_arrays():
    x = {"m": {"w": jnp.ones([2, 3]), "b": jnp.zeros([3])}}
    out = ds.merge(x, x, check_duplicates=True)
    assert out["m"]["w"].shape == (2, 3)
    # Abstract values count as arrays; non-arrays are never compared.
    ds.merge(
        {"m": {"w": jnp.ones(2)}},
        {"m": {"w": jax.ShapeDtypeStruct((2,), jnp.float32)}},
        check_duplicates=True,
    )
    assert ds.merge({"m": {"w": 1}}, {"m": {"w": 2.0}}, check_duplicates=True) == {"m": {"w": 2.0}}
    assert ds.merge({"m": {"w": None}}, {"m": {"w": None}}, check_duplicates=True)


@pytest.mark.parametrize(
    "old, new, described",
    [
        (jnp.ones([2, 3]), jnp.ones([2]), "f32[2,3] vs f32[2]"),
        (jnp.ones([2, 3]), jnp.ones([2, 3], jnp.int32), "f32[2,3] vs s32[2,3]"),
        (np.float64(1), np.ones(2), "f64[] vs f64[2]"),
        (jnp.ones(2, jnp.bfloat16), jnp.ones(2, bool), "bf16[2] vs bool[2]"),
        (np.ones(2, np.uint8), np.ones((), np.complex64), "u8[2] vs c64[]"),
        (np.ones(2, np.int8), np.ones(2, np.float16), "s8[2] vs f16[2]"),
        ("x", np.ones(1, np.int64), "'x' vs s64[1]"),
        (None, np.ones(1), "None vs f64[1]"),
        (np.ones(1), None, "f64[1] vs None"),
        (np.ones(1), [1], "f64[1] vs [1]"),
        (np.ones(2), 3, "f64[2] vs 3"),
    ],
)
def test_check_duplicates_errors(old, new, described):
    with pytest.raises(ValueError) as info:
        ds.merge({"m": {"w": old}}, {"m": {"w": new}}, check_duplicates=True)
    assert str(info.value) == (
        f"Duplicate array found with different shape/dtype for m.w: {described}."
    )
    # Without the check the last value wins.
    assert ds.merge({"m": {"w": old}}, {"m": {"w": new}})["m"]["w"] is new


def test_dtype_short_names():
    names = {
        "float8_e4m3fn": "f8_e4m3fn",
        "int4": "s4",
        "uint32": "u32",
        "complex128": "c128",
        "float64": "f64",
    }
    for dtype, short in names.items():
        assert ds_impl._dtype_short_name(jnp.dtype(dtype)) == short


# Conversions.


def test_to_haiku_dict_copies_two_levels():
    src = {"b": {"x": 1}, "a": {"y": 2}}
    out = ds.to_haiku_dict(src)
    assert repr(out) == "{'b': {'x': 1}, 'a': {'y': 2}}"
    assert out is not src and out["b"] is not src["b"]
    nested = {"a": {"b": {"c": 1}}}
    assert ds.to_haiku_dict(nested)["a"]["b"] is nested["a"]["b"]  # Only two levels.
    assert ds.to_haiku_dict({"a": 1}) == {"a": 1}


def test_to_immutable_dict():
    m = ds.to_immutable_dict({"b": {"x": 1, "a": 0}, "a": {"y": 2}})
    assert isinstance(m, FlatMap) and isinstance(m, Mapping)
    assert repr(m) == "FlatMap({'b': FlatMap({'x': 1, 'a': 0}), 'a': FlatMap({'y': 2})})"
    assert list(m) == ["b", "a"] and list(m["b"]) == ["x", "a"]  # Insertion order kept.
    assert ds.to_immutable_dict(m) is m
    deep = ds.to_immutable_dict({"a": {"b": {"c": 1}}, "l": [1, {"x": 2}]})
    assert type(deep["a"]["b"]) is FlatMap
    assert deep["l"] == [1, {"x": 2}]  # Only mappings are converted.


def test_to_mutable_dict():
    m = ds.to_immutable_dict({"b": {"x": 1}, "a": {"y": {"z": 2}}})
    out = ds.to_mutable_dict(m)
    assert repr(out) == "{'b': {'x': 1}, 'a': {'y': {'z': 2}}}"
    assert type(out) is dict and type(out["a"]) is dict and type(out["a"]["y"]) is dict
    src = {"a": {"w": 1}}
    copied = ds.to_mutable_dict(src)
    copied["a"]["w"] = 5
    assert src == {"a": {"w": 1}}


# FlatMap.


def test_flatmap_mapping_protocol():
    m = FlatMap({"b": 1, "a": 2})
    assert len(m) == 2 and "a" in m and "c" not in m
    assert m["a"] == 2 and m.get("c") is None and m.get("c", 3) == 3
    assert list(m.keys()) == ["b", "a"]
    assert list(m.values()) == [1, 2]
    assert list(m.items()) == [("b", 1), ("a", 2)]
    assert FlatMap(a=1) == {"a": 1} and FlatMap([("a", 1)]) == {"a": 1}
    assert not isinstance(m, dict)


def test_flatmap_is_immutable():
    m = FlatMap({"a": 1})
    with pytest.raises(TypeError):
        m["b"] = 2  # type: ignore[index]
    with pytest.raises(TypeError):
        del m["a"]  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="immutable"):
        m.x = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="immutable"):
        m._data = {}  # type: ignore[misc]
    assert not hasattr(m, "__dict__")


def test_flatmap_equality_and_hash():
    a = ds.to_immutable_dict({"b": {"y": 1}, "a": {"x": 2}})
    b = ds.to_immutable_dict({"a": {"x": 2}, "b": {"y": 1}})
    assert a == b and not (a != b)
    assert a == {"b": {"y": 1}, "a": {"x": 2}}
    assert a != {"a": {"x": 1}} and a != 3
    assert hash(a) == hash(b)
    assert {a: 1}[b] == 1
    with pytest.raises(TypeError, match="unhashable"):
        hash(FlatMap({"a": np.ones(2)}))


def test_flatmap_is_a_pytree_in_sorted_key_order():
    m = ds.to_immutable_dict({"b": {"y": 1}, "a": {"x": 2}})
    assert jax.tree_util.tree_leaves(m) == [2, 1]
    doubled = jax.tree_util.tree_map(lambda x: x * 10, m)
    assert type(doubled) is FlatMap and type(doubled["a"]) is FlatMap
    assert doubled == {"a": {"x": 20}, "b": {"y": 10}}
    assert list(doubled) == ["a", "b"]  # Rebuilt in sorted order, like dm-haiku.
    paths = [jax.tree_util.keystr(p) for p, _ in jax.tree_util.tree_flatten_with_path(m)[0]]
    assert paths == ["['a']['x']", "['b']['y']"]
    leaves, treedef = jax.tree_util.tree_flatten(m)
    assert jax.tree_util.tree_unflatten(treedef, leaves) == m


def test_flatmap_through_jit():
    m = ds.to_immutable_dict({"lin": {"w": jnp.ones(2)}})
    out = jax.jit(lambda p: jax.tree_util.tree_map(lambda x: x + 1, p))(m)
    assert type(out) is FlatMap
    np.testing.assert_array_equal(out["lin"]["w"], [2.0, 2.0])


def test_flatmap_copy():
    m = ds.to_immutable_dict({"a": {"w": [1]}})
    assert copy.copy(m) is m
    deep = copy.deepcopy(m)
    assert type(deep) is FlatMap and deep == m and deep["a"]["w"] is not m["a"]["w"]


def test_flatmap_pickles_like_dm_haiku():
    m = ds.to_immutable_dict({"a": {"w": np.ones(2, np.float32)}})
    data = pickle.dumps(m)
    assert b"FlatMapping" in data and b"haiku._src.data_structures" in data
    restored = pickle.loads(data)
    assert type(restored) is dict and type(restored["a"]) is dict
    with hk.config.context(restore_flatmap=True):
        restored = pickle.loads(data)
    assert type(restored) is FlatMap and type(restored["a"]) is FlatMap
    np.testing.assert_array_equal(restored["a"]["w"], np.ones(2))


def test_loads_a_dm_haiku_flatmap_checkpoint():
    # Written by dm-haiku 0.0.17 (golden/make_data_structures_golden.py).
    with open(GOLDEN / "flatmap_checkpoint.pkl", "rb") as f:
        raw = f.read()
    checkpoint = pickle.loads(raw)
    params = checkpoint["params"]
    assert type(params) is dict and type(params["linear"]) is dict
    assert list(params) == ["linear", "conv/~/norm"]
    assert list(params["linear"]) == ["w", "b"]
    np.testing.assert_array_equal(params["linear"]["w"], np.arange(6).reshape(2, 3))
    assert params["conv/~/norm"]["scale"].dtype == np.float16
    assert checkpoint["empty"] == {} and checkpoint["step"] == 7
    with hk.config.context(restore_flatmap=True):
        checkpoint = pickle.loads(raw)
    assert type(checkpoint["params"]) is FlatMap
    assert type(checkpoint["params"]["linear"]) is FlatMap
    assert type(checkpoint["empty"]) is FlatMap


def test_flatmapping_loader():
    assert FlatMapping({"a": {"b": 1}}) == {"a": {"b": 1}}
    assert type(FlatMapping({"a": 1})) is dict
    assert FlatMapping(a=1) == {"a": 1}
    with hk.config.context(restore_flatmap=True):
        assert type(FlatMapping({"a": 1})) is FlatMap
    assert isinstance(FlatMap({}), FlatMapping)
    assert not isinstance({}, FlatMapping)


# Sizes.


def test_tree_size_and_bytes_on_a_hand_made_tree():
    tree = {
        "a": jnp.ones([2, 3]),  # 6 x 4 bytes
        "b": [np.zeros(4, np.int8), jnp.ones([5], jnp.bfloat16)],  # 4 x 1 + 5 x 2
        "c": None,
        "d": jax.ShapeDtypeStruct((3, 4), jnp.float16),  # 12 x 2
        "e": (np.ones((), np.complex64), np.ones(3, bool)),  # 1 x 8 + 3 x 1
    }
    assert ds.tree_size(tree) == 6 + 4 + 5 + 12 + 1 + 3
    assert ds.tree_bytes(tree) == 24 + 4 + 10 + 24 + 8 + 3
    assert type(ds.tree_size(tree)) is int and type(ds.tree_bytes(tree)) is int


def test_tree_bytes_halves_in_bf16():
    params = {"linear": {"w": jnp.zeros([300, 100]), "b": jnp.zeros([100])}}
    assert ds.tree_size(params) == 30_100
    assert ds.tree_bytes(params) == 120_400
    params = jax.tree_util.tree_map(lambda x: x.astype(jnp.bfloat16), params)
    assert ds.tree_size(params) == 30_100
    assert ds.tree_bytes(params) == 60_200


def test_tree_size_of_empty_trees_and_scalars():
    assert ds.tree_size({}) == 0 and ds.tree_bytes({}) == 0
    assert ds.tree_size(np.float32(1)) == 1 and ds.tree_bytes(np.float32(1)) == 4
    assert ds.tree_bytes(ds.to_immutable_dict({"a": {"w": jnp.ones(3)}})) == 12


def test_tree_size_on_eval_shape_output():
    f = hk.transform(lambda: hk.get_parameter("w", [7, 9], init=jnp.zeros))
    shapes = jax.eval_shape(f.init, jax.random.PRNGKey(0))
    assert ds.tree_size(shapes) == 63 and ds.tree_bytes(shapes) == 252


@pytest.mark.parametrize("fn", [ds.tree_size, ds.tree_bytes], ids=["size", "bytes"])
def test_tree_size_rejects_non_arrays(fn):
    with pytest.raises(TypeError) as info:
        fn({"a": 1.5})
    assert str(info.value).startswith(f"{fn.__name__} expects a pytree of arrays")
    assert "got a leaf of type float: 1.5" in str(info.value)


def test_public_names():
    for name in (
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
    ):
        assert getattr(hk.data_structures, name) is getattr(ds_impl, name)
