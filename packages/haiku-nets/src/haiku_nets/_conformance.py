"""haiku-nets' modules as conformance-kit examples (``haiku_conformance_examples``).

Each example builds one module on tiny inputs; the conformance kit
(:func:`haiku.testing.check_module`) runs it through jit, vmap, grad, remat,
eval_shape, a bfloat16 policy and identity interceptors, and compares its
parameter/state tree with ``tests/golden/conformance/<name>.json``.

>>> examples = {e.name: e for e in examples()}
>>> examples["Linear"].check(checks=["determinism", "eval_shape"]).passed
('determinism', 'eval_shape')
"""

from __future__ import annotations

import jax
import numpy as np

import haiku as hk


def _x(*shape: int, seed: int = 0) -> np.ndarray:
    """Uniform float32 in [-1, 1): deterministic tiny inputs."""
    return np.random.default_rng(seed + sum(shape)).uniform(-1.0, 1.0, shape).astype(np.float32)


_SCAN_KEYS = ("draws a key per hk.scan step, so its steps do not repeat two applies that "
              "are given one key")


class DropoutModule(hk.Module):
    """``hk.dropout`` wrapped in a module, so the kit can set a policy on it."""

    def __init__(self, rate: float, name: str | None = None):
        super().__init__(name=name)
        self.rate = rate

    def __call__(self, x):
        return hk.dropout(hk.next_rng_key(), self.rate, x)


