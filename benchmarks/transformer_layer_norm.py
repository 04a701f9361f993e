"""LayerNorm formulations in the unrolled Transformer: XLA fusions and compile time.

Issue 10 asks for a ``LayerNorm`` formulation that gives dm-haiku's numbers
and compiles like Flax's. This script compiles the train step (forward,
backward, SGD) and the forward pass of the unrolled Transformer of
``models.py`` (8 heads x 64, seq 128, batch 8) for 2/6/12 blocks with:

``haiku``
  ``hk.LayerNorm`` of the venv's haiku (ours, or dm-haiku 0.0.17 in
  ``nox -s bench-dm-haiku``);
``var``
  by hand: ``jnp.mean``, then ``jnp.var`` (dm-haiku's ``LayerNorm``);
``var_first``
  by hand: ``jnp.var``, then ``jnp.mean``: the same numbers, traced in the
  order ``hk.LayerNorm`` now uses (XLA's CPU compiler is sensitive to it);
``centered``
  by hand: the mean once, then ``mean(square(x - mean))``;
``fast``
  by hand: ``mean(square(x)) - square(mean)`` (``use_fast_variance=True``);
``fast_clamped``
  by hand: ``fast`` clipped at 0 (Flax's default, as its docs describe);
``flax``
  the same model with ``flax.linen`` (``LayerNorm``,
  ``MultiHeadDotProductAttention``, ``Dense``), if Flax is installed.

For each it prints the number of fusions and the size of the optimised HLO
of the train step (deterministic: independent of machine load), the compile
time as a ratio to ``var`` (``--repeats`` compilations, interleaved,
medians) and the largest relative
difference of the forward output from ``var`` (2 blocks, the same params)::

    python benchmarks/transformer_layer_norm.py [--blocks 2 6 12] [--repeats 3] [--json F]
        [--only haiku flax]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import models  # noqa: E402


def _norm(stats):
    def norm(p, x):
        mean, variance = stats(x)
        inv = jax.lax.rsqrt(variance + models.EPS) * p["scale"]
        return (x - mean) * inv + p["offset"]

    return norm


def _mean(x):
    return jnp.mean(x, -1, keepdims=True)


def _var(x):
    return _mean(x), jnp.var(x, -1, keepdims=True)


def _var_first(x):
    variance = jnp.var(x, -1, keepdims=True)
    return _mean(x), variance


def _centered(x):
    mean = _mean(x)
    return mean, _mean(jnp.square(x - mean))


def _centered_sg(x):
    mean = _mean(x)
    return mean, _mean(jnp.square(x - jax.lax.stop_gradient(mean)))


def _fast(x):
    mean = _mean(x)
    return mean, _mean(jnp.square(x)) - jnp.square(mean)


def _fast_clamped(x):
    mean, variance = _fast(x)
    return mean, jnp.maximum(0.0, variance)


FORMULATIONS = {"var": _var, "var_first": _var_first, "centered": _centered, "centered_sg": _centered_sg, "fast": _fast,
                "fast_clamped": _fast_clamped}


def flax_loss(num_blocks: int):
    """``(init, loss)`` of the Transformer in ``flax.linen``, or None without Flax."""
    try:
        import flax.linen as nn
    except ImportError:
        return None

    class Block(nn.Module):
        @nn.compact
        def __call__(self, x):
            h = nn.LayerNorm()(x)
            x = x + nn.MultiHeadDotProductAttention(
                num_heads=models.HEADS, qkv_features=models.HEADS * models.KEY_SIZE,
                out_features=models.D_MODEL)(h, h)
            h = nn.LayerNorm()(x)
            return x + nn.Dense(models.D_MODEL)(jax.nn.gelu(nn.Dense(4 * models.D_MODEL)(h)))

    class Transformer(nn.Module):
        @nn.compact
        def __call__(self, x):
            for _ in range(num_blocks):
                x = Block()(x)
            return x

    model = Transformer()
    return model.init, lambda params, x: jnp.mean(jnp.square(model.apply(params, x)))


def compile_once(fn, *args) -> tuple[float, int, int]:
    """Seconds to compile, fusions and size (kB of text) of the optimised HLO."""
    jax.clear_caches()
    start = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    seconds, text = time.perf_counter() - start, compiled.as_text()
    return seconds, len(re.findall(r"\bfusion\(", text)), len(text) // 1000


def candidates(num_blocks: int):
    """name -> (init, loss) for every formulation of ``num_blocks`` blocks."""
    out = {}
    model = models.transformer(num_blocks)
    out["haiku"] = (model.library_init, model.library_loss)
    for name, stats in FORMULATIONS.items():
        out[name] = (model.library_init, models.transformer(num_blocks, norm=_norm(stats)).jax_loss)
    flax = flax_loss(num_blocks)
    if flax is not None:
        out["flax"] = flax
    return out


def numeric_check(x) -> dict[str, float]:
    """Largest |out - out_var| / max|out_var| of each formulation's forward pass."""
    model = models.transformer(2)
    params = model.library_init(jax.random.PRNGKey(0), x)
    outputs = {}
    for name, stats in FORMULATIONS.items():
        norm = _norm(stats)
        y = x
        for i in range(2):
            roles = {role: params[n] for role, n in models._block_names(i).items()}
            y = models.jax_block(roles, y, norm)
        outputs[name] = np.asarray(y)
    apply = hk.without_apply_rng(hk.transform(
        lambda x: models.haiku_block(models.haiku_block(x)))).apply
    outputs["haiku"] = np.asarray(apply(params, x))
    ref = outputs["var"]
    return {name: float(np.max(np.abs(y - ref)) / np.max(np.abs(ref))) for name, y in outputs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, nargs="+", default=[2, 6, 12])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="+", help="measure only these formulations (and var)")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = parser.parse_args()
    library = "dm-haiku" if getattr(hk, "__version__", "").startswith("0.0.") else "haiku"
    x = models._transformer_data()
    spec = jax.ShapeDtypeStruct(x.shape, x.dtype)
    print(f"# {library}, jax {jax.__version__} on {jax.devices()[0].device_kind}; "
          f"compile ratios: medians of {args.repeats} interleaved compilations")
    rows = []
    for n in args.blocks:
        cands = candidates(n)
        if args.only:
            cands = {k: v for k, v in cands.items() if k in {"var", *args.only}}
        shapes = {name: jax.eval_shape(init, jax.random.PRNGKey(0), spec)
                  for name, (init, _) in cands.items()}
        times: dict[str, list[float]] = {name: [] for name in cands}
        fusions: dict[str, tuple[int, int, int]] = {}
        for _ in range(args.repeats):  # Interleaved: A B C ... A B C ...
            for name, (_, loss) in cands.items():
                seconds, step_fusions, step_kb = compile_once(
                    models.sgd_step(loss), shapes[name], spec)
                times[name].append(seconds)
                if name not in fusions:
                    _, fwd_fusions, _ = compile_once(loss, shapes[name], spec)
                    fusions[name] = (step_fusions, fwd_fusions, step_kb)
        base = statistics.median(times["var"])
        for name in cands:
            rows.append({"library": library, "blocks": n, "formulation": name,
                         "step_fusions": fusions[name][0], "forward_fusions": fusions[name][1],
                         "step_hlo_kb": fusions[name][2],
                         "compile_ratio_vs_var": round(statistics.median(times[name]) / base, 3)})
    deviation = numeric_check(x)
    for row in rows:
        row["max_rel_diff_vs_var"] = deviation.get(row["formulation"])
    header = ("| blocks | formulation | step fusions | forward fusions | step HLO kB "
              "| compile / var | max rel. diff vs var (2 blocks) |")
    print(header)
    print("|---" * 7 + "|")
    for row in rows:
        diff = row["max_rel_diff_vs_var"]
        print(f"| {row['blocks']} | {row['formulation']} | {row['step_fusions']} | "
              f"{row['forward_fusions']} | {row['step_hlo_kb']} | "
              f"{row['compile_ratio_vs_var']:.2f} | "
              f"{'-' if diff is None else f'{diff:.1e}'} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
