"""Behaviour of hk.GroupNorm: float64 NumPy references, axes, data formats,
transforms and errors."""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import jmp
import numpy as np
import pytest

EPS = 1e-5


def _x(shape=(2, 3, 4, 6), seed=0):
    return np.random.RandomState(seed).normal(1.0, 2.0, shape).astype(np.float32)


def _np_group_norm(x, groups, axes, channels_first=False, scale=1.0, offset=0.0, eps=EPS):
    """Normalises each group of channels over ``axes`` (input axes; the channel
    axis stands for the channels of one group), computed with loops in float64."""
    x = np.asarray(x, np.float64)
    if channels_first:
        x = np.moveaxis(x, 1, -1)
        axes = tuple(sorted(x.ndim - 1 if a == 1 else (a - 1 if a > 1 else a) for a in axes))
    c = x.shape[-1]
    size = c // groups
    out = np.empty_like(x)
    for g in range(groups):
        xg = x[..., g * size:(g + 1) * size]
        mean = xg.mean(axis=axes, keepdims=True)
        var = xg.var(axis=axes, keepdims=True)
        out[..., g * size:(g + 1) * size] = (xg - mean) / np.sqrt(var + eps)
    if channels_first:
        out = np.moveaxis(out, -1, 1)
    return out * scale + offset


def _apply(make, x, *args):
    f = hk.transform(lambda x, *a: make()(x, *a))
    params = f.init(jax.random.PRNGKey(0), x, *args)
    return f.apply(params, None, x, *args), params


@pytest.mark.parametrize("groups,kwargs,axes", [
    (2, {}, (1, 2, 3)),
    (1, {}, (1, 2, 3)),
    (6, {}, (1, 2, 3)),
    (3, dict(axis=slice(2, None)), (2, 3)),
    (2, dict(axis=[1, 2]), (1, 2)),
    (2, dict(axis=3), (3,)),
    (2, dict(axis=-1), (3,)),
    (2, dict(axis=0), (0,)),
    (3, dict(axis=[0, 3]), (0, 3)),
])
def test_channels_last_matches_numpy(groups, kwargs, axes):
    x = _x()
    y, params = _apply(lambda: hk.GroupNorm(groups, **kwargs), x)
    np.testing.assert_allclose(y, _np_group_norm(x, groups, axes), rtol=1e-5, atol=1e-5)
    assert jax.tree_util.tree_map(jnp.shape, params) == {
        "group_norm": {"scale": (6,), "offset": (6,)}}
    assert list(params["group_norm"]) == ["scale", "offset"]


@pytest.mark.parametrize("data_format,kwargs,shape,axes,param_shape", [
    ("channels_first", {}, (2, 6, 3, 4), (1, 2, 3), (6, 1, 1)),
    ("NCHW", dict(axis=[1, 3]), (2, 6, 3, 4), (1, 3), (6, 1, 1)),
    ("NC...", {}, (2, 6, 5), (1, 2), (6, 1)),
    ("channels_first", dict(axis=slice(0, 2)), (2, 6, 3, 4), (0, 1), (6, 1, 1)),
    ("channels_first", {}, (3, 6), (1,), (6,)),
])
def test_channels_first_matches_numpy(data_format, kwargs, shape, axes, param_shape):
    x = _x(shape)
    y, params = _apply(lambda: hk.GroupNorm(2, data_format=data_format, **kwargs), x)
    np.testing.assert_allclose(y, _np_group_norm(x, 2, axes, channels_first=True),
                               rtol=1e-5, atol=1e-5)
    assert params["group_norm"]["scale"].shape == param_shape


def test_negative_axes_count_input_axes():
    # Negative axes count the axes of the input: [-3, -2] are H and W of an
    # NHWC input (never the axis of groups), -1 is W of an NCHW input.
    # (dm-haiku 0.0.17 counts them on its internal grouped array instead; see
    # GroupNorm's docstring.)
    x = _x()
    y, _ = _apply(lambda: hk.GroupNorm(2, axis=[-3, -2]), x)
    np.testing.assert_allclose(y, _np_group_norm(x, 2, (1, 2)), rtol=1e-5, atol=1e-5)
    xf = _x((2, 6, 3, 4))
    y, _ = _apply(lambda: hk.GroupNorm(2, axis=-1, data_format="channels_first"), xf)
    np.testing.assert_allclose(y, _np_group_norm(xf, 2, (3,), channels_first=True),
                               rtol=1e-5, atol=1e-5)


