"""hk.nets.MLP: parameters, NumPy forward pass, dropout, reverse, errors, transforms."""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest

X = np.random.RandomState(0).randn(3, 6).astype(np.float32)


def numpy_mlp(params, prefix, x, names, activation, activate_final, masks=None, rate=None):
    """The MLP forward pass in NumPy; ``masks[i]`` keeps units of activated layer ``i``."""
    out = np.asarray(x, np.float64)
    for index, name in enumerate(names):
        bundle = params[f"{prefix}/~/{name}"]
        out = out @ np.asarray(bundle["w"], np.float64)
        if "b" in bundle:
            out = out + np.asarray(bundle["b"], np.float64)
        if index < len(names) - 1 or activate_final:
            if masks is not None:
                out = np.where(masks[index], out / (1 - rate), 0)
            out = activation(out)
    return out


def relu(x):
    return np.maximum(x, 0)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _forward(x):
    mlp = hk.nets.MLP([5, 4, 3])
    y = mlp(x)
    return y, mlp.reverse()(y)


FORWARD = hk.without_apply_rng(hk.transform(_forward))
PARAMS = FORWARD.init(jax.random.PRNGKey(0), X)


def test_parameter_names_and_shapes():
    shapes = {m: {n: v.shape for n, v in b.items()} for m, b in PARAMS.items()}
    assert shapes == {
        "mlp/~/linear_0": {"w": (6, 5), "b": (5,)},
        "mlp/~/linear_1": {"w": (5, 4), "b": (4,)},
        "mlp/~/linear_2": {"w": (4, 3), "b": (3,)},
        "mlp/~reverse/mlp_reversed/~/linear_0": {"w": (3, 4), "b": (4,)},
        "mlp/~reverse/mlp_reversed/~/linear_1": {"w": (4, 5), "b": (5,)},
        "mlp/~reverse/mlp_reversed/~/linear_2": {"w": (5, 6), "b": (6,)},
    }


def test_forward_matches_numpy():
    y, back = FORWARD.apply(PARAMS, X)
    names = ["linear_0", "linear_1", "linear_2"]
    want = numpy_mlp(PARAMS, "mlp", X, names, relu, False)
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)
    want_back = numpy_mlp(PARAMS, "mlp/~reverse/mlp_reversed", want, names, relu, False)
    np.testing.assert_allclose(back, want_back, rtol=1e-5, atol=1e-6)
    assert back.shape == X.shape


def test_activate_final_activation_and_no_bias():
    def f(x):
        return hk.nets.MLP([4, 2], activation=jax.nn.sigmoid, activate_final=True,
                           with_bias=False, name="net")(x)

    transformed = hk.without_apply_rng(hk.transform(f))
    params = transformed.init(jax.random.PRNGKey(1), X)
    assert all(set(bundle) == {"w"} for bundle in params.values())
    want = numpy_mlp(params, "net", X, ["linear_0", "linear_1"], sigmoid, True)
    np.testing.assert_allclose(transformed.apply(params, X), want, rtol=1e-5, atol=1e-6)


def test_initializers_are_used():
    def f(x):
        return hk.nets.MLP([2, 3], w_init=jnp.ones, b_init=hk.initializers.Constant(0.5))(x)

    params = hk.transform(f).init(jax.random.PRNGKey(0), X)
    for bundle in params.values():
        np.testing.assert_array_equal(bundle["w"], np.ones_like(bundle["w"]))
        np.testing.assert_array_equal(bundle["b"], np.full_like(bundle["b"], 0.5))


def test_empty_mlp_is_the_identity():
    def f(x):
        mlp = hk.nets.MLP([])
        assert mlp.output_size is None and mlp.layers == ()
        return mlp(x)

    out = hk.transform(f).apply({}, None, X)
    np.testing.assert_array_equal(out, X)


def test_attributes():
    def f():
        mlp = hk.nets.MLP([3, 7], activate_final=True)
        assert mlp.output_size == 7
        assert [layer.name for layer in mlp.layers] == ["linear_0", "linear_1"]
        assert [layer.output_size for layer in mlp.layers] == [3, 7]
        assert mlp.activation is jax.nn.relu and mlp.activate_final and mlp.with_bias

    hk.transform(f).init(None)


