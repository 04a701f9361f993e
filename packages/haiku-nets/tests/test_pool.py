"""Pooling: values against a NumPy sliding-window reference, shapes against
``jax.lax.reduce_window`` (property-based), the window/stride conventions and
errors."""

from __future__ import annotations

import itertools
import math
import re

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


def np_pool(x: np.ndarray, window, strides, padding: str, kind: str) -> np.ndarray:
    """Direct sliding-window pooling; padded positions are ignored."""
    x = np.asarray(x, np.float64)
    out_shape, starts = [], []
    for n, w, s in zip(x.shape, window, strides):
        if padding == "VALID":
            size = max(0, (n - w) // s + 1)
            lo = 0
        else:
            size = -(-n // s)
            total = max((size - 1) * s + w - n, 0)
            lo = total // 2
        out_shape.append(size)
        starts.append([i * s - lo for i in range(size)])
    out = np.empty(out_shape)
    for index in itertools.product(*(range(n) for n in out_shape)):
        region = tuple(
            slice(max(start[i], 0), min(start[i] + w, n))
            for start, i, w, n in zip(starts, index, window, x.shape)
        )
        values = x[region]
        out[index] = values.mean() if kind == "avg" else values.max()
    return out


POOL = {"avg": hk.avg_pool, "max": hk.max_pool}

CASES = [
    # input shape, window (per axis), strides (per axis)
    ((2, 5, 6, 3), (1, 2, 2, 1), (1, 2, 2, 1)),
    ((2, 7, 6, 3), (1, 3, 3, 1), (1, 2, 1, 1)),
    ((1, 4, 4, 2), (1, 5, 5, 1), (1, 3, 3, 1)),  # window larger than the input
    ((2, 9, 3), (1, 4, 1), (1, 3, 1)),  # 1-D
    ((2, 4, 5, 6, 3), (1, 2, 3, 2, 1), (1, 1, 2, 2, 1)),  # 3-D
    ((3, 8), (2, 3), (1, 2)),  # batch axis pooled too: explicit windows are taken as given
]


@pytest.mark.parametrize("kind", ["avg", "max"])
@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("shape,window,strides", CASES)
def test_matches_numpy_sliding_windows(kind, padding, shape, window, strides):
    x = np.random.RandomState(0).randn(*shape).astype(np.float32)
    out = POOL[kind](x, window, strides, padding)
    expected = np_pool(x, window, strides, padding, kind)
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


def test_same_average_ignores_padding():
    out = hk.avg_pool(jnp.ones([1, 5, 7, 1]), 3, 2, "SAME")
    np.testing.assert_array_equal(out, np.ones([1, 3, 4, 1]))


@pytest.mark.parametrize("kind", ["avg", "max"])
def test_int_window_skips_batch_and_channel_axes(kind):
    x = np.random.RandomState(1).randn(2, 6, 4, 3).astype(np.float32)
    out = POOL[kind](x, 2, 2, "VALID")
    expected = np_pool(x, (1, 2, 2, 1), (1, 2, 2, 1), "VALID", kind)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


@pytest.mark.parametrize(
    "channel_axis,window",
    [(-1, (1, 2, 2, 1)), (3, (1, 2, 2, 1)), (1, (1, 1, 2, 2)), (-3, (1, 1, 2, 2)),
     (None, (1, 2, 2, 2)), (0, (1, 2, 2, 2)), (-2, (1, 2, 1, 2))],
)
def test_channel_axis(channel_axis, window):
    x = np.random.RandomState(2).randn(2, 4, 6, 4).astype(np.float32)
    out = hk.max_pool(x, 2, 2, "VALID", channel_axis=channel_axis)
    np.testing.assert_allclose(out, np_pool(x, window, window, "VALID", "max"))


def test_channel_axis_ignored_for_sequences():
    x = jnp.ones([2, 6, 6, 3])
    for channel_axis in (-1, 1, None):
        out = hk.avg_pool(x, (1, 2, 2, 1), (1, 2, 2, 1), "VALID", channel_axis=channel_axis)
        assert out.shape == (2, 3, 3, 3)


def test_short_sequences_are_left_padded_with_ones():
    x = np.random.RandomState(3).randn(2, 6, 4, 3).astype(np.float32)
    np.testing.assert_array_equal(hk.max_pool(x, (2, 2, 1), (2, 2, 1), "SAME"),
                                  hk.max_pool(x, (1, 2, 2, 1), (1, 2, 2, 1), "SAME"))
    # Mixed forms: int window, sequence strides (and the other way round).
    assert hk.avg_pool(x, 2, (1, 1, 1, 1), "VALID").shape == (2, 5, 3, 3)
    assert hk.avg_pool(x, (1, 2, 2, 1), 2, "VALID").shape == (2, 3, 2, 3)


@pytest.mark.parametrize("kind", ["avg", "max"])
def test_unbatched_input(kind):
    x = np.random.RandomState(4).randn(6, 5, 3).astype(np.float32)
    out = POOL[kind](x, (2, 2, 1), (2, 2, 1), "SAME")
    np.testing.assert_allclose(out, np_pool(x, (2, 2, 1), (2, 2, 1), "SAME", kind), rtol=1e-6,
                               atol=1e-6)
    batched = POOL[kind](x[None], (1, 2, 2, 1), (1, 2, 2, 1), "SAME")
    np.testing.assert_array_equal(out, batched[0])


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
@pytest.mark.parametrize("kind", ["avg", "max"])
def test_low_precision_dtype_is_kept(kind, dtype):
    x = jnp.asarray(np.random.RandomState(5).randn(1, 5, 5, 2), dtype)
    out = POOL[kind](x, 3, 2, "SAME")
    assert out.dtype == dtype
    ref = np_pool(np.asarray(x, np.float32), (1, 3, 3, 1), (1, 2, 2, 1), "SAME", kind)
    np.testing.assert_allclose(np.asarray(out, np.float32), ref, rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("dtype", [np.int32, np.int8, np.uint8])
def test_integer_inputs(dtype):
    x = (np.arange(50).reshape(1, 5, 5, 2) % 23).astype(dtype)
    assert hk.max_pool(x, 2, 2, "SAME").dtype == dtype
    np.testing.assert_array_equal(hk.max_pool(x, 2, 2, "SAME"),
                                  np_pool(x, (1, 2, 2, 1), (1, 2, 2, 1), "SAME", "max"))
    avg = hk.avg_pool(x, 2, 2, "SAME")
    assert avg.dtype == jnp.float32
    np.testing.assert_allclose(avg, np_pool(x, (1, 2, 2, 1), (1, 2, 2, 1), "SAME", "avg"))


def test_max_pool_of_negative_infinity_and_bools():
    x = jnp.full([1, 3, 3, 1], -jnp.inf)
    assert (hk.max_pool(x, 2, 1, "SAME") == -jnp.inf).all()
    b = jnp.array([False, True, False, False]).reshape(1, 4, 1)
    np.testing.assert_array_equal(hk.max_pool(b, 2, 2, "VALID")[0, :, 0], [True, False])


@pytest.mark.parametrize("cls,kind", [(hk.AvgPool, "avg"), (hk.MaxPool, "max")])
def test_modules_are_partial_applications(cls, kind):
    x = np.random.RandomState(6).randn(2, 6, 6, 3).astype(np.float32)

    def f(x):
        module = cls(window_shape=3, strides=(1, 2, 2, 1), padding="SAME", channel_axis=-1)
        assert (module.window_shape, module.strides, module.padding, module.channel_axis) == (
            3, (1, 2, 2, 1), "SAME", -1)
        return module(x)

    transformed = hk.transform(f)
    params = transformed.init(None, x)
    assert params == {}
    np.testing.assert_array_equal(transformed.apply(params, None, x),
                                  POOL[kind](x, 3, (1, 2, 2, 1), "SAME"))


def test_module_names():
    def f(x):
        return (hk.MaxPool(2, 2, "VALID").module_name,
                hk.AvgPool(2, 2, "VALID", name="p").module_name)

    assert hk.transform(f).apply({}, None, jnp.ones([1, 2, 2, 1])) == ("max_pool", "p")


def test_differentiable_under_jit_and_remat():
    """``reduce_window`` gets concrete init values, so JAX uses its
    differentiable max/sum primitives even while tracing."""
    x = jnp.asarray(np.random.RandomState(7).randn(1, 4, 4, 1), jnp.float32)

    def loss(x):
        return (hk.max_pool(x, 2, 1, "SAME") + hk.avg_pool(x, 2, 1, "SAME")).sum()

    grad = jax.jit(jax.grad(jax.checkpoint(loss)))(x)
    np.testing.assert_allclose(grad, jax.grad(loss)(x), rtol=1e-6)
    assert grad.shape == x.shape and np.isfinite(grad).all()


# Errors -----------------------------------------------------------------------


@pytest.mark.parametrize("fn", [hk.avg_pool, hk.max_pool])
@pytest.mark.parametrize("padding", ["same", "FULL", ((1, 1),), None])
def test_invalid_padding(fn, padding):
    message = re.escape(f"Invalid padding '{padding}', must be 'SAME' or 'VALID'. ({fn.__name__})")
    with pytest.raises(ValueError, match=f"^{message}$"):
        fn(jnp.ones([1, 4, 4, 1]), 2, 2, padding)


def test_window_longer_than_rank():
    with pytest.raises(AssertionError, match=r"max_pool: window_shape \(2, 2, 2, 2, 2\) has 5 "
                                             r"entries but the input of shape \(2, 5, 6, 3\) "
                                             r"has rank 4"):
        hk.max_pool(jnp.ones([2, 5, 6, 3]), (2, 2, 2, 2, 2), 1, "VALID")
    with pytest.raises(AssertionError, match=r"avg_pool: strides .* has 5 entries"):
        hk.avg_pool(jnp.ones([2, 5, 6, 3]), 2, (1, 2, 2, 2, 1), "VALID")


def test_module_errors_name_the_module():
    def f(x):
        return hk.MaxPool((2, 2, 2, 2), 1, "VALID", name="pooler")(x)

    with pytest.raises(AssertionError, match=r"pooler: window_shape .* input of shape \(4, 4\)"):
        hk.transform(f).apply({}, None, jnp.ones([4, 4]))


@pytest.mark.parametrize("channel_axis", [4, -4, 7])
def test_invalid_channel_axis(channel_axis):
    with pytest.raises(ValueError, match=rf"^Invalid channel axis {channel_axis} for "
                                         r"\(2, 5, 6, 3\) \(avg_pool: the input has rank 4\.\)$"):
        hk.avg_pool(jnp.ones([2, 5, 6, 3]), 2, 2, "VALID", channel_axis=channel_axis)


def test_scalar_input_with_channel_axis():
    with pytest.raises(ValueError, match=r"^Invalid channel axis -1 for \(\) \(max_pool"):
        hk.max_pool(jnp.float32(1.0), 2, 2, "VALID")


def test_bad_window_types():
    with pytest.raises(TypeError, match="window_shape must be an int or a sequence of ints"):
        hk.max_pool(jnp.ones([1, 4, 4, 1]), "2", 2, "VALID")
    with pytest.raises(TypeError, match="must be positive"):
        hk.max_pool(jnp.ones([1, 4, 4, 1]), (1, 0, 2, 1), 2, "VALID")


# Property-based shape arithmetic --------------------------------------------


@st.composite
def pooling_problems(draw):
    rank = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 9), min_size=rank, max_size=rank)))
    window = tuple(draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank)))
    strides = tuple(draw(st.lists(st.integers(1, 3), min_size=rank, max_size=rank)))
    padding = draw(st.sampled_from(["SAME", "VALID"]))
    return shape, window, strides, padding


