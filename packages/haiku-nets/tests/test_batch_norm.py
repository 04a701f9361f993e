"""Behaviour of hk.BatchNorm: float64 NumPy references, state updates, modes, errors."""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest

EPS = 1e-5


def _x(shape=(4, 3, 5), seed=0, dtype=np.float32):
    return np.random.RandomState(seed).normal(1.0, 2.0, shape).astype(dtype)


def _np_batch_norm(x, axis, scale=1.0, offset=0.0, eps=EPS):
    x = np.asarray(x, np.float64)
    mean = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * scale + offset, mean, var


def _bn(is_training=True, test_local_stats=False, **kwargs):
    def f(x, scale=None, offset=None):
        kwargs.setdefault("create_scale", True)
        kwargs.setdefault("create_offset", True)
        kwargs.setdefault("decay_rate", 0.9)
        bn = hk.BatchNorm(**kwargs)
        return bn(x, is_training, test_local_stats, scale=scale, offset=offset)
    return hk.transform_with_state(f)


@pytest.mark.parametrize("data_format,axis", [
    ("channels_last", (0, 1)), ("N...C", (0, 1)),
    ("channels_first", (0, 2)), ("NC...", (0, 2)),
])
def test_training_output_matches_numpy(data_format, axis):
    x = _x()
    f = _bn(data_format=data_format)
    params, state = f.init(None, x)
    y, new_state = f.apply(params, state, None, x)
    expected, mean, var = _np_batch_norm(x, axis)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    shape = mean.shape
    assert params["batch_norm"]["scale"].shape == shape
    assert list(params["batch_norm"]) == ["scale", "offset"]
    ema = new_state["batch_norm/~/mean_ema"]
    assert int(ema["counter"]) == 1
    # One zero-debiased EMA step of decay 0.9 averages to the value itself.
    np.testing.assert_allclose(ema["average"], mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ema["hidden"], 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_state["batch_norm/~/var_ema"]["average"], var, rtol=1e-4)


def test_state_layout_and_dtypes():
    x = _x().astype(jnp.bfloat16)
    params, state = _bn().init(None, x)
    assert list(state) == ["batch_norm/~/mean_ema", "batch_norm/~/var_ema"]
    for bundle in state.values():
        assert list(bundle) == ["counter", "hidden", "average"]
        assert bundle["counter"].dtype == jnp.int32 and bundle["counter"].shape == ()
        assert bundle["hidden"].dtype == jnp.bfloat16 and bundle["hidden"].shape == (1, 1, 5)
        assert bundle["average"].dtype == jnp.bfloat16
    assert {p.dtype for p in jax.tree_util.tree_leaves(params)} == {jnp.dtype(jnp.bfloat16)}


def test_ema_over_steps_and_test_mode_uses_averages():
    x = _x()
    train = _bn(decay_rate=0.5)
    test = _bn(is_training=False, decay_rate=0.5)
    params, state = train.init(None, x)
    means, vars_ = [], []
    for step in range(3):
        xs = x * (step + 1) + step
        _, state = train.apply(params, state, None, xs)
        _, m, v = _np_batch_norm(xs, (0, 1))
        means.append(m)
        vars_.append(v)
    # Zero-debiased EMA with decay 0.5 after 3 updates.
    w = np.array([0.25, 0.5, 1.0]) * 0.5
    mean_avg = sum(wi * m for wi, m in zip(w, means)) / (1 - 0.5 ** 3)
    var_avg = sum(wi * v for wi, v in zip(w, vars_)) / (1 - 0.5 ** 3)
    np.testing.assert_allclose(state["batch_norm/~/mean_ema"]["average"], mean_avg, rtol=1e-5)
    np.testing.assert_allclose(state["batch_norm/~/var_ema"]["average"], var_avg, rtol=1e-4)
    y, test_state = test.apply(params, state, None, x)
    np.testing.assert_allclose(y, (x - mean_avg) / np.sqrt(var_avg + EPS), rtol=1e-5, atol=1e-5)
    # Test mode leaves the state unchanged.
    jax.tree_util.tree_map(np.testing.assert_array_equal, test_state, state)


def test_test_local_stats_uses_batch_and_keeps_state():
    x = _x()
    params, state = _bn().init(None, x)
    f = _bn(is_training=False, test_local_stats=True)
    y, new_state = f.apply(params, state, None, x + 3.0)
    np.testing.assert_allclose(y, _np_batch_norm(x + 3.0, (0, 1))[0], rtol=1e-5, atol=1e-5)
    jax.tree_util.tree_map(np.testing.assert_array_equal, new_state, state)


def test_external_scale_offset_and_inits():
    x = _x()
    scale = np.linspace(0.5, 2.0, 5).astype(np.float32)
    offset = np.linspace(-1.0, 1.0, 5).astype(np.float32)
    f = _bn(create_scale=False, create_offset=False)
    params, state = f.init(None, x, scale, offset)
    assert params == {}
    y, _ = f.apply(params, state, None, x, scale, offset)
    np.testing.assert_allclose(y, _np_batch_norm(x, (0, 1), scale, offset)[0], rtol=1e-5, atol=1e-5)
    g = _bn(scale_init=hk.initializers.Constant(2.0), offset_init=hk.initializers.Constant(-1.0))
    params, state = g.init(None, x)
    y, _ = g.apply(params, state, None, x)
    np.testing.assert_allclose(y, _np_batch_norm(x, (0, 1), 2.0, -1.0)[0], rtol=1e-5, atol=1e-5)


