"""Model-parallel training: the character Transformer with its parameters sharded over a 2-D mesh.

The model is ``transformer_lm.py``'s, unchanged (blocks under
``hk.layer_stack``, so each block parameter has a leading ``[layers]``
axis). ``hk.experimental.partitioning.match_rules`` gives every parameter a
``PartitionSpec`` by its name, on a ``data`` x ``model`` mesh:

- FSDP (ZeRO-3) over ``data``: every large matrix is split over the data
  devices along its ``d_model`` side, and the batch is split over them too;
- Megatron-style tensor parallelism over ``model``: the attention query,
  key and value projections are split by heads (their output columns), the
  attention output projection by heads (its input rows); the MLP's first
  layer by hidden units (columns), its second by hidden units (rows).

The parameters are created sharded (``partitioning.sharded_init``: no device
ever holds a whole matrix), the optimiser state is sharded like the
parameters (the same rules match its ``mu``/``nu`` trees), and XLA inserts
the collectives. The script trains ``--steps`` steps, saves the sharded
parameters and optimiser state with orbax half-way, restores them onto a
*different* mesh (``--restore-mesh``, by default the transposed one) and
continues there. It fails unless the whole loss curve equals that of the
same training on one device within ``--tolerance``. On a CPU-only machine
it makes ``--cpu-devices`` host devices itself::

    python examples/model_parallel.py --mesh data=2,model=4 --steps 20

Multi-host: start one process per host with ``--distributed`` and a
``--checkpoint-dir`` every host can reach (``--coordinator``,
``--num-processes`` and ``--process-id`` give what the cluster does not); each
process feeds only the rows of each batch its devices hold, and the
one-device comparison runs on the first device of every process. On one
machine, two processes with ``--cpu-devices 4`` each and the coordinator on
``127.0.0.1`` span 8 devices (tests/test_multi_process.py does this).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


def parse_mesh(text: str) -> dict[str, int]:
    """``"data=2,model=4"`` -> ``{"data": 2, "model": 4}``."""
    mesh = {}
    for part in text.split(","):
        name, _, size = part.partition("=")
        if name not in ("data", "model") or not size.isdigit():
            raise argparse.ArgumentTypeError(f"expected data=N,model=M, got {text!r}")
        mesh[name] = int(size)
    if set(mesh) != {"data", "model"}:
        raise argparse.ArgumentTypeError(f"give both data= and model=, got {text!r}")
    return mesh


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mesh", type=parse_mesh, default=parse_mesh("data=2,model=4"))
    parser.add_argument("--restore-mesh", type=parse_mesh, default=None,
                        help="mesh to restore the checkpoint onto (default: --mesh transposed)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16, help="global batch size")
    parser.add_argument("--seq-len", type=int, default=32)
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cpu-devices", type=int, default=8,
                        help="host devices to create when JAX runs on the CPU")
    parser.add_argument("--distributed", action="store_true",
                        help="call jax.distributed.initialize() first (multi-host)")
    parser.add_argument("--coordinator", default=None,
                        help="with --distributed: host:port of process 0 (default: from the "
                             "cluster or JAX_COORDINATOR_ADDRESS)")
    parser.add_argument("--num-processes", type=int, default=None)
    parser.add_argument("--process-id", type=int, default=None)
    parser.add_argument("--tolerance", type=float, default=1e-4,
                        help="largest relative loss difference allowed against one device")
    parser.add_argument("--checkpoint-dir", type=Path, default=None,
                        help="where to save the checkpoint (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.restore_mesh is None:
        args.restore_mesh = {"data": args.mesh["model"], "model": args.mesh["data"]}
    return args


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None and "jax" not in sys.modules:
    # Must happen before JAX initialises its CPU backend.
    flag = f"--xla_force_host_platform_device_count={ARGS.cpu_devices}"
    os.environ["XLA_FLAGS"] = " ".join(filter(None, [os.environ.get("XLA_FLAGS"), flag]))

import haiku as hk  # noqa: E402
import jax  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from transformer_lm import load_corpus, transformer_lm  # noqa: E402

partitioning = hk.experimental.partitioning

# FSDP over "data" on the d_model side, Megatron over "model" on heads and
# hidden units. Block parameters have a leading [layers] axis (None: each
# device holds its shard of every layer).
RULES = [
    (r"multi_head_attention/(query|key|value)/w$", P(None, "data", "model")),
    (r"multi_head_attention/(query|key|value)/b$", P(None, "model")),
    (r"multi_head_attention/linear/w$", P(None, "model", "data")),
    (r"blocks/linear/w$", P(None, "data", "model")),
    (r"blocks/linear/b$", P(None, "model")),
    (r"blocks/linear_1/w$", P(None, "model", "data")),
    (r"token_embed/embeddings$", P(None, "data")),
    (r"position_embeddings$", P(None, "data")),
    (r"readout/w$", P("data", None)),
]


def make_mesh(shape: dict[str, int]) -> Mesh:
    size = shape["data"] * shape["model"]
    if size > jax.device_count():
        raise SystemExit(f"mesh {shape} needs {size} devices, there are {jax.device_count()}")
    devices = np.array(jax.devices()[:size]).reshape(shape["data"], shape["model"])
    return Mesh(devices, ("data", "model"))


def specs_for(tree) -> object:
    """The rules' specs for params or optimiser state; the rest (norms, biases, counts) replicated."""
    return partitioning.match_rules(RULES, tree, default=P())


