"""Behaviour of hk.LayerNorm and hk.InstanceNorm: float64 NumPy references,
parameter shapes, options, transforms and errors."""

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


def _np_layer_norm(x, axis, scale=1.0, offset=0.0, eps=EPS):
    x = np.asarray(x, np.float64)
    mean = x.mean(axis=axis, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axis, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * scale + offset


def _apply(make, x, *args, seed=0):
    f = hk.transform(lambda x, *a: make()(x, *a))
    params = f.init(jax.random.PRNGKey(seed), x, *args)
    return f.apply(params, None, x, *args), params


@pytest.mark.parametrize("axis,np_axis", [
    (-1, (2,)), (1, (1,)), ([1, 2], (1, 2)), ((0, 2), (0, 2)), (slice(1, None), (1, 2)),
    (slice(None, -1), (0, 1)),
])
def test_output_matches_numpy(axis, np_axis):
    x = _x()
    y, params = _apply(lambda: hk.LayerNorm(axis, True, True, param_axis=-1), x)
    np.testing.assert_allclose(y, _np_layer_norm(x, np_axis), rtol=1e-5, atol=1e-5)
    assert jax.tree_util.tree_map(jnp.shape, params) == {
        "layer_norm": {"scale": (4,), "offset": (4,)}}
    assert list(params["layer_norm"]) == ["scale", "offset"]


@pytest.mark.parametrize("param_axis,shape", [
    (None, (5,)), (-1, (5,)), (3, (5,)), ([3, 3], (5,)), (slice(-1, None), (5,)),
    (1, (1, 3, 1, 1)), ([1, 2], (1, 3, 4, 1)), ((-2, -1), (1, 1, 4, 5)),
    (slice(1, None), (1, 3, 4, 5)), (0, (2, 1, 1, 1)), ([], (1, 1, 1, 1)),
])
def test_param_axis_shapes(param_axis, shape):
    x = _x((2, 3, 4, 5))
    f = hk.transform(lambda x: hk.LayerNorm(-1, True, True, param_axis=param_axis)(x))
    params = jax.eval_shape(f.init, jax.random.PRNGKey(0), x)
    assert params["layer_norm"]["scale"].shape == shape
    assert params["layer_norm"]["offset"].shape == shape


def test_default_param_axis_is_last_and_silent(recwarn):
    x = _x()
    _, params = _apply(lambda: hk.LayerNorm([1, 2], True, True), x)
    assert params["layer_norm"]["scale"].shape == (4,)
    assert not recwarn.list  # dm-haiku 0.0.17 warns about nothing here either.


def test_scale_offset_inits_and_eps():
    x = _x()
    scale_init = hk.initializers.Constant(np.array([1.0, 2.0, 3.0, 4.0], np.float32))
    y, params = _apply(lambda: hk.LayerNorm(
        -1, True, True, eps=0.5, scale_init=scale_init,
        offset_init=hk.initializers.Constant(-1.0)), x)
    expected = _np_layer_norm(x, (2,), np.array([1.0, 2.0, 3.0, 4.0]), -1.0, eps=0.5)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("create_scale,create_offset,keys", [
    (True, False, ["scale"]), (False, True, ["offset"]), (False, False, []),
])
def test_create_flags(create_scale, create_offset, keys):
    x = _x()
    y, params = _apply(lambda: hk.LayerNorm(-1, create_scale, create_offset), x)
    assert list(params.get("layer_norm", {})) == keys
    np.testing.assert_allclose(y, _np_layer_norm(x, (2,)), rtol=1e-5, atol=1e-5)


def test_external_scale_and_offset():
    x = _x()
    scale = np.linspace(0.5, 2.0, 4).astype(np.float32)
    offset = np.arange(3, dtype=np.float32).reshape(3, 1)
    y, params = _apply(lambda: hk.LayerNorm(-1, False, False), x, scale, offset)
    assert params == {}
    np.testing.assert_allclose(y, _np_layer_norm(x, (2,), scale, offset), rtol=1e-5, atol=1e-5)


def test_fast_variance_agrees_and_differs_in_cancellation():
    x = _x()
    y, _ = _apply(lambda: hk.LayerNorm(-1, False, False, use_fast_variance=True), x)
    np.testing.assert_allclose(y, _np_layer_norm(x, (2,)), rtol=1e-4, atol=1e-4)
    # A large mean against a tiny spread: E[x^2] - E[x]^2 loses everything in
    # float32, the default formulation does not.
    big = (1000.0 + np.array([[0.0, 0.01, 0.02, 0.03]])).astype(np.float32)
    slow, _ = _apply(lambda: hk.LayerNorm(-1, False, False, eps=1e-8), big)
    fast, _ = _apply(lambda: hk.LayerNorm(-1, False, False, eps=1e-8, use_fast_variance=True),
                     big)
    np.testing.assert_allclose(slow, _np_layer_norm(big, (1,), eps=1e-8), atol=5e-2)
    assert not np.allclose(fast, _np_layer_norm(big, (1,), eps=1e-8), atol=0.1)


def test_mean_and_variance_helper():
    from haiku_nets._src.layer_norm import mean_and_variance
    x = _x()
    for fast in (False, True):
        mean, var = mean_and_variance(jnp.asarray(x), (0, 2), fast)
        np.testing.assert_allclose(mean, x.astype(np.float64).mean((0, 2), keepdims=True),
                                   rtol=1e-6)
        np.testing.assert_allclose(var, x.astype(np.float64).var((0, 2), keepdims=True),
                                   rtol=1e-5)


@pytest.mark.parametrize("data_format,shape,np_axis,param_shape", [
    ("channels_last", (2, 3, 4, 5), (1, 2), (5,)),
    ("N...C", (2, 3, 4, 5), (1, 2), (5,)),
    ("channels_first", (2, 5, 3, 4), (2, 3), (1, 5, 1, 1)),
    ("NCHW", (2, 5, 3, 4), (2, 3), (1, 5, 1, 1)),
    ("NC...", (2, 5, 3), (2,), (1, 5, 1)),
])
def test_instance_norm(data_format, shape, np_axis, param_shape):
    x = _x(shape)
    y, params = _apply(lambda: hk.InstanceNorm(True, True, data_format=data_format), x)
    assert jax.tree_util.tree_map(jnp.shape, params) == {
        "instance_norm": {"scale": param_shape, "offset": param_shape}}
    np.testing.assert_allclose(y, _np_layer_norm(x, np_axis), rtol=1e-5, atol=1e-5)
    assert issubclass(hk.InstanceNorm, hk.LayerNorm)


def test_instance_norm_external_scale_offset_and_inits():
    x = _x((2, 3, 4, 5))
    scale = np.linspace(0.5, 2.0, 5).astype(np.float32)
    y, _ = _apply(lambda: hk.InstanceNorm(False, False, eps=0.1), x, scale)
    np.testing.assert_allclose(y, _np_layer_norm(x, (1, 2), scale, eps=0.1), rtol=1e-5,
                               atol=1e-5)
    y, _ = _apply(lambda: hk.InstanceNorm(True, True, scale_init=hk.initializers.Constant(3.0),
                                          offset_init=hk.initializers.Constant(1.0)), x)
    np.testing.assert_allclose(y, _np_layer_norm(x, (1, 2), 3.0, 1.0), rtol=1e-5, atol=1e-5)


def test_jit_grad_remat_against_float64_finite_differences():
    x = _x((2, 3))
    w = np.random.RandomState(1).normal(size=(2, 3))

    def loss_np(x):
        return float((_np_layer_norm(x, (1,)) * w).sum())

    def forward(x):
        return hk.remat(lambda x: hk.LayerNorm(-1, True, True)(x))(x)

    f = hk.transform(forward)
    params = f.init(None, x)
    g = jax.jit(jax.grad(lambda x: jnp.sum(f.apply(params, None, x) * w)))(x)
    h = 1e-4
    numeric = np.zeros_like(x, np.float64)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x, np.float64)
        e[idx] = h
        numeric[idx] = (loss_np(x + e) - loss_np(x - e)) / (2 * h)
    np.testing.assert_allclose(g, numeric, rtol=1e-3, atol=1e-3)
    # Gradients with respect to scale and offset: sum(w * normalized), sum(w).
    gp = jax.jit(jax.grad(lambda p: jnp.sum(f.apply(p, None, x) * w)))(params)
    np.testing.assert_allclose(gp["layer_norm"]["scale"],
                               (w * _np_layer_norm(x, (1,))).sum(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gp["layer_norm"]["offset"], w.sum(0), rtol=1e-5, atol=1e-6)


def test_mixed_precision_policy():
    policy = jmp.get_policy("params=float32,compute=bfloat16,output=float32")
    hk.mixed_precision.set_policy(hk.LayerNorm, policy)
    try:
        x = _x()
        f = hk.transform(lambda x: hk.LayerNorm(-1, True, True)(x))
        params = f.init(None, x)
        y = f.apply(params, None, x)
    finally:
        hk.mixed_precision.clear_policy(hk.LayerNorm)
    assert params["layer_norm"]["scale"].dtype == jnp.float32
    assert y.dtype == jnp.float32
    np.testing.assert_allclose(y, _np_layer_norm(x, (2,)), atol=5e-2)


@pytest.mark.parametrize("make,call,error,message", [
    (lambda: hk.LayerNorm(-1, False, True, scale_init=jnp.ones), (), ValueError,
     r"^Cannot set `scale_init` if `create_scale=False`\. \(layer_norm\)"),
    (lambda: hk.LayerNorm(-1, True, False, offset_init=jnp.zeros), (), ValueError,
     r"^Cannot set `offset_init` if `create_offset=False`\. \(layer_norm\)"),
    (lambda: hk.LayerNorm(-1, True, True), (np.ones(4, np.float32),), ValueError,
     r"^Cannot pass `scale` at call time if `create_scale=True`\. \(layer_norm\)"),
    (lambda: hk.LayerNorm(-1, False, True), (None, np.ones(4, np.float32)), ValueError,
     r"^Cannot pass `offset` at call time if `create_offset=True`\. \(layer_norm\)"),
    (lambda: hk.LayerNorm("a", True, True), (), ValueError,
     r"^`axis` should be an int, slice or iterable of ints\. Got: a \(layer_norm: `axis`\)"),
    (lambda: hk.LayerNorm(1.5, True, True), (), ValueError,
     r"^`axis` should be an int, slice or iterable of ints\. Got: 1\.5 \(layer_norm: `axis`\)"),
    (lambda: hk.LayerNorm(-1, True, True, param_axis="c"), (), ValueError,
     r"^`axis` should be an int, slice or iterable of ints\. Got: c "
     r"\(layer_norm: `param_axis`\)"),
    (lambda: hk.LayerNorm(3, True, True), (), ValueError,
     r"layer_norm: `axis` \(3,\) is out of range for inputs of shape \(2, 3, 4\) \(rank 3\)"),
    (lambda: hk.LayerNorm([0, -4], True, True), (), ValueError,
     r"layer_norm: `axis` \(0, -4\) is out of range for inputs of shape \(2, 3, 4\)"),
    (lambda: hk.LayerNorm(-1, True, True, param_axis=5), (), ValueError,
     r"layer_norm: `param_axis` \(5,\) is out of range for inputs of shape \(2, 3, 4\)"),
    (lambda: hk.InstanceNorm(True, True, data_format="HWC"), (), ValueError,
     "Unable to extract channel information from 'HWC'"),
    (lambda: hk.InstanceNorm(False, True, scale_init=jnp.ones), (), ValueError,
     r"^Cannot set `scale_init` if `create_scale=False`\. \(instance_norm\)"),
])
def test_errors(make, call, error, message):
    f = hk.transform(lambda x: make()(x, *call))
    with pytest.raises(error, match=message):
        f.init(None, _x())


def test_scalar_input_error():
    f = hk.transform(lambda x: hk.LayerNorm(-1, True, True)(x))
    with pytest.raises(ValueError, match=r"layer_norm: inputs must have at least one dimension"):
        f.init(None, np.float32(1.0))
