"""The cores under jax.jit, jax.grad through time, hk.vmap, hk.remat and hk.layer_stack."""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

T, B, F, H = 4, 2, 3, 3


def randn(seed, *shape):
    return np.random.RandomState(seed).randn(*shape).astype(np.float32)


def unroll(xs):
    core = hk.LSTM(H)
    return hk.dynamic_unroll(core, xs, core.initial_state(xs.shape[1]))


UNROLL = hk.transform(unroll)
XS = randn(0, T, B, F)
PARAMS = UNROLL.init(jax.random.PRNGKey(0), XS)


def test_jit_matches_eager():
    eager = UNROLL.apply(PARAMS, None, XS)
    jitted = jax.jit(UNROLL.apply)(PARAMS, None, XS)
    for a, b in zip(jax.tree.leaves(jitted), jax.tree.leaves(eager)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    jit_params = jax.jit(UNROLL.init)(jax.random.PRNGKey(0), XS)
    for a, b in zip(jax.tree.leaves(jit_params), jax.tree.leaves(PARAMS)):
        np.testing.assert_array_equal(a, b)


def test_grad_through_time_matches_finite_differences():
    """Directional derivatives of a loss on every step's output, with respect
    to the parameters and to the first input step (which only reaches later
    outputs through the recurrence)."""
    weights = randn(1, T, B, H)

    def loss(params, xs):
        outputs, state = UNROLL.apply(params, None, xs)
        return jnp.sum(outputs * weights) + jnp.sum(state.cell)

    loss_jit = jax.jit(loss)
    grads, x_grads = jax.jit(jax.grad(loss, argnums=(0, 1)))(PARAMS, XS)
    assert np.abs(np.asarray(x_grads[0])).min() > 0
    rng = np.random.RandomState(2)
    eps = 1e-2
    for _ in range(2):
        v_params = jax.tree.map(lambda p: rng.randn(*p.shape).astype(np.float32), PARAMS)
        v_xs = np.zeros_like(XS)
        v_xs[0] = rng.randn(B, F)
        analytic = sum(float(jnp.vdot(g, v)) for g, v in
                       zip(jax.tree.leaves(grads), jax.tree.leaves(v_params)))
        analytic += float(jnp.vdot(x_grads, v_xs))
        shift = lambda s: (jax.tree.map(lambda p, v: p + s * v, PARAMS, v_params),  # noqa: E731
                           XS + s * v_xs)
        numeric = (float(loss_jit(*shift(eps))) - float(loss_jit(*shift(-eps)))) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, rtol=2e-2)


def test_vmap_over_unbatched_sequences():
    """hk.vmap of an unbatched unroll (initial_state(None)) equals the batched unroll."""
    def per_example(xs):
        def one(seq):
            core = hk.LSTM(H)
            return hk.dynamic_unroll(core, seq, core.initial_state(None))
        return hk.vmap(one, in_axes=1, out_axes=(1, 0), split_rng=False)(xs)

    outputs, state = hk.transform(per_example).apply(PARAMS, None, XS)
    want_outputs, want_state = UNROLL.apply(PARAMS, None, XS)
    np.testing.assert_allclose(outputs, want_outputs, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(state.cell, want_state.cell, rtol=1e-6, atol=1e-6)


def test_remat_gives_the_same_values_and_gradients():
    remat = hk.transform(lambda xs: hk.remat(unroll)(xs))
    assert jax.tree.map(jnp.shape, remat.init(jax.random.PRNGKey(0), XS)) == \
        jax.tree.map(jnp.shape, PARAMS)

    def loss(transformed):
        return lambda p: jnp.sum(transformed.apply(p, None, XS)[0] ** 2)

    value, grads = jax.value_and_grad(loss(remat))(PARAMS)
    want_value, want_grads = jax.value_and_grad(loss(UNROLL))(PARAMS)
    np.testing.assert_allclose(value, want_value, rtol=1e-6)
    for a, b in zip(jax.tree.leaves(grads), jax.tree.leaves(want_grads)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_inside_layer_stack():
    """Two stacked LSTM unrolls equal the same layer applied twice by hand."""
    def layer(xs):
        return unroll(xs)[0]

    stacked = hk.transform(lambda xs: hk.layer_stack(2)(layer)(xs))
    params = stacked.init(jax.random.PRNGKey(1), XS)
    (name,) = params
    assert name.endswith("lstm/linear")
    assert params[name]["w"].shape == (2, F + H, 4 * H)
    out = stacked.apply(params, None, XS)
    want = XS
    for i in range(2):
        layer_params = {"lstm/linear": jax.tree.map(lambda p, i=i: p[i], params[name])}
        want = UNROLL.apply(layer_params, None, want)[0]
    np.testing.assert_allclose(out, want, rtol=1e-6, atol=1e-6)