def test_dropout_matches_numpy_masks():
    rate = 0.4
    key = jax.random.PRNGKey(42)

    def f(x):
        return hk.nets.MLP([8, 8, 3], activation=jax.nn.sigmoid)(x, dropout_rate=rate, rng=key)

    transformed = hk.transform(f)
    params = transformed.init(jax.random.PRNGKey(0), X)
    out = transformed.apply(params, None, X)
    # One key per activated layer, drawn in turn from a PRNGSequence of `rng`.
    keys = hk.PRNGSequence(key)
    masks = [np.asarray(jax.random.bernoulli(next(keys), 1 - rate, (3, 8))) for _ in range(2)]
    assert 0 < sum(m.sum() for m in masks) < 48  # Some, not all, units dropped.
    want = numpy_mlp(params, "mlp", X, ["linear_0", "linear_1", "linear_2"], sigmoid, False,
                     masks=masks, rate=rate)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    without = hk.transform(lambda x: hk.nets.MLP([8, 8, 3], activation=jax.nn.sigmoid)(x))
    assert not np.allclose(without.apply(params, None, X), out)


def test_dropout_argument_errors():
    def init(**kwargs):
        return hk.transform(lambda x: hk.nets.MLP([2])(x, **kwargs)).init(
            jax.random.PRNGKey(0), X)

    with pytest.raises(ValueError, match="When using dropout an rng key must be passed"):
        init(dropout_rate=0.5)
    with pytest.raises(ValueError, match="RNG should only be passed when using dropout"):
        init(rng=jax.random.PRNGKey(1))


def test_bias_initializer_without_bias_is_an_error():
    with pytest.raises(ValueError, match="When with_bias=False b_init must not be set"):
        hk.transform(lambda: hk.nets.MLP([2], with_bias=False, b_init=jnp.ones)).init(None)


def test_reverse_before_call_is_an_error():
    def f():
        hk.nets.MLP([2, 3]).reverse()

    with pytest.raises(ValueError, match="You cannot reverse an MLP until it has been called"):
        hk.transform(f).init(None)


def test_reverse_options():
    def f(x):
        mlp = hk.nets.MLP([4, 2], activation=jnp.tanh, with_bias=False, activate_final=True,
                          name="enc")
        y = mlp(x)
        default = mlp.reverse()
        custom = mlp.reverse(activate_final=False, name="dec")
        assert default.name == "enc_reversed" and custom.name == "dec"
        assert [layer.output_size for layer in default.layers] == [4, 6]
        assert default.activate_final and not custom.activate_final
        assert default.activation is jnp.tanh and not default.with_bias
        default(y)  # Reversing the reversed MLP needs its input sizes too.
        twice = default.reverse()
        assert twice.name == "enc_reversed_reversed"
        assert [layer.output_size for layer in twice.layers] == [4, 2]
        return custom(y)

    params = hk.transform(f).init(jax.random.PRNGKey(0), X)
    assert list(params) == [
        "enc/~/linear_0", "enc/~/linear_1",
        "enc/~reverse/enc_reversed/~/linear_0", "enc/~reverse/enc_reversed/~/linear_1",
        "enc/~reverse/dec/~/linear_0", "enc/~reverse/dec/~/linear_1",
    ]
    # The reversed MLPs own their parameters: nothing is shared.
    assert not np.array_equal(params["enc/~reverse/enc_reversed/~/linear_0"]["w"],
                              params["enc/~reverse/dec/~/linear_0"]["w"])


def test_jit_grad_and_remat():
    def loss(params, x, remat):
        def f(x):
            mlp = hk.nets.MLP([5, 4, 3])
            return (hk.remat(mlp) if remat else mlp)(x)

        return jnp.sum(hk.without_apply_rng(hk.transform(f)).apply(params, x) ** 2)

    params = {k: v for k, v in PARAMS.items() if "reverse" not in k}
    value, grads = jax.value_and_grad(loss)(params, X, False)
    jit_value, jit_grads = jax.jit(jax.value_and_grad(loss), static_argnums=2)(params, X, True)
    np.testing.assert_allclose(jit_value, value, rtol=1e-6)
    jax.tree_util.tree_map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
                           jit_grads, grads)
    # d loss / d b of the last layer is 2 * sum over the batch of the output.
    out = FORWARD.apply(PARAMS, X)[0]
    np.testing.assert_allclose(grads["mlp/~/linear_2"]["b"], 2 * np.sum(out, 0), rtol=1e-5)
