"""Models of the checkpoint tests, written against the public ``hk`` API.

``MODELS`` is ``{name: (fn, input_shape)}`` with ``fn(x, is_training)``:
``tests/golden/make_dm_haiku_checkpoints.py`` trains them a little under
dm-haiku 0.0.17 to write ``tests/golden/dm_haiku_checkpoints.npz``, and
``checkpoint_scenarios.py`` runs them from those checkpoints under both
libraries. ``save_npz``/``load_npz`` are the ``numpy.savez`` recipe of
``tests/test_checkpoints.py``, shared with ``tests/test_fuzz.py``.
"""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np


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


def save_npz(path, tree):
    """Saves a params/state tree as ``module/name`` arrays (bfloat16 as uint16 + marker)."""
    flat = {}
    for module, bundle in tree.items():
        for name, value in bundle.items():
            value = np.asarray(value)
            if value.dtype == jnp.bfloat16:
                flat[f"{module}/{name}:bfloat16"] = value.view(np.uint16)
            else:
                flat[f"{module}/{name}"] = value
    np.savez(path, **flat)


def load_npz(path):
    """Loads what :func:`save_npz` wrote, in the same order, never unpickling."""
    tree: dict[str, dict[str, jax.Array]] = {}
    with np.load(path, allow_pickle=False) as data:
        for key in data.files:
            value = data[key]
            if key.endswith(":bfloat16"):
                key, value = key[: -len(":bfloat16")], value.view(jnp.bfloat16)
            module, _, name = key.rpartition("/")
            tree.setdefault(module, {})[name] = jnp.asarray(value)
    return tree