def _expected_size(n, w, s, padding):
    if padding == "SAME":
        return math.ceil(n / s)
    return max(0, math.ceil((n - w + 1) / s))


@settings(max_examples=60, deadline=None)
@given(pooling_problems())
def test_output_shapes_agree_with_reduce_window(problem):
    shape, window, strides, padding = problem
    x = jax.ShapeDtypeStruct(shape, jnp.float32)
    reference = jax.eval_shape(
        lambda v: jax.lax.reduce_window(v, 0.0, jax.lax.add, window, strides, padding), x)
    expected = tuple(_expected_size(n, w, s, padding) for n, w, s in zip(shape, window, strides))
    assert reference.shape == expected
    for fn in (hk.avg_pool, hk.max_pool):
        out = jax.eval_shape(lambda v: fn(v, window, strides, padding), x)
        assert out.shape == expected
        assert out.dtype == jnp.float32
    # The module forms agree with the functions.
    module_out = jax.eval_shape(
        hk.transform(lambda v: hk.MaxPool(window, strides, padding)(v)).apply, {}, None, x)
    assert module_out.shape == expected


@settings(max_examples=10, deadline=None)
@given(pooling_problems())
def test_values_agree_with_numpy_for_random_problems(problem):
    shape, window, strides, padding = problem
    x = np.random.RandomState(sum(shape)).randn(*shape).astype(np.float32)
    for kind in ("avg", "max"):
        out = jax.jit(lambda v: POOL[kind](v, window, strides, padding))(x)
        if out.size:
            np.testing.assert_allclose(out, np_pool(x, window, strides, padding, kind),
                                       rtol=1e-5, atol=1e-6)
