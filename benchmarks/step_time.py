"""Compile time, jitted train-step time and eager init/apply time: haiku / plain JAX.

For each model of ``models.py`` this measures, in one process, haiku against
the same model written by hand in plain JAX, and prints ratios
(``haiku / JAX``; below 1 means haiku is faster):

``compile``
  ``jax.jit(step).lower(...).compile()`` of the train step (forward,
  backward, SGD), JAX's caches cleared before each compilation
  (``--compile-repeats`` samples);
``step``
  the steady-state jitted train step (``block_until_ready``), each sample
  the mean of ``--inner`` steps;
``init_eager`` / ``apply_eager``
  un-jitted ``init`` (haiku's runs the forward pass; the hand-written one only
  draws the parameters) and un-jitted loss.

Every figure is the median of ``--repeats`` samples taken interleaved
(A B A B ...). The script also checks what it times: both losses are finite
and equal on the same parameters, and reports whether the two train-step
jaxprs are equal (printed text: variable names are canonical), their
equation counts and the instruction counts of the optimised programs.
Results go to stdout, and with ``--out`` to ``<out>.json`` and ``<out>.md``::

    python benchmarks/step_time.py [--models mlp resnet18 resnet50 lstm transformer transformer_stack]
        [--repeats 7] [--compile-repeats 3] [--inner 5] [--blocks 12] [--out benchmarks/results/step_time]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import haiku as hk
import jax
import jax.extend

sys.path.insert(0, str(Path(__file__).resolve().parent))
import models  # noqa: E402


def _seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(a: Callable[[], object], b: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Medians of ``repeats`` timings of ``a`` and ``b`` taken A B A B ..."""
    ta, tb = [], []
    for _ in range(repeats):
        ta.append(_seconds(a))
        tb.append(_seconds(b))
    return statistics.median(ta), statistics.median(tb)


def count_eqns(jaxpr) -> int:
    """Equations of a closed jaxpr, counting those of nested jaxprs too."""
    total = 0
    for eqn in jaxpr.jaxpr.eqns:
        total += 1
        for sub in jax.extend.core.jaxprs_in_params(eqn.params):
            total += count_eqns(jax.extend.core.ClosedJaxpr(sub, ()))
    return total


def hlo_ops(compiled) -> int:
    """Instructions of a compiled program's optimised HLO."""
    return len(re.findall(r"^\s*(?:ROOT )?%?[\w.-]+ = ", compiled.as_text(), re.MULTILINE))


def measure(model: models.Model, repeats: int, inner: int,
            compile_repeats: int) -> dict[str, object]:
    key = jax.random.PRNGKey(0)
    batch = model.batch()
    params = model.library_init(key, batch)
    ref_params = model.to_reference(params)
    row: dict[str, object] = {"model": model.name}

    # Correctness of what is timed: the same loss on the same parameters.
    loss_lib = float(model.library_loss(params, batch))
    loss_jax = float(model.jax_loss(ref_params, batch))
    if not (math.isfinite(loss_lib) and math.isfinite(loss_jax)):
        raise AssertionError(f"{model.name}: non-finite loss {loss_lib} / {loss_jax}")
    row["loss_equal"] = loss_lib == loss_jax
    row["loss_rel_diff"] = abs(loss_lib - loss_jax) / max(abs(loss_jax), 1e-30)
    if row["loss_rel_diff"] > model.loss_rtol:
        raise AssertionError(f"{model.name}: losses differ: library {loss_lib}, JAX {loss_jax}")

    step_lib, step_jax = models.sgd_step(model.library_loss), models.sgd_step(model.jax_loss)
    jaxpr_lib = jax.make_jaxpr(step_lib)(params, batch)
    jaxpr_jax = jax.make_jaxpr(step_jax)(ref_params, batch)
    row["jaxpr_equal"] = str(jaxpr_lib) == str(jaxpr_jax)
    row["eqns_library"], row["eqns_jax"] = count_eqns(jaxpr_lib), count_eqns(jaxpr_jax)
    # What XLA keeps: where the jaxprs differ only by work the loss discards
    # (BatchNorm's moving averages), the optimised programs are the same size.
    row["hlo_ops_library"] = hlo_ops(jax.jit(step_lib).lower(params, batch).compile())
    row["hlo_ops_jax"] = hlo_ops(jax.jit(step_jax).lower(ref_params, batch).compile())

    def compile_fn(step, p):
        def run():
            jax.clear_caches()
            jax.jit(step).lower(p, batch).compile()
        return run

    a, b = interleaved(compile_fn(step_lib, params), compile_fn(step_jax, ref_params),
                       compile_repeats)
    row["compile_ratio"] = a / b

    jit_lib, jit_jax = jax.jit(step_lib), jax.jit(step_jax)
    jax.block_until_ready(jit_lib(params, batch))
    jax.block_until_ready(jit_jax(ref_params, batch))

    def steps(fn, p):
        def run():
            for _ in range(inner):
                out = fn(p, batch)
            jax.block_until_ready(out)
        return run

    a, b = interleaved(steps(jit_lib, params), steps(jit_jax, ref_params), repeats)
    row["step_ratio"] = a / b

    a, b = interleaved(lambda: jax.block_until_ready(model.library_init(key, batch)),
                       lambda: jax.block_until_ready(model.jax_init(key, batch)), repeats)
    row["init_eager_ratio"] = a / b
    a, b = interleaved(lambda: jax.block_until_ready(model.library_loss(params, batch)),
                       lambda: jax.block_until_ready(model.jax_loss(ref_params, batch)), repeats)
    row["apply_eager_ratio"] = a / b
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}


