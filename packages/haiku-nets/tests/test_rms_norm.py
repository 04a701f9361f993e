"""Behaviour of hk.RMSNorm: float64 NumPy references, options, transforms, errors."""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import jmp
import numpy as np
import pytest

EPS = 1e-5


def _x(shape=(2, 3, 4), seed=0):
    return np.random.RandomState(seed).normal(1.0, 2.0, shape).astype(np.float32)


def _np_rms_norm(x, axis, scale=1.0, eps=EPS):
    x = np.asarray(x, np.float64)
    return x / np.sqrt((x ** 2).mean(axis=axis, keepdims=True) + eps) * scale


def _apply(make, x):
    f = hk.transform(lambda x: make()(x))
    params = f.init(jax.random.PRNGKey(0), x)
    return f.apply(params, None, x), params


@pytest.mark.parametrize("axis,np_axis", [
    (-1, (2,)), (0, (0,)), ([1, 2], (1, 2)), (slice(1, None), (1, 2)), ((0, -1), (0, 2)),
])
def test_output_matches_numpy(axis, np_axis):
    x = _x()
    y, params = _apply(lambda: hk.RMSNorm(axis), x)
    np.testing.assert_allclose(y, _np_rms_norm(x, np_axis), rtol=1e-5, atol=1e-6)
    assert jax.tree_util.tree_map(jnp.shape, params) == {"rms_norm": {"scale": (4,)}}


@pytest.mark.parametrize("param_axis,shape", [
    (None, (5,)), (-1, (5,)), (1, (1, 3, 1, 1)), ([1, 2], (1, 3, 4, 1)),
    (slice(1, None), (1, 3, 4, 5)),
])
def test_param_axis_shapes(param_axis, shape):
    x = _x((2, 3, 4, 5))
    f = hk.transform(lambda x: hk.RMSNorm(-1, param_axis=param_axis)(x))
    params = jax.eval_shape(f.init, jax.random.PRNGKey(0), x)
    assert params["rms_norm"]["scale"].shape == shape


def test_scale_init_eps_and_no_scale():
    x = _x()
    scale = np.array([0.5, 1.0, 2.0, 3.0], np.float32)
    y, _ = _apply(lambda: hk.RMSNorm(-1, eps=0.5, scale_init=hk.initializers.Constant(scale)), x)
    np.testing.assert_allclose(y, _np_rms_norm(x, (2,), scale, eps=0.5), rtol=1e-5, atol=1e-6)
    y, params = _apply(lambda: hk.RMSNorm(-1, create_scale=False), x)
    assert params == {}
    np.testing.assert_allclose(y, _np_rms_norm(x, (2,)), rtol=1e-5, atol=1e-6)


def test_does_not_recentre():
    x = np.full((1, 4), 3.0, np.float32)
    y, _ = _apply(lambda: hk.RMSNorm(-1, eps=0.0), x)
    np.testing.assert_allclose(y, np.ones((1, 4)), rtol=1e-6)


def test_jit_grad_remat_against_float64_finite_differences():
    x = _x((2, 3))
    w = np.random.RandomState(1).normal(size=x.shape)

    def loss_np(x):
        return float((_np_rms_norm(x, (1,)) * w).sum())

    f = hk.transform(lambda x: hk.remat(lambda x: hk.RMSNorm(-1)(x))(x))
    params = f.init(None, x)
    g = jax.jit(jax.grad(lambda x: jnp.sum(f.apply(params, None, x) * w)))(x)
    h = 1e-4
    numeric = np.zeros_like(x, np.float64)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x, np.float64)
        e[idx] = h
        numeric[idx] = (loss_np(x + e) - loss_np(x - e)) / (2 * h)
    np.testing.assert_allclose(g, numeric, rtol=1e-3, atol=1e-3)
    gp = jax.grad(lambda p: jnp.sum(f.apply(p, None, x) * w))(params)
    np.testing.assert_allclose(gp["rms_norm"]["scale"], (w * _np_rms_norm(x, (1,))).sum(0),
                               rtol=1e-4, atol=1e-5)


def test_mixed_precision_policy():
    policy = jmp.get_policy("params=float32,compute=bfloat16,output=float32")
    hk.mixed_precision.set_policy(hk.RMSNorm, policy)
    try:
        x = _x()
        y, params = _apply(lambda: hk.RMSNorm(-1), x)
    finally:
        hk.mixed_precision.clear_policy(hk.RMSNorm)
    assert params["rms_norm"]["scale"].dtype == jnp.float32
    assert y.dtype == jnp.float32
    np.testing.assert_allclose(y, _np_rms_norm(x, (2,)), atol=3e-2)


@pytest.mark.parametrize("make,shape,message", [
    (lambda: hk.RMSNorm(-1, create_scale=False, scale_init=jnp.ones), (2, 3),
     r"^Cannot set `scale_init` if `create_scale=False`\. \(rms_norm\)"),
    (lambda: hk.RMSNorm("a"), (2, 3),
     r"^`axis` should be an int, slice or iterable of ints\. Got: a \(rms_norm: `axis`\)"),
    (lambda: hk.RMSNorm(-1, param_axis=1.0), (2, 3),
     r"^`axis` should be an int, slice or iterable of ints\. Got: 1\.0 "
     r"\(rms_norm: `param_axis`\)"),
    (lambda: hk.RMSNorm(-1, param_axis=[0, 2]), (2, 3),
     r"rms_norm: `param_axis` \(0, 2\) is out of range for inputs of shape \(2, 3\)"),
    (lambda: hk.RMSNorm(-1), (), "rms_norm: inputs must have at least one dimension"),
])
def test_errors(make, shape, message):
    f = hk.transform(lambda x: make()(x))
    with pytest.raises(ValueError, match=message):
        f.init(None, np.ones(shape, np.float32))


def test_axis_out_of_range():
    # IndexError, as dm-haiku's indexing of the input's shape.
    f = hk.transform(lambda x: hk.RMSNorm(2)(x))
    with pytest.raises(IndexError, match=r"rms_norm: `axis` \(2,\) is out of range for inputs "
                                         r"of shape \(2, 3\) \(rank 2\)"):
        f.init(None, np.ones((2, 3), np.float32))
