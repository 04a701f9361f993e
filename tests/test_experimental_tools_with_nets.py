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
    dot = hk.to_dot(f.apply)(f.init(jax.random.PRNGKey(0), x), None, x)
    labels = re.findall(r'label="([^"]*)";', dot)
    assert labels[:2] == ["mlp (MLP)", "mlp/~/linear_0 (Linear)"]
    assert "mlp/~/linear_1 (Linear)" in labels and "relu" in labels
    assert dot.count('label="dot_general') == 2
    assert dot.count('label="max') == 1  # relu between the two layers only
