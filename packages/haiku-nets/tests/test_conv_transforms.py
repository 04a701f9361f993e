"""Convolutions under JAX and Haiku transforms: ``jax.jit``, ``jax.vmap`` of
``apply``, ``jax.grad``, ``hk.remat``, ``hk.scan``, ``hk.layer_stack`` and a
bfloat16 mixed-precision policy."""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import jmp
import numpy as np
import pytest


def np_init(seed: int, scale: float = 0.3):
    def init(shape, dtype):
        values = np.random.default_rng(seed).standard_normal(shape) * scale
        return jnp.asarray(values.astype(np.dtype(dtype)))

    return init


W, B = np_init(1), np_init(2)


def _chain(*modules):
    def apply(x):
        for module in modules:
            x = module(x)
        return x

    return apply


# name: (module factory, unbatched input shape). Each chains several layers, so
# that every convolution class goes through every transform at the cost of a
# few compilations; every chain keeps its input's shape, so that it can be
# stacked.
MODULES = {
    "1d_ncw": (lambda: _chain(
        hk.Conv1D(3, 3, padding=hk.pad.causal, data_format="NCW", w_init=W, b_init=B),
        hk.DepthwiseConv1D(1, 3, data_format="NCW", w_init=W, b_init=B),
        hk.Conv1DTranspose(3, 2, data_format="NCW", w_init=W, b_init=B),
    ), (3, 7)),
    "2d": (lambda: _chain(
        hk.Conv2D(4, 3, feature_group_count=2, w_init=W, b_init=B),
        hk.SeparableDepthwiseConv2D(1, 3, w_init=W, b_init=B),
        hk.Conv2DTranspose(4, 3, stride=2, output_shape=(9, 10), w_init=W, b_init=B),
        hk.DepthwiseConv2D(1, 3, stride=2, w_init=W, b_init=B),  # back to [5, 5]
    ), (5, 5, 4)),
    "3d_ncdhw": (lambda: _chain(
        hk.Conv3D(2, 2, data_format="NCDHW", w_init=W, b_init=B),
        hk.DepthwiseConv3D(1, 2, data_format="NCDHW", w_init=W, b_init=B),
        hk.Conv3DTranspose(2, 2, data_format="NCDHW", w_init=W, b_init=B),
    ), (2, 3, 4, 3)),
}
CLASSES = [hk.Conv1D, hk.Conv2D, hk.Conv3D, hk.Conv1DTranspose, hk.Conv2DTranspose,
           hk.Conv3DTranspose, hk.DepthwiseConv1D, hk.DepthwiseConv2D, hk.DepthwiseConv3D,
           hk.SeparableDepthwiseConv2D]