def test_explicit_axis_and_eps():
    x = _x()
    f = _bn(axis=[0, 2], eps=0.5)
    params, state = f.init(None, x)
    assert params["batch_norm"]["scale"].shape == (1, 3, 1)
    y, _ = f.apply(params, state, None, x)
    np.testing.assert_allclose(y, _np_batch_norm(x, (0, 2), eps=0.5)[0], rtol=1e-5, atol=1e-5)


def test_negative_axis_parameter_shape_matches_dm_haiku():
    # dm-haiku keeps every input dimension in the parameter shape when the
    # axis is negative (the statistics still reduce over it).
    x = _x()
    params, state = _bn(axis=[-1]).init(None, x)
    assert params["batch_norm"]["scale"].shape == (4, 3, 5)
    assert state["batch_norm/~/mean_ema"]["average"].shape == (4, 3, 1)


def test_rank_one_and_scalar_inputs():
    x = _x((6,))
    params, state = _bn().init(None, x)
    assert params["batch_norm"]["scale"].shape == (6,)
    y, _ = _bn().apply(params, state, None, x)
    np.testing.assert_array_equal(y, np.zeros(6))  # each element is its own batch


@pytest.mark.parametrize("kwargs,call,message", [
    (dict(create_scale=False, scale_init=jnp.ones), {},
     "Cannot set `scale_init` if `create_scale=False`"),
    (dict(create_offset=False, offset_init=jnp.zeros), {},
     "Cannot set `offset_init` if `create_offset=False`"),
    ({}, dict(scale=np.ones(5, np.float32)),
     "Cannot pass `scale` at call time if `create_scale=True`"),
    ({}, dict(offset=np.ones(5, np.float32)),
     "Cannot pass `offset` at call time if `create_offset=True`"),
    (dict(data_format="NHWCX"), {}, "Unable to extract channel information from 'NHWCX'"),
    (dict(cross_replica_axis_index_groups=[[0]]), {}, "`cross_replica_axis` name must be specified"),
])
def test_errors(kwargs, call, message):
    with pytest.raises(ValueError, match=message):
        _bn(**kwargs).init(None, _x(), **call)


def test_axis_out_of_range():
    # IndexError, as dm-haiku's indexing of the input's shape.
    with pytest.raises(IndexError, match=r"batch_norm: `axis` \(0, 3\) is out of range for "
                                         r"inputs of shape \(4, 3, 5\) \(rank 3\)"):
        _bn(axis=[0, 3]).init(None, _x())


def test_test_mode_without_state_fails():
    with pytest.raises(ValueError, match="average"):
        _bn(is_training=False).init(None, _x())


def test_jit_grad_remat_against_float64_finite_differences():
    # Training mode: the gradient flows through the batch statistics too.
    x = _x((3, 2))
    w = np.random.RandomState(1).normal(size=x.shape)

    def loss_np(x):
        return float((_np_batch_norm(x, (0,))[0] * w).sum())

    def forward(x):
        return hk.remat(lambda x: hk.BatchNorm(True, True, 0.9)(x, True))(x)

    f = hk.transform_with_state(forward)
    params, state = f.init(None, x)

    @jax.jit
    def grad_fn(params, x):
        return jax.grad(lambda p, x: jnp.sum(f.apply(p, state, None, x)[0] * w),
                        argnums=(0, 1))(params, x)

    g_params, g_x = grad_fn(params, x)
    h = 1e-4
    numeric = np.zeros_like(x, np.float64)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x, np.float64)
        e[idx] = h
        numeric[idx] = (loss_np(x + e) - loss_np(x - e)) / (2 * h)
    np.testing.assert_allclose(g_x, numeric, rtol=1e-3, atol=1e-3)
    normalized = _np_batch_norm(x, (0,))[0]
    np.testing.assert_allclose(g_params["batch_norm"]["scale"], (w * normalized).sum(0,
                               keepdims=True), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(g_params["batch_norm"]["offset"], w.sum(0, keepdims=True),
                               rtol=1e-5, atol=1e-6)
    # The remat'd, jitted training step still updates the state.
    _, new_state = jax.jit(f.apply)(params, state, None, x)
    assert int(new_state["batch_norm/~/mean_ema"]["counter"]) == 1


def test_mixed_precision_policy():
    import jmp

    policy = jmp.get_policy("params=float32,compute=bfloat16,output=float32")
    hk.mixed_precision.set_policy(hk.BatchNorm, policy)
    try:
        x = _x()
        f = _bn()
        params, state = f.init(None, x)
        y, state = f.apply(params, state, None, x)
    finally:
        hk.mixed_precision.clear_policy(hk.BatchNorm)
    assert params["batch_norm"]["scale"].dtype == jnp.float32
    assert state["batch_norm/~/mean_ema"]["average"].dtype == jnp.bfloat16  # as dm-haiku
    assert y.dtype == jnp.float32
    np.testing.assert_allclose(y, _np_batch_norm(x, (0, 1))[0], atol=5e-2)


def test_cross_replica_axis_under_vmap():
    # A vmapped axis named in `cross_replica_axis` joins the batch statistics.
    x = _x((4, 2, 5))
    f = hk.transform_with_state(
        lambda x: hk.BatchNorm(False, False, 0.9, cross_replica_axis="i")(x, True))
    params, state = jax.vmap(f.init, (None, 0), axis_name="i")(None, x)
    y, _ = jax.vmap(f.apply, (0, 0, None, 0), axis_name="i")(params, state, None, x)
    np.testing.assert_allclose(y, _np_batch_norm(x, (0, 1))[0], rtol=1e-5, atol=1e-5)
