"""Behaviour of hk.SpectralNorm and hk.SNParamsTree.

Numbers are checked against a float64 NumPy power iteration started from the
module's own ``u0`` and against ``np.linalg.svd``; bit parity with dm-haiku
lives in ``test_moving_averages_oracle_parity.py``.
"""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import jmp
import numpy as np
import pytest

from haiku_nets._src.moving_averages import tree_module_name


def power_iteration(w, u0, n_steps, eps):
    """float64 reference: returns (w / sigma, sigma, u0 after the steps)."""
    w = np.asarray(w, np.float64)
    m = w.reshape(-1, w.shape[-1])
    u = np.asarray(u0, np.float64)

    def normalize(x):
        return x / np.sqrt(np.sum(x ** 2) + eps)

    for _ in range(n_steps):
        v = normalize(u @ m.T)
        u = normalize(v @ m)
    sigma = (v @ m @ u.T).item()
    return w / sigma, sigma, u


def _sn_fn(x, eps=1e-4, n_steps=1, update_stats=True, error_on_non_matrix=False):
    return hk.SpectralNorm(eps=eps, n_steps=n_steps)(
        x, update_stats=update_stats, error_on_non_matrix=error_on_non_matrix)


SN = hk.transform_with_state(_sn_fn)
KEY = jax.random.PRNGKey(7)


def W(seed, *shape):
    return np.random.RandomState(seed).randn(*shape).astype(np.float32)


def test_state_names_and_u0_draw():
    x = W(0, 3, 5)
    _, state = SN.init(KEY, x)
    s = state["spectral_norm"]
    assert list(s) == ["u0", "sigma"]
    assert (s["u0"].shape, s["u0"].dtype) == ((1, 5), jnp.float32)
    assert (s["sigma"].shape, s["sigma"].dtype) == ((), jnp.float32)
    # u0 starts as a standard normal drawn with the first key of the sequence.
    np.testing.assert_array_equal(
        s["u0"], jax.random.normal(jax.random.split(KEY)[1], (1, 5)))
    # sigma is only ever set: init keeps the value of its first call.
    _, sigma, _ = power_iteration(x, s["u0"], 1, 1e-4)
    np.testing.assert_allclose(s["sigma"], sigma, rtol=1e-5)
    _, state = SN.init(KEY, x, update_stats=False)
    assert list(state["spectral_norm"]) == ["u0"]


@pytest.mark.parametrize("shape, n_steps, eps", [
    ((3, 5), 1, 1e-4), ((5, 3), 3, 1e-2), ((2, 3, 4), 2, 1e-4), ((1, 1), 1, 1e-4)])
def test_matches_numpy_power_iteration(shape, n_steps, eps):
    _, state = SN.init(KEY, W(1, *shape), eps, n_steps)
    for step in range(3):
        x = W(10 + step, *shape)
        u0 = state["spectral_norm"]["u0"]
        out, state = SN.apply({}, state, None, x, eps, n_steps)
        want, sigma, u = power_iteration(x, u0, n_steps, eps)
        assert out.shape == x.shape and out.dtype == jnp.float32
        np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(state["spectral_norm"]["sigma"], sigma, rtol=1e-5)
        np.testing.assert_allclose(state["spectral_norm"]["u0"], u, rtol=1e-4, atol=1e-6)


def test_converges_to_the_largest_singular_value():
    x = W(2, 4, 6)
    s = np.linalg.svd(x.astype(np.float64), compute_uv=False)
    # Enough steps in one call...
    _, state = SN.init(KEY, x, 1e-12, 100)
    out, state = SN.apply({}, state, None, x, 1e-12, 100)
    np.testing.assert_allclose(state["spectral_norm"]["sigma"], s[0], rtol=1e-5)
    np.testing.assert_allclose(np.linalg.svd(np.asarray(out, np.float64), compute_uv=False),
                               s / s[0], rtol=1e-4)
    # ... or one step per call, carried over in u0.
    apply = jax.jit(lambda st: SN.apply({}, st, None, x, 1e-12, 1))
    _, state = SN.init(KEY, x, 1e-12, 1)
    for _ in range(100):
        out, state = apply(state)
    np.testing.assert_allclose(state["spectral_norm"]["sigma"], s[0], rtol=1e-5)


def test_rank_above_two_is_flattened_in_the_leading_dimensions():
    x = W(3, 2, 3, 4)
    _, state = SN.init(KEY, x)
    out, _ = SN.apply({}, state, None, x)
    flat, _ = SN.apply({}, state, None, x.reshape(6, 4))
    np.testing.assert_array_equal(out, flat.reshape(2, 3, 4))


def test_errors():
    with pytest.raises(ValueError, match=r"^Spectral normalization is not well defined for "
                                         r"scalar or vector inputs\. \(spectral_norm: got "
                                         r"shape \(\);"):
        SN.init(KEY, jnp.float32(2.0))
    with pytest.raises(ValueError, match=r"vector inputs\. \(spectral_norm: got shape \(3,\);"):
        SN.init(KEY, jnp.ones(3))
    with pytest.raises(ValueError, match=r"^Input is 3D but error_on_non_matrix is True "
                                         r"\(spectral_norm: shape \(2, 3, 4\);"):
        SN.init(KEY, jnp.ones((2, 3, 4)), error_on_non_matrix=True)
    SN.init(KEY, jnp.ones((2, 3)), error_on_non_matrix=True)  # Matrices are fine.
    with pytest.raises(ValueError, match=r"`n_steps` is 0, but at least one step"):
        SN.init(KEY, jnp.ones((2, 3)), n_steps=0)
    with pytest.raises(Exception, match="PRNGKey"):  # u0 needs a key.
        SN.init(None, jnp.ones((2, 3)))


