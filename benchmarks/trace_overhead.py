"""Python-side cost of haiku: tracing N Linear modules, vs the same model in plain JAX.

Runs in any venv that has a `haiku` (ours or dm-haiku 0.0.17). For each N it
traces ``init`` and ``apply`` (``jax.make_jaxpr`` of a fresh wrapper each
repetition: JAX caches on function identity) of two models and of the same
computation written by hand in JAX, interleaved (A B A B ...), and prints one
JSON line with the median ratios haiku / JAX (wall time) and the CPU time
haiku adds above JAX, in microseconds per module:

``flat``
  N ``hk.Linear`` modules called in a row (an MLP without activations);
``nested``
  the same N ``hk.Linear`` modules, each inside a module that also holds the
  next one: module names grow to N levels (``nest/~/nest/~/...``), so a cost
  that grows with nesting depth shows as a per-module cost growing with N.
  The hand-written reference nests N calls deep too.

``init`` is compared twice: with a hand-written init (``init``), and with a
hand-written init that then runs the forward pass (``init_vs_init_forward``).
A Haiku ``init`` runs the forward pass to create the parameters, so the
second comparison leaves only the library's own Python cost, and the
difference between the two is JAX tracing the forward pass.

A last line gives the slope of the added CPU time over N (least squares over
the sizes), i.e. haiku's overhead per module; it should not depend on N::

    python benchmarks/trace_overhead.py [--flat 10 100 1000] [--nested 10 25 50] [--repeats 7]
    nox -s bench                   # ours;  nox -s bench-dm-haiku: dm-haiku 0.0.17
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable

import haiku as hk
import jax
import jax.numpy as jnp

WIDTH = 8


class Nest(hk.Module):
    """A Linear, then (while ``depth > 1``) a Nest one level down."""

    def __init__(self, depth: int, name: str | None = None):
        super().__init__(name=name)
        self.depth = depth

    def __call__(self, x):
        x = hk.Linear(WIDTH)(x)
        return Nest(self.depth - 1)(x) if self.depth > 1 else x


def haiku_model(kind: str, n: int) -> hk.Transformed:
    def flat(x):
        for _ in range(n):
            x = hk.Linear(WIDTH)(x)
        return x

    return hk.transform(flat if kind == "flat" else (lambda x: Nest(n)(x)))


def _repeat(step: Callable, state, n: int, nested: bool):
    """``state = step(i, state)`` for i < n: in a loop, or by N nested calls.

    A nested model pays JAX for its depth (every equation records the Python
    stack), so the hand-written reference of ``nested`` nests too.
    """
    if not nested:
        for i in range(n):
            state = step(i, state)
        return state

    def level(i, state):
        state = step(i, state)
        return level(i + 1, state) if i + 1 < n else state

    return level(0, state) if n else state


def jax_init(key, x, n, nested=False):
    params = []

    def step(i, key):
        key, sub = jax.random.split(key)
        w = jax.random.truncated_normal(sub, -2.0, 2.0, (x.shape[-1], WIDTH)) / jnp.sqrt(x.shape[-1])
        params.append((w, jnp.zeros([WIDTH])))
        return key

    _repeat(step, key, n, nested)
    return params


def jax_apply(params, x, nested=False):
    return _repeat(lambda i, x: x @ params[i][0] + params[i][1], x, len(params), nested)


def jax_init_forward(key, x, n, nested=False):
    """``jax_init``, then the forward pass: what a Haiku ``init`` traces."""
    params = jax_init(key, x, n, nested)
    jax_apply(params, x, nested)
    return params


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(kind: str, n: int, repeats: int) -> dict[str, float | int | str]:
    model = haiku_model(kind, n)
    key = jax.random.PRNGKey(0)
    x = jnp.ones([1, WIDTH])
    params = model.init(key, x)
    nested = kind == "nested"
    ref_params = jax_init(key, x, n, nested)
    cases = {
        "init": (
            lambda: jax.make_jaxpr(lambda k, x: model.init(k, x))(key, x),
            lambda: jax.make_jaxpr(lambda k, x: jax_init(k, x, n, nested))(key, x),
        ),
        "init_vs_init_forward": (
            lambda: jax.make_jaxpr(lambda k, x: model.init(k, x))(key, x),
            lambda: jax.make_jaxpr(lambda k, x: jax_init_forward(k, x, n, nested))(key, x),
        ),
        "apply": (
            lambda: jax.make_jaxpr(lambda p, x: model.apply(p, None, x))(params, x),
            lambda: jax.make_jaxpr(lambda p, x: jax_apply(p, x, nested))(ref_params, x),
        ),
    }
    result: dict[str, float | int | str] = {"model": kind, "modules": n}
    for name, (ours, reference) in cases.items():
        a, b = [], []
        for _ in range(repeats):  # Interleaved: A B A B ...
            a.append(timed(ours))
            b.append(timed(reference))
        wall = statistics.median(t[0] for t in a) / statistics.median(t[0] for t in b)
        added = statistics.median(t[1] for t in a) - statistics.median(t[1] for t in b)
        result[f"{name}_ratio"] = round(wall, 3)
        result[f"{name}_added_cpu_us_per_module"] = round(1e6 * added / n, 1)
        result[f"_{name}_added_cpu_s"] = added
    return result


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of ``y`` over ``n``."""
    mean_n = statistics.mean(n for n, _ in points)
    mean_y = statistics.mean(y for _, y in points)
    num = sum((n - mean_n) * (y - mean_y) for n, y in points)
    return num / sum((n - mean_n) ** 2 for n, _ in points)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flat", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--nested", type=int, nargs="+", default=[10, 25, 50])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100 * max(args.nested)))
    library = "dm-haiku" if getattr(hk, "__version__", "").startswith("0.0.") else "haiku"
    for kind, sizes in (("flat", args.flat), ("nested", args.nested)):
        rows = [measure(kind, n, args.repeats) for n in sizes]
        for row in rows:
            print(json.dumps({"library": library, **{k: v for k, v in row.items()
                                                     if not k.startswith("_")}}))
        summary = {"library": library, "model": kind, "slope_over": sizes}
        for name in ("init", "init_vs_init_forward", "apply"):
            points = [(int(r["modules"]), float(r[f"_{name}_added_cpu_s"])) for r in rows]
            summary[f"{name}_added_cpu_us_per_module"] = round(1e6 * slope(points), 1)
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
