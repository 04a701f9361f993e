"""Writes conformance_oracle_trees.json: dm-haiku 0.0.17's params/state trees.

Run it with the oracle's interpreter, the one with dm-haiku 0.0.17 (a test
venv prints it: ``python -c "import haiku_oracle; print(haiku_oracle.oracle_python()[0])"``).
It stores names, order, shapes and dtypes only, which no CPU changes. The factories
repeat, with the same arguments and input shapes, some of the conformance
examples of haiku-nets and haiku-rnn (their ``_conformance.py``);
tests/test_conformance.py checks that our golden files hold these trees
(names, order, shapes, dtypes).
"""

from __future__ import annotations

import json
from pathlib import Path

import haiku as hk
import jax
import jax.numpy as jnp

VI = hk.initializers.VarianceScaling(1.0)


def unrolled(make_core):
    def fn(xs):
        core = make_core()
        return hk.dynamic_unroll(core, xs, core.initial_state(xs.shape[1]))
    return fn


def reset_fn(xs, resets):
    core = hk.ResetCore(hk.LSTM(3))
    return hk.dynamic_unroll(core, (xs, resets), core.initial_state(xs.shape[1]))


f32 = jnp.float32
CASES = {
    "nets:Linear": (lambda x: hk.Linear(3)(x), [((2, 4), f32)]),
    "nets:Conv2D": (lambda x: hk.Conv2D(3, 3, stride=2)(x), [((1, 5, 5, 2), f32)]),
    "nets:SeparableDepthwiseConv2D": (lambda x: hk.SeparableDepthwiseConv2D(2, 3)(x),
                                      [((1, 4, 4, 2), f32)]),
    "nets:MultiHeadAttention": (lambda q, k, v: hk.MultiHeadAttention(2, 3, w_init=VI)(q, k, v),
                                [((3, 4), f32), ((2, 5), f32), ((2, 6), f32)]),
    "nets:BatchNorm": (lambda x: hk.BatchNorm(True, True, 0.9)(x, is_training=True),
                       [((4, 3), f32)]),
    "nets:MLP": (lambda x: hk.nets.MLP([4, 3])(x), [((2, 3), f32)]),
    "nets:ResNet": (lambda x: hk.nets.ResNet(
        (1, 1, 1, 1), 3, bottleneck=False, channels_per_group=(4, 4, 4, 4),
        logits_config={"w_init": VI}, initial_conv_config={"output_channels": 4},
        strides=(1, 1, 1, 1))(x, is_training=True), [((2, 4, 4, 1), f32)]),
    "nets:MobileNetV1": (lambda x: hk.nets.MobileNetV1(strides=(1, 2), channels=(4, 4),
                                                       num_classes=3)(x, is_training=True),
                         [((2, 4, 4, 1), f32)]),
    "nets:VectorQuantizerEMA": (
        lambda x: hk.nets.VectorQuantizerEMA(2, 4, 0.25, 0.9)(x, is_training=True),
        [((3, 2), f32)]),
    "nets:SNParamsTree": (lambda w: hk.SNParamsTree()({"mod": {"w": w}}), [((3, 4), f32)]),
    "rnn:LSTM": (unrolled(lambda: hk.LSTM(3)), [((3, 2, 2), f32)]),
    "rnn:DeepRNN": (unrolled(lambda: hk.DeepRNN([hk.LSTM(3), jax.nn.relu, hk.GRU(2)])),
                    [((3, 2, 2), f32)]),
    "rnn:Conv2DLSTM": (unrolled(lambda: hk.Conv2DLSTM((3, 3), 2, 3)), [((2, 1, 3, 3, 2), f32)]),
    "rnn:ResetCore": (reset_fn, [((3, 2, 2), f32), ((3, 2), jnp.bool_)]),
}


def describe(tree):
    return {m: {n: f"{jnp.dtype(v.dtype).name}{list(v.shape)}" for n, v in b.items()}
            for m, b in tree.items()}


def main():
    out = {}
    for key, (fn, specs) in CASES.items():
        inputs = [jnp.zeros(shape, dtype) for shape, dtype in specs]
        params, state = hk.transform_with_state(fn).init(jax.random.PRNGKey(0), *inputs)
        out[key] = {"params": describe(params), "state": describe(state)}
    path = Path(__file__).with_name("conformance_oracle_trees.json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path} ({len(out)} trees)")


if __name__ == "__main__":
    main()
