"""Models of the checkpoint tests, written against the public ``hk`` API.

Shared by make_dm_haiku_checkpoints.py (run under dm-haiku 0.0.17) and
tests/test_checkpoints.py (run under our haiku): ``{name: (fn, input_shape)}``
with ``fn(x, is_training)``.
"""

from __future__ import annotations

import haiku as hk
import jax


def mlp(x, is_training):
    del is_training
    return hk.nets.MLP([5, 4, 3], activation=jax.nn.tanh)(x)


def resnet(x, is_training):
    net = hk.nets.ResNet(
        (1, 1, 1, 1), 3, bottleneck=False, channels_per_group=(4, 4, 8, 8),
        logits_config={"w_init": hk.initializers.VarianceScaling(1.0)},
        initial_conv_config={"output_channels": 4})
    return net(x, is_training)


def conv_bn(x, is_training):
    x = hk.Conv2D(4, 3)(x)
    x = hk.BatchNorm(True, True, 0.9)(x, is_training)
    return hk.Linear(2)(hk.Flatten()(jax.nn.relu(x)))


MODELS = {
    "mlp": (mlp, (2, 6)),
    "resnet": (resnet, (2, 8, 8, 2)),
    "conv_bn": (conv_bn, (3, 4, 4, 2)),
}
