"""``hk.Embed`` and ``hk.EmbedLookupStyle``: both lookup styles, the initial
matrix, precision, dtypes and errors."""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest

IDS = np.array([[0, 3, 9], [4, 4, 1]], np.int32)

def np_init(shape, dtype):
    """Random parameters from NumPy: no JAX RNG program to compile per shape."""
    rs = np.random.RandomState(len(shape) * 100 + sum(shape))
    return jnp.asarray(0.5 * rs.randn(*shape), dtype)


def run(module_fn, ids, **call_kwargs):
    transformed = hk.transform(lambda i: module_fn()(i, **call_kwargs))
    params = transformed.init(jax.random.PRNGKey(0), ids)
    return params, transformed.apply(params, None, ids)


def test_enum():
    assert [(s.name, s.value) for s in hk.EmbedLookupStyle] == [("ARRAY_INDEX", 1),
                                                                ("ONE_HOT", 2)]
    assert hk.EmbedLookupStyle["ONE_HOT"] is hk.EmbedLookupStyle.ONE_HOT


@pytest.mark.parametrize("style", ["ARRAY_INDEX", "ONE_HOT", "one_hot", "array_index",
                                   hk.EmbedLookupStyle.ONE_HOT, hk.EmbedLookupStyle.ARRAY_INDEX])
def test_lookup_styles_give_rows_of_the_matrix(style):
    params, out = run(lambda: hk.Embed(10, 4, w_init=np_init, lookup_style=style), IDS)
    embeddings = params["embed"]["embeddings"]
    assert embeddings.shape == (10, 4) and embeddings.dtype == jnp.float32
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, np.asarray(embeddings)[IDS])


@pytest.mark.parametrize("style", ["ONE_HOT", hk.EmbedLookupStyle.ARRAY_INDEX])
def test_call_overrides_the_style(style):
    params, out = run(lambda: hk.Embed(10, 4, w_init=np_init, lookup_style="ARRAY_INDEX"), IDS,
                      lookup_style=style)
    np.testing.assert_array_equal(out, np.asarray(params["embed"]["embeddings"])[IDS])


def test_default_init_is_truncated_normal_stddev_1():
    transformed = hk.transform(lambda i: hk.Embed(1000, 100)(i))
    embeddings = np.asarray(transformed.init(jax.random.PRNGKey(1), IDS)["embed"]["embeddings"])
    assert np.abs(embeddings).max() <= 2.0
    # A normal truncated to [-2, 2] has stddev ~0.88.
    assert abs(embeddings.std() - 0.88) < 0.02


def test_embedding_matrix():
    matrix = np.random.RandomState(0).randn(10, 3).astype(np.float32)
    params, out = run(lambda: hk.Embed(embedding_matrix=matrix), IDS)
    np.testing.assert_array_equal(params["embed"]["embeddings"], matrix)
    np.testing.assert_array_equal(out, matrix[IDS])
    # Consistent sizes may be given too.
    params, _ = run(lambda: hk.Embed(10, 3, embedding_matrix=matrix), IDS)
    np.testing.assert_array_equal(params["embed"]["embeddings"], matrix)


@pytest.mark.parametrize("dtype", [np.float16, jnp.bfloat16])
def test_embedding_matrix_dtype_is_kept_and_one_hot_gives_float32(dtype):
    # As in dm-haiku: the one-hot matrix has JAX's default float dtype.
    matrix = jnp.asarray(np.arange(30).reshape(10, 3), dtype)
    for style, out_dtype in (("ARRAY_INDEX", dtype), ("ONE_HOT", jnp.float32)):
        params, out = run(lambda: hk.Embed(embedding_matrix=matrix, lookup_style=style), IDS)
        assert params["embed"]["embeddings"].dtype == dtype
        assert out.dtype == out_dtype, style
        np.testing.assert_array_equal(np.asarray(out, np.float32),
                                      np.asarray(matrix, np.float32)[IDS])


def test_attributes():
    def f():
        e = hk.Embed(embedding_matrix=np.zeros((7, 2)), lookup_style="ONE_HOT",
                     precision=jax.lax.Precision.DEFAULT)
        d = hk.Embed(5, 3)
        return (e.vocab_size, e.embed_dim, e.lookup_style, e.precision, d.lookup_style,
                d.precision, d.module_name)

    assert hk.transform(f).apply({}, None) == (7, 2, "ONE_HOT", jax.lax.Precision.DEFAULT,
                                               "ARRAY_INDEX", jax.lax.Precision.HIGHEST, "embed_1")