def batches(data: np.ndarray, args: argparse.Namespace):
    rng = np.random.default_rng(args.seed)
    offsets = np.arange(args.seq_len + 1)
    for _ in range(args.steps):
        starts = rng.integers(0, len(data) - args.seq_len - 1, size=args.batch_size)
        yield data[starts[:, None] + offsets]


def process_local(sharding: NamedSharding, global_array: np.ndarray) -> jax.Array:
    """The global batch, built from the rows this process's devices hold (multi-host ready)."""
    indices = sharding.addressable_devices_indices_map(global_array.shape).values()
    rows = [index[0].indices(len(global_array)) for index in indices]
    start, stop = min(r[0] for r in rows), max(r[1] for r in rows)
    return jax.make_array_from_process_local_data(
        sharding, global_array[start:stop], global_array.shape)


def per_device_bytes(tree) -> int:
    """The bytes of ``tree`` that this process's first device holds."""
    first = jax.local_devices()[0]
    return sum(s.data.nbytes for leaf in jax.tree.leaves(tree)
               for s in leaf.addressable_shards if s.device == first)


def load_tokens() -> tuple[np.ndarray, int]:
    """The corpus as character ids, and how many distinct characters it has."""
    text = load_corpus("zen")
    chars = sorted(set(text))
    return np.array([chars.index(c) for c in text], dtype=np.int32), len(chars)


def make_model(vocab_size: int, d_model: int, num_heads: int, num_layers: int) -> hk.Transformed:
    """``transformer_lm`` transformed, without an apply RNG."""
    return hk.without_apply_rng(hk.transform(lambda tokens: transformer_lm(
        tokens, vocab_size=vocab_size, d_model=d_model, num_heads=num_heads,
        num_layers=num_layers)))


def make_train_step(model: hk.Transformed, optimizer: optax.GradientTransformation):
    """``(params, opt_state, windows) -> (params, opt_state, loss)``: next-character loss."""

    def train_step(params, opt_state, windows):
        def loss_fn(params):
            logits = model.apply(params, windows[:, :-1])
            return optax.softmax_cross_entropy_with_integer_labels(logits, windows[:, 1:]).mean()

        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    return train_step


def main(argv: list[str] | None = None) -> list[float]:
    args = ARGS if argv is None else parse_args(argv)
    if args.distributed:
        # On CPUs the processes exchange data through gloo (GPUs and TPUs have their own).
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(args.coordinator, args.num_processes, args.process_id)
    data, vocab_size = load_tokens()
    model = make_model(vocab_size, args.d_model, args.heads, args.layers)
    optimizer = optax.adamw(args.learning_rate, weight_decay=1e-4)
    train_step = make_train_step(model, optimizer)

    key, sample = jax.random.PRNGKey(args.seed), data[None, :args.seq_len]
    print(f"{jax.device_count()} devices ({jax.process_count()} process(es)): "
          f"{jax.devices()[0].platform}")

    # One device (this process's first): the reference loss curve.
    params = jax.jit(model.init)(key, sample)
    opt_state = jax.jit(optimizer.init)(params)
    step = jax.jit(train_step)
    reference = []
    for windows in batches(data, args):
        params, opt_state, loss = step(params, opt_state, windows)
        reference.append(float(loss))
    replicated_bytes = per_device_bytes(params) + per_device_bytes(opt_state)

    # Sharded: created sharded, trained, checkpointed half-way, restored onto another mesh.
    if args.checkpoint_dir is None and jax.process_count() > 1:
        raise SystemExit("with several processes, pass --checkpoint-dir: a folder every "
                         "process can reach (orbax writes each process's shards there)")
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.checkpoint_dir or Path(scratch)
        losses = train_sharded(args, model, optimizer, train_step, data, key, sample,
                               folder.resolve() / "checkpoint", replicated_bytes)
    return check(losses, reference, args.tolerance)


