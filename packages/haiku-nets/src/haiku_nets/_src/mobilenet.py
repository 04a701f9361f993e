"""MobileNet V1 (``hk.nets.MobileNetV1``): depthwise separable convolutions."""

from __future__ import annotations

from collections.abc import Sequence

import haiku as hk
import jax
import jax.numpy as jnp

from haiku_nets._src.batch_norm import BatchNorm
from haiku_nets._src.conv import Conv2D
from haiku_nets._src.depthwise_conv import DepthwiseConv2D
from haiku_nets._src.linear import Linear
from haiku_nets._src.reshape import Flatten

__all__ = ["MobileNetV1", "MobileNetV1Block"]

_BN_DECAY_RATE = 0.999


def _batch_norm() -> BatchNorm:
    return BatchNorm(create_scale=True, create_offset=True, decay_rate=_BN_DECAY_RATE)


class MobileNetV1Block(hk.Module):
    """One depthwise separable block: 3x3 depthwise conv, then 1x1 pointwise conv.

    Each convolution is followed by batch normalisation (when ``use_bn``) and
    a ReLU. Without batch normalisation the convolutions have biases.

    >>> block = MobileNetV1Block(output_channels=16, stride=2)
    >>> hk.eval_shape(lambda x: block(x, is_training=True), jnp.ones([1, 8, 8, 4])).shape
    (1, 4, 4, 16)
    """

    def __init__(self, output_channels: int, stride: int, use_bn: bool = True,
                 name: str | None = None):
        """Constructs a block.

        Args:
          output_channels: Channels of the pointwise convolution's output.
          stride: Stride of the depthwise convolution.
          use_bn: Whether to batch-normalise after each convolution.
          name: Name of the module.
        """
        super().__init__(name=name)
        self.output_channels = output_channels
        self.stride = stride
        self.use_bn = use_bn
        self.with_bias = not use_bn

    def __call__(self, inputs: jax.Array, is_training: bool) -> jax.Array:
        """Applies the block to ``[N, H, W, C]`` inputs."""
        depthwise = DepthwiseConv2D(
            channel_multiplier=1, kernel_shape=3, stride=self.stride,
            padding=((1, 1), (1, 1)), with_bias=self.with_bias, name="depthwise_conv")
        pointwise = Conv2D(
            output_channels=self.output_channels, kernel_shape=(1, 1), stride=1,
            padding="VALID", with_bias=self.with_bias, name="pointwise_conv")
        out = inputs
        for conv in (depthwise, pointwise):
            out = conv(out)
            if self.use_bn:
                out = _batch_norm()(out, is_training)
            out = jax.nn.relu(out)
        return out


class MobileNetV1(hk.Module):
    """MobileNet V1 (Howard et al., https://arxiv.org/abs/1704.04861).

    A stride-2 3x3 convolution with 32 channels, one depthwise separable block
    per entry of ``strides``/``channels``, global average pooling and a linear
    ``logits`` layer. With ``use_bn`` (the default) every convolution is
    followed by batch normalisation (decay 0.999) and has no bias; without,
    the convolutions have biases.

    >>> net = hk.nets.MobileNetV1(strides=(1, 2), channels=(8, 16), num_classes=10)
    >>> hk.eval_shape(lambda x: net(x, is_training=True), jnp.ones([2, 32, 32, 3]))
    ShapeDtypeStruct(shape=(2, 10), dtype=float32)
    """

    def __init__(
        self,
        strides: Sequence[int] = (1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1),
        channels: Sequence[int] = (64, 128, 128, 256, 256, 512, 512,
                                   512, 512, 512, 512, 1024, 1024),
        num_classes: int = 1000,
        use_bn: bool = True,
        name: str | None = None,
    ):
        """Constructs a MobileNetV1 model.

        Args:
          strides: The stride of the depthwise convolution of each block.
          channels: The output channels of the pointwise convolution of each
            block (as many as ``strides``).
          num_classes: Number of classes (size of the logits).
          use_bn: Whether to use batch normalisation; when true the
            convolutions have no bias, when false they have one.
          name: Name of the module.

        Raises:
          ValueError: If ``strides`` and ``channels`` differ in length.
        """
        super().__init__(name=name)
        if len(strides) != len(channels):
            raise ValueError(
                "`strides` and `channels` must have the same length. "
                f"({self.module_name}: got {len(strides)} strides {tuple(strides)} and "
                f"{len(channels)} channels {tuple(channels)}.)")
        self.strides = strides
        self.channels = channels
        self.use_bn = use_bn
        self.with_bias = not use_bn
        self.num_classes = num_classes

    def __call__(self, inputs: jax.Array, is_training: bool) -> jax.Array:
        """Computes the logits of ``[N, H, W, C]`` images.

        Args:
          inputs: Images, channels last.
          is_training: Whether batch normalisation uses (and updates) batch
            statistics.

        Returns:
          The logits, ``[N, num_classes]``.
        """
        out = Conv2D(output_channels=32, kernel_shape=(3, 3), stride=2, padding="VALID",
                     with_bias=self.with_bias)(inputs)
        if self.use_bn:
            out = _batch_norm()(out, is_training)
        out = jax.nn.relu(out)
        for stride, channels in zip(self.strides, self.channels):
            out = MobileNetV1Block(channels, stride, self.use_bn)(out, is_training)
        out = jnp.mean(out, axis=(1, 2))
        out = Flatten()(out)
        return Linear(self.num_classes, name="logits")(out)
