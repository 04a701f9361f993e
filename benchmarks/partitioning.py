"""Parameter partitioning on 8 devices: per-device memory and step time by layout.

Trains the model of ``examples/model_parallel.py`` (the character Transformer,
blocks under ``hk.layer_stack``) with the example's own rules, in three
layouts of the same 8 devices:

``replicated``
  mesh ``data=8, model=1``, every parameter ``P()``: data parallelism, each
  device holds the whole model and its optimiser state;
``fsdp``
  mesh ``data=8, model=1`` with the example's rules: the ``model`` axis has
  size 1, so only the FSDP (ZeRO-3) split over ``data`` remains;
``fsdp_tp``
  mesh ``data=2, model=4`` with the same rules: FSDP over ``data`` and
  Megatron-style tensor parallelism over ``model``.

For each it reports the bytes the first device holds of the parameters and of
the parameters plus the Adam state (from ``addressable_shards``, so what is
really resident, not an estimate), those as a fraction of ``replicated``, and
the jitted train step's time as a ratio to ``replicated`` (medians of
``--repeats`` samples taken interleaved, each the mean of ``--inner`` steps).
It checks what it times: the three layouts' losses agree after the same
steps. On a CPU-only machine it makes the 8 host devices itself; there, the
devices share the CPU's cores and memory, so the step ratio shows the cost of
the collectives XLA inserts rather than a speed-up::

    python benchmarks/partitioning.py [--d-model 256] [--layers 4] [--repeats 7]
        [--out benchmarks/results/partitioning]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

DEVICES = 8
if "jax" not in sys.modules:
    # Must happen before JAX initialises its CPU backend.
    os.environ["XLA_FLAGS"] = " ".join(filter(None, [
        os.environ.get("XLA_FLAGS"), f"--xla_force_host_platform_device_count={DEVICES}"]))

import haiku as hk  # noqa: E402
import jax  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from jax.sharding import NamedSharding, PartitionSpec as P  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import model_parallel  # noqa: E402

partitioning = hk.experimental.partitioning

LAYOUTS = {
    "replicated": ({"data": DEVICES, "model": 1}, lambda tree: jax.tree.map(lambda _: P(), tree)),
    "fsdp": ({"data": DEVICES, "model": 1}, model_parallel.specs_for),
    "fsdp_tp": ({"data": 2, "model": 4}, model_parallel.specs_for),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32, help="global batch size")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--inner", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="write <out>.json and <out>.md")
    return parser.parse_args(argv)


class Layout:
    """One layout: its sharded parameters, optimiser state, batch and compiled step."""

    def __init__(self, name: str, model: hk.Transformed, optimizer, train_step, key, sample,
                 windows: np.ndarray):
        shape, specs_for = LAYOUTS[name]
        self.name, self.mesh = name, model_parallel.make_mesh(shape)
        abstract = jax.eval_shape(model.init, key, sample)
        opt_shardings = partitioning.named_shardings(
            self.mesh, specs_for(jax.eval_shape(optimizer.init, abstract)))
        param_shardings = partitioning.named_shardings(self.mesh, specs_for(abstract), abstract)
        self.params = partitioning.sharded_init(model.init, self.mesh, specs_for)(key, sample)
        self.opt_state = jax.jit(optimizer.init, out_shardings=opt_shardings)(self.params)
        self.windows = jax.device_put(windows, NamedSharding(self.mesh, P("data")))
        self.step = jax.jit(train_step, out_shardings=(param_shardings, opt_shardings, None))

    def param_bytes(self) -> int:
        return model_parallel.per_device_bytes(self.params)

    def state_bytes(self) -> int:
        return self.param_bytes() + model_parallel.per_device_bytes(self.opt_state)

    def train(self, steps: int) -> float:
        """Runs ``steps`` steps on the same batch (not kept); the last loss."""
        params, opt_state, loss = self.params, self.opt_state, None
        for _ in range(steps):
            params, opt_state, loss = self.step(params, opt_state, self.windows)
        return float(jax.block_until_ready(loss))


def step_seconds(layouts: list[Layout], repeats: int, inner: int) -> dict[str, float]:
    """Median seconds per step of each layout, sampled interleaved (A B C A B C ...)."""
    samples: dict[str, list[float]] = {layout.name: [] for layout in layouts}
    for layout in layouts:
        layout.train(1)  # compile
    for _ in range(repeats):
        for layout in layouts:
            start = time.perf_counter()
            layout.train(inner)
            samples[layout.name].append((time.perf_counter() - start) / inner)
    return {name: statistics.median(s) for name, s in samples.items()}


def measure(args: argparse.Namespace) -> dict:
    if jax.device_count() < DEVICES:
        raise SystemExit(f"needs {DEVICES} devices, JAX sees {jax.device_count()}")
    data, vocab_size = model_parallel.load_tokens()
    starts = np.random.default_rng(0).integers(0, len(data) - args.seq_len - 1, args.batch_size)
    windows = data[starts[:, None] + np.arange(args.seq_len + 1)]
    model = model_parallel.make_model(vocab_size, args.d_model, args.heads, args.layers)
    optimizer = optax.adam(1e-3)
    train_step = model_parallel.make_train_step(model, optimizer)

    key, sample = jax.random.PRNGKey(0), windows[:1, :-1]
    layouts = [Layout(name, model, optimizer, train_step, key, sample, windows)
               for name in LAYOUTS]
    losses = {layout.name: layout.train(3) for layout in layouts}
    spread = max(abs(v - losses["replicated"]) / losses["replicated"] for v in losses.values())
    if spread > 1e-4:
        raise SystemExit(f"the layouts' losses after 3 steps differ by {spread:.1e}: {losses}")
    seconds = step_seconds(layouts, args.repeats, args.inner)
    base = layouts[0]
    rows = [{
        "layout": layout.name,
        "mesh": dict(layout.mesh.shape),
        "param_bytes": layout.param_bytes(),
        "param_fraction": layout.param_bytes() / base.param_bytes(),
        "param_and_adam_bytes": layout.state_bytes(),
        "param_and_adam_fraction": layout.state_bytes() / base.state_bytes(),
        "step_ratio": seconds[layout.name] / seconds[base.name],
        "loss_after_3_steps": losses[layout.name],
    } for layout in layouts]
    return {
        "model": {"d_model": args.d_model, "heads": args.heads, "layers": args.layers,
                  "seq_len": args.seq_len, "batch_size": args.batch_size,
                  "parameters": sum(x.size for x in jax.tree.leaves(base.params))},
        "jax": jax.__version__, "platform": jax.devices()[0].platform,
        "machine": platform.machine(), "repeats": args.repeats, "inner": args.inner,
        "largest_relative_loss_difference": spread, "rows": rows,
    }


def markdown(result: dict) -> str:
    model = result["model"]
    lines = [
        f"Per-device memory and step time by layout, {DEVICES} {result['platform']} devices "
        f"(jax {result['jax']}, {result['machine']}); the Transformer of "
        f"examples/model_parallel.py with d_model {model['d_model']}, {model['heads']} heads, "
        f"{model['layers']} layers, {model['parameters']:,} parameters, batch "
        f"{model['batch_size']} x {model['seq_len']}. Step ratio: median of "
        f"{result['repeats']} interleaved samples of {result['inner']} steps, over replicated. "
        f"Losses agree to {result['largest_relative_loss_difference']:.1e} (relative).",
        "",
        "| layout | mesh | params / device | fraction | params + Adam / device | fraction "
        "| step time / replicated |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        mesh = " x ".join(f"{k}={v}" for k, v in row["mesh"].items())
        lines.append(
            f"| {row['layout']} | {mesh} | {row['param_bytes']:,} B | {row['param_fraction']:.3f} "
            f"| {row['param_and_adam_bytes']:,} B | {row['param_and_adam_fraction']:.3f} "
            f"| {row['step_ratio']:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    result = measure(args)
    table = markdown(result)
    print(table)
    if args.out is not None:
        suffix = f"_{result['platform']}"
        args.out.with_name(args.out.name + suffix + ".json").write_text(
            json.dumps(result, indent=2) + "\n")
        args.out.with_name(args.out.name + suffix + ".md").write_text(table)
    return result


if __name__ == "__main__":
    main()