def test_update_stats_false():
    _, state = SN.init(KEY, W(4, 3, 3))
    out, same = SN.apply({}, state, None, W(5, 3, 3), update_stats=False)
    jax.tree.map(np.testing.assert_array_equal, same, state)
    out2, new = SN.apply({}, state, None, W(5, 3, 3))
    np.testing.assert_array_equal(out, out2)
    assert not np.array_equal(new["spectral_norm"]["u0"], state["spectral_norm"]["u0"])


def test_gradient_treats_u_and_v_as_constants():
    # out = W / sigma, sigma = v W u^T with u, v constant:
    # d sum(out) / dW = 1 / sigma - sum(W) * v^T u / sigma^2.
    x = W(6, 3, 4)
    _, state = SN.init(KEY, x)
    grad = jax.grad(lambda w: SN.apply({}, state, None, w)[0].sum())(x)
    m = x.astype(np.float64)
    u = np.asarray(state["spectral_norm"]["u0"], np.float64)
    eps = 1e-4
    v = u @ m.T
    v = v / np.sqrt(np.sum(v ** 2) + eps)
    u = v @ m
    u = u / np.sqrt(np.sum(u ** 2) + eps)
    sigma = (v @ m @ u.T).item()
    want = 1 / sigma - m.sum() * (v.T @ u) / sigma ** 2
    np.testing.assert_allclose(grad, want, rtol=1e-4, atol=1e-6)


def test_jit_and_remat():
    x = W(7, 4, 3)
    f = hk.transform_with_state(lambda w: hk.remat(lambda y: hk.SpectralNorm()(y))(w))
    _, state = f.init(KEY, x)
    _, ref_state = SN.init(KEY, x)
    assert list(state) == ["spectral_norm"]
    out, state = jax.jit(f.apply)({}, state, None, x)
    want, sigma, _ = power_iteration(x, ref_state["spectral_norm"]["u0"], 1, 1e-4)
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(state["spectral_norm"]["sigma"], sigma, rtol=1e-5)


def test_dtypes_and_bf16_policy():
    x = W(8, 3, 4)
    for dtype in (jnp.bfloat16, jnp.float16):
        _, state = SN.init(KEY, x.astype(dtype))
        out, state = SN.apply({}, state, None, x.astype(dtype))
        assert out.dtype == dtype
        assert state["spectral_norm"]["u0"].dtype == dtype
        assert state["spectral_norm"]["sigma"].dtype == dtype
    policy = jmp.get_policy("params=float32,compute=bfloat16,output=float32")
    hk.mixed_precision.set_policy(hk.SpectralNorm, policy)
    try:
        _, state = SN.init(KEY, x)
        u0 = state["spectral_norm"]["u0"]
        out, state = SN.apply({}, state, None, x)
    finally:
        hk.mixed_precision.clear_policy(hk.SpectralNorm)
    assert out.dtype == jnp.float32 and u0.dtype == jnp.bfloat16
    want, _, _ = power_iteration(x, u0.astype(np.float32), 1, 1e-4)
    np.testing.assert_allclose(out, want, rtol=3e-2, atol=3e-2)


# SNParamsTree ----------------------------------------------------------------

PARAMS = {"block/~/linear": {"w": W(9, 3, 2), "b": np.ones(2, np.float32)},
          "conv": {"w": W(10, 2, 2, 3)}}
TREE = hk.transform_with_state(
    lambda t, update_stats=True, **kw: hk.SNParamsTree(**kw)(t, update_stats=update_stats))


def test_tree_names_and_values():
    _, state = TREE.init(KEY, PARAMS, ignore_regex=".*/b$")
    assert list(state) == ["sn_params_tree/block___tilde__linear__w",
                           "sn_params_tree/conv__w"]
    assert tree_module_name("block/~/linear", "w", "_tilde") == "block___tilde__linear__w"
    out, new = TREE.apply({}, state, None, PARAMS, ignore_regex=".*/b$")
    assert list(out) == list(PARAMS) and list(out["block/~/linear"]) == ["w", "b"]
    np.testing.assert_array_equal(out["block/~/linear"]["b"], PARAMS["block/~/linear"]["b"])
    for module, name in (("block/~/linear", "w"), ("conv", "w")):
        leaf_state = state["sn_params_tree/" + tree_module_name(module, name, "_tilde")]
        want, sigma, _ = power_iteration(PARAMS[module][name], leaf_state["u0"], 1, 1e-4)
        np.testing.assert_allclose(out[module][name], want, rtol=1e-4, atol=1e-6)
    _, same = TREE.apply({}, state, None, PARAMS, False, ignore_regex=".*/b$")
    jax.tree.map(np.testing.assert_array_equal, same, state)
    _, state = TREE.init(KEY, PARAMS, ignore_regex="block|conv/b", name="sn", n_steps=2)
    assert list(state) == ["sn/conv__w"]


def test_tree_vector_leaves_need_ignoring():
    with pytest.raises(ValueError, match=r"^Spectral normalization is not well defined .*"
                                         r"\(sn_params_tree/block___tilde__linear__b: "):
        TREE.init(KEY, PARAMS)
