"""hk.nets.VectorQuantizer and VectorQuantizerEMA against NumPy nearest neighbours.

Outputs (distances, codes, one-hot encodings, quantized vectors, losses,
perplexity) are checked against a NumPy computation, the straight-through
gradient with ``jax.jacobian``, the EMA codebook updates against a
hand-unrolled recurrence over three steps, and the cross-replica statistics
against one big batch.
"""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest

D, K = 4, 6
X = np.random.RandomState(0).randn(3, 5, D).astype(np.float32)
KEYS = {"quantize", "loss", "perplexity", "encodings", "encoding_indices", "distances"}


def numpy_vq(x, embeddings):
    """Nearest codebook column of each vector of ``x``; float64."""
    flat = np.asarray(x, np.float64).reshape(-1, D)
    emb = np.asarray(embeddings, np.float64)
    distances = ((flat[:, :, None] - emb[None]) ** 2).sum(1)
    indices = distances.argmin(1)
    encodings = np.eye(emb.shape[1])[indices]
    quantized = emb.T[indices]
    mse = ((quantized - flat) ** 2).mean()
    usage = encodings.mean(0)
    perplexity = np.exp(-(usage * np.log(usage + 1e-10)).sum())
    return {"distances": distances, "indices": indices.reshape(x.shape[:-1]),
            "encodings": encodings, "quantize": quantized.reshape(x.shape), "mse": mse,
            "perplexity": perplexity}