def examples() -> list[hk.testing.ModuleExample]:
    """One :class:`haiku.testing.ModuleExample` per haiku-nets module.

    Returns:
      The examples (the conformance kit checks them; see the module doc).
    """
    E = hk.testing.ModuleExample
    vi = hk.initializers.VarianceScaling(1.0)
    # Two params of one tree, for EMAParamsTree/SNParamsTree.
    tree_input = _x(3, 4)
    return [
        E("Linear", lambda x: hk.Linear(3)(x), (_x(2, 4),), (hk.Linear,)),
        E("Linear_no_bias", lambda x: hk.Linear(3, with_bias=False, name="proj")(x),
          (_x(2, 4),), (hk.Linear,)),
        E("Bias", lambda x: hk.Bias(b_init=hk.initializers.RandomNormal())(x), (_x(2, 3),),
          (hk.Bias,)),
        E("Conv1D", lambda x: hk.Conv1D(3, 3)(x), (_x(1, 5, 2),), (hk.Conv1D,)),
        E("Conv2D", lambda x: hk.Conv2D(3, 3, stride=2)(x), (_x(1, 5, 5, 2),), (hk.Conv2D,)),
        E("Conv3D", lambda x: hk.Conv3D(2, 2)(x), (_x(1, 3, 3, 3, 2),), (hk.Conv3D,)),
        E("ConvND", lambda x: hk.ConvND(1, 2, 2, padding="VALID")(x), (_x(1, 4, 2),),
          (hk.ConvND,)),
        E("Conv1DTranspose", lambda x: hk.Conv1DTranspose(3, 3, stride=2)(x), (_x(1, 4, 2),),
          (hk.Conv1DTranspose,)),
        E("Conv2DTranspose", lambda x: hk.Conv2DTranspose(2, 3)(x), (_x(1, 3, 3, 2),),
          (hk.Conv2DTranspose,)),
        E("Conv3DTranspose", lambda x: hk.Conv3DTranspose(2, 2)(x), (_x(1, 2, 2, 2, 2),),
          (hk.Conv3DTranspose,)),
        E("ConvNDTranspose", lambda x: hk.ConvNDTranspose(1, 2, 2, padding="VALID")(x),
          (_x(1, 3, 2),), (hk.ConvNDTranspose,)),
        E("DepthwiseConv1D", lambda x: hk.DepthwiseConv1D(2, 3)(x), (_x(1, 5, 2),),
          (hk.DepthwiseConv1D,)),
        E("DepthwiseConv2D", lambda x: hk.DepthwiseConv2D(2, 3)(x), (_x(1, 4, 4, 2),),
          (hk.DepthwiseConv2D,)),
        E("DepthwiseConv3D", lambda x: hk.DepthwiseConv3D(1, 2)(x), (_x(1, 3, 3, 3, 2),),
          (hk.DepthwiseConv3D,)),
        E("SeparableDepthwiseConv2D", lambda x: hk.SeparableDepthwiseConv2D(2, 3)(x),
          (_x(1, 4, 4, 2),), (hk.SeparableDepthwiseConv2D,)),
        E("AvgPool", lambda x: hk.AvgPool(2, 2, "VALID")(x), (_x(1, 4, 4, 2),), (hk.AvgPool,)),
        E("MaxPool", lambda x: hk.MaxPool(2, 1, "SAME")(x), (_x(1, 3, 3, 2),), (hk.MaxPool,)),
        E("dropout", lambda x: DropoutModule(0.5)(x), (_x(2, 4),), (DropoutModule,),
          apply_rng=True, not_applicable={"scan": _SCAN_KEYS}),
        E("Sequential",
          lambda x: hk.Sequential([hk.Linear(3), jax.nn.relu, hk.Linear(2)])(x),
          (_x(2, 4),), (hk.Sequential,)),
        E("MultiHeadAttention",
          lambda q, k, v: hk.MultiHeadAttention(2, 3, w_init=vi)(q, k, v),
          (_x(3, 4), _x(2, 5), _x(2, 6)), (hk.MultiHeadAttention,)),
        E("Reshape", lambda x: hk.Reshape((2, -1))(x), (_x(2, 3, 4),), (hk.Reshape,)),
        E("Flatten", lambda x: hk.Flatten()(x), (_x(2, 3, 2),), (hk.Flatten,)),
        E("BatchApply", lambda x: hk.BatchApply(hk.Linear(3))(x), (_x(2, 3, 4),),
          (hk.Linear,)),
        E("Embed", lambda ids: hk.Embed(vocab_size=5, embed_dim=3)(ids),
          (np.array([[0, 4, 2], [1, 1, 3]], np.int32),), (hk.Embed,)),
        E("Embed_one_hot",
          lambda ids: hk.Embed(5, 3, lookup_style="ONE_HOT")(ids),
          (np.array([0, 4, 2], np.int32),), (hk.Embed,)),
        E("BatchNorm",
          lambda x: hk.BatchNorm(True, True, 0.9)(x, is_training=True),
          (_x(4, 3),), (hk.BatchNorm,), rtol=1e-4, atol=1e-4),
        E("LayerNorm", lambda x: hk.LayerNorm(-1, True, True)(x), (_x(2, 4),), (hk.LayerNorm,),
          rtol=1e-4, atol=1e-4),
        E("InstanceNorm", lambda x: hk.InstanceNorm(True, True)(x), (_x(1, 3, 3, 2),),
          (hk.InstanceNorm,), rtol=1e-4, atol=1e-4),
        E("GroupNorm", lambda x: hk.GroupNorm(2)(x), (_x(1, 3, 3, 4),), (hk.GroupNorm,),
          rtol=1e-4, atol=1e-4),
        E("RMSNorm", lambda x: hk.RMSNorm(-1)(x), (_x(2, 4),), (hk.RMSNorm,),
          rtol=1e-4, atol=1e-4),
        # Under the bfloat16 policy u0 is drawn in bfloat16 (other values than
        # in float32), and one power-iteration step from there estimates sigma
        # differently: only dtypes and a coarse closeness are meaningful.
        E("SpectralNorm", lambda w: hk.SpectralNorm()(w), (_x(3, 4),), (hk.SpectralNorm,),
          rtol=1e-4, atol=1e-4, bf16_tolerance=0.5),
        E("SNParamsTree", lambda w: hk.SNParamsTree()({"mod": {"w": w}}), (tree_input,),
          (hk.SNParamsTree, hk.SpectralNorm), rtol=1e-4, atol=1e-4, bf16_tolerance=0.5),
        E("ExponentialMovingAverage", lambda x: hk.ExponentialMovingAverage(0.9)(x),
          (_x(3),), (hk.ExponentialMovingAverage,)),
        E("EMAParamsTree", lambda w: hk.EMAParamsTree(0.9)({"mod": {"w": w}}), (tree_input,),
          (hk.EMAParamsTree, hk.ExponentialMovingAverage)),
        E("MLP", lambda x: hk.nets.MLP([4, 3])(x), (_x(2, 3),), (hk.nets.MLP,)),
        E("MLP_dropout",
          lambda x: hk.nets.MLP([4, 3], activate_final=True)(
              x, dropout_rate=0.5, rng=hk.next_rng_key()),
          (_x(2, 3),), (hk.nets.MLP,), apply_rng=True, not_applicable={"scan": _SCAN_KEYS}),
        E("ResNet",
          lambda x: hk.nets.ResNet(
              (1, 1, 1, 1), 3, bottleneck=False, channels_per_group=(4, 4, 4, 4),
              logits_config={"w_init": vi}, initial_conv_config={"output_channels": 4},
              strides=(1, 1, 1, 1))(x, is_training=True),
          (_x(2, 4, 4, 1),), (hk.nets.ResNet,), rtol=1e-4, atol=1e-4),
        E("MobileNetV1",
          lambda x: hk.nets.MobileNetV1(strides=(1, 2), channels=(4, 4), num_classes=3)(
              x, is_training=True),
          (_x(2, 4, 4, 1),), (hk.nets.MobileNetV1,), rtol=1e-4, atol=1e-4),
        E("VectorQuantizer",
          lambda x: hk.nets.VectorQuantizer(2, 4, 0.25)(x, is_training=True),
          (_x(3, 2),), (hk.nets.VectorQuantizer,), rtol=1e-4, atol=1e-4),
        E("VectorQuantizerEMA",
          lambda x: hk.nets.VectorQuantizerEMA(2, 4, 0.25, 0.9)(x, is_training=True),
          (_x(3, 2),), (hk.nets.VectorQuantizerEMA,), rtol=1e-4, atol=1e-4),
    ]
