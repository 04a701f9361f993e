"""hk.nets.MobileNetV1: structure, a block against lax, modes, errors, transforms.

The bit-for-bit parity with dm-haiku is in ``test_nets_oracle_parity.py``.
"""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from haiku_nets._src.mobilenet import MobileNetV1Block

X = np.random.RandomState(0).randn(2, 16, 16, 3).astype(np.float32)


def _net(use_bn=True):
    def f(x, is_training):
        net = hk.nets.MobileNetV1(strides=(1, 2), channels=(8, 16), num_classes=5,
                                  use_bn=use_bn)
        return net(x, is_training)

    return hk.transform_with_state(f)


def test_default_network_has_the_canonical_parameter_count():
    init = hk.transform_with_state(lambda x: hk.nets.MobileNetV1()(x, True)).init
    params, state = jax.eval_shape(init, jax.random.PRNGKey(0), jnp.ones([1, 32, 32, 3]))
    count = sum(int(np.prod(leaf.shape)) for leaf in jax.tree_util.tree_leaves(params))
    assert count == 4_231_976  # MobileNet v1 (width 1.0, 1000 classes).
    assert len([m for m in params if m.endswith("depthwise_conv")]) == 13
    assert params["mobile_net_v1/logits"]["w"].shape == (1024, 1000)
    assert len(state) == 2 * 27  # mean_ema and var_ema of 27 batch norms.


@pytest.mark.parametrize("use_bn", [True, False])
def test_structure(use_bn):
    init = _net(use_bn).init
    params, state = jax.eval_shape(lambda key: init(key, X, True), jax.random.PRNGKey(0))
    shapes = {m: {n: v.shape for n, v in b.items()} for m, b in params.items()}
    assert shapes["mobile_net_v1/conv2_d"]["w"] == (3, 3, 3, 32)
    assert shapes["mobile_net_v1/mobile_net_v1_block/depthwise_conv"]["w"] == (3, 3, 1, 32)
    assert shapes["mobile_net_v1/mobile_net_v1_block_1/pointwise_conv"]["w"] == (1, 1, 8, 16)
    assert shapes["mobile_net_v1/logits"] == {"w": (16, 5), "b": (5,)}
    convs = [m for m in shapes if m.endswith("conv") or m.endswith("conv2_d")]
    assert len(convs) == 5
    assert all(("b" in shapes[m]) is not use_bn for m in convs)
    assert (len(state) > 0) is use_bn
    assert any("batch_norm" in m for m in shapes) is use_bn


def test_block_matches_lax_reference():
    def f(x):
        return MobileNetV1Block(output_channels=6, stride=2, use_bn=False)(x, True)

    transformed = hk.without_apply_rng(hk.transform(f))
    params = transformed.init(jax.random.PRNGKey(1), X)
    rng = np.random.RandomState(3)
    params = {m: {n: v + rng.randn(*v.shape).astype(np.float32) if n == "b" else v
                  for n, v in b.items()} for m, b in params.items()}
    depthwise = params["mobile_net_v1_block/depthwise_conv"]
    pointwise = params["mobile_net_v1_block/pointwise_conv"]
    h = jax.lax.conv_general_dilated(
        X, depthwise["w"], (2, 2), ((1, 1), (1, 1)), feature_group_count=3,
        dimension_numbers=("NHWC", "HWIO", "NHWC"), precision=jax.lax.Precision.HIGHEST)
    h = np.maximum(np.asarray(h) + depthwise["b"], 0)
    h = np.einsum("nhwc,cd->nhwd", h, pointwise["w"][0, 0]) + pointwise["b"]
    out = transformed.apply(params, X)
    assert out.shape == (2, 8, 8, 6)
    np.testing.assert_allclose(out, np.maximum(h, 0), rtol=1e-4, atol=1e-4)


TRANSFORMED = _net()
PARAMS, STATE = TRANSFORMED.init(jax.random.PRNGKey(0), X, True)
APPLY = jax.jit(TRANSFORMED.apply, static_argnums=4)


def test_training_updates_state_and_test_mode_reads_it():
    out, state = APPLY(PARAMS, STATE, None, X, True)
    assert out.shape == (2, 5)
    assert all(int(b["counter"]) == 1 for b in state.values())
    ema = state["mobile_net_v1/batch_norm/~/mean_ema"]
    # Batch norms decay at 0.999.
    np.testing.assert_allclose(ema["hidden"], (1 - 0.999) * ema["average"], rtol=1e-4)
    test_out, test_state = APPLY(PARAMS, state, None, X, False)
    jax.tree_util.tree_map(np.testing.assert_array_equal, test_state, state)
    # After one (zero-debiased) update the averages are this batch's statistics.
    np.testing.assert_allclose(test_out, out, rtol=1e-3, atol=1e-4)
    other = X[::-1] * 3 + 1
    other_train, _ = APPLY(PARAMS, state, None, other, True)
    other_test, _ = APPLY(PARAMS, state, None, other, False)
    assert not np.allclose(other_test, other_train, atol=1e-3)


def test_strides_and_channels_must_match():
    with pytest.raises(ValueError, match=r"^`strides` and `channels` must have the same length\. "
                                         r"\(mobile_net_v1: got 2 strides \(1, 2\) and 1 "
                                         r"channels \(3,\)\.\)$"):
        hk.transform(lambda: hk.nets.MobileNetV1(strides=(1, 2), channels=(3,))).init(None)


def test_jit_grad_and_remat():
    def loss(params, remat):
        def f(x):
            net = hk.nets.MobileNetV1(strides=(1, 2), channels=(8, 16), num_classes=5)
            forward = lambda x: net(x, True)  # noqa: E731
            return (hk.remat(forward) if remat else forward)(x)

        out, _ = hk.transform_with_state(f).apply(params, STATE, None, X)
        return jnp.sum(out ** 2)

    grad = jax.jit(jax.value_and_grad(loss), static_argnums=1)
    value, grads = grad(PARAMS, False)
    remat_value, remat_grads = grad(PARAMS, True)
    eager_out, _ = TRANSFORMED.apply(PARAMS, STATE, None, X, True)
    np.testing.assert_allclose(value, np.sum(np.asarray(eager_out) ** 2), rtol=1e-5)
    np.testing.assert_allclose(remat_value, value, rtol=1e-6)
    np.testing.assert_allclose(grads["mobile_net_v1/logits"]["b"],
                               2 * np.asarray(eager_out).sum(0), rtol=1e-4)
    jax.tree_util.tree_map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6),
                           remat_grads, grads)
