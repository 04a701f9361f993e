"""Tracing cost of an N-module model inside ``hk.scan``/``hk.cond`` versus outside.

``hk.scan`` and ``hk.cond`` pass the frame's state and random keys into the
JAX primitive and merge what changed back; parameters are closed over. That
bookkeeping must cost time linear in the number of modules, so the time to
trace a model of N modules wrapped in ``hk.scan``/``hk.cond`` should grow
like the time to trace the same N modules called directly. For N in
(10, 50, 200) this prints the ``jax.make_jaxpr`` time of ``init`` and
``apply`` (a fresh function each repetition, so no trace is reused) for:

``plain``
  the N modules called in a row;
``scan``
  the same, as the body of an ``hk.scan`` over 2 steps (at init the first
  step runs outside the loop, so init traces the modules twice);
``cond``
  the same, as one branch of an ``hk.cond`` (the other returns its input;
  at init both branches run every module, as dm-haiku recommends with
  ``hk.running_init``);

then the ratios ``wrapped / plain`` for each N (flat if the wrapper's cost is
proportional to the model's) and ``t(N) / t(10)`` per column divided by
N / 10 (about 1 for linear growth, growing with N for quadratic)::

    python benchmarks/stateful_tracing.py [--repeats 5] [--width 8]

Only haiku-core is needed (each module is a small hand-written dense layer
with state). Not a unit test.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp

import haiku as hk

SIZES = (10, 50, 200)


class Dense(hk.Module):
    """``tanh(x @ w + b)``, counting its calls in its state."""

    def __call__(self, x):
        width = x.shape[-1]
        w = hk.get_parameter("w", [width, width], init=hk.initializers.VarianceScaling())
        b = hk.get_parameter("b", [width], init=jnp.zeros)
        calls = hk.get_state("calls", [], jnp.int32, init=jnp.zeros)
        hk.set_state("calls", calls + 1)
        return jnp.tanh(x @ w + b)


def make_model(n: int, kind: str):
    def forward(x):
        layers = [Dense() for _ in range(n)]

        def body(x):
            for layer in layers:
                x = layer(x)
            return x

        if kind == "plain":
            return body(x)
        if kind == "scan":
            return hk.scan(lambda c, _: (body(c), None), x, None, length=2)[0]
        if kind == "cond":
            if hk.running_init():
                body(x)
            return hk.cond(jnp.sum(x) > 0, body, lambda x: x, x)
        raise ValueError(kind)

    return hk.transform_with_state(forward)


def trace_seconds(n: int, kind: str, x, params, state) -> tuple[float, float]:
    """``jax.make_jaxpr`` seconds of init and apply, for a fresh transform."""
    f = make_model(n, kind)
    key = jax.random.PRNGKey(0)
    start = time.perf_counter()
    jax.make_jaxpr(f.init)(key, x)
    middle = time.perf_counter()
    jax.make_jaxpr(f.apply)(params, state, key, x)
    return middle - start, time.perf_counter() - middle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--width", type=int, default=8)
    args = parser.parse_args()

    x = jnp.ones([args.width])
    kinds = ("plain", "scan", "cond")
    results: dict[tuple[int, str], tuple[float, float]] = {}
    for n in SIZES:
        params, state = jax.eval_shape(make_model(n, "plain").init, jax.random.PRNGKey(0), x)
        for kind in kinds:
            trace_seconds(n, kind, x, params, state)  # warm up JAX's own caches
            runs = [trace_seconds(n, kind, x, params, state) for _ in range(args.repeats)]
            results[n, kind] = (min(r[0] for r in runs), min(r[1] for r in runs))

    print(f"jax.make_jaxpr seconds, best of {args.repeats} (init / apply)")
    print(f"{'N':>5} " + " ".join(f"{k:>17}" for k in kinds))
    for n in SIZES:
        cells = [f"{results[n, k][0]:8.4f}/{results[n, k][1]:8.4f}" for k in kinds]
        print(f"{n:>5} " + " ".join(cells))

    print("\nwrapped / plain (init / apply): flat in N if the wrapper is linear")
    for n in SIZES:
        cells = []
        for kind in kinds[1:]:
            init = results[n, kind][0] / results[n, "plain"][0]
            apply = results[n, kind][1] / results[n, "plain"][1]
            cells.append(f"{kind}: {init:5.2f}/{apply:5.2f}")
        print(f"{n:>5} " + "   ".join(cells))

    print(f"\n(t(N) / t({SIZES[0]})) / (N / {SIZES[0]}) (init / apply): about 1 if linear")
    for n in SIZES[1:]:
        cells = []
        for kind in kinds:
            growth = [results[n, kind][i] / results[SIZES[0], kind][i] / (n / SIZES[0]) for i in (0, 1)]
            cells.append(f"{kind}: {growth[0]:5.2f}/{growth[1]:5.2f}")
        print(f"{n:>5} " + "   ".join(cells))


if __name__ == "__main__":
    main()
