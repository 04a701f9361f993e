"""hk.experimental.flax.lift: Flax linen modules inside Haiku transforms."""

from __future__ import annotations

import flax.errors
import flax.linen as nn
import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from haiku.experimental import flax as hkflax

RNG = jax.random.PRNGKey(0)
X = np.arange(6.0, dtype=np.float32).reshape(2, 3) / 5


def test_dense_matches_numpy_and_hk_linear_with_the_same_weights():
    """Round trip: the same weights give the same numbers natively and lifted."""

    def f(x):
        flax_out = hkflax.lift(nn.Dense(4), name="dense")(x)
        hk_out = hk.Linear(4)(x)
        return flax_out, hk_out

    f = hk.transform(f)
    params = f.init(RNG, X)
    kernel = params["dense/~"]["kernel"]
    bias = np.array([0.5, -1.0, 2.0, 0.25], np.float32)
    params = {"dense/~": {"kernel": kernel, "bias": bias}, "linear": {"w": kernel, "b": bias}}
    flax_out, hk_out = f.apply(params, None, X)
    np.testing.assert_allclose(flax_out, X @ np.asarray(kernel) + bias, rtol=1e-6)
    np.testing.assert_array_equal(flax_out, hk_out)
    # The same numbers as Flax itself gives with these variables.
    native = nn.Dense(4).apply({"params": {"kernel": kernel, "bias": bias}}, X)
    np.testing.assert_array_equal(flax_out, native)


def test_init_uses_one_haiku_key_and_apply_none():
    """The Flax params are those of ``mod.init(first hk key)``; apply draws nothing."""

    def f(x):
        y = hkflax.lift(nn.Dense(2), name="dense")(x)
        return y, hk.next_rng_key()

    f = hk.transform(f)
    params = f.init(RNG, X)
    first_key = next(hk.PRNGSequence(RNG))
    expected = nn.Dense(2).init(first_key, X)["params"]
    np.testing.assert_array_equal(params["dense/~"]["kernel"], expected["kernel"])
    _, key_after = f.apply(params, RNG, X)
    np.testing.assert_array_equal(key_after, first_key)  # the lift used no key in apply


class Stats(nn.Module):
    """Dense, BatchNorm and (optionally) Dropout: params, state and randomness."""

    dropout: float = 0.0

    @nn.compact
    def __call__(self, x, train: bool):
        x = nn.Dense(3)(x)
        x = nn.BatchNorm(use_running_average=not train, momentum=0.5)(x)
        return nn.Dropout(self.dropout, deterministic=not train)(x)


def test_state_collections_become_haiku_state_and_update():
    def f(x, train):
        return hkflax.lift(Stats(), name="stats")(x, train)

    f = hk.transform_with_state(f)
    params, state = f.init(RNG, X, True)
    assert list(params) == ["stats/Dense_0", "stats/BatchNorm_0"]
    assert list(state) == ["stats/batch_stats/BatchNorm_0"]
    np.testing.assert_array_equal(state["stats/batch_stats/BatchNorm_0"]["mean"], np.zeros(3))

    out, new_state = f.apply(params, state, None, X, True)
    # Independent computation of the batch statistics (momentum 0.5).
    h = X @ np.asarray(params["stats/Dense_0"]["kernel"]) + np.asarray(params["stats/Dense_0"]["bias"])
    np.testing.assert_allclose(new_state["stats/batch_stats/BatchNorm_0"]["mean"], 0.5 * h.mean(0),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_state["stats/batch_stats/BatchNorm_0"]["var"],
                               0.5 + 0.5 * h.var(0), rtol=1e-5)
    np.testing.assert_allclose(out, (h - h.mean(0)) / np.sqrt(h.var(0) + 1e-5), rtol=1e-4, atol=1e-5)
    # Evaluation reads the stored statistics and leaves them unchanged.
    _, eval_state = f.apply(params, new_state, None, X, False)
    np.testing.assert_array_equal(eval_state["stats/batch_stats/BatchNorm_0"]["mean"],
                                  new_state["stats/batch_stats/BatchNorm_0"]["mean"])


def test_stateful_module_needs_transform_with_state():
    f = hk.transform(lambda x: hkflax.lift(Stats(), name="stats")(x, True))
    with pytest.raises(ValueError, match="transform_with_state"):
        f.init(RNG, X)


def test_dropout_draws_from_hk_next_rng_key():
    f = hk.transform_with_state(lambda x: hkflax.lift(Stats(0.5), name="stats")(x, True))
    params, state = f.init(RNG, X)
    apply = jax.jit(f.apply)
    out_a, _ = apply(params, state, jax.random.PRNGKey(1), X)
    out_b, _ = apply(params, state, jax.random.PRNGKey(1), X)
    out_c, _ = apply(params, state, jax.random.PRNGKey(2), X)
    np.testing.assert_array_equal(out_a, out_b)
    assert not np.array_equal(out_a, out_c)
    dropped = np.asarray(out_a) == 0
    assert dropped.any() and not dropped.all()
    with pytest.raises(ValueError, match="Stats needs a random key") as info:
        f.apply(params, state, None, X)
    assert isinstance(info.value.__cause__, flax.errors.InvalidRngError)


def test_names_follow_haiku_module_naming():
    class Block(hk.Module):
        def __call__(self, x):
            return hkflax.lift(nn.Dense(2), name="dense")(x)

    def f(x):
        a = hkflax.lift(nn.Dense(2), name="dense")(x)
        b = hkflax.lift(nn.Dense(2), name="dense")(x)
        return a + b + Block()(x)

    params = hk.transform(f).init(RNG, X)
    assert list(params) == ["dense/~", "dense_1/~", "block/dense/~"]


def test_calling_a_lift_twice_shares_variables():
    def f(x):
        dense = hkflax.lift(nn.Dense(3), name="dense")
        return dense(dense(x))

    f = hk.transform(f)
    params = f.init(RNG, X)
    w = np.asarray(params["dense/~"]["kernel"])
    b = np.asarray(params["dense/~"]["bias"])
    np.testing.assert_allclose(f.apply(params, None, X), (X @ w + b) @ w + b, rtol=1e-5)


def test_bad_arguments():
    with pytest.raises(TypeError, match="lift expects a flax.linen.Module or a flax.nnx.Module"):
        hk.transform(lambda x: hkflax.lift(jnp.tanh, name="t")(x)).init(RNG, X)
    with pytest.raises(TypeError, match="`name` must be a str"):
        hk.transform(lambda x: hkflax.lift(nn.Dense(2), name=3)(x)).init(RNG, X)
    with pytest.raises(ValueError, match="must be initialized inside an `hk.transform`"):
        hkflax.lift(nn.Dense(2), name="dense")
