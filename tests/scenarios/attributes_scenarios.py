"""The public instance attributes of every official module, after ``__init__`` and after a call.

Public ``hk`` API only: ``tests/test_public_attributes_oracle.py`` runs each
under our haiku and under dm-haiku 0.0.17. A scenario returns, for both
moments, each public attribute (a name in the instance's ``__dict__`` that
does not start with ``_``) with a description of its value: the value itself
for ``None``, bools, numbers, strings and tuples or lists of them; otherwise
its kind (``"array (3, 2) float32"``, ``"module linear"``, ``"callable"``,
``"other <type>"``).
"""

import jax
import jax.numpy as jnp
import numpy as np

import haiku as hk

_SCALARS = (type(None), bool, int, float, str)


def _describe(value):
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, (tuple, list)) and all(isinstance(v, _SCALARS) for v in value):
        return list(value)
    if isinstance(value, (jax.Array, np.ndarray)):
        return f"array {tuple(value.shape)} {value.dtype}"
    if isinstance(value, hk.Module):
        return f"module {value.module_name}"
    if callable(value):
        return "callable"
    return f"other {type(value).__name__}"


def _public(module):
    return {k: _describe(v) for k, v in sorted(vars(module).items()) if not k.startswith("_")}


def _attributes(make, *inputs, is_training=None, state=None, rng=True):
    """``{"init": ..., "call": ...}`` for ``make()`` called on ``inputs``."""
    seen = {}

    def fn():
        module = make()
        seen["init"] = _public(module)
        args = [jax.tree.map(jnp.asarray, x) for x in inputs]
        if state is not None:
            args.append(state(module, *args))
        kwargs = {} if is_training is None else {"is_training": is_training}
        module(*args, **kwargs)
        seen["call"] = _public(module)

    hk.transform_with_state(fn).init(jax.random.PRNGKey(0) if rng else None)
    return seen


def _image(*shape):
    return np.ones(shape, np.float32)


def _initial_state(module, x):
    return module.initial_state(x.shape[0])


