"""The non-convolution layers under JAX and Haiku transforms: ``jax.jit``,
``jax.vmap`` of ``apply``, ``jax.grad``, ``hk.remat``, ``hk.scan``,
``hk.layer_stack`` and a bfloat16 mixed-precision policy.

To keep compilation cheap, one model chains every layer (Sequential, Linear,
MultiHeadAttention with a mask, MaxPool, AvgPool, Reshape, Flatten,
BatchApply, Embed, Bias and dropout) and each transform is checked on it
once.
"""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import jmp
import numpy as np
import pytest

B, T, D = 2, 4, 6


def np_init(shape, dtype):
    """Random parameters from NumPy: no JAX RNG program to compile per shape."""
    rs = np.random.RandomState(len(shape) * 100 + sum(shape))
    return jnp.asarray(0.5 * rs.randn(*shape), dtype)


def linear(size):
    return hk.Linear(size, w_init=np_init, b_init=np_init)


def model(x, ids, *, use_dropout=True):
    """``x``: [..., T, D] floats, ``ids``: [..., T] ints -> [..., T, 8]."""
    lead = x.shape[:-2]
    h = hk.Sequential([linear(8), jax.nn.relu])(x)
    mask = jnp.tril(jnp.ones([T, T], bool)).reshape((1,) * len(lead) + (1, T, T))
    h = hk.MultiHeadAttention(2, 4, w_init=np_init, b_init=np_init)(h, h, h, mask=mask)
    h = h + hk.MaxPool((2, 1), 1, "SAME")(h) - hk.AvgPool((2, 2), 1, "SAME")(h)
    h = hk.Flatten(preserve_dims=-2)(hk.Reshape((-1, 2), preserve_dims=-1)(h))
    h = hk.BatchApply(linear(8), num_dims=h.ndim - 1)(h)
    h = h + hk.Embed(11, 8, w_init=np_init)(ids)
    h = hk.Bias(bias_dims=[-1], b_init=np_init)(h, multiplier=-1)
    if use_dropout:
        h = hk.dropout(hk.next_rng_key(), 0.25, h)
    return h


def inputs(*lead, seed=0):
    rs = np.random.RandomState(seed)
    x = jnp.asarray(rs.randn(*lead, T, D), jnp.float32)
    ids = jnp.asarray(rs.randint(0, 11, size=(*lead, T)), jnp.int32)
    return x, ids


TRANSFORMED = hk.transform(model)
DETERMINISTIC = hk.transform(lambda x, ids: model(x, ids, use_dropout=False))
RNG = jax.random.PRNGKey(1)


@pytest.fixture(scope="module")
def params():
    x, ids = inputs(B)
    return TRANSFORMED.init(jax.random.PRNGKey(0), x, ids)


# Each test compiles as few programs as it can (XLA compilation dominates the
# cost); references are computed eagerly, with the input shapes ``init`` saw,
# whose primitives are compiled already.


def test_param_tree(params):
    assert jax.tree_util.tree_map(jnp.shape, params) == {
        "linear": {"w": (D, 8), "b": (8,)},
        "multi_head_attention/query": {"w": (8, 8), "b": (8,)},
        "multi_head_attention/key": {"w": (8, 8), "b": (8,)},
        "multi_head_attention/value": {"w": (8, 8), "b": (8,)},
        "multi_head_attention/linear": {"w": (8, 8), "b": (8,)},
        "linear_1": {"w": (8, 8), "b": (8,)},
        "embed": {"embeddings": (11, 8)},
        "bias": {"b": (8,)},
    }
    x, ids = inputs(B)
    jit_shapes = jax.eval_shape(jax.jit(TRANSFORMED.init), jax.random.PRNGKey(0), x, ids)
    assert jax.tree_util.tree_map(jnp.shape, jit_shapes) == jax.tree_util.tree_map(
        jnp.shape, params)


def test_jit(params):
    x, ids = inputs(B)
    np.testing.assert_allclose(jax.jit(TRANSFORMED.apply)(params, RNG, x, ids),
                               TRANSFORMED.apply(params, RNG, x, ids), rtol=1e-5, atol=1e-5)