def test_scale_offset_inits_external_and_eps():
    x = _x()
    scale = np.linspace(0.5, 2.0, 6).astype(np.float32)
    offset = np.arange(4, dtype=np.float32).reshape(4, 1)
    y, params = _apply(lambda: hk.GroupNorm(3, create_scale=False, create_offset=False, eps=0.2),
                       x, scale, offset)
    assert params == {}
    np.testing.assert_allclose(y, _np_group_norm(x, 3, (1, 2, 3), scale=scale, offset=offset,
                                                 eps=0.2), rtol=1e-5, atol=1e-5)
    y, _ = _apply(lambda: hk.GroupNorm(2, scale_init=hk.initializers.Constant(2.0),
                                       offset_init=hk.initializers.Constant(0.5)), x)
    np.testing.assert_allclose(y, _np_group_norm(x, 2, (1, 2, 3), scale=2.0, offset=0.5),
                               rtol=1e-5, atol=1e-5)


def test_jit_grad_remat_against_float64_finite_differences():
    x = _x((1, 2, 4))
    w = np.random.RandomState(1).normal(size=x.shape)

    def loss_np(x):
        return float((_np_group_norm(x, 2, (1, 2)) * w).sum())

    f = hk.transform(lambda x: hk.remat(lambda x: hk.GroupNorm(2)(x))(x))
    params = f.init(None, x)
    g = jax.jit(jax.grad(lambda x: jnp.sum(f.apply(params, None, x) * w)))(x)
    h = 1e-4
    numeric = np.zeros_like(x, np.float64)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x, np.float64)
        e[idx] = h
        numeric[idx] = (loss_np(x + e) - loss_np(x - e)) / (2 * h)
    np.testing.assert_allclose(g, numeric, rtol=1e-3, atol=1e-3)


def test_mixed_precision_policy():
    policy = jmp.get_policy("params=float32,compute=bfloat16,output=float32")
    hk.mixed_precision.set_policy(hk.GroupNorm, policy)
    try:
        x = _x()
        f = hk.transform(lambda x: hk.GroupNorm(2)(x))
        params = f.init(None, x)
        y = f.apply(params, None, x)
    finally:
        hk.mixed_precision.clear_policy(hk.GroupNorm)
    assert params["group_norm"]["scale"].dtype == jnp.float32
    assert y.dtype == jnp.float32
    np.testing.assert_allclose(y, _np_group_norm(x, 2, (1, 2, 3)), atol=5e-2)


@pytest.mark.parametrize("make,shape,call,message", [
    (lambda: hk.GroupNorm(4), (2, 3, 4, 6), (),
     r"^The number of channels must be divisible by the number of groups, was "
     r"channels=6, groups=4 \(group_norm: input shape \(2, 3, 4, 6\), "
     r"data_format='channels_last'\.\)"),
    (lambda: hk.GroupNorm(2, data_format="channels_first"), (2, 3, 4, 6), (),
     r"channels=3, groups=2 \(group_norm: input shape \(2, 3, 4, 6\), "
     r"data_format='channels_first'\.\)"),
    (lambda: hk.GroupNorm(0), (2, 3, 4, 6), (), "channels=6, groups=0"),
    (lambda: hk.GroupNorm(2, data_format="CHWN"), (2, 3, 4, 6), (),
     "Unable to extract channel information from 'CHWN'"),
    (lambda: hk.GroupNorm(2, axis="a"), (2, 3, 4, 6), (),
     r"^`axis` should be an int, slice or iterable of ints\. Got: a \(group_norm: `axis`\)"),
    (lambda: hk.GroupNorm(2, axis=4), (2, 3, 4, 6), (),
     r"group_norm: `axis` \(4,\) is out of range for inputs of shape \(2, 3, 4, 6\) \(rank 4\)"),
    (lambda: hk.GroupNorm(2, create_scale=False, scale_init=jnp.ones), (2, 6), (),
     r"^Cannot set `scale_init` if `create_scale=False`\. \(group_norm\)"),
    (lambda: hk.GroupNorm(2, create_offset=False, offset_init=jnp.ones), (2, 6), (),
     r"^Cannot set `offset_init` if `create_offset=False`\. \(group_norm\)"),
    (lambda: hk.GroupNorm(2), (2, 6), (np.ones(6, np.float32),),
     r"^Cannot pass `scale` at call time if `create_scale=True`\. \(group_norm\)"),
    (lambda: hk.GroupNorm(2, create_scale=False), (2, 6), (None, np.ones(6, np.float32)),
     r"^Cannot pass `offset` at call time if `create_offset=True`\. \(group_norm\)"),
    (lambda: hk.GroupNorm(2), (), (), "group_norm: inputs must have at least one dimension"),
])
def test_errors(make, shape, call, message):
    f = hk.transform(lambda x: make()(x, *call))
    with pytest.raises(ValueError, match=message):
        f.init(None, np.ones(shape, np.float32))
