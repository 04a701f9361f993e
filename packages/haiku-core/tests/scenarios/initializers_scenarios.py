"""Scenarios of ``hk.initializers``, run by both dm-haiku and haiku.

Public ``hk`` API only (plus ``jax``), so the same code runs under our haiku
and, live on the same machine, under dm-haiku 0.0.17 in
``tests/test_initializers.py`` (through the ``dm_haiku`` fixture of
``tests/oracle``).

Each case of :data:`CASES` (an initializer, its constructor arguments, a
shape and a dtype) is a scenario: inside ``hk.transform`` under
``hk.with_rng(PRNGKey(seed))``, ``seed`` being the case's index, it returns

* ``key``: the first key of that ``with_rng`` sequence, the one the
  initializer receives (``jax.random.split(PRNGKey(seed))[1]``);
* ``out``: the initializer's output, eagerly;
* ``out_jit``: the same under ``jax.jit`` (XLA may fuse operations
  differently there, so parity is checked for both).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp

# (name, class name, constructor kwargs, shape, dtype name); a case's seed is its index.
CASES: list[tuple[str, str, dict, list[int], str]] = [
    # RandomNormal
    ("rn_default", "RandomNormal", {}, [3, 4], "float32"),
    ("rn_stddev_mean", "RandomNormal", {"stddev": 2.5, "mean": -1.0}, [17], "float32"),
    ("rn_scalar", "RandomNormal", {}, [], "float32"),
    ("rn_bf16", "RandomNormal", {"stddev": 0.3, "mean": 0.1}, [4, 5], "bfloat16"),
    ("rn_f16", "RandomNormal", {}, [6], "float16"),
    ("rn_c64", "RandomNormal", {"stddev": 0.5, "mean": 1.0}, [3, 3], "complex64"),
    # RandomUniform
    ("ru_default", "RandomUniform", {}, [3, 4], "float32"),
    ("ru_range", "RandomUniform", {"minval": -3.0, "maxval": 5.0}, [7], "float32"),
    ("ru_bf16", "RandomUniform", {"minval": -1.0, "maxval": 1.0}, [4, 5], "bfloat16"),
    ("ru_f16", "RandomUniform", {}, [6], "float16"),
    # TruncatedNormal
    ("tn_default", "TruncatedNormal", {}, [4, 5], "float32"),
    (
        "tn_params",
        "TruncatedNormal",
        {"stddev": 0.5, "mean": 1.0, "lower": -1.0, "upper": 3.0},
        [20],
        "float32",
    ),
    ("tn_bf16", "TruncatedNormal", {"stddev": 0.02}, [8, 8], "bfloat16"),
    ("tn_f16", "TruncatedNormal", {}, [6], "float16"),
    (
        "tn_c64",
        "TruncatedNormal",
        {"stddev": 1.5, "mean": complex(1.0, 2.0)},
        [3, 4],
        "complex64",
    ),
    ("tn_c64_default", "TruncatedNormal", {}, [5], "complex64"),
    # VarianceScaling: every mode x distribution on a conv kernel...
    *[
        (
            f"vs_{mode}_{dist}",
            "VarianceScaling",
            {"scale": 1.5, "mode": mode, "distribution": dist},
            [3, 3, 4, 5],
            "float32",
        )
        for mode in ("fan_in", "fan_out", "fan_avg")
        for dist in ("truncated_normal", "normal", "uniform")
    ],
    # ... and the other fan rules and dtypes.
    ("vs_default_2d", "VarianceScaling", {}, [20, 30], "float32"),
    ("vs_1d", "VarianceScaling", {"mode": "fan_avg"}, [7], "float32"),
    ("vs_0d", "VarianceScaling", {}, [], "float32"),
    (
        "vs_he_uniform",
        "VarianceScaling",
        {"scale": 2.0, "distribution": "uniform"},
        [10, 10],
        "float32",
    ),
    ("vs_axes_fan_in", "VarianceScaling", {"fan_in_axes": [0, 1]}, [2, 3, 4], "float32"),
    (
        "vs_axes_fan_avg",
        "VarianceScaling",
        {"fan_in_axes": [0, 2], "mode": "fan_avg", "distribution": "normal"},
        [2, 3, 4],
        "float32",
    ),
    (
        "vs_axes_negative_fan_out",
        "VarianceScaling",
        {"fan_in_axes": [-1], "mode": "fan_out", "distribution": "normal"},
        [2, 3, 4],
        "float32",
    ),
    (
        "vs_axes_ignored_2d",
        "VarianceScaling",
        {"fan_in_axes": [1], "distribution": "normal"},
        [3, 4],
        "float32",
    ),
    ("vs_bf16_tn", "VarianceScaling", {}, [8, 8], "bfloat16"),
    ("vs_bf16_normal", "VarianceScaling", {"distribution": "normal"}, [8, 8], "bfloat16"),
    ("vs_bf16_uniform", "VarianceScaling", {"distribution": "uniform"}, [8, 8], "bfloat16"),
    ("vs_f16_tn", "VarianceScaling", {"mode": "fan_out"}, [5, 6], "float16"),
    ("vs_c64_tn", "VarianceScaling", {}, [4, 4], "complex64"),
    ("vs_c64_normal", "VarianceScaling", {"distribution": "normal"}, [4, 4], "complex64"),
    # UniformScaling
    ("us_default", "UniformScaling", {}, [4, 5], "float32"),
    ("us_scale", "UniformScaling", {"scale": 2.0}, [2, 3, 4], "float32"),
    ("us_1d", "UniformScaling", {}, [7], "float32"),
    ("us_0d", "UniformScaling", {}, [], "float32"),
    ("us_bf16", "UniformScaling", {"scale": 0.5}, [6, 6], "bfloat16"),
    # Orthogonal
    ("orth_square", "Orthogonal", {}, [4, 4], "float32"),
    ("orth_wide", "Orthogonal", {}, [3, 5], "float32"),
    ("orth_tall", "Orthogonal", {}, [5, 3], "float32"),
    ("orth_3d", "Orthogonal", {}, [2, 3, 4], "float32"),
    ("orth_axis0", "Orthogonal", {"axis": 0}, [3, 5], "float32"),
    ("orth_axis1_3d", "Orthogonal", {"axis": 1}, [2, 3, 4], "float32"),
    ("orth_axis_neg2", "Orthogonal", {"axis": -2}, [4, 2, 3], "float32"),
    ("orth_scale", "Orthogonal", {"scale": 2.0}, [6, 6], "float32"),
    ("orth_c64", "Orthogonal", {}, [3, 3], "complex64"),
    ("orth_c64_wide", "Orthogonal", {"scale": 0.5}, [2, 4], "complex64"),
    # Deterministic ones (rounding of the constant into the dtype).
    ("const_tenth_bf16", "Constant", {"constant": 0.1}, [3], "bfloat16"),
    ("const_third_f16", "Constant", {"constant": 1 / 3}, [2], "float16"),
    ("const_tenth_f32", "Constant", {"constant": 0.1}, [2, 2], "float32"),
    ("const_to_int", "Constant", {"constant": 2.7}, [2], "int32"),
    ("const_complex", "Constant", {"constant": complex(0.5, -1.0)}, [2], "complex64"),
    ("ident_batched", "Identity", {"gain": 2.5}, [2, 3, 3], "float32"),
    ("ident_bf16_rect", "Identity", {"gain": 0.1}, [3, 2], "bfloat16"),
]


def make(case: tuple) -> Callable[[Any, Any], jax.Array]:
    """The initializer of ``case``."""
    _, class_name, kwargs, _, _ = case
    return getattr(hk.initializers, class_name)(**kwargs)


def _scenario(seed: int, case: tuple) -> Callable[[], dict[str, Any]]:
    """The scenario of ``case`` under ``with_rng(PRNGKey(seed))`` (see the module docstring)."""
    _, _, _, shape, dtype = case

    def scenario():
        key = jax.random.PRNGKey(seed)
        init = make(case)

        def first_key():
            with hk.with_rng(key):
                return hk.next_rng_key()

        def initialize():
            with hk.with_rng(key):
                return init(shape, jnp.dtype(dtype))

        apply = hk.transform(initialize).apply
        return {
            "key": hk.transform(first_key).apply({}, None),
            "out": apply({}, None),
            "out_jit": jax.jit(apply)({}, None),
        }

    return scenario


SCENARIOS: dict[str, Callable[[], dict[str, Any]]] = {
    case[0]: _scenario(seed, case) for seed, case in enumerate(CASES)
}