def test_vmap_of_apply(params):
    """vmap over batches of [B, T, D] matches a loop; vmap over the examples
    ([T, D], unbatched) of one batch matches the batched call (without
    dropout: a batched call draws one mask per example)."""
    xs, idss = inputs(3, B)
    x, ids = inputs(B)

    @jax.jit
    def both(params):
        over_batches = jax.vmap(TRANSFORMED.apply, in_axes=(None, None, 0, 0))(
            params, RNG, xs, idss)
        over_examples = jax.vmap(DETERMINISTIC.apply, in_axes=(None, None, 0, 0))(
            params, None, x, ids)
        return over_batches, over_examples

    over_batches, over_examples = both(params)
    looped = jnp.stack([TRANSFORMED.apply(params, RNG, xs[i], idss[i]) for i in range(3)])
    np.testing.assert_allclose(over_batches, looped, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(over_examples, DETERMINISTIC.apply(params, None, x, ids),
                               rtol=1e-5, atol=1e-5)


def test_vmap_of_dropout_over_keys():
    transformed = hk.transform(lambda x: hk.dropout(hk.next_rng_key(), 0.5, x))
    keys = jax.random.split(jax.random.PRNGKey(0), 3)
    batched = jax.vmap(transformed.apply, in_axes=(None, 0, None))({}, keys, jnp.ones([8]))
    for i in range(3):
        np.testing.assert_array_equal(batched[i], transformed.apply({}, keys[i], jnp.ones([8])))


def _loss(transformed, params, x, ids):
    return jnp.sum(jnp.sin(transformed.apply(params, RNG, x, ids)))


REMAT = hk.transform(lambda x, ids: hk.remat(model)(x, ids))


def test_grad_and_remat(params):
    """Gradients match finite differences, and ``hk.remat`` changes nothing."""
    x, ids = inputs(B)
    remat_shapes = jax.eval_shape(REMAT.init, jax.random.PRNGKey(0), x, ids)
    assert jax.tree_util.tree_map(jnp.shape, remat_shapes) == jax.tree_util.tree_map(
        jnp.shape, params)

    @jax.jit
    def grads(params, x):
        grad = jax.value_and_grad(_loss, argnums=(1, 2))
        return grad(TRANSFORMED, params, x, ids), grad(REMAT, params, x, ids)

    (value, (grads_params, grads_x)), (remat_value, remat_grads) = grads(params, x)
    np.testing.assert_allclose(remat_value, value, rtol=1e-5)
    jax.tree_util.tree_map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5),
                           remat_grads, (grads_params, grads_x))
    assert jax.tree_util.tree_structure(grads_params) == jax.tree_util.tree_structure(params)
    for leaf in jax.tree_util.tree_leaves((grads_params, grads_x)):
        assert np.isfinite(leaf).all() and np.abs(leaf).sum() > 0

    eps = 1e-3
    loss = lambda p, v: _loss(TRANSFORMED, p, v, ids)  # noqa: E731 (eager)
    direction = inputs(B, seed=1)[0]
    numeric = (loss(params, x + eps * direction) - loss(params, x - eps * direction)) / (2 * eps)
    np.testing.assert_allclose(jnp.vdot(grads_x, direction), numeric, rtol=2e-2, atol=2e-2)
    direction = jax.tree_util.tree_map(lambda p: jnp.ones_like(p) * 0.1, params)
    shifted = lambda s: jax.tree_util.tree_map(lambda p, d: p + s * d, params, direction)  # noqa
    numeric = (loss(shifted(eps), x) - loss(shifted(-eps), x)) / (2 * eps)
    analytic = sum(jnp.vdot(g, d) for g, d in zip(jax.tree_util.tree_leaves(grads_params),
                                                  jax.tree_util.tree_leaves(direction)))
    np.testing.assert_allclose(analytic, numeric, rtol=2e-2, atol=2e-2)