def train_sharded(args, model, optimizer, train_step, data, key, sample, checkpoint: Path,
                  replicated_bytes: int) -> list[float]:
    """Trains on ``--mesh``, checkpoints half-way, restores onto ``--restore-mesh``; the losses."""
    first_steps = args.steps // 2
    losses: list[float] = []
    for phase, shape in enumerate((args.mesh, args.restore_mesh)):
        mesh = make_mesh(shape)
        abstract_params = jax.eval_shape(model.init, key, sample)
        abstract_opt = jax.eval_shape(optimizer.init, abstract_params)
        param_shardings = partitioning.named_shardings(mesh, specs_for(abstract_params),
                                                       abstract_params)
        opt_shardings = partitioning.named_shardings(mesh, specs_for(abstract_opt), abstract_opt)
        if phase == 0:
            params = partitioning.sharded_init(model.init, mesh, specs_for)(key, sample)
            opt_state = jax.jit(optimizer.init, out_shardings=opt_shardings)(params)
            print(f"mesh {dict(mesh.shape)}: per-device parameter + optimiser bytes "
                  f"{per_device_bytes(params) + per_device_bytes(opt_state):,} "
                  f"(one device: {replicated_bytes:,})")
        else:
            params, opt_state = restore(checkpoint, (abstract_params, abstract_opt),
                                        (param_shardings, opt_shardings))
            query = params["blocks/multi_head_attention/query"]["w"]
            print(f"restored onto mesh {dict(mesh.shape)}: attention query w {query.shape}, "
                  f"spec {tuple(query.sharding.spec)}, shard "
                  f"{query.addressable_shards[0].data.shape}")
        batch = NamedSharding(mesh, P("data"))
        step = jax.jit(train_step, out_shardings=(param_shardings, opt_shardings, None))
        for i, windows in enumerate(batches(data, args)):
            if (phase == 0) != (i < first_steps):
                continue
            params, opt_state, loss = step(params, opt_state, process_local(batch, windows))
            losses.append(float(loss))
        if phase == 0:
            save(checkpoint, (params, opt_state))
            print(f"saved the sharded parameters and optimiser state to {checkpoint}")
    return losses


def check(losses: list[float], reference: list[float], tolerance: float) -> list[float]:
    """Fails unless the sharded loss curve equals the one-device curve within ``tolerance``."""
    for i, (got, want) in enumerate(zip(losses, reference)):
        print(f"step {i + 1:3d}  one device {want:.6f}  sharded {got:.6f}")
    difference = max(abs(a - b) / abs(b) for a, b in zip(losses, reference))
    print(f"largest relative difference to one device {difference:.2e}")
    if difference > tolerance or len(losses) != len(reference):
        raise SystemExit(f"the sharded loss curve differs by {difference:.2e} "
                         f"(more than --tolerance {tolerance:g})")
    print(f"loss curves agree within {tolerance:g} ({reference[0]:.4f} -> {reference[-1]:.4f})")
    return losses


def save(path: Path, tree) -> None:
    """Saves a tree of sharded arrays with orbax (each process writes its shards)."""
    import orbax.checkpoint as ocp

    checkpointer = ocp.StandardCheckpointer()
    checkpointer.save(path, tree, force=True)
    checkpointer.wait_until_finished()


def restore(path: Path, abstract, shardings):
    """Restores a checkpoint of :func:`save` with each array sharded as ``shardings`` says."""
    import orbax.checkpoint as ocp

    target = jax.tree.map(lambda a, s: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=s),
                          abstract, shardings)
    return ocp.StandardCheckpointer().restore(path, target)


if __name__ == "__main__":
    main()
