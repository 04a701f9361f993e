"""Writes the reference outputs of dm-haiku's ``hk.multinomial`` (golden file).

Run it with the *oracle* interpreter, the one that has dm-haiku 0.0.17
installed (never install dm-haiku into the development venv)::

    /work/.venv-oracle/bin/python packages/haiku-core/tests/golden/make_functions_golden.py

It writes ``multinomial.npz`` next to this script: for case ``NAME``,
``NAME.key`` (the raw ``uint32[2]`` key), ``NAME.logits`` (float32; cast to
``NAME.dtype`` before sampling), ``NAME.num_samples`` and ``NAME.out``.
"""

from __future__ import annotations

import pathlib
import sys

import haiku as hk  # dm-haiku 0.0.17, the oracle.
import jax
import jax.numpy as jnp
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent

# (name, logits shape, num_samples, dtype)
CASES = [
    ("rank1_one", (5,), 1, "float32"),
    ("rank1_many", (5,), 7, "float32"),
    ("rank2_one", (4, 6), 1, "float32"),
    ("rank2_many", (4, 6), 9, "float32"),
    ("rank2_bf16", (3, 4), 5, "bfloat16"),
    ("rank2_zero_samples", (3, 4), 0, "float32"),
    ("rank3_many", (2, 3, 4), 6, "float32"),
    ("peaked", (2, 3), 8, "float32"),
]


def main() -> int:
    arrays = {}
    for seed, (name, shape, num_samples, dtype) in enumerate(CASES):
        key = jax.random.PRNGKey(100 + seed)
        logits = np.asarray(jax.random.normal(jax.random.PRNGKey(200 + seed), shape) * 2)
        if name == "peaked":
            logits = np.array([[-np.inf, 0.0, -np.inf], [0.0, -np.inf, -np.inf]], np.float32)
        out = hk.multinomial(key, jnp.asarray(logits, dtype), num_samples)
        arrays[f"{name}.key"] = np.asarray(key, np.uint32)
        arrays[f"{name}.logits"] = logits.astype(np.float32)
        arrays[f"{name}.num_samples"] = np.asarray(num_samples)
        arrays[f"{name}.dtype"] = np.asarray(dtype)
        arrays[f"{name}.out"] = np.asarray(out)
    np.savez_compressed(HERE / "multinomial.npz", **arrays)
    print(f"wrote {len(CASES)} cases (dm-haiku {hk.__version__}, jax {jax.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
