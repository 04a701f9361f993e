"""Property-based fuzzing (hypothesis) of ``hk.data_structures`` on random
params trees, of the ``numpy.savez`` checkpoint recipe, and of layer
constructor arguments (invalid sizes always raise, valid ones give the
documented output shape; shapes only, through ``jax.eval_shape``).

Examples per test: ``max_examples`` in the settings below (the closing note
of issue 11 reports their sum).
"""

from __future__ import annotations

import string
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from haiku_oracle import load_module
from hypothesis import given, settings
from hypothesis import strategies as st

import haiku as hk

_recipe = load_module(Path(__file__).resolve().parent / "scenarios" / "checkpoint_models.py")
load_npz, save_npz = _recipe.load_npz, _recipe.save_npz

FAST = settings(max_examples=60, deadline=None)
SHAPES_ONLY = settings(max_examples=40, deadline=None)

_segment = st.text(string.ascii_lowercase + "_0123456789", min_size=1, max_size=6)
module_names = st.lists(_segment, min_size=1, max_size=3).map("/~/".join)
param_names = _segment
dtypes = st.sampled_from([np.float32, np.int32, np.float16])
shapes = st.lists(st.integers(0, 3), max_size=3).map(tuple)


@st.composite
def params_trees(draw):
    modules = draw(st.lists(module_names, min_size=0, max_size=4, unique=True))
    tree = {}
    for module in modules:
        names = draw(st.lists(param_names, min_size=1, max_size=3, unique=True))
        tree[module] = {
            name: np.asarray(
                draw(st.integers(-5, 5)) * np.ones(draw(shapes)), dtype=draw(dtypes))
            for name in names
        }
    return tree


def _items(tree):
    return [(m, n, np.asarray(v)) for m, b in tree.items() for n, v in b.items()]


def _same(a, b):
    ia, ib = sorted(_items(a), key=lambda t: t[:2]), sorted(_items(b), key=lambda t: t[:2])
    assert [t[:2] for t in ia] == [t[:2] for t in ib]
    for (_, _, x), (_, _, y) in zip(ia, ib):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y)


@FAST
@given(params_trees(), st.integers(0, 2**16))
def test_partition_then_merge_is_the_identity(tree, salt):
    def predicate(m, n, v):
        return hash((m, n, salt)) % 2 == 0

    left, right = hk.data_structures.partition(predicate, tree)
    assert all(predicate(m, n, v) for m, n, v in _items(left))
    assert not any(predicate(m, n, v) for m, n, v in _items(right))
    _same(hk.data_structures.merge(left, right), tree)
    _same(hk.data_structures.filter(predicate, tree), left)
    assert hk.data_structures.tree_size(left) + hk.data_structures.tree_size(right) == \
        hk.data_structures.tree_size(tree) == sum(v.size for _, _, v in _items(tree))


@FAST
@given(params_trees(), st.integers(1, 4))
def test_partition_n_covers_every_leaf_once(tree, n):
    parts = hk.data_structures.partition_n(lambda m, n_, v: len(m + n_) % n, tree, n)
    assert len(parts) == n
    _same(hk.data_structures.merge(*parts), tree)
    assert sum(len(_items(p)) for p in parts) == len(_items(tree))


@FAST
@given(params_trees())
def test_immutable_mutable_round_trip_and_traverse(tree):
    frozen = hk.data_structures.to_immutable_dict(tree)
    assert jax.tree_util.tree_structure(frozen).num_leaves == len(_items(tree))
    back = hk.data_structures.to_mutable_dict(frozen)
    assert isinstance(back, dict) and all(isinstance(b, dict) for b in back.values())
    _same(back, tree)
    assert [(m, n) for m, n, _ in hk.data_structures.traverse(tree)] == sorted(
        (m, n) for m, n, _ in _items(tree))
    assert hk.data_structures.tree_bytes(tree) == sum(v.nbytes for _, _, v in _items(tree))


@FAST
@given(params_trees())
def test_numpy_savez_recipe_round_trips_any_tree(tmp_path_factory, tree):
    path = tmp_path_factory.mktemp("npz") / "tree.npz"
    save_npz(path, tree)
    loaded = load_npz(path)
    assert list(loaded) == list(tree)  # module order kept
    _same(loaded, tree)


# -- layer arguments --------------------------------------------------------------------


def _shape_of(fn, x_shape):
    f = hk.transform(fn)
    x = jax.ShapeDtypeStruct(x_shape, jnp.float32)
    params = jax.eval_shape(f.init, jax.random.PRNGKey(0), x)
    return jax.eval_shape(f.apply, params, None, x).shape


@SHAPES_ONLY
@given(st.integers(-3, 4), st.lists(st.integers(1, 3), min_size=1, max_size=3))
def test_linear_sizes(output_size, batch):
    in_shape = (*batch, 3)
    if output_size < 0:  # (0 is allowed, as in dm-haiku: an empty output)
        with pytest.raises((ValueError, TypeError)):
            _shape_of(lambda x: hk.Linear(output_size)(x), in_shape)
    else:
        assert _shape_of(lambda x: hk.Linear(output_size)(x), in_shape) == (*batch, output_size)


@SHAPES_ONLY
@given(st.integers(1, 3), st.integers(1, 3), st.sampled_from(["SAME", "VALID", "BOGUS"]),
       st.integers(3, 6))
def test_conv1d_arguments(kernel, stride, padding, width):
    fn = lambda x: hk.Conv1D(2, kernel, stride=stride, padding=padding)(x)  # noqa: E731
    if padding == "BOGUS":
        with pytest.raises(RuntimeError, match="conv1_d: padding must be"):
            _shape_of(fn, (1, width, 2))
        return
    expected = -(-width // stride) if padding == "SAME" else -(-(width - kernel + 1) // stride)
    assert _shape_of(fn, (1, width, 2)) == (1, expected, 2)


@SHAPES_ONLY
@given(st.lists(st.integers(1, 4), min_size=2, max_size=4), st.integers(1, 3))
def test_reshape_and_flatten(shape, preserve):
    preserve = min(preserve, len(shape) - 1)
    flat = int(np.prod(shape[preserve:]))
    assert _shape_of(lambda x: hk.Flatten(preserve)(x), tuple(shape)) == (
        *shape[:preserve], flat)
    assert _shape_of(lambda x: hk.Reshape((-1,), preserve)(x), tuple(shape)) == (
        *shape[:preserve], flat)
