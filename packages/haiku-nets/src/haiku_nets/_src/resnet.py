"""Residual networks: :class:`ResNet` and ``ResNet18`` ... ``ResNet200``.

He et al., "Deep Residual Learning for Image Recognition"
(https://arxiv.org/abs/1512.03385) for v1 and "Identity Mappings in Deep
Residual Networks" (https://arxiv.org/abs/1603.05027) for v2 (pre-activation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp

from haiku_nets._src.batch_norm import BatchNorm
from haiku_nets._src.conv import Conv2D
from haiku_nets._src.linear import Linear
from haiku_nets._src.pool import max_pool

__all__ = [
    "BlockGroup", "BlockV1", "BlockV2", "ResNet", "ResNet18", "ResNet34", "ResNet50",
    "ResNet101", "ResNet152", "ResNet200",
]

FloatStrOrBool = float | str | bool


def _conv(channels: int, kernel_shape: int, stride: int | Sequence[int], name: str) -> Conv2D:
    return Conv2D(output_channels=channels, kernel_shape=kernel_shape, stride=stride,
                  with_bias=False, padding="SAME", name=name)


def _block_convs(
    channels: int, stride: int | Sequence[int], bottleneck: bool,
) -> list[tuple[int, int, int | Sequence[int]]]:
    """``(output channels, kernel size, stride)`` of each convolution of a block.

    A bottleneck block is 1x1 (a quarter of the channels), 3x3 (strided, a
    quarter), 1x1 (all the channels); a basic block is two 3x3, the first
    strided.
    """
    if bottleneck:
        return [(channels // 4, 1, 1), (channels // 4, 3, stride), (channels, 1, 1)]
    return [(channels, 3, stride), (channels, 3, 1)]


def _block_bn_kwargs(bn_config: Mapping[str, FloatStrOrBool]) -> dict[str, Any]:
    """``bn_config`` with ``create_scale`` and ``create_offset`` defaulting to ``True``."""
    bn_kwargs: dict[str, Any] = dict(bn_config)
    bn_kwargs.setdefault("create_scale", True)
    bn_kwargs.setdefault("create_offset", True)
    return bn_kwargs


class BlockV1(hk.Module):
    """ResNet v1 block (conv, batch norm, ReLU), optionally a bottleneck.

    The residual branch is convolution + batch norm layers with ReLUs in
    between; the shortcut is the input, or its strided 1x1 projection
    (``shortcut_conv`` + ``shortcut_batchnorm``) when ``use_projection``. The
    output is ``relu(branch + shortcut)``. The last batch norm of a bottleneck
    starts with a zero scale, so the block starts as (nearly) the shortcut.

    >>> bn_config = {"decay_rate": 0.9}  # create_scale, create_offset: True
    >>> block = hk.nets.ResNet.BlockV1(
    ...     channels=8, stride=2, use_projection=True, bn_config=bn_config,
    ...     bottleneck=False)
    >>> hk.eval_shape(lambda x: block(x, True, False), jnp.ones([2, 8, 8, 4])).shape
    (2, 4, 4, 8)
    """

    def __init__(
        self,
        channels: int,
        stride: int | Sequence[int],
        use_projection: bool,
        bn_config: Mapping[str, FloatStrOrBool],
        bottleneck: bool,
        name: str | None = None,
    ):
        """Constructs a v1 block.

        Args:
          channels: Output channels of the block.
          stride: Stride of the block's strided convolution (and projection).
          use_projection: Whether the shortcut is a 1x1 convolution + batch
            norm (needed when the shape changes) instead of the identity.
          bn_config: Keyword arguments of every :class:`~haiku.BatchNorm`;
            ``create_scale`` and ``create_offset`` default to ``True`` and
            ``decay_rate`` to 0.999.
          bottleneck: Whether to use the three-convolution bottleneck design.
          name: Name of the module.
        """
        super().__init__(name=name)
        self.use_projection = use_projection
        bn_kwargs = _block_bn_kwargs(bn_config)
        bn_kwargs.setdefault("decay_rate", 0.999)
        if use_projection:
            self.proj_conv = _conv(channels, 1, stride, "shortcut_conv")
            self.proj_batchnorm = BatchNorm(name="shortcut_batchnorm", **bn_kwargs)
        layers = []
        specs = _block_convs(channels, stride, bottleneck)
        for index, (out_channels, kernel, conv_stride) in enumerate(specs):
            config = dict(bn_kwargs)
            if bottleneck and index == 2:
                config["scale_init"] = jnp.zeros
            layers.append((_conv(out_channels, kernel, conv_stride, f"conv_{index}"),
                           BatchNorm(name=f"batchnorm_{index}", **config)))
        self.layers = tuple(layers)

    def __call__(self, inputs: jax.Array, is_training: bool, test_local_stats: bool) -> jax.Array:
        """Applies the block to ``[N, H, W, C]`` inputs."""
        out = shortcut = inputs
        if self.use_projection:
            shortcut = self.proj_conv(shortcut)
            shortcut = self.proj_batchnorm(shortcut, is_training, test_local_stats)
        last = len(self.layers) - 1
        for index, (conv, batchnorm) in enumerate(self.layers):
            out = conv(out)
            out = batchnorm(out, is_training, test_local_stats)
            if index < last:
                out = jax.nn.relu(out)
        return jax.nn.relu(out + shortcut)


class BlockV2(hk.Module):
    """ResNet v2 (pre-activation) block: batch norm, ReLU, conv; optionally a bottleneck.

    Each layer of the residual branch normalises and activates its input
    before its convolution; the output is ``branch + shortcut`` with no final
    activation. With ``use_projection`` the shortcut is a strided 1x1
    convolution (``shortcut_conv``) of the first activated input.

    >>> bn_config = {"decay_rate": 0.9}  # create_scale, create_offset: True
    >>> block = hk.nets.ResNet.BlockV2(
    ...     channels=16, stride=1, use_projection=True, bn_config=bn_config,
    ...     bottleneck=True)
    >>> hk.eval_shape(lambda x: block(x, True, False), jnp.ones([2, 8, 8, 4])).shape
    (2, 8, 8, 16)
    """

    def __init__(
        self,
        channels: int,
        stride: int | Sequence[int],
        use_projection: bool,
        bn_config: Mapping[str, FloatStrOrBool],
        bottleneck: bool,
        name: str | None = None,
    ):
        """Constructs a v2 block.

        Args:
          channels: Output channels of the block.
          stride: Stride of the block's strided convolution (and projection).
          use_projection: Whether the shortcut is a 1x1 convolution (needed
            when the shape changes) instead of the identity.
          bn_config: Keyword arguments of every :class:`~haiku.BatchNorm`;
            ``create_scale`` and ``create_offset`` default to ``True`` (it
            must give ``decay_rate``).
          bottleneck: Whether to use the three-convolution bottleneck design.
          name: Name of the module.
        """
        super().__init__(name=name)
        self.use_projection = use_projection
        bn_kwargs = _block_bn_kwargs(bn_config)
        if use_projection:
            self.proj_conv = _conv(channels, 1, stride, "shortcut_conv")
        self.layers = tuple(
            (_conv(out_channels, kernel, conv_stride, f"conv_{index}"),
             BatchNorm(name=f"batchnorm_{index}", **bn_kwargs))
            for index, (out_channels, kernel, conv_stride)
            in enumerate(_block_convs(channels, stride, bottleneck)))

    def __call__(self, inputs: jax.Array, is_training: bool, test_local_stats: bool) -> jax.Array:
        """Applies the block to ``[N, H, W, C]`` inputs."""
        out = shortcut = inputs
        for index, (conv, batchnorm) in enumerate(self.layers):
            out = batchnorm(out, is_training, test_local_stats)
            out = jax.nn.relu(out)
            if index == 0 and self.use_projection:
                shortcut = self.proj_conv(out)
            out = conv(out)
        return out + shortcut


class BlockGroup(hk.Module):
    """``num_blocks`` ResNet blocks; only the first one strides and projects.

    >>> bn_config = {"decay_rate": 0.9}  # create_scale, create_offset: True
    >>> group = hk.nets.ResNet.BlockGroup(
    ...     channels=8, num_blocks=2, stride=2, bn_config=bn_config, resnet_v2=False,
    ...     bottleneck=False, use_projection=True)
    >>> hk.eval_shape(lambda x: group(x, True, False), jnp.ones([2, 8, 8, 4])).shape
    (2, 4, 4, 8)
    >>> [block.name for block in group.blocks]
    ['block_0', 'block_1']
    """

    def __init__(
        self,
        channels: int,
        num_blocks: int,
        stride: int | Sequence[int],
        bn_config: Mapping[str, FloatStrOrBool],
        resnet_v2: bool,
        bottleneck: bool,
        use_projection: bool,
        name: str | None = None,
    ):
        """Constructs a group of blocks.

        Args:
          channels: Output channels of every block.
          num_blocks: Number of blocks, named ``block_0``, ``block_1``, ...
          stride: Stride of the first block (the others have stride 1).
          bn_config: Keyword arguments of every :class:`~haiku.BatchNorm`.
          resnet_v2: Whether the blocks are :class:`BlockV2` (else
            :class:`BlockV1`).
          bottleneck: Whether the blocks are bottlenecks.
          use_projection: Whether the first block projects its shortcut.
          name: Name of the module.
        """
        super().__init__(name=name)
        block_cls = BlockV2 if resnet_v2 else BlockV1
        self.blocks = [
            block_cls(channels=channels, stride=(1 if index else stride),
                      use_projection=(index == 0 and use_projection),
                      bottleneck=bottleneck, bn_config=bn_config, name=f"block_{index}")
            for index in range(num_blocks)]

    def __call__(self, inputs: jax.Array, is_training: bool, test_local_stats: bool) -> jax.Array:
        """Applies the blocks in order."""
        out = inputs
        for block in self.blocks:
            out = block(out, is_training, test_local_stats)
        return out


def _check_length(module: hk.Module, length: int, value: Sequence[Any], name: str) -> None:
    if len(value) != length:
        raise ValueError(
            f"`{name}` must be of length {length} not {len(value)} ({module.module_name}: "
            f"got {tuple(value)}, one entry per block group).")


class ResNet(hk.Module):
    """ResNet model: a configurable v1 or v2 residual network for images.

    The network is an initial convolution (7x7, stride 2, 64 channels by
    default; then batch norm and ReLU for v1), a 3x3 stride-2 max pool, four
    groups of residual blocks, (for v2: batch norm and ReLU,) global average
    pooling and a linear ``logits`` layer whose weights start at zero. Every
    :class:`~haiku.BatchNorm` uses ``bn_config`` (by default decay 0.9,
    eps 1e-5, with scale and offset).

    >>> net = hk.nets.ResNet(
    ...     blocks_per_group=(1, 1, 1, 1), num_classes=10,
    ...     channels_per_group=(16, 32, 64, 128))
    >>> hk.eval_shape(lambda x: net(x, is_training=True), jnp.ones([2, 32, 32, 3]))
    ShapeDtypeStruct(shape=(2, 10), dtype=float32)

    ``ResNet18`` ... ``ResNet200`` are this class with the configurations of
    ``ResNet.CONFIGS``; ``ResNet.BlockGroup``, ``ResNet.BlockV1`` and
    ``ResNet.BlockV2`` are its building blocks.
    """

    CONFIGS: dict[int, dict[str, Any]] = {
        18: {"blocks_per_group": (2, 2, 2, 2), "bottleneck": False,
             "channels_per_group": (64, 128, 256, 512),
             "use_projection": (False, True, True, True)},
        34: {"blocks_per_group": (3, 4, 6, 3), "bottleneck": False,
             "channels_per_group": (64, 128, 256, 512),
             "use_projection": (False, True, True, True)},
        50: {"blocks_per_group": (3, 4, 6, 3), "bottleneck": True,
             "channels_per_group": (256, 512, 1024, 2048),
             "use_projection": (True, True, True, True)},
        101: {"blocks_per_group": (3, 4, 23, 3), "bottleneck": True,
              "channels_per_group": (256, 512, 1024, 2048),
              "use_projection": (True, True, True, True)},
        152: {"blocks_per_group": (3, 8, 36, 3), "bottleneck": True,
              "channels_per_group": (256, 512, 1024, 2048),
              "use_projection": (True, True, True, True)},
        200: {"blocks_per_group": (3, 24, 36, 3), "bottleneck": True,
              "channels_per_group": (256, 512, 1024, 2048),
              "use_projection": (True, True, True, True)},
    }

    BlockGroup = BlockGroup
    BlockV1 = BlockV1
    BlockV2 = BlockV2

    def __init__(
        self,
        blocks_per_group: Sequence[int],
        num_classes: int,
        bn_config: Mapping[str, FloatStrOrBool] | None = None,
        resnet_v2: bool = False,
        bottleneck: bool = True,
        channels_per_group: Sequence[int] = (256, 512, 1024, 2048),
        use_projection: Sequence[bool] = (True, True, True, True),
        logits_config: Mapping[str, Any] | None = None,
        name: str | None = None,
        initial_conv_config: Mapping[str, FloatStrOrBool] | None = None,
        strides: Sequence[int] = (1, 2, 2, 2),
    ):
        """Constructs a ResNet model.

        Args:
          blocks_per_group: The number of blocks in each of the 4 groups.
          num_classes: The number of classes to classify the inputs into.
          bn_config: Keyword arguments of every :class:`~haiku.BatchNorm`;
            ``decay_rate`` defaults to 0.9, ``eps`` to 1e-5, ``create_scale``
            and ``create_offset`` to ``True``.
          resnet_v2: Whether to use the v2 (pre-activation) design.
          bottleneck: Whether the blocks are bottlenecks.
          channels_per_group: The output channels of the blocks of each group.
          use_projection: For each group, whether its first block projects
            its shortcut.
          logits_config: Keyword arguments of the logits
            :class:`~haiku.Linear`; ``w_init`` defaults to zeros and ``name``
            to ``"logits"``.
          name: Name of the module.
          initial_conv_config: Keyword arguments of the initial
            :class:`~haiku.Conv2D`; by default 64 output channels, kernel 7,
            stride 2, no bias, ``"SAME"`` padding, named ``"initial_conv"``.
          strides: The stride of the first block of each group.

        Raises:
          ValueError: If ``blocks_per_group``, ``channels_per_group`` or
            ``strides`` is not of length 4.
          IndexError: If ``use_projection`` has fewer than 4 entries (extra
            ones are ignored).
        """
        super().__init__(name=name)
        self.resnet_v2 = resnet_v2

        bn_kwargs: dict[str, Any] = dict(bn_config or {})
        bn_kwargs.setdefault("decay_rate", 0.9)
        bn_kwargs.setdefault("eps", 1e-5)
        bn_kwargs.setdefault("create_scale", True)
        bn_kwargs.setdefault("create_offset", True)

        logits_kwargs: dict[str, Any] = dict(logits_config or {})
        logits_kwargs.setdefault("w_init", jnp.zeros)
        logits_kwargs.setdefault("name", "logits")

        _check_length(self, 4, blocks_per_group, "blocks_per_group")
        _check_length(self, 4, channels_per_group, "channels_per_group")
        if len(use_projection) < 4:
            raise IndexError(
                f"index out of range: `use_projection` needs an entry for each of the 4 block "
                f"groups ({self.module_name}: got {tuple(use_projection)}).")
        _check_length(self, 4, strides, "strides")

        conv_kwargs: dict[str, Any] = dict(initial_conv_config or {})
        conv_kwargs.setdefault("output_channels", 64)
        conv_kwargs.setdefault("kernel_shape", 7)
        conv_kwargs.setdefault("stride", 2)
        conv_kwargs.setdefault("with_bias", False)
        conv_kwargs.setdefault("padding", "SAME")
        conv_kwargs.setdefault("name", "initial_conv")

        self.initial_conv = Conv2D(**conv_kwargs)
        if not resnet_v2:
            self.initial_batchnorm = BatchNorm(name="initial_batchnorm", **bn_kwargs)

        self.block_groups = [
            BlockGroup(channels=channels_per_group[index], num_blocks=blocks_per_group[index],
                       stride=stride, bn_config=bn_kwargs, resnet_v2=resnet_v2,
                       bottleneck=bottleneck, use_projection=use_projection[index],
                       name=f"block_group_{index}")
            for index, stride in enumerate(strides)]

        if resnet_v2:
            self.final_batchnorm = BatchNorm(name="final_batchnorm", **bn_kwargs)
        self.logits = Linear(num_classes, **logits_kwargs)

    def __call__(
        self,
        inputs: jax.Array,
        is_training: bool,
        test_local_stats: bool = False,
    ) -> jax.Array:
        """Computes the logits of ``[N, H, W, C]`` images.

        Args:
          inputs: Images, channels last.
          is_training: Whether batch normalisation uses (and updates) batch
            statistics.
          test_local_stats: In test mode, whether batch normalisation uses the
            batch statistics instead of the moving averages.

        Returns:
          The logits, ``[N, num_classes]``.
        """
        out = self.initial_conv(inputs)
        if not self.resnet_v2:
            out = self.initial_batchnorm(out, is_training, test_local_stats)
            out = jax.nn.relu(out)
        out = max_pool(out, window_shape=(1, 3, 3, 1), strides=(1, 2, 2, 1), padding="SAME")
        for block_group in self.block_groups:
            out = block_group(out, is_training, test_local_stats)
        if self.resnet_v2:
            out = self.final_batchnorm(out, is_training, test_local_stats)
            out = jax.nn.relu(out)
        out = jnp.mean(out, axis=(1, 2))
        return self.logits(out)


class ResNet18(ResNet):
    """ResNet18: :class:`ResNet` with ``ResNet.CONFIGS[18]``.

    (2, 2, 2, 2) basic blocks per group, with (64, 128, 256, 512) channels.

    >>> net = hk.nets.ResNet18(num_classes=10)
    >>> net.name
    'res_net18'
    >>> [len(group.blocks) for group in net.block_groups]
    [2, 2, 2, 2]
    """

    def __init__(
        self,
        num_classes: int,
        bn_config: Mapping[str, FloatStrOrBool] | None = None,
        resnet_v2: bool = False,
        logits_config: Mapping[str, Any] | None = None,
        name: str | None = None,
        initial_conv_config: Mapping[str, FloatStrOrBool] | None = None,
        strides: Sequence[int] = (1, 2, 2, 2),
    ):
        """Constructs a ResNet18 (arguments as for :class:`ResNet`)."""
        super().__init__(
            num_classes=num_classes, bn_config=bn_config, resnet_v2=resnet_v2,
            logits_config=logits_config, name=name, initial_conv_config=initial_conv_config,
            strides=strides, **ResNet.CONFIGS[18])


class ResNet34(ResNet):
    """ResNet34: :class:`ResNet` with ``ResNet.CONFIGS[34]``.

    (3, 4, 6, 3) basic blocks per group, with (64, 128, 256, 512) channels.

    >>> net = hk.nets.ResNet34(num_classes=10)
    >>> net.name
    'res_net34'
    >>> [len(group.blocks) for group in net.block_groups]
    [3, 4, 6, 3]
    """

    def __init__(
        self,
        num_classes: int,
        bn_config: Mapping[str, FloatStrOrBool] | None = None,
        resnet_v2: bool = False,
        logits_config: Mapping[str, Any] | None = None,
        name: str | None = None,
        initial_conv_config: Mapping[str, FloatStrOrBool] | None = None,
        strides: Sequence[int] = (1, 2, 2, 2),
    ):
        """Constructs a ResNet34 (arguments as for :class:`ResNet`)."""
        super().__init__(
            num_classes=num_classes, bn_config=bn_config, resnet_v2=resnet_v2,
            logits_config=logits_config, name=name, initial_conv_config=initial_conv_config,
            strides=strides, **ResNet.CONFIGS[34])


class ResNet50(ResNet):
    """ResNet50: :class:`ResNet` with ``ResNet.CONFIGS[50]``.

    (3, 4, 6, 3) bottleneck blocks per group, with (256, 512, 1024, 2048) channels.

    >>> net = hk.nets.ResNet50(num_classes=10)
    >>> net.name
    'res_net50'
    >>> [len(group.blocks) for group in net.block_groups]
    [3, 4, 6, 3]
    """

    def __init__(
        self,
        num_classes: int,
        bn_config: Mapping[str, FloatStrOrBool] | None = None,
        resnet_v2: bool = False,
        logits_config: Mapping[str, Any] | None = None,
        name: str | None = None,
        initial_conv_config: Mapping[str, FloatStrOrBool] | None = None,
        strides: Sequence[int] = (1, 2, 2, 2),
    ):
        """Constructs a ResNet50 (arguments as for :class:`ResNet`)."""
        super().__init__(
            num_classes=num_classes, bn_config=bn_config, resnet_v2=resnet_v2,
            logits_config=logits_config, name=name, initial_conv_config=initial_conv_config,
            strides=strides, **ResNet.CONFIGS[50])


class ResNet101(ResNet):
    """ResNet101: :class:`ResNet` with ``ResNet.CONFIGS[101]``.

    (3, 4, 23, 3) bottleneck blocks per group, with (256, 512, 1024, 2048) channels.

    >>> net = hk.nets.ResNet101(num_classes=10)
    >>> net.name
    'res_net101'
    >>> [len(group.blocks) for group in net.block_groups]
    [3, 4, 23, 3]
    """

    def __init__(
        self,
        num_classes: int,
        bn_config: Mapping[str, FloatStrOrBool] | None = None,
        resnet_v2: bool = False,
        logits_config: Mapping[str, Any] | None = None,
        name: str | None = None,
        initial_conv_config: Mapping[str, FloatStrOrBool] | None = None,
        strides: Sequence[int] = (1, 2, 2, 2),
    ):
        """Constructs a ResNet101 (arguments as for :class:`ResNet`)."""
        super().__init__(
            num_classes=num_classes, bn_config=bn_config, resnet_v2=resnet_v2,
            logits_config=logits_config, name=name, initial_conv_config=initial_conv_config,
            strides=strides, **ResNet.CONFIGS[101])


class ResNet152(ResNet):
    """ResNet152: :class:`ResNet` with ``ResNet.CONFIGS[152]``.

    (3, 8, 36, 3) bottleneck blocks per group, with (256, 512, 1024, 2048) channels.

    >>> net = hk.nets.ResNet152(num_classes=10)
    >>> net.name
    'res_net152'
    >>> [len(group.blocks) for group in net.block_groups]
    [3, 8, 36, 3]
    """

    def __init__(
        self,
        num_classes: int,
        bn_config: Mapping[str, FloatStrOrBool] | None = None,
        resnet_v2: bool = False,
        logits_config: Mapping[str, Any] | None = None,
        name: str | None = None,
        initial_conv_config: Mapping[str, FloatStrOrBool] | None = None,
        strides: Sequence[int] = (1, 2, 2, 2),
    ):
        """Constructs a ResNet152 (arguments as for :class:`ResNet`)."""
        super().__init__(
            num_classes=num_classes, bn_config=bn_config, resnet_v2=resnet_v2,
            logits_config=logits_config, name=name, initial_conv_config=initial_conv_config,
            strides=strides, **ResNet.CONFIGS[152])


class ResNet200(ResNet):
    """ResNet200: :class:`ResNet` with ``ResNet.CONFIGS[200]``.

    (3, 24, 36, 3) bottleneck blocks per group, with (256, 512, 1024, 2048) channels.

    >>> net = hk.nets.ResNet200(num_classes=10)
    >>> net.name
    'res_net200'
    >>> [len(group.blocks) for group in net.block_groups]
    [3, 24, 36, 3]
    """

    def __init__(
        self,
        num_classes: int,
        bn_config: Mapping[str, FloatStrOrBool] | None = None,
        resnet_v2: bool = False,
        logits_config: Mapping[str, Any] | None = None,
        name: str | None = None,
        initial_conv_config: Mapping[str, FloatStrOrBool] | None = None,
        strides: Sequence[int] = (1, 2, 2, 2),
    ):
        """Constructs a ResNet200 (arguments as for :class:`ResNet`)."""
        super().__init__(
            num_classes=num_classes, bn_config=bn_config, resnet_v2=resnet_v2,
            logits_config=logits_config, name=name, initial_conv_config=initial_conv_config,
            strides=strides, **ResNet.CONFIGS[200])