def test_scan_shares_parameters_across_steps(params):
    xs, idss = inputs(3, B)  # three steps of [B, T, D]

    def scanned(xs, idss):
        def step(carry, inp):
            y = model(*inp, use_dropout=False)
            return carry + jnp.sum(y), y

        return hk.scan(step, jnp.zeros([]), (xs, idss))

    transformed = hk.transform(scanned)
    scan_shapes = jax.eval_shape(transformed.init, jax.random.PRNGKey(0), xs, idss)
    assert jax.tree_util.tree_map(jnp.shape, scan_shapes) == jax.tree_util.tree_map(
        jnp.shape, params)
    total, ys = jax.jit(transformed.apply)(params, None, xs, idss)
    expected = jnp.stack([DETERMINISTIC.apply(params, None, xs[i], idss[i]) for i in range(3)])
    np.testing.assert_allclose(ys, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(total, expected.sum(), rtol=1e-4, atol=1e-4)


def test_scan_with_dropout_draws_a_new_mask_each_step():
    def scanned(xs):
        return hk.scan(lambda c, x: (c, hk.dropout(hk.next_rng_key(), 0.5, x)), 0.0, xs)[1]

    ys = hk.transform(scanned).apply({}, jax.random.PRNGKey(0), jnp.ones([3, 50]))
    assert not (ys[0] == ys[1]).all()


def test_layer_stack(params):
    x, ids = inputs(B)

    def layer(x):
        return x + model(x, ids, use_dropout=False)[..., :D]

    transformed = hk.transform(lambda x: hk.layer_stack(3)(layer)(x))
    stacked = jax.tree_util.tree_map(lambda p: jnp.stack([p, 0.5 * p, -p]), params)
    # The stack names its parameters "__layer_stack_no_per_layer/<module>".
    shapes = jax.eval_shape(transformed.init, jax.random.PRNGKey(0), x)
    assert jax.tree_util.tree_map(jnp.shape, shapes) == jax.tree_util.tree_map(
        jnp.shape, {f"__layer_stack_no_per_layer/{k}": v for k, v in stacked.items()})
    out = jax.jit(transformed.apply)(
        {f"__layer_stack_no_per_layer/{k}": v for k, v in stacked.items()}, None, x)
    # Layer i of the stack uses slice i of the parameters.
    single = hk.transform(layer)
    y = x
    for i in range(3):
        y = single.apply(jax.tree_util.tree_map(lambda p: p[i], stacked), None, y)
    np.testing.assert_allclose(out, y, rtol=1e-4, atol=1e-4)


POLICY = jmp.get_policy("params=float32,compute=bfloat16,output=float32")
POLICY_CLASSES = [hk.MultiHeadAttention, hk.Embed, hk.Linear, hk.Bias, hk.MaxPool, hk.AvgPool,
                  hk.Sequential, hk.Reshape, hk.Flatten]


def test_bf16_mixed_precision_policy(params):
    """Parameters stay float32, the modules compute in bfloat16, outputs are
    float32 (``params=float32,compute=bfloat16,output=float32``)."""
    x, ids = inputs(B)
    full = jax.jit(DETERMINISTIC.apply)(params, None, x, ids)
    # A fresh transform: JAX caches traces of a function it has seen, and the
    # policy is not part of its cache key.
    mixed = hk.transform(lambda x, ids: model(x, ids, use_dropout=False))
    for cls in POLICY_CLASSES:
        hk.mixed_precision.set_policy(cls, POLICY)
    try:
        mixed_params = jax.eval_shape(mixed.init, jax.random.PRNGKey(0), x, ids)
        jaxpr = str(jax.make_jaxpr(mixed.apply)(params, None, x, ids))
        out = jax.jit(mixed.apply)(params, None, x, ids)
    finally:
        for cls in POLICY_CLASSES:
            hk.mixed_precision.clear_policy(cls)
    for leaf in jax.tree_util.tree_leaves(mixed_params):
        assert leaf.dtype == jnp.float32
    assert "bf16[" in jaxpr
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(out, full, rtol=0.1, atol=0.1)