@pytest.mark.parametrize("precision", [None, jax.lax.Precision.DEFAULT, jax.lax.Precision.HIGHEST])
def test_one_hot_precision_reaches_the_dot(precision):
    ctor = jax.lax.Precision.DEFAULT if precision is None else jax.lax.Precision.HIGH

    def f(ids):
        return hk.Embed(10, 4, w_init=np_init, lookup_style="ONE_HOT", precision=ctor)(
            ids, precision=precision)

    transformed = hk.transform(f)
    params = transformed.init(jax.random.PRNGKey(0), IDS)
    jaxpr = str(jax.make_jaxpr(transformed.apply)(params, None, IDS))
    expected = ctor if precision is None else precision
    assert f"precision=(Precision.{expected.name}, Precision.{expected.name})" in jaxpr


def test_ids_forms():
    for ids, shape in [([1, 2], (2, 4)), (3, (4,)), (np.array([1, 2], np.uint8), (2, 4)),
                       (np.array([[[1]]], np.int64), (1, 1, 1, 4))]:
        assert run(lambda: hk.Embed(10, 4, w_init=np_init), ids)[1].shape == shape


def test_out_of_range_ids_give_zeros_with_one_hot():
    _, out = run(lambda: hk.Embed(3, 2, w_init=np_init, lookup_style="ONE_HOT"),
                 np.array([3, -1, 7]))
    np.testing.assert_array_equal(out, np.zeros([3, 2]))


def test_embeddings_property():
    def f(ids):
        e = hk.Embed(10, 4, w_init=np_init)
        return e(ids), e.embeddings

    transformed = hk.transform(f)
    params = transformed.init(jax.random.PRNGKey(0), IDS)
    out, embeddings = transformed.apply(params, None, IDS)
    np.testing.assert_array_equal(embeddings, params["embed"]["embeddings"])


def test_jit_vmap_grad():
    transformed = hk.transform(lambda i: hk.Embed(10, 4, w_init=np_init)(i))
    params = transformed.init(jax.random.PRNGKey(0), IDS)
    np.testing.assert_array_equal(jax.jit(transformed.apply)(params, None, IDS),
                                  transformed.apply(params, None, IDS))
    out = jax.vmap(transformed.apply, in_axes=(None, None, 0))(params, None, IDS)
    assert out.shape == (2, 3, 4)
    for style in ("ARRAY_INDEX", "ONE_HOT"):
        f = hk.transform(lambda i: hk.Embed(10, 4, w_init=np_init, lookup_style=style)(i))
        grads = jax.grad(lambda p: f.apply(p, None, IDS).sum())(params)
        counts = np.bincount(IDS.ravel(), minlength=10)[:, None] * np.ones([1, 4])
        np.testing.assert_array_equal(grads["embed"]["embeddings"], counts)


# Errors ----------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [{}, {"vocab_size": 5}, {"embed_dim": 5}])
def test_needs_sizes_or_a_matrix(kwargs):
    with pytest.raises(ValueError, match="must be supplied either with an initial "
                                         "`embedding_matrix` or with `embed_dim` and `vocab_size`"):
        hk.transform(lambda: hk.Embed(**kwargs)).apply({}, None)


@pytest.mark.parametrize("kwargs,match", [
    ({"vocab_size": 5}, r"`vocab_size` of 5 was not consistent with its shape \(4, 2\)"),
    ({"embed_dim": 3}, r"`embed_dim` of 3 was not consistent with its shape \(4, 2\)"),
])
def test_sizes_must_match_the_matrix(kwargs, match):
    with pytest.raises(ValueError, match=match):
        hk.transform(lambda: hk.Embed(embedding_matrix=np.ones((4, 2)), **kwargs)).apply({}, None)


def test_matrix_must_be_2d():
    with pytest.raises(ValueError, match=r"embed: `embedding_matrix` must be a \[vocab_size, "
                                         r"embed_dim\] matrix, got shape \(4, 2, 1\)"):
        hk.transform(lambda: hk.Embed(embedding_matrix=np.ones((4, 2, 1)))).apply({}, None)


def test_invalid_lookup_style():
    # Checked when called, as dm-haiku does: constructing the module is fine.
    hk.transform(lambda: hk.Embed(5, 3, lookup_style="FOO")).apply({}, None)
    with pytest.raises(AttributeError, match=r"^FOO \(embed: invalid lookup_style 'foo'"):
        run(lambda: hk.Embed(5, 3, w_init=np_init, lookup_style="foo"), IDS % 5)
    with pytest.raises(NotImplementedError, match=r"^3 is not supported by hk\.Embed\. \(embed: "):
        run(lambda: hk.Embed(5, 3, w_init=np_init), IDS % 5, lookup_style=3)


def test_ids_must_be_integers():
    with pytest.raises(ValueError, match=r"^hk.Embed's __call__ method must take an array of "
                                         r"integer dtype but was called with an array of float32 "
                                         r"\(embed: "):
        run(lambda: hk.Embed(10, 3, w_init=np_init), IDS.astype(np.float32))