def check_against_numpy(out, x, embeddings, loss_scale):
    want = numpy_vq(x, embeddings)
    assert set(out) == KEYS
    np.testing.assert_allclose(out["distances"], want["distances"], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(out["encoding_indices"], want["indices"])
    assert out["encoding_indices"].dtype == jnp.int32
    np.testing.assert_array_equal(out["encodings"], want["encodings"])
    np.testing.assert_allclose(out["quantize"], want["quantize"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out["loss"], loss_scale * want["mse"], rtol=1e-5)
    np.testing.assert_allclose(out["perplexity"], want["perplexity"], rtol=1e-5)


def _vq(x, is_training):
    return hk.nets.VectorQuantizer(embedding_dim=D, num_embeddings=K, commitment_cost=0.25)(
        x, is_training)


VQ = hk.without_apply_rng(hk.transform(_vq))
VQ_PARAMS = VQ.init(jax.random.PRNGKey(0), X, True)


def test_vq_parameters_and_codebook_initializer():
    assert list(VQ_PARAMS) == ["vector_quantizer"]
    embeddings = VQ_PARAMS["vector_quantizer"]["embeddings"]
    assert embeddings.shape == (D, K) and embeddings.dtype == jnp.float32
    # VarianceScaling(1.0, "fan_in", "uniform"): U(-sqrt(3 / fan_in), sqrt(3 / fan_in)).
    want = hk.transform(
        lambda: hk.initializers.VarianceScaling(distribution="uniform")((D, K), jnp.float32)
    ).apply({}, jax.random.PRNGKey(0))
    np.testing.assert_array_equal(embeddings, want)


@pytest.mark.parametrize("is_training", [True, False])
def test_vq_outputs_match_numpy(is_training):
    out = VQ.apply(VQ_PARAMS, X, is_training)
    # q_latent_loss + commitment_cost * e_latent_loss, both the same mean squared error.
    check_against_numpy(out, X, VQ_PARAMS["vector_quantizer"]["embeddings"], 1.25)
    assert out["quantize"].shape == X.shape


def test_vq_uses_several_codes():
    out = VQ.apply(VQ_PARAMS, X, True)
    assert len(np.unique(out["encoding_indices"])) > 1
    assert 1 < float(out["perplexity"]) <= K


def test_straight_through_gradient_is_the_identity():
    x = X[0, :2]
    jacobian = jax.jacobian(lambda x: VQ.apply(VQ_PARAMS, x, True)["quantize"])(x)
    np.testing.assert_array_equal(jacobian.reshape(2 * D, 2 * D), np.eye(2 * D))


def test_vq_loss_gradients_match_numpy():
    def loss(params, x):
        return VQ.apply(params, x, True)["loss"]

    grad_params, grad_x = jax.grad(loss, argnums=(0, 1))(VQ_PARAMS, X)
    want = numpy_vq(X, VQ_PARAMS["vector_quantizer"]["embeddings"])
    n = X.size
    flat = X.reshape(-1, D).astype(np.float64)
    diff = want["quantize"].reshape(-1, D) - flat
    # The codebook sees only q_latent_loss: d/d code = 2 (code - x) / n per assigned x.
    grad_emb = 2 * (want["encodings"].T @ diff).T / n
    np.testing.assert_allclose(grad_params["vector_quantizer"]["embeddings"], grad_emb,
                               rtol=1e-4, atol=1e-7)
    # The inputs see only commitment_cost * e_latent_loss.
    np.testing.assert_allclose(grad_x.reshape(-1, D), -0.25 * 2 * diff / n, rtol=1e-4, atol=1e-7)


def test_quantize_and_embeddings():
    def f():
        vq = hk.nets.VectorQuantizer(embedding_dim=D, num_embeddings=K, commitment_cost=0.25,
                                     dtype=jnp.bfloat16)
        assert (vq.embedding_dim, vq.num_embeddings, vq.commitment_cost) == (D, K, 0.25)
        indices = jnp.array([[5, 0], [2, 2]])
        return vq.embeddings, vq.quantize(indices)

    embeddings, looked_up = hk.transform(f).apply(
        hk.transform(f).init(jax.random.PRNGKey(0)), None)
    assert embeddings.dtype == jnp.bfloat16 and looked_up.shape == (2, 2, D)
    np.testing.assert_array_equal(looked_up[0, 0], embeddings[:, 5])
    np.testing.assert_array_equal(looked_up[1, 1], embeddings[:, 2])


def test_inputs_of_the_wrong_size_are_an_error():
    with pytest.raises(TypeError, match=r"vector_quantizer: .*embedding_dim=4.*\(2, 5\)"):
        VQ.init(jax.random.PRNGKey(0), np.ones([2, 5], np.float32), True)
    ema = hk.transform_with_state(
        lambda x: hk.nets.VectorQuantizerEMA(D, K, 0.25, decay=0.9)(x, True))
    with pytest.raises(TypeError, match=r"vector_quantizer_ema: .*embedding_dim=4.*\(3,\)"):
        ema.init(jax.random.PRNGKey(0), np.ones([3], np.float32))


def test_decay_out_of_range_is_an_error():
    with pytest.raises(ValueError, match=r"^decay must be in range \[0, 1\] \(vector_quantizer_ema: got 1.5\.\)$"):
        hk.transform(lambda: hk.nets.VectorQuantizerEMA(D, K, 0.25, decay=1.5)).init(None)


# VectorQuantizerEMA ------------------------------------------------------------

DECAY, EPS, BETA = 0.8, 1e-3, 0.5


def _ema(x, is_training):
    return hk.nets.VectorQuantizerEMA(embedding_dim=D, num_embeddings=K, commitment_cost=BETA,
                                      decay=DECAY, epsilon=EPS)(x, is_training)


EMA = hk.without_apply_rng(hk.transform_with_state(_ema))
EMA_APPLY = jax.jit(EMA.apply, static_argnums=3)


def test_ema_state_created_in_training_only():
    _, state = EMA.init(jax.random.PRNGKey(0), X, False)
    assert {m: set(b) for m, b in state.items()} == {"vector_quantizer_ema": {"embeddings"}}
    params, state = EMA.init(jax.random.PRNGKey(0), X, True)
    assert params == {}
    assert {m: {n: v.shape for n, v in b.items()} for m, b in state.items()} == {
        "vector_quantizer_ema": {"embeddings": (D, K)},
        "vector_quantizer_ema/~/ema_cluster_size": {"hidden": (K,), "average": (K,),
                                                    "counter": ()},
        "vector_quantizer_ema/~/ema_dw": {"hidden": (D, K), "average": (D, K), "counter": ()},
    }
    assert all(not np.any(v) for m, b in state.items() if "ema_" in m for v in b.values())


def test_ema_updates_follow_the_recurrence():
    rng = np.random.RandomState(1)
    xs = [rng.randn(4, 3, D).astype(np.float32) for _ in range(3)]
    params, state = EMA.init(jax.random.PRNGKey(2), xs[0], True)
    embeddings = np.asarray(state["vector_quantizer_ema"]["embeddings"], np.float64)
    hidden_n = np.zeros(K)
    hidden_dw = np.zeros((D, K))
    for step, x in enumerate(xs, start=1):
        out, state = EMA_APPLY(params, state, x, True)
        # Outputs use the codebook from before this step's update.
        check_against_numpy(out, x, embeddings, BETA)
        want = numpy_vq(x, embeddings)
        flat = x.reshape(-1, D).astype(np.float64)
        hidden_n = DECAY * hidden_n + (1 - DECAY) * want["encodings"].sum(0)
        hidden_dw = DECAY * hidden_dw + (1 - DECAY) * flat.T @ want["encodings"]
        average_n = hidden_n / (1 - DECAY ** step)
        average_dw = hidden_dw / (1 - DECAY ** step)
        total = average_n.sum()
        smoothed = (average_n + EPS) / (total + K * EPS) * total
        embeddings = average_dw / smoothed[None]
        np.testing.assert_allclose(state["vector_quantizer_ema"]["embeddings"], embeddings,
                                   rtol=2e-5, atol=1e-6)
        cluster = state["vector_quantizer_ema/~/ema_cluster_size"]
        np.testing.assert_allclose(cluster["hidden"], hidden_n, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(cluster["average"], average_n, rtol=1e-5, atol=1e-6)
        assert int(cluster["counter"]) == step
        np.testing.assert_allclose(state["vector_quantizer_ema/~/ema_dw"]["average"],
                                   average_dw, rtol=1e-5, atol=1e-6)
    # Evaluation reads the codebook and leaves the state alone.
    out, new_state = EMA_APPLY(params, state, xs[0], False)
    check_against_numpy(out, xs[0], embeddings, BETA)
    jax.tree_util.tree_map(np.testing.assert_array_equal, new_state, state)


def test_ema_straight_through_and_no_codebook_gradient():
    params, state = EMA.init(jax.random.PRNGKey(0), X, True)
    x = X[1, :2]
    jacobian = jax.jacobian(lambda x: EMA.apply(params, state, x, True)[0]["quantize"])(x)
    np.testing.assert_array_equal(jacobian.reshape(2 * D, 2 * D), np.eye(2 * D))


def test_cross_replica_statistics_match_one_big_batch():
    """With ``cross_replica_axis`` each replica sees the statistics of all of them."""
    halves = X[:2]  # Two replicas, 5 vectors each.
    both = halves.reshape(-1, D)

    def f(x, axis):
        vq = hk.nets.VectorQuantizerEMA(D, K, BETA, decay=DECAY, cross_replica_axis=axis)
        return vq(x, True)

    local = hk.without_apply_rng(hk.transform_with_state(lambda x: f(x, "i")))
    whole = hk.without_apply_rng(hk.transform_with_state(lambda x: f(x, None)))
    params, state = whole.init(jax.random.PRNGKey(3), both)
    want, want_state = whole.apply(params, state, both)
    out, new_state = jax.vmap(lambda x: local.apply(params, state, x), axis_name="i")(halves)
    np.testing.assert_allclose(out["perplexity"], [want["perplexity"]] * 2, rtol=1e-6)
    for replica in range(2):
        jax.tree_util.tree_map(
            lambda a, b, r=replica: np.testing.assert_allclose(a[r], b, rtol=1e-5, atol=1e-6),
            new_state, want_state)


def test_jit_and_remat_match_eager():
    def f(x):
        return hk.remat(lambda x: _vq(x, True))(x)

    remat = hk.without_apply_rng(hk.transform(f))
    eager = VQ.apply(VQ_PARAMS, X, True)
    jitted = jax.jit(remat.apply)(VQ_PARAMS, X)
    for key in KEYS:
        np.testing.assert_allclose(jitted[key], eager[key], rtol=1e-6, atol=1e-6)
