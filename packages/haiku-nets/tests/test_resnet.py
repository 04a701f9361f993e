"""hk.nets.ResNet*: blocks against a lax/NumPy reference, structure, modes, errors, transforms.

The bit-for-bit parity with dm-haiku (parameter/state trees of every ResNetN,
outputs of tiny configurations over several steps) is in
``test_nets_oracle_parity.py``; this file checks behaviour independently.
"""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest

X = np.random.RandomState(0).randn(2, 16, 16, 3).astype(np.float32)
BN_CONFIG = {"decay_rate": 0.9, "eps": 1e-5, "create_scale": True, "create_offset": True}


def conv(x, w, stride):
    return jax.lax.conv_general_dilated(
        x, w, (stride, stride), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"),
        precision=jax.lax.Precision.HIGHEST)


def batch_norm(x, bundle, eps=1e-5):
    """Training-mode batch norm in float64 NumPy."""
    x = np.asarray(x, np.float64)
    mean = x.mean((0, 1, 2), keepdims=True)
    var = x.var((0, 1, 2), keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * bundle["scale"] + bundle["offset"]


def relu(x):
    return np.maximum(x, 0)


def run_block(block_cls, x, **kwargs):
    def f(x):
        return block_cls(bn_config=BN_CONFIG, name="block", **kwargs)(x, True, False)

    transformed = hk.transform_with_state(f)
    params, state = transformed.init(jax.random.PRNGKey(1), x)
    # Non-trivial scales and offsets, so that a mix-up shows.
    rng = np.random.RandomState(2)
    params = {m: {n: (v + rng.uniform(0.5, 1.0, v.shape).astype(np.float32)
                      if n in ("scale", "offset") else v) for n, v in b.items()}
              for m, b in params.items()}
    out, _ = transformed.apply(params, state, None, x)
    return params, out


def test_block_v1_basic_matches_reference():
    x = X[..., :3] * 2
    params, out = run_block(hk.nets.ResNet.BlockV1, x, channels=3, stride=1,
                            use_projection=False, bottleneck=False)
    assert sorted(params) == [f"block/~/{n}" for n in
                              ("batchnorm_0", "batchnorm_1", "conv_0", "conv_1")]
    p = {k.split("/")[-1]: v for k, v in params.items()}
    h = relu(batch_norm(conv(x, p["conv_0"]["w"], 1), p["batchnorm_0"]))
    h = batch_norm(conv(h.astype(np.float32), p["conv_1"]["w"], 1), p["batchnorm_1"])
    np.testing.assert_allclose(out, relu(h + x), rtol=1e-4, atol=1e-4)


def test_block_v1_bottleneck_projection_matches_reference():
    params, out = run_block(hk.nets.ResNet.BlockV1, X, channels=8, stride=2,
                            use_projection=True, bottleneck=True)
    p = {k.split("/")[-1]: v for k, v in params.items()}
    assert p["conv_0"]["w"].shape == (1, 1, 3, 2)
    assert p["conv_1"]["w"].shape == (3, 3, 2, 2)
    assert p["conv_2"]["w"].shape == (1, 1, 2, 8)
    assert p["shortcut_conv"]["w"].shape == (1, 1, 3, 8)
    shortcut = batch_norm(conv(X, p["shortcut_conv"]["w"], 2), p["shortcut_batchnorm"])
    h = relu(batch_norm(conv(X, p["conv_0"]["w"], 1), p["batchnorm_0"]))
    h = relu(batch_norm(conv(h.astype(np.float32), p["conv_1"]["w"], 2), p["batchnorm_1"]))
    h = batch_norm(conv(h.astype(np.float32), p["conv_2"]["w"], 1), p["batchnorm_2"])
    assert out.shape == (2, 8, 8, 8)
    np.testing.assert_allclose(out, relu(h + shortcut), rtol=1e-4, atol=1e-4)


def test_block_v2_bottleneck_projection_matches_reference():
    params, out = run_block(hk.nets.ResNet.BlockV2, X, channels=8, stride=2,
                            use_projection=True, bottleneck=True)
    p = {k.split("/")[-1]: v for k, v in params.items()}
    assert "shortcut_batchnorm" not in p
    assert p["batchnorm_0"]["scale"].shape == (1, 1, 1, 3)  # Normalises the block's input.
    h = relu(batch_norm(X, p["batchnorm_0"])).astype(np.float32)
    shortcut = conv(h, p["shortcut_conv"]["w"], 2)
    h = conv(h, p["conv_0"]["w"], 1)
    h = conv(relu(batch_norm(h, p["batchnorm_1"])).astype(np.float32), p["conv_1"]["w"], 2)
    h = conv(relu(batch_norm(h, p["batchnorm_2"])).astype(np.float32), p["conv_2"]["w"], 1)
    np.testing.assert_allclose(out, np.asarray(h) + np.asarray(shortcut), rtol=1e-4, atol=1e-4)


def _tiny(resnet_v2=False, **kwargs):
    def f(x, is_training, test_local_stats=False):
        net = hk.nets.ResNet(blocks_per_group=(1, 1, 1, 1), num_classes=4,
                             channels_per_group=(8, 8, 16, 16), resnet_v2=resnet_v2,
                             initial_conv_config={"output_channels": 8}, **kwargs)
        return net(x, is_training, test_local_stats)

    return hk.transform_with_state(f)


TINY = _tiny(logits_config={"w_init": hk.initializers.VarianceScaling(1.0)})
TINY_PARAMS, TINY_STATE = TINY.init(jax.random.PRNGKey(0), X, True)
TINY_APPLY = jax.jit(TINY.apply, static_argnums=(4, 5))


@pytest.mark.parametrize("resnet_v2", [False, True])
def test_structure_and_initial_values(resnet_v2):
    transformed = _tiny(resnet_v2)
    params, state = jax.eval_shape(
        lambda key: transformed.init(key, X, True), jax.random.PRNGKey(0))
    names = set(params)
    assert ("res_net/~/initial_batchnorm" in names) is not resnet_v2
    assert ("res_net/~/final_batchnorm" in names) is resnet_v2
    assert ("res_net/~/block_group_0/~/block_0/~/shortcut_batchnorm" in names) is not resnet_v2
    assert params["res_net/~/initial_conv"]["w"].shape == (7, 7, 3, 8)
    assert params["res_net/~/logits"]["w"].shape == (16, 4)
    assert set(state) == {f"{m}/~/{ema}" for m in names if "batchnorm" in m
                          for ema in ("mean_ema", "var_ema")}


def test_default_initial_values():
    params, _ = _tiny().init(jax.random.PRNGKey(0), X, True)
    # The logits start at zero, and (v1) each bottleneck's last batch norm scale too.
    assert not np.any(params["res_net/~/logits"]["w"])
    scale = params["res_net/~/block_group_1/~/block_0/~/batchnorm_2"]["scale"]
    np.testing.assert_array_equal(scale, np.zeros((1, 1, 1, 8)))
    v2_params, _ = _tiny(True).init(jax.random.PRNGKey(0), X, True)
    scale = v2_params["res_net/~/block_group_1/~/block_0/~/batchnorm_2"]["scale"]
    np.testing.assert_array_equal(scale, np.ones((1, 1, 1, 2)))


def test_training_test_and_local_statistics():
    train, state = TINY_APPLY(TINY_PARAMS, TINY_STATE, None, X, True, False)
    assert train.shape == (2, 4)
    counters = [b["counter"] for m, b in state.items()]
    assert all(int(c) == 1 for c in counters)
    # test_local_stats normalises with the batch's statistics, as training does,
    # but leaves the state alone.
    local, local_state = TINY_APPLY(TINY_PARAMS, state, None, X, False, True)
    np.testing.assert_allclose(local, train, rtol=1e-5, atol=1e-5)
    jax.tree_util.tree_map(np.testing.assert_array_equal, local_state, state)
    # Test mode uses the moving averages: another batch gives another output.
    other = X[::-1] * 3 + 1
    test, _ = TINY_APPLY(TINY_PARAMS, state, None, other, False, False)
    local_other, _ = TINY_APPLY(TINY_PARAMS, state, None, other, False, True)
    assert not np.allclose(test, local_other, atol=1e-3)


def test_constructor_options_shape_the_network():
    def f(x):
        net = hk.nets.ResNet(
            blocks_per_group=(2, 1, 1, 1), num_classes=5, bottleneck=False,
            channels_per_group=(4, 6, 6, 8), use_projection=(True, True, False, True),
            bn_config={"decay_rate": 0.5, "create_offset": False},
            logits_config={"name": "head", "with_bias": False},
            initial_conv_config={"output_channels": 4, "kernel_shape": 3, "stride": 1},
            strides=(1, 2, 1, 2), name="net")
        return net(x, True)

    transformed = hk.transform_with_state(f)
    params, state = jax.eval_shape(transformed.init, jax.random.PRNGKey(0), X)
    assert params["net/~/initial_conv"]["w"].shape == (3, 3, 3, 4)
    assert set(params["net/~/head"]) == {"w"} and params["net/~/head"]["w"].shape == (8, 5)
    assert "net/~/block_group_2/~/block_0/~/shortcut_conv" not in params
    assert "net/~/block_group_0/~/block_1/~/shortcut_conv" not in params
    assert set(params["net/~/initial_batchnorm"]) == {"scale"}
    assert params["net/~/block_group_0/~/block_0/~/conv_0"]["w"].shape == (3, 3, 4, 4)
    assert params["net/~/block_group_1/~/block_0/~/conv_0"]["w"].shape == (3, 3, 4, 6)
    out, _ = jax.eval_shape(transformed.apply, params, state, None, X)
    assert out.shape == (2, 5)


@pytest.mark.parametrize("argument,length", [
    ("blocks_per_group", 3), ("channels_per_group", 2), ("strides", 1)])
def test_group_sequences_must_have_length_4(argument, length):
    kwargs = {"blocks_per_group": (1, 1, 1, 1), argument: (1,) * length}

    def f():
        hk.nets.ResNet(num_classes=3, **kwargs)

    with pytest.raises(ValueError, match=rf"^`{argument}` must be of length 4 not {length} "
                                         r"\(res_net: "):
        hk.transform(f).init(None)


def test_resnet_n_configurations():
    assert hk.nets.ResNet.BlockGroup.__name__ == "BlockGroup"
    assert hk.nets.ResNet.BlockV1.__name__ == "BlockV1"
    assert hk.nets.ResNet.BlockV2.__name__ == "BlockV2"
    depths = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3), 50: (3, 4, 6, 3), 101: (3, 4, 23, 3),
              152: (3, 8, 36, 3), 200: (3, 24, 36, 3)}
    assert set(hk.nets.ResNet.CONFIGS) == set(depths)

    def f():
        for depth, blocks in depths.items():
            net = getattr(hk.nets, f"ResNet{depth}")(num_classes=10, resnet_v2=True)
            assert isinstance(net, hk.nets.ResNet) and net.name == f"res_net{depth}"
            assert tuple(len(g.blocks) for g in net.block_groups) == blocks
            assert net.resnet_v2 and hasattr(net, "final_batchnorm")
            block = net.block_groups[1].blocks[0]
            assert isinstance(block, hk.nets.ResNet.BlockV2)
            assert len(block.layers) == (3 if depth >= 50 else 2)

    hk.transform(f).init(None)


