"""Python-side cost of haiku: tracing an MLP of N Linear layers, vs plain JAX.

Runs in any venv that has a `haiku` (ours or dm-haiku 0.0.17) and prints one
JSON line per model size with the median time to trace ``init`` and
``apply`` (``jax.make_jaxpr`` of a fresh wrapper each repetition: JAX caches
on function identity) divided by the median time to trace the same model
written by hand in JAX, measured interleaved in the same process::

    python benchmarks/trace_overhead.py            # this venv's haiku
    nox -s bench                                   # ours and dm-haiku side by side
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import haiku as hk
import jax
import jax.numpy as jnp

WIDTH = 8


def haiku_model(depth: int) -> hk.Transformed:
    def forward(x):
        for _ in range(depth):
            x = hk.Linear(WIDTH)(x)
        return x

    return hk.transform(forward)


def jax_init(key, x, depth):
    params = []
    for _ in range(depth):
        key, sub = jax.random.split(key)
        w = jax.random.truncated_normal(sub, -2.0, 2.0, (x.shape[-1], WIDTH)) / jnp.sqrt(x.shape[-1])
        params.append((w, jnp.zeros([WIDTH])))
    return params


def jax_apply(params, x):
    for w, b in params:
        x = x @ w + b
    return x


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(depth: int, repeats: int) -> dict[str, float]:
    model = haiku_model(depth)
    key = jax.random.PRNGKey(0)
    x = jnp.ones([1, WIDTH])
    params = model.init(key, x)
    ref_params = jax_init(key, x, depth)
    cases = {
        "init": (
            lambda: jax.make_jaxpr(lambda k, x: model.init(k, x))(key, x),
            lambda: jax.make_jaxpr(lambda k, x: jax_init(k, x, depth))(key, x),
        ),
        "apply": (
            lambda: jax.make_jaxpr(lambda p, x: model.apply(p, None, x))(params, x),
            lambda: jax.make_jaxpr(lambda p, x: jax_apply(p, x))(ref_params, x),
        ),
    }
    result: dict[str, float] = {"depth": depth}
    for name, (ours, reference) in cases.items():
        a, b = [], []
        for _ in range(repeats):  # Interleaved: A B A B ...
            a.append(median_seconds(ours, 1))
            b.append(median_seconds(reference, 1))
        result[f"{name}_ratio"] = round(statistics.median(a) / statistics.median(b), 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depths", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    library = "dm-haiku" if hasattr(hk, "__version__") and hk.__version__.startswith("0.0.") else "haiku"
    for depth in args.depths:
        print(json.dumps({"library": library, **measure(depth, args.repeats)}))


if __name__ == "__main__":
    main()