SCENARIOS = {
    "Linear": lambda: _attributes(lambda: hk.Linear(3), _image(2, 4)),
    "Bias": lambda: _attributes(lambda: hk.Bias(), _image(2, 4)),
    "ConvND": lambda: _attributes(lambda: hk.ConvND(2, 3, 3), _image(1, 5, 5, 2)),
    "Conv1D": lambda: _attributes(lambda: hk.Conv1D(3, 3), _image(1, 5, 2)),
    "Conv2D": lambda: _attributes(lambda: hk.Conv2D(3, 3, stride=2), _image(1, 5, 5, 2)),
    "Conv3D": lambda: _attributes(lambda: hk.Conv3D(3, 2), _image(1, 3, 3, 3, 2)),
    "ConvNDTranspose": lambda: _attributes(lambda: hk.ConvNDTranspose(2, 3, 3),
                                           _image(1, 5, 5, 2)),
    "Conv1DTranspose": lambda: _attributes(lambda: hk.Conv1DTranspose(3, 3), _image(1, 5, 2)),
    "Conv2DTranspose": lambda: _attributes(lambda: hk.Conv2DTranspose(3, 3), _image(1, 5, 5, 2)),
    "Conv3DTranspose": lambda: _attributes(lambda: hk.Conv3DTranspose(3, 2),
                                           _image(1, 3, 3, 3, 2)),
    "DepthwiseConv1D": lambda: _attributes(lambda: hk.DepthwiseConv1D(2, 3), _image(1, 5, 2)),
    "DepthwiseConv2D": lambda: _attributes(lambda: hk.DepthwiseConv2D(2, 3), _image(1, 5, 5, 2)),
    "DepthwiseConv3D": lambda: _attributes(lambda: hk.DepthwiseConv3D(2, 2),
                                           _image(1, 3, 3, 3, 2)),
    "SeparableDepthwiseConv2D": lambda: _attributes(
        lambda: hk.SeparableDepthwiseConv2D(4, 2, 3), _image(1, 5, 5, 2)),
    "BatchNorm": lambda: _attributes(lambda: hk.BatchNorm(True, True, 0.9), _image(2, 3),
                                     is_training=True),
    "LayerNorm": lambda: _attributes(lambda: hk.LayerNorm(-1, True, True), _image(2, 3)),
    "InstanceNorm": lambda: _attributes(lambda: hk.InstanceNorm(True, True), _image(1, 4, 4, 3)),
    "GroupNorm": lambda: _attributes(lambda: hk.GroupNorm(2), _image(1, 4, 4, 4)),
    "RMSNorm": lambda: _attributes(lambda: hk.RMSNorm(-1), _image(2, 3)),
    "SpectralNorm": lambda: _attributes(lambda: hk.SpectralNorm(), _image(3, 4)),
    "SNParamsTree": lambda: _attributes(lambda: hk.SNParamsTree(), {"m": {"w": _image(3, 4)}}),
    "ExponentialMovingAverage": lambda: _attributes(
        lambda: hk.ExponentialMovingAverage(0.9), _image(3)),
    "EMAParamsTree": lambda: _attributes(lambda: hk.EMAParamsTree(0.9), {"m": {"w": _image(3)}}),
    "MultiHeadAttention": lambda: _attributes(
        lambda: hk.MultiHeadAttention(2, 3, w_init=hk.initializers.Constant(0.1)),
        _image(4, 5), _image(4, 5), _image(4, 5)),
    "Reshape": lambda: _attributes(lambda: hk.Reshape((-1,)), _image(2, 3, 4)),
    "Flatten": lambda: _attributes(lambda: hk.Flatten(), _image(2, 3, 4)),
    "Embed": lambda: _attributes(lambda: hk.Embed(5, 3), np.array([1, 2])),
    "Sequential": lambda: _attributes(lambda: hk.Sequential([hk.Linear(2), jax.nn.relu]),
                                      _image(2, 3)),
    "AvgPool": lambda: _attributes(lambda: hk.AvgPool(2, 2, "VALID"), _image(1, 4, 4, 2)),
    "MaxPool": lambda: _attributes(lambda: hk.MaxPool(2, 2, "VALID"), _image(1, 4, 4, 2)),
    "nets.MLP": lambda: _attributes(lambda: hk.nets.MLP([3, 2]), _image(2, 4)),
    "nets.MobileNetV1": lambda: _attributes(lambda: hk.nets.MobileNetV1(num_classes=3),
                                            _image(1, 8, 8, 3), is_training=True),
    "nets.ResNet18": lambda: _attributes(lambda: hk.nets.ResNet18(3), _image(1, 8, 8, 3),
                                         is_training=True),
    "nets.VectorQuantizer": lambda: _attributes(
        lambda: hk.nets.VectorQuantizer(3, 4, 0.25), _image(2, 3), is_training=True),
    "nets.VectorQuantizerEMA": lambda: _attributes(
        lambda: hk.nets.VectorQuantizerEMA(3, 4, 0.25, 0.9), _image(2, 3), is_training=True),
    "VanillaRNN": lambda: _attributes(lambda: hk.VanillaRNN(3), _image(2, 4),
                                      state=_initial_state),
    "LSTM": lambda: _attributes(lambda: hk.LSTM(3), _image(2, 4), state=_initial_state),
    "GRU": lambda: _attributes(lambda: hk.GRU(3), _image(2, 4), state=_initial_state),
    "DeepRNN": lambda: _attributes(lambda: hk.DeepRNN([hk.LSTM(3), jax.nn.relu, hk.GRU(2)]),
                                   _image(2, 4), state=_initial_state),
    "ResetCore": lambda: _attributes(
        lambda: hk.ResetCore(hk.LSTM(3)), (_image(2, 4), np.array([True, False])),
        state=lambda module, x: module.initial_state(2)),
    "IdentityCore": lambda: _attributes(lambda: hk.IdentityCore(), _image(2, 4),
                                        state=_initial_state),
    "Conv1DLSTM": lambda: _attributes(lambda: hk.Conv1DLSTM((5,), 2, 3), _image(1, 5, 2),
                                      state=_initial_state),
    "Conv2DLSTM": lambda: _attributes(lambda: hk.Conv2DLSTM((4, 4), 2, 3), _image(1, 4, 4, 2),
                                      state=_initial_state),
    "Deferred": lambda: _attributes(lambda: hk.Deferred(lambda: hk.Linear(3)), _image(2, 4)),
}