def _param_count(depth, num_classes=1000):
    cls = getattr(hk.nets, f"ResNet{depth}")
    init = hk.transform_with_state(lambda x: cls(num_classes)(x, True)).init
    params, _ = jax.eval_shape(init, jax.random.PRNGKey(0), jnp.ones([1, 32, 32, 3]))
    return sum(int(np.prod(leaf.shape)) for leaf in jax.tree_util.tree_leaves(params))


def test_resnet50_has_25_557_032_parameters():
    assert _param_count(50) == 25_557_032


def test_jit_grad_and_remat():
    def loss(params, state, remat):
        def f(x):
            net = hk.nets.ResNet(blocks_per_group=(1, 1, 1, 1), num_classes=4,
                                 channels_per_group=(8, 8, 16, 16),
                                 initial_conv_config={"output_channels": 8},
                                 logits_config={"w_init": hk.initializers.VarianceScaling(1.0)})
            forward = lambda x: net(x, True)  # noqa: E731
            return (hk.remat(forward) if remat else forward)(x)

        out, _ = hk.transform_with_state(f).apply(params, state, None, X)
        return jnp.sum(jnp.sin(out))

    value, grads = jax.jit(jax.value_and_grad(loss), static_argnums=2)(
        TINY_PARAMS, TINY_STATE, False)
    remat_value, remat_grads = jax.jit(jax.value_and_grad(loss), static_argnums=2)(
        TINY_PARAMS, TINY_STATE, True)
    eager_out, _ = TINY.apply(TINY_PARAMS, TINY_STATE, None, X, True)
    np.testing.assert_allclose(value, np.sum(np.sin(eager_out)), rtol=1e-5)
    np.testing.assert_allclose(remat_value, value, rtol=1e-6)
    flat = jax.tree_util.tree_leaves(grads)
    assert all(np.all(np.isfinite(g)) for g in flat)
    assert sum(np.count_nonzero(g) for g in flat) > 0.5 * sum(g.size for g in flat)
    jax.tree_util.tree_map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6),
                           remat_grads, grads)
    # The logits bias gradient is d sum(sin(out)) / d out summed over the batch.
    np.testing.assert_allclose(grads["res_net/~/logits"]["b"],
                               np.cos(np.asarray(eager_out)).sum(0), rtol=1e-4)