COLUMNS = [("model", "model"), ("compile_ratio", "compile"), ("step_ratio", "jitted step"),
           ("init_eager_ratio", "eager init"), ("apply_eager_ratio", "eager apply"),
           ("jaxpr_equal", "step jaxprs equal"), ("eqns_library", "eqns library"),
           ("eqns_jax", "eqns JAX"), ("hlo_ops_library", "HLO ops library"),
           ("hlo_ops_jax", "HLO ops JAX"), ("loss_equal", "losses equal")]


def markdown(rows: list[dict[str, object]], header: str,
             columns: list[tuple[str, str]] = COLUMNS) -> str:
    lines = [header, "", "| " + " | ".join(title for _, title in columns) + " |",
             "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(str(row[key]) for key, _ in columns) + " |")
    return "\n".join(lines) + "\n"


def report(rows: list[dict[str, object]], table: str, out: Path | None) -> None:
    """Prints ``table``; with ``out``, writes ``<out>.json`` (the rows) and ``<out>.md``."""
    print(table)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
        out.with_suffix(".md").write_text(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(models.MODELS), choices=models.MODELS)
    parser.add_argument("--blocks", type=int, default=12, help="Transformer blocks")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--compile-repeats", type=int, default=3)
    parser.add_argument("--inner", type=int, default=5, help="train steps per step sample")
    parser.add_argument("--small", action="store_true", help="tiny sizes, to test this script")
    parser.add_argument("--out", type=Path, help="write <out>.json and <out>.md")
    args = parser.parse_args()
    library = "dm-haiku" if getattr(hk, "__version__", "").startswith("0.0.") else "haiku"
    sizes = {
        "mlp": dict(width=32, batch=8) if args.small else {},
        "resnet18": dict(batch=2, size=16) if args.small else {},
        "resnet50": dict(batch=2, size=32) if args.small else {},
        "lstm": dict(hidden=8, steps=5, batch=2, features=4) if args.small else {},
        "transformer": dict(num_blocks=2, batch=1, seq=4) if args.small
        else dict(num_blocks=args.blocks),
        "transformer_stack": dict(num_blocks=2, batch=1, seq=4) if args.small
        else dict(num_blocks=args.blocks),
    }
    header = (f"{library} / plain JAX (ratios, medians of {args.repeats} interleaved samples, "
              f"{args.compile_repeats} for compile); "
              f"jax {jax.__version__} on {jax.devices()[0].device_kind}, "
              f"{platform.processor() or platform.machine()}")
    print(header, flush=True)
    rows = []
    for name in args.models:
        model = models.MODELS[name](**sizes[name])
        row = {"library": library,
               **measure(model, args.repeats, args.inner, args.compile_repeats)}
        print(json.dumps(row), flush=True)
        rows.append(row)
    report(rows, markdown(rows, header), args.out)


if __name__ == "__main__":
    main()