def _x(*shape, seed=0):
    return jnp.asarray(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


def _transform(name):
    """The module's transform, its parameters and an input. Everything below is
    jitted: one compilation costs less than the op-by-op ones of eager mode."""
    make, shape = MODULES[name]
    transformed = hk.transform(lambda x: make()(x))
    x = _x(2, *shape)
    return transformed, jax.jit(transformed.init)(None, x), x


@pytest.mark.parametrize("name", list(MODULES))
def test_jit(name):
    transformed, params, x = _transform(name)
    np.testing.assert_allclose(jax.jit(transformed.apply)(params, None, x),
                               transformed.apply(params, None, x), rtol=1e-5, atol=1e-5)
    jax.tree_util.tree_map(np.testing.assert_array_equal, transformed.init(None, x), params)


@pytest.mark.parametrize("name", list(MODULES))
def test_vmap_of_apply_matches_a_loop(name):
    transformed, params, _ = _transform(name)
    _, shape = MODULES[name]
    vmapped = jax.jit(jax.vmap(transformed.apply, in_axes=(None, None, 0)))
    apply = jax.jit(transformed.apply)
    xs = _x(3, *shape, seed=1)  # vmapped over the first axis: each call sees unbatched input
    looped = jnp.stack([apply(params, None, xs[i]) for i in range(3)])
    np.testing.assert_allclose(vmapped(params, None, xs), looped, rtol=1e-5, atol=1e-5)
    xs = _x(3, 2, *shape, seed=2)  # and batched inputs
    np.testing.assert_allclose(vmapped(params, None, xs)[1], apply(params, None, xs[1]),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", list(MODULES))
def test_grad_matches_finite_differences(name):
    transformed, params, x = _transform(name)

    @jax.jit
    def loss(params, x):
        return jnp.sum(jnp.sin(transformed.apply(params, None, x)))

    grads_params, grads_x = jax.jit(jax.grad(loss, argnums=(0, 1)))(params, x)
    assert jax.tree_util.tree_structure(grads_params) == jax.tree_util.tree_structure(params)
    # Directional derivatives along random directions (made with NumPy: no compilation).
    eps = 1e-2
    np_params = jax.tree_util.tree_map(np.asarray, params)
    directions = jax.tree_util.tree_map(lambda p: np.asarray(_x(*p.shape, seed=4)), np_params)
    dx = np.asarray(_x(*x.shape, seed=3))
    x = np.asarray(x)
    numeric = (loss(np_params, x + eps * dx) - loss(np_params, x - eps * dx)) / (2 * eps)
    np.testing.assert_allclose(np.vdot(grads_x, dx), numeric, rtol=2e-2, atol=2e-2)
    shifted = [jax.tree_util.tree_map(lambda p, d, s=s: p + s * eps * d, np_params, directions)
               for s in (1, -1)]
    numeric = (loss(shifted[0], x) - loss(shifted[1], x)) / (2 * eps)
    analytic = sum(np.vdot(g, d) for g, d in zip(jax.tree_util.tree_leaves(grads_params),
                                                   jax.tree_util.tree_leaves(directions)))
    np.testing.assert_allclose(analytic, numeric, rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("name", list(MODULES))
def test_remat(name):
    make, _ = MODULES[name]
    plain, params, x = _transform(name)
    remat = hk.transform(lambda x: hk.remat(lambda x: make()(x))(x))
    remat_params = jax.jit(remat.init)(None, x)
    jax.tree_util.tree_map(np.testing.assert_array_equal, remat_params, params)

    def value_and_grad(transformed):
        loss = lambda p: jnp.sum(transformed.apply(p, None, x) ** 2)  # noqa: E731
        return jax.jit(jax.value_and_grad(loss))(params)

    jax.tree_util.tree_map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5),
                           value_and_grad(remat), value_and_grad(plain))
    assert "remat" in str(jax.make_jaxpr(jax.grad(
        lambda p: jnp.sum(remat.apply(p, None, x))))(params))


@pytest.mark.parametrize("name", list(MODULES))
def test_scan_shares_parameters_across_steps(name):
    make, shape = MODULES[name]
    xs = _x(3, 2, *shape)  # three steps

    def scanned(xs):
        module = make()

        def step(carry, x):
            y = module(x)
            return carry + jnp.sum(y), y

        return hk.scan(step, jnp.zeros([]), xs)

    transformed = hk.transform(scanned)
    params = jax.jit(transformed.init)(None, xs)
    single, single_params, _ = _transform(name)
    jax.tree_util.tree_map(np.testing.assert_array_equal, params, single_params)
    total, ys = jax.jit(transformed.apply)(params, None, xs)
    expected = jax.vmap(single.apply, in_axes=(None, None, 0))(params, None, xs)
    np.testing.assert_allclose(ys, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(total, expected.sum(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", list(MODULES))
def test_layer_stack_is_the_layers_in_sequence(name):
    make, shape = MODULES[name]
    x = _x(2, *shape)
    stacked = hk.transform(lambda x: hk.layer_stack(3)(lambda x: x + make()(x))(x))
    params = jax.jit(stacked.init)(None, x)
    single, single_params, _ = _transform(name)
    leaves = [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(params)]
    single_leaves, treedef = jax.tree_util.tree_flatten(single_params)
    assert [leaf.shape for leaf in leaves] == [(3, *leaf.shape) for leaf in single_leaves]
    apply = jax.jit(single.apply)
    expected = x
    for i in range(3):
        layer_params = jax.tree_util.tree_unflatten(treedef, [leaf[i] for leaf in leaves])
        expected = expected + apply(layer_params, None, expected)
    np.testing.assert_allclose(jax.jit(stacked.apply)(params, None, x), expected,
                               rtol=1e-5, atol=1e-5)


POLICY = jmp.get_policy("params=float32,compute=bfloat16,output=float32")


@pytest.mark.parametrize("name", list(MODULES))
def test_bf16_mixed_precision_policy(name):
    """Parameters stay float32, the convolutions run in bfloat16, outputs are float32."""
    transformed, params, x = _transform(name)
    # Fresh functions for each trace: jax caches traces by function, and the
    # policy is not part of the cache key.
    full = jax.jit(lambda p, x: transformed.apply(p, None, x))(params, x)
    for cls in CLASSES:
        hk.mixed_precision.set_policy(cls, POLICY)
    try:
        mixed_params = jax.eval_shape(lambda x: transformed.init(None, x), x)
        jaxpr = str(jax.make_jaxpr(lambda p, x: transformed.apply(p, None, x))(params, x))
        out = jax.jit(lambda p, x: transformed.apply(p, None, x))(params, x)
    finally:
        for cls in CLASSES:
            hk.mixed_precision.clear_policy(cls)
    for leaf in jax.tree_util.tree_leaves(mixed_params):
        assert leaf.dtype == jnp.float32
    assert "conv_general_dilated" in jaxpr and "bf16[" in jaxpr
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(out, full, rtol=0.05, atol=0.05)


def test_bf16_inputs_give_bf16_parameters_and_outputs():
    x = _x(1, 5, 5, 2).astype(jnp.bfloat16)
    transformed = hk.transform(lambda x: hk.Conv2D(3, 3, w_init=W)(x))
    params = transformed.init(None, x)
    assert {p.dtype for p in jax.tree_util.tree_leaves(params)} == {jnp.dtype(jnp.bfloat16)}
    assert transformed.apply(params, None, x).dtype == jnp.bfloat16
