"""Scenarios for the oracle parity of the non-convolution layers of haiku-nets.

Each scenario is a function of no arguments written against the public ``hk``
API only, so the very same code runs under our haiku and, live on the same
machine, under dm-haiku 0.0.17 (``test_layers_oracle_parity.py``, through the
``haiku_oracle`` harness). It returns a flat ``{name: value}`` dict: arrays
(parameters, outputs, dropout masks), or JSON values (shapes, module
attributes).

Inputs come from ``np.random.RandomState`` (stable across NumPy versions);
parameters from ``init`` with fixed PRNG keys.
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Callable
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np


def randn(seed: int, *shape: int, dtype=np.float32) -> np.ndarray:
    return np.random.RandomState(seed).randn(*shape).astype(dtype)


def run(f: Callable[..., Any], *args: Any, seed: int = 0, apply_rng: bool = False) -> dict:
    """Inits and applies ``f``: ``{"params/<module>/<name>": array, "out": output}``."""
    transformed = hk.transform(f)
    params = transformed.init(jax.random.PRNGKey(seed), *args)
    rng = jax.random.PRNGKey(seed + 1) if apply_rng else None
    out = transformed.apply(params, rng, *args)
    result: dict[str, Any] = {}
    for module, bundle in params.items():
        for name, value in bundle.items():
            result[f"params/{module}/{name}"] = value
    result["param_order"] = [f"{m}/{n}" for m, b in params.items() for n in b]
    leaves, _ = jax.tree_util.tree_flatten(out)
    for i, leaf in enumerate(leaves):
        result[f"out/{i}"] = leaf
    return result


# Pooling ---------------------------------------------------------------------

POOL_CASES = {
    # name: (input shape, window_shape, strides, channel_axis)
    "int_w2_s2": ((2, 5, 6, 3), 2, 2, -1),
    "int_w3_s1": ((2, 5, 6, 3), 3, 1, -1),
    "seq_full": ((2, 7, 6, 3), (1, 3, 3, 1), (1, 2, 2, 1), -1),
    "seq_short": ((2, 5, 6, 3), (3, 3), (2, 2), -1),
    "int_no_channel": ((2, 5, 6, 3), 2, 2, None),
    "int_channel_1": ((2, 3, 6, 5), 2, 2, 1),
    "int_channel_m2": ((2, 5, 6, 3), 3, 2, -2),
    "one_d": ((2, 9, 3), (1, 4, 1), (1, 3, 1), -1),
    "three_d": ((2, 4, 5, 6, 3), 2, (1, 2, 1, 2, 1), -1),
    "unbatched": ((5, 6, 3), (2, 2, 1), (2, 2, 1), -1),
    "big_window": ((1, 4, 4, 1), (1, 5, 5, 1), (1, 3, 3, 1), -1),
}


def _pool_scenario(kind: str, case: str, padding: str, dtype=np.float32):
    shape, window, strides, channel_axis = POOL_CASES[case]

    def scenario():
        x = randn(zlib.crc32(case.encode()) % 1000, *shape).astype(dtype) * 3
        fn = hk.avg_pool if kind == "avg" else hk.max_pool
        out = fn(x, window, strides, padding, channel_axis=channel_axis)
        module = hk.AvgPool if kind == "avg" else hk.MaxPool
        mod_out = run(lambda x: module(window, strides, padding, channel_axis)(x), x)["out/0"]
        return {"out": out, "module_out": mod_out, "shape": list(out.shape)}

    return scenario


def _pool_int_scenario(kind: str, padding: str, dtype):
    def scenario():
        x = np.arange(2 * 5 * 5 * 2).reshape(2, 5, 5, 2).astype(dtype) % 23
        fn = hk.avg_pool if kind == "avg" else hk.max_pool
        out = fn(x, 2, 2, padding)
        return {"out": out, "dtype": str(out.dtype)}

    return scenario


# Dropout ---------------------------------------------------------------------

DROPOUT_CASES = {
    # name: (key seed, shape, rate, broadcast_dims)
    "r05": (0, (4, 6), 0.5, ()),
    "r01": (1, (3, 5, 7), 0.1, ()),
    "r09": (2, (3, 5, 7), 0.9, ()),
    "bcast_0": (3, (4, 6), 0.5, (0,)),
    "bcast_1_neg": (4, (3, 5, 7), 0.3, (-1,)),
    "bcast_both": (5, (3, 5, 7), 0.6, (0, 2)),
    "f16_rate": (6, (4, 6), np.float16(0.3), ()),
    "f32_rate": (7, (4, 6), np.float32(0.25), ()),
}


def _dropout_scenario(case: str):
    seed, shape, rate, bdims = DROPOUT_CASES[case]

    def scenario():
        x = randn(seed, *shape) + 2.0
        key = jax.random.PRNGKey(seed)
        out = hk.dropout(key, rate, x, broadcast_dims=bdims)
        mask = hk.dropout(key, rate, np.ones(shape, np.float32), broadcast_dims=bdims) != 0
        return {"out": out, "mask": mask}

    return scenario


def dropout_dtypes():
    key = jax.random.PRNGKey(11)
    x = randn(11, 4, 6)
    return {
        "bf16": hk.dropout(key, 0.3, jnp.asarray(x, jnp.bfloat16)),
        "f16": hk.dropout(key, 0.3, x.astype(np.float16)),
        "int": hk.dropout(key, 0.5, np.arange(24, dtype=np.int32).reshape(4, 6)),
        "typed_key": hk.dropout(jax.random.key(11), 0.3, x),
        "jit": jax.jit(hk.dropout)(key, 0.3, x),
        "jit_static": jax.jit(hk.dropout, static_argnums=1)(key, 0.3, x),
    }


def dropout_in_transform():
    def f(x):
        return hk.dropout(hk.next_rng_key(), 0.4, x), hk.dropout(hk.next_rng_key(), 0.4, x)

    return run(f, randn(12, 6, 5), apply_rng=True)


# Attention -------------------------------------------------------------------


def _mha(query, key, value, mask=None, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        module = hk.MultiHeadAttention(**kwargs)
    return module(query, key, value, mask=mask)


VS1 = {"w_init": hk.initializers.VarianceScaling(1.0)}


def _causal(*lead, t=5):
    return np.broadcast_to(np.tril(np.ones((t, t), bool)), (*lead, t, t))


ATTENTION_CASES: dict[str, Callable[[], tuple]] = {
    # name: () -> (query, key, value, mask, kwargs)
    "self": lambda: (randn(1, 2, 5, 6),) * 3 + (None, dict(num_heads=2, key_size=4, **VS1)),
    "cross_sizes": lambda: (
        randn(2, 2, 3, 5), randn(3, 2, 4, 6), randn(4, 2, 4, 7), None,
        dict(num_heads=2, key_size=4, value_size=3, model_size=9, **VS1)),
    "w_init_scale": lambda: (randn(5, 2, 5, 6),) * 3 + (None, dict(num_heads=2, key_size=4,
                                                                  w_init_scale=2.0)),
    "no_bias": lambda: (randn(6, 2, 5, 6),) * 3 + (None, dict(num_heads=2, key_size=4,
                                                             with_bias=False, **VS1)),
    "b_init": lambda: (randn(7, 2, 5, 6),) * 3 + (None, dict(
        num_heads=2, key_size=4, b_init=hk.initializers.RandomNormal(0.5),
        w_init=hk.initializers.TruncatedNormal(0.3))),
    "causal_b1": lambda: (randn(8, 2, 5, 6),) * 3 + (_causal(2, 1), dict(num_heads=2,
                                                                        key_size=4, **VS1)),
    "mask_per_head": lambda: (randn(9, 2, 5, 6),) * 3 + (
        np.random.RandomState(9).rand(2, 2, 5, 5) > 0.4, dict(num_heads=2, key_size=4, **VS1)),
    "mask_float": lambda: (randn(10, 2, 5, 6),) * 3 + (
        (np.random.RandomState(10).rand(1, 1, 5, 5) > 0.5).astype(np.float32),
        dict(num_heads=2, key_size=4, **VS1)),
    "mask_full_row": lambda: (randn(11, 2, 5, 6),) * 3 + (
        np.concatenate([np.zeros((1, 1, 1, 5), bool), _causal(1, 1)[:, :, 1:]], axis=2),
        dict(num_heads=2, key_size=4, **VS1)),
    "unbatched": lambda: (randn(12, 5, 6),) * 3 + (_causal(1), dict(num_heads=2, key_size=4,
                                                                    **VS1)),
    "extra_lead": lambda: (randn(13, 2, 3, 5, 6),) * 3 + (_causal(2, 3, 1), dict(
        num_heads=2, key_size=4, **VS1)),
    "bf16": lambda: (randn(14, 2, 5, 6).astype(jnp.bfloat16),) * 3 + (_causal(1, 1), dict(
        num_heads=2, key_size=4, **VS1)),
}


def _attention_scenario(case: str):
    def scenario():
        query, key, value, mask, kwargs = ATTENTION_CASES[case]()
        return run(lambda q, k, v, m: _mha(q, k, v, m, **kwargs), query, key, value, mask)

    return scenario


def attention_attributes():
    out = {}

    def f():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            for name, kwargs in [("default", dict(num_heads=2, key_size=4, **VS1)),
                                 ("sizes", dict(num_heads=2, key_size=4, value_size=3,
                                                model_size=7, **VS1)),
                                 ("scale", dict(num_heads=2, key_size=4, w_init_scale=0.5))]:
                m = hk.MultiHeadAttention(**kwargs)
                out[name] = [m.num_heads, m.key_size, m.value_size, m.model_size, m.with_bias,
                             type(m.w_init).__name__, m.module_name]

    hk.transform(f).init(None)
    return out


# Embedding -------------------------------------------------------------------

IDS = np.array([[0, 3, 9], [4, 4, 1]], np.int32)


def embed_default():
    return run(lambda i: (hk.Embed(10, 4)(i), hk.Embed(10, 4)(i, lookup_style="ONE_HOT")), IDS)


def embed_one_hot_ctor():
    return run(lambda i: hk.Embed(10, 4, lookup_style=hk.EmbedLookupStyle.ONE_HOT,
                                  precision=jax.lax.Precision.DEFAULT)(i), IDS, seed=3)


def embed_matrix():
    matrix = randn(20, 10, 3)

    def f(i):
        e = hk.Embed(embedding_matrix=matrix)
        return e(i), e(i, lookup_style="one_hot"), e(i[0]), e(np.array(7, np.uint8))

    return run(f, IDS)


def embed_w_init():
    return run(lambda i: hk.Embed(10, 4, w_init=hk.initializers.RandomUniform(-1, 1))(i), IDS,
               seed=5)


# Others ----------------------------------------------------------------------


def sequential():
    def f(x):
        mlp = hk.Sequential([hk.Linear(3), jax.nn.relu, hk.Linear(2)])
        nested = hk.Sequential([hk.Linear(3), hk.Sequential([hk.Linear(2)])], name="s")
        return mlp(x), nested(x)

    return run(f, randn(21, 5, 4))


def batch_apply():
    def f(x, y):
        return hk.BatchApply(hk.Linear(5))(x), hk.BatchApply(lambda a, b: a * b)(x, y)

    return run(f, randn(22, 2, 3, 4), randn(23, 4))


def reshape_shapes():
    x = np.ones((1, 2, 3, 4, 5), np.float32)
    out = {}

    def f(x):
        for output_shape, preserve in [((-1, 5), 1), ((-1, 5), 2), ((-1, 5), 4), ((-1, 5), 5),
                                       ((-1, 5), 6), ((-1, 5), -3), ((-1, 5), -5),
                                       ((-1, 5), -6), ((6, -1), 1), ((2, -1, 2), 1)]:
            out[f"reshape {output_shape} {preserve}"] = list(
                hk.Reshape(output_shape, preserve_dims=preserve)(x).shape)
        for preserve in [1, 2, 5, 6, -1, -2, -5, -6]:
            out[f"flatten {preserve}"] = list(hk.Flatten(preserve_dims=preserve)(x).shape)
        out["flatten rank1"] = list(hk.Flatten()(x[0, 0, 0, 0]).shape)
        out["flatten -2 rank1"] = list(hk.Flatten(preserve_dims=-2)(x[0, 0, 0, 0]).shape)
        return x

    hk.transform(f).apply({}, None, x)
    return out


def linear_precision():
    x = randn(24, 3, 7)

    def f(x):
        lin = hk.Linear(5)
        return (lin(x), lin(x, precision=jax.lax.Precision.HIGHEST),
                lin(x, precision=jax.lax.Precision.DEFAULT),
                hk.Linear(2, with_bias=False)(x.astype(jnp.bfloat16)))

    return run(f, x)


def bias_variants():
    x = randn(25, 2, 3, 4, 5)

    def f(x):
        outs = []
        for dims in [None, [-1], [1, 3]]:
            b = hk.Bias(bias_dims=dims, b_init=hk.initializers.RandomNormal())
            outs.append(b(x))
            outs.append(b(x, multiplier=-1))
            outs.append(b(x, multiplier=np.float32(0.5)))
        outs.append(hk.Bias(output_size=(3, 4, 5), b_init=hk.initializers.RandomNormal())(x))
        return outs

    return run(f, x)


def mixed_precision():
    """bf16 compute policies on every layer with parameters, and on the pools."""
    import jmp

    policy = jmp.get_policy("params=float32,compute=bfloat16,output=float32")
    classes = [hk.MultiHeadAttention, hk.Embed, hk.Linear, hk.Bias, hk.MaxPool, hk.AvgPool,
               hk.Sequential, hk.Flatten]
    x = randn(30, 2, 4, 6)
    ids = IDS

    def f(x, ids):
        mha = hk.MultiHeadAttention(2, 3, w_init=hk.initializers.VarianceScaling(1.0))
        seq = hk.Sequential([hk.Linear(5), jax.nn.relu, hk.Bias()])
        return {
            "mha": mha(x, x, x, mask=_causal(1, 1, t=4)),
            "embed": hk.Embed(10, 3)(ids),
            "embed_one_hot": hk.Embed(10, 3, lookup_style="ONE_HOT")(ids),
            "seq": seq(x),
            "max": hk.MaxPool(2, 1, "SAME")(x),
            "avg": hk.AvgPool(2, 1, "SAME")(x),
            "flatten": hk.Flatten()(x),
        }

    for cls in classes:
        hk.mixed_precision.set_policy(cls, policy)
    try:
        result = run(f, x, ids)
    finally:
        for cls in classes:
            hk.mixed_precision.clear_policy(cls)
    return result


SCENARIOS: dict[str, Callable[[], dict]] = {}
for _kind in ("avg", "max"):
    for _case in POOL_CASES:
        for _padding in ("SAME", "VALID"):
            SCENARIOS[f"pool_{_kind}_{_case}_{_padding}"] = _pool_scenario(_kind, _case, _padding)
    for _padding in ("SAME", "VALID"):
        for _dtype in ("bfloat16", "float16"):
            SCENARIOS[f"pool_{_kind}_seq_full_{_padding}_{_dtype}"] = _pool_scenario(
                _kind, "seq_full", _padding, jnp.dtype(_dtype))
        for _dtype in ("int32", "uint8"):
            SCENARIOS[f"pool_{_kind}_{_dtype}_{_padding}"] = _pool_int_scenario(
                _kind, _padding, _dtype)
for _case in DROPOUT_CASES:
    SCENARIOS[f"dropout_{_case}"] = _dropout_scenario(_case)
SCENARIOS["dropout_dtypes"] = dropout_dtypes
SCENARIOS["dropout_in_transform"] = dropout_in_transform
for _case in ATTENTION_CASES:
    SCENARIOS[f"attention_{_case}"] = _attention_scenario(_case)
SCENARIOS["attention_attributes"] = attention_attributes
SCENARIOS["embed_default"] = embed_default
SCENARIOS["embed_one_hot_ctor"] = embed_one_hot_ctor
SCENARIOS["embed_matrix"] = embed_matrix
SCENARIOS["embed_w_init"] = embed_w_init
SCENARIOS["sequential"] = sequential
SCENARIOS["batch_apply"] = batch_apply
SCENARIOS["reshape_shapes"] = reshape_shapes
SCENARIOS["linear_precision"] = linear_precision
SCENARIOS["bias_variants"] = bias_variants
SCENARIOS["mixed_precision"] = mixed_precision
