"""hk.experimental's summaries and graphs on haiku-nets modules (integration).

The MLP table is dm-haiku 0.0.17's output, character for character (the
oracle printed it with the spec's example; NORMALIZE_WHITESPACE is off here).
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import pytest

import haiku as hk
from haiku.experimental import jaxpr_info

MLP_TABLE = """\
+-------------------------+------------------------------------------+-----------------+------------+------------+---------------+---------------+
| Module                  | Config                                   | Module params   | Input      | Output     |   Param count |   Param bytes |
+=========================+==========================================+=================+============+============+===============+===============+
| mlp (MLP)               | MLP(output_sizes=[300, 100, 10])         |                 | f32[8,784] | f32[8,10]  |       266,610 |       1.07 MB |
+-------------------------+------------------------------------------+-----------------+------------+------------+---------------+---------------+
| mlp/~/linear_0 (Linear) | Linear(output_size=300, name='linear_0') | w: f32[784,300] | f32[8,784] | f32[8,300] |       235,500 |     942.00 KB |
|  └ mlp (MLP)            |                                          | b: f32[300]     |            |            |               |               |
+-------------------------+------------------------------------------+-----------------+------------+------------+---------------+---------------+
| mlp/~/linear_1 (Linear) | Linear(output_size=100, name='linear_1') | w: f32[300,100] | f32[8,300] | f32[8,100] |        30,100 |     120.40 KB |
|  └ mlp (MLP)            |                                          | b: f32[100]     |            |            |               |               |
+-------------------------+------------------------------------------+-----------------+------------+------------+---------------+---------------+
| mlp/~/linear_2 (Linear) | Linear(output_size=10, name='linear_2')  | w: f32[100,10]  | f32[8,100] | f32[8,10]  |         1,010 |       4.04 KB |
|  └ mlp (MLP)            |                                          | b: f32[10]      |            |            |               |               |
+-------------------------+------------------------------------------+-----------------+------------+------------+---------------+---------------+"""

X = jax.ShapeDtypeStruct((8, 784), jnp.float32)
MLP = hk.transform(lambda x: hk.nets.MLP([300, 100, 10])(x))


@pytest.mark.parametrize("how", ["transform", "init", "apply", "raw"])
def test_spec_mlp_table_character_for_character(how):
    f = {"transform": MLP, "init": MLP.init, "apply": MLP.apply,
         "raw": lambda x: hk.nets.MLP([300, 100, 10])(x)}[how]
    assert hk.experimental.tabulate(f)(X) == MLP_TABLE


def test_mlp_numbers_match_tree_size_and_tree_bytes():
    params = jax.eval_shape(MLP.init, jax.random.PRNGKey(0), X)
    total = [i for i in hk.experimental.eval_summary(MLP)(X)
             if i.module_details.module.module_name == "mlp"][0]
    specs = total.module_details.params.values()
    assert sum(s.size for s in specs) == hk.data_structures.tree_size(params) == 266_610
    assert sum(s.nbytes for s in specs) == hk.data_structures.tree_bytes(params) == 1_066_440


def test_to_dot_default_mlp_with_relu():
    """dm-haiku 0.0.17 raises UnexpectedTracerError here (relu is a custom_jvp)."""
    f = hk.transform(lambda x: hk.nets.MLP([3, 2])(x))
    x = jnp.ones([1, 4])
    dot = hk.to_dot(f.apply)(jax.eval_shape(f.init, jax.random.PRNGKey(0), x), None, x)
    labels = re.findall(r'label="([^"]*)";', dot)
    assert labels[:2] == ["mlp (MLP)", "mlp/~/linear_0 (Linear)"]
    assert "mlp/~/linear_1 (Linear)" in labels and "relu" in labels
    assert dot.count('label="dot_general') == 2
    assert dot.count('label="max') == 1  # relu between the two layers only


# Small models over haiku-nets and haiku-rnn modules: name -> (function, input).
def _conv_net(x):
    return hk.Sequential([hk.Conv2D(4, 3), jax.nn.relu, hk.MaxPool(2, 2, "VALID"),
                          hk.Flatten(), hk.Linear(3)])(x)


def _batch_norm(x):
    return hk.BatchNorm(True, True, 0.9)(x, is_training=True)


def _attention(x):
    return hk.MultiHeadAttention(num_heads=2, key_size=3, w_init=hk.initializers.VarianceScaling())(x, x, x)


def _embed(ids):
    return hk.Embed(vocab_size=7, embed_dim=3)(ids)


def _lstm(xs):
    core = hk.LSTM(4)
    outs, _ = hk.dynamic_unroll(core, xs, core.initial_state(xs.shape[1]))
    return outs


def _deep_gru(xs):
    core = hk.DeepRNN([hk.GRU(3), jax.nn.tanh, hk.VanillaRNN(2)])
    outs, _ = hk.static_unroll(core, xs, core.initial_state(xs.shape[1]))
    return outs


def _ema(x):
    return hk.ExponentialMovingAverage(0.9)(hk.Linear(2)(x))


# name -> (function, input, label of the first table row, a module with parameters).
MODELS = {
    "conv_net": (_conv_net, jnp.ones([2, 6, 6, 1]), "sequential (Sequential)", "conv2_d"),
    "batch_norm": (_batch_norm, jnp.ones([4, 3]), "batch_norm (BatchNorm)", "batch_norm"),
    "attention": (_attention, jnp.ones([5, 4]), "multi_head_attention (MultiHeadAttention)",
                  "multi_head_attention"),
    "embed": (_embed, jnp.array([1, 4, 6]), "embed (Embed)", "embed"),
    "lstm": (_lstm, jnp.ones([3, 2, 4]), "lstm (LSTM.initial_state)", "lstm"),
    "deep_gru": (_deep_gru, jnp.ones([2, 1, 3]), "deep_rnn (DeepRNN.initial_state)", "gru"),
    "ema": (_ema, jnp.ones([2, 3]), "linear (Linear)", "linear"),
}


def _modules(info, path=""):
    """(scope path, module) of every module below ``info``."""
    for e in info.expressions:
        if e.submodule is not None:
            sub_path = f"{path}/{e.submodule.name}" if path else e.submodule.name
            yield sub_path, e.submodule
            yield from _modules(e.submodule, sub_path)


@pytest.mark.parametrize("name", list(MODELS))
def test_every_tool_on_nets_and_rnn_modules(name):
    fn, x, first_label, owner = MODELS[name]
    tf = hk.transform_with_state(fn)
    params, state = jax.eval_shape(tf.init, jax.random.PRNGKey(0), x)  # no compilation
    owned = hk.data_structures.filter(
        lambda m, n, v: m == owner or m.startswith(owner + "/"), params)
    assert owned

    calls = hk.experimental.eval_summary(tf)(x)
    # Every parameter shows up in the calls, with its shape and dtype.
    seen = {}
    for c in calls:
        seen.update(c.module_details.params)
    flat = {f"{m}/{n}": v for m, b in params.items() for n, v in b.items()}
    assert seen == {k: hk.experimental.ArraySpec.from_array(v) for k, v in flat.items()}
    [details] = {id(c.module_details.module): c.module_details for c in calls
                 if c.module_details.module.module_name == owner}.values()
    assert sum(s.size for s in details.params.values()) == hk.data_structures.tree_size(owned)
    assert sum(s.nbytes for s in details.params.values()) == hk.data_structures.tree_bytes(owned)
    table = hk.experimental.tabulate(tf)(x)
    assert table.splitlines()[3].startswith(f"| {first_label} ")

    dot = hk.to_dot(tf.apply)(params, state, jax.random.PRNGKey(1), x)
    labels = re.findall(r'^\s*label="([^"]*)";$', dot, flags=re.M)
    assert first_label in labels

    info = jaxpr_info.make_model_info(tf.apply, compute_flops=jaxpr_info.estimate_flops)(
        params, state, jax.random.PRNGKey(1), x)
    # As in dm-haiku, a module's counts are shown where its scope path is its
    # name (not under a scan, another module that did not create it, or a
    # method scope such as initial_state).
    sizes = {path: m.total_param_size for path, m in _modules(info) if m.name == owner}
    assert sizes and all(size == (hk.data_structures.tree_size(owned) if path == owner else 0)
                         for path, size in sizes.items())
    assert info.flops > 0
    assert "<li class='hk-module" in jaxpr_info.as_html_page(info, min_flop=0)
