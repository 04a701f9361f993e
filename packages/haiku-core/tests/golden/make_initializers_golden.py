"""Writes the reference outputs of dm-haiku's initializers (golden files).

Run it with the *oracle* interpreter, the one that has dm-haiku 0.0.17
installed (never install dm-haiku into the development venv)::

    /work/.venv-oracle/bin/python packages/haiku-core/tests/golden/make_initializers_golden.py

It writes, next to this script:

``initializers.json``
  One record per case: the initializer's class name and constructor keyword
  arguments, the requested shape and dtype, and the output's shape and dtype.
``initializers.npz``
  For case ``NAME``: ``NAME.key``, the raw ``uint32[2]`` key the initializer
  received from ``next_rng_key()``; ``NAME.out``, the output's raw bytes
  (``uint8``), so comparisons are bit-exact for every dtype, bfloat16 included;
  and ``NAME.out_jit``, the same under ``jax.jit`` (XLA may fuse operations
  differently there, so parity is checked for both).

Every case runs inside ``hk.transform`` under ``hk.with_rng(PRNGKey(seed))``
where ``seed`` is recorded in the JSON.
``with_rng`` seeds a fresh PRNG sequence, whose first key is
``jax.random.split(PRNGKey(seed))[1]``; the script checks that fact and records
that key, and ``test_initializers.py`` hands exactly that key to our
initializers.

Constructor arguments are JSON; a complex number is written as
``{"complex": [real, imag]}``.
"""

from __future__ import annotations

import json
import pathlib
import sys

import haiku as hk  # dm-haiku 0.0.17, the oracle.
import jax
import jax.numpy as jnp
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent

# (name, class name, constructor kwargs, shape, dtype name)
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
        {"stddev": 1.5, "mean": {"complex": [1.0, 2.0]}},
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
    ("const_complex", "Constant", {"constant": {"complex": [0.5, -1.0]}}, [2], "complex64"),
    ("ident_batched", "Identity", {"gain": 2.5}, [2, 3, 3], "float32"),
    ("ident_bf16_rect", "Identity", {"gain": 0.1}, [3, 2], "bfloat16"),
]


def decode(value):
    if isinstance(value, dict) and set(value) == {"complex"}:
        return complex(*value["complex"])
    return value


def run_case(cls_name: str, kwargs: dict, shape: list[int], dtype: str, seed: int):
    init = getattr(hk.initializers, cls_name)(**{k: decode(v) for k, v in kwargs.items()})
    key = jax.random.PRNGKey(seed)

    def f():
        with hk.with_rng(key):
            return init(shape, jnp.dtype(dtype))

    apply = hk.transform(f).apply
    return apply({}, None), jax.jit(apply)({}, None), key


def first_key_of_with_rng(key):
    def f():
        with hk.with_rng(key):
            return hk.next_rng_key()

    return hk.transform(f).apply({}, None)


def main() -> int:
    records = []
    arrays = {}
    for seed, (name, cls_name, kwargs, shape, dtype) in enumerate(CASES):
        out, out_jit, key = run_case(cls_name, kwargs, shape, dtype, seed)
        received = jax.random.split(key)[1]
        assert np.array_equal(np.asarray(first_key_of_with_rng(key)), np.asarray(received))
        out = np.asarray(out)
        arrays[f"{name}.key"] = np.asarray(received, dtype=np.uint32)
        arrays[f"{name}.out"] = np.frombuffer(out.tobytes(), dtype=np.uint8)
        arrays[f"{name}.out_jit"] = np.frombuffer(np.asarray(out_jit).tobytes(), dtype=np.uint8)
        records.append(
            {
                "name": name,
                "seed": seed,
                "initializer": cls_name,
                "kwargs": kwargs,
                "shape": shape,
                "dtype": dtype,
                "out_shape": list(out.shape),
                "out_dtype": out.dtype.name,
            }
        )
    versions = {"dm-haiku": hk.__version__, "jax": jax.__version__}
    with open(HERE / "initializers.json", "w") as f:
        # One case per line: small diffs when cases are added.
        f.write('{"generated_with": %s,\n "cases": [\n' % json.dumps(versions))
        f.write(",\n".join("  " + json.dumps(r) for r in records))
        f.write("\n ]}\n")
    np.savez_compressed(HERE / "initializers.npz", **arrays)
    print(f"wrote {len(records)} cases with {versions}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
