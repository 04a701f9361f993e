"""Compile time of ``hk.layer_stack`` versus a Python loop of the same layers.

``layer_stack`` traces its layer once, under ``jax.lax.scan``, so the time to
trace and compile a stack of N identical layers should barely depend on N;
a Python loop traces and compiles every layer, so its time grows with N.
For N in (2, 8, 32) this prints the trace+compile time of ``jax.jit(init)``
and of ``jax.jit(apply)`` for both, and the ratios that matter::

    python benchmarks/layer_stack_compile.py [--width 64] [--repeats 3]

Only haiku-core is needed (the layer is a small hand-written residual MLP
block using ``hk.get_parameter``). Times are the best of ``--repeats`` fresh
compilations (JAX's caches are cleared between runs). Not a unit test.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp

import haiku as hk

SIZES = (2, 8, 32)


class Block(hk.Module):
    """``x + W2 relu(W1 x + b1) + b2``, then a layer norm without parameters."""

    def __call__(self, x):
        width = x.shape[-1]
        init = hk.initializers.VarianceScaling()
        w1 = hk.get_parameter("w1", [width, 2 * width], init=init)
        b1 = hk.get_parameter("b1", [2 * width], init=jnp.zeros)
        w2 = hk.get_parameter("w2", [2 * width, width], init=init)
        b2 = hk.get_parameter("b2", [width], init=jnp.zeros)
        y = x + jax.nn.relu(x @ w1 + b1) @ w2 + b2
        mean = y.mean(-1, keepdims=True)
        return (y - mean) * jax.lax.rsqrt(y.var(-1, keepdims=True) + 1e-5)


def layer(x):
    return Block()(x)


def stacked(n):
    return hk.transform(lambda x: hk.layer_stack(n)(layer)(x))


def looped(n):
    def forward(x):
        for _ in range(n):
            x = layer(x)
        return x

    return hk.transform(forward)


def compile_seconds(fn, *args) -> float:
    """Seconds to trace, lower and compile ``jax.jit(fn)`` for ``args``."""
    jax.clear_caches()
    start = time.perf_counter()
    jax.jit(fn).lower(*args).compile()
    return time.perf_counter() - start


def best(repeats: int, fn, *args) -> float:
    return min(compile_seconds(fn, *args) for _ in range(repeats))


def measure(make, n: int, x, repeats: int) -> tuple[float, float]:
    f = make(n)
    key = jax.random.PRNGKey(0)
    params = jax.eval_shape(f.init, key, x)
    return best(repeats, f.init, key, x), best(repeats, f.apply, params, None, x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    x = jax.ShapeDtypeStruct((args.batch, args.width), jnp.float32)
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}; width {args.width}; "
          f"best of {args.repeats} (seconds to trace + compile)")  # fmt: skip
    rows = {}
    for n in SIZES:
        rows[n] = measure(stacked, n, x, args.repeats) + measure(looped, n, x, args.repeats)
    header = f"{'N':>4} {'stack init':>11} {'stack apply':>12} {'loop init':>10} {'loop apply':>11}"
    print(header + f" {'loop/stack init':>16} {'loop/stack apply':>17}")
    for n, (si, sa, li, la) in rows.items():
        print(
            f"{n:>4} {si:>11.3f} {sa:>12.3f} {li:>10.3f} {la:>11.3f} {li / si:>16.2f} {la / sa:>17.2f}"
        )
    first, last = SIZES[0], SIZES[-1]
    grow = [rows[last][i] / rows[first][i] for i in range(4)]
    print(f"\ngrowth from N={first} to N={last} (time ratio; {last // first}x more layers):")
    print(f"  layer_stack: init {grow[0]:.2f}x, apply {grow[1]:.2f}x")
    print(f"  python loop: init {grow[2]:.2f}x, apply {grow[3]:.2f}x")


if __name__ == "__main__":
    main()
