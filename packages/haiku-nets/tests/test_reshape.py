"""``hk.Reshape`` and ``hk.Flatten``: shapes for every ``preserve_dims``,
``-1`` inference, NumPy inputs, values and errors."""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest

X = np.arange(120, dtype=np.float32).reshape(1, 2, 3, 4, 5)


def apply(module_fn, x):
    return hk.transform(lambda x: module_fn()(x)).apply({}, None, x)


@pytest.mark.parametrize(
    "output_shape,preserve_dims,expected",
    [
        ((-1, 5), 1, (1, 24, 5)),
        ((-1, 5), 2, (1, 2, 12, 5)),
        ((-1, 5), 3, (1, 2, 3, 4, 5)),
        ((-1, 5), 4, (1, 2, 3, 4, 1, 5)),
        ((-1, 5), 5, (1, 2, 3, 4, 5)),  # no more axes than preserve_dims: unchanged
        ((-1, 5), 9, (1, 2, 3, 4, 5)),
        ((-1, 5), -3, (1, 2, 12, 5)),
        ((-1, 5), -5, (24, 5)),
        ((-1, 5), -9, (24, 5)),
        ((6, -1), 1, (1, 6, 20)),
        ((2, -1, 2), 1, (1, 2, 30, 2)),
        ((120,), -5, (120,)),
        ([2, 3, 20], 1, (1, 2, 3, 20)),
    ],
)
def test_reshape_shapes_and_values(output_shape, preserve_dims, expected):
    out = apply(lambda: hk.Reshape(output_shape, preserve_dims=preserve_dims), X)
    assert out.shape == expected
    np.testing.assert_array_equal(np.ravel(out), np.ravel(X))


def test_negative_preserve_dims_serves_batched_and_unbatched_inputs():
    mod = lambda: hk.Reshape(output_shape=(-1, 5), preserve_dims=-3)  # noqa: E731
    assert apply(mod, X).shape == (1, 2, 12, 5)
    assert apply(mod, X[0]).shape == (2, 12, 5)


@pytest.mark.parametrize(
    "preserve_dims,expected",
    [(1, (1, 120)), (2, (1, 2, 60)), (4, (1, 2, 3, 4, 5)), (5, (1, 2, 3, 4, 5)),
     (-1, (1, 2, 3, 4, 5)), (-2, (1, 2, 3, 20)), (-5, (120,)), (-6, (120,))],
)
def test_flatten(preserve_dims, expected):
    assert apply(lambda: hk.Flatten(preserve_dims=preserve_dims), X).shape == expected


def test_flatten_small_inputs():
    assert apply(hk.Flatten, jnp.ones([3])).shape == (3,)
    assert apply(hk.Flatten, jnp.float32(2.0)).shape == ()
    assert apply(lambda: hk.Flatten(preserve_dims=-2), jnp.ones([3])).shape == (3,)


def test_numpy_inputs_stay_numpy():
    assert isinstance(apply(lambda: hk.Reshape((4,)), np.ones((3, 2, 2))), np.ndarray)
    assert isinstance(apply(hk.Flatten, np.ones((3, 2, 2))), np.ndarray)


def test_zero_sized_inputs():
    assert apply(lambda: hk.Reshape((2, -1)), jnp.ones([3, 0, 4])).shape == (3, 2, 0)
    assert apply(lambda: hk.Reshape((-1, 4)), jnp.ones([3, 0, 4])).shape == (3, 0, 4)


def test_attributes_and_names():
    def f():
        r, fl = hk.Reshape((-1, 5)), hk.Flatten(preserve_dims=2)
        return r.output_shape, r.preserve_dims, r.module_name, fl.output_shape, fl.preserve_dims, \
            fl.module_name, isinstance(fl, hk.Reshape)

    assert hk.transform(f).apply({}, None) == ((-1, 5), 1, "reshape", (-1,), 2, "flatten", True)


def test_jit_vmap_grad():
    f = hk.transform(lambda x: hk.Flatten(preserve_dims=-2)(x) * 2)
    x = jnp.ones([4, 2, 3])
    np.testing.assert_array_equal(jax.jit(f.apply)({}, None, x), np.full([4, 6], 2.0))
    assert jax.vmap(f.apply, in_axes=(None, None, 0))({}, None, x).shape == (4, 6)
    grad = jax.grad(lambda x: f.apply({}, None, x).sum())(x)
    np.testing.assert_array_equal(grad, np.full([4, 2, 3], 2.0))


# Errors ----------------------------------------------------------------------


@pytest.mark.parametrize("cls", ["Reshape", "Flatten"])
def test_zero_preserve_dims(cls):
    make = (lambda: hk.Reshape((-1,), preserve_dims=0)) if cls == "Reshape" else (
        lambda: hk.Flatten(preserve_dims=0))
    with pytest.raises(ValueError, match=r"^Argument preserve_dims should be non-zero\. "
                                         rf"\({cls.lower()}: "):
        hk.transform(make).apply({}, None)


@pytest.mark.parametrize("output_shape,error,match", [
    ((-1, -1), ValueError, r"^-1 can only occur once in `output_shape`\. \(reshape: got \(-1, -1\)"),
    ((2, -3), TypeError, r"^reshape: `output_shape` sizes must be non-negative or -1"),
])
def test_bad_output_shape(output_shape, error, match):
    with pytest.raises(error, match=match):
        hk.transform(lambda: hk.Reshape(output_shape)).apply({}, None)


@pytest.mark.parametrize("output_shape", [(7,), (7, -1), (0, -1), ()])
def test_incompatible_sizes(output_shape):
    with pytest.raises(TypeError, match=r"reshape: cannot reshape the trailing axes \(2, 3, 4, 5\) "
                                        r"\(size 120\) of the input of shape \(1, 2, 3, 4, 5\)"):
        apply(lambda: hk.Reshape(output_shape), jnp.asarray(X))  # NumPy's: ValueError
