"""Data-parallel training of a haiku model on several devices, three ways.

The same Conv2D + BatchNorm classifier is trained on scikit-learn's digits
(see ``train_digits.py``) with the same batches and the same initial
parameters:

- ``single``: one device, the whole batch;
- ``sharded``: ``jax.jit`` with the batch sharded over every device
  (``jax.sharding.NamedSharding`` on a one-axis mesh) and the parameters
  replicated; XLA inserts the collectives, and ``hk.BatchNorm`` computes its
  statistics over the global batch with no change to the model;
- ``pmap``: ``jax.pmap`` over the devices, each holding a slice of the batch;
  ``hk.BatchNorm(cross_replica_axis="data")`` averages the statistics and
  ``jax.lax.pmean`` the gradients over the devices.

The script prints the three loss curves and fails unless they agree within
float tolerance. On a CPU-only machine it makes 8 host devices itself
(``--cpu-devices``, by setting ``XLA_FLAGS`` before JAX starts)::

    python examples/data_parallel.py --steps 20

Multi-host: start one process per host with ``--distributed`` (JAX's
``jax.distributed.initialize()`` reads the coordinator address, process
count and id from the environment or the cluster); each process then loads
only its own slice of every batch (``jax.make_array_from_process_local_data``)
and the ``sharded`` run spans every device of every host; the ``single`` run
is on each process's first device, and ``pmap`` runs only in a
single-process job. ``--coordinator``, ``--num-processes`` and
``--process-id`` set what the cluster does not (on one machine: two
processes with ``--cpu-devices 4`` each, the coordinator on 127.0.0.1).
"""

from __future__ import annotations

import argparse
import os
import sys


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64, help="global batch size")
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
                        help="largest relative loss difference allowed between the runs")
    return parser.parse_args(argv)


ARGS = parse_args()
if "jax" not in sys.modules:
    # Must happen before JAX initialises its CPU backend.
    flag = f"--xla_force_host_platform_device_count={ARGS.cpu_devices}"
    os.environ["XLA_FLAGS"] = " ".join(filter(None, [os.environ.get("XLA_FLAGS"), flag]))

import haiku as hk  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from jax.sharding import Mesh, NamedSharding, PartitionSpec  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

AXIS = "data"


def classifier(images: jax.Array, cross_replica_axis: str | None = None) -> jax.Array:
    """Conv-BatchNorm-ReLU twice, a 2x2 max pool and a linear layer (training mode)."""
    x = images
    for channels in (16, 32):
        x = hk.Conv2D(channels, kernel_shape=3)(x)
        x = hk.BatchNorm(create_scale=True, create_offset=True, decay_rate=0.9,
                         cross_replica_axis=cross_replica_axis)(x, is_training=True)
        x = jax.nn.relu(x)
    x = hk.max_pool(x, window_shape=2, strides=2, padding="VALID")
    return hk.Linear(10)(hk.Flatten()(x))


def make_loss(cross_replica_axis: str | None):
    model = hk.transform_with_state(
        lambda x: classifier(x, cross_replica_axis=cross_replica_axis))

    def loss_fn(params, state, images, labels):
        logits, state = model.apply(params, state, None, images)
        loss = optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
        return loss, state

    return model, loss_fn


def global_batches(steps: int, batch_size: int, seed: int):
    """``steps`` batches of digits, the same for every run and every process."""
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[..., None]
    labels = digits.target.astype(np.int32)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        index = rng.choice(len(labels), size=batch_size, replace=False)
        yield images[index], labels[index]


def make_step(learning_rate: float, cross_replica_axis: str | None = None):
    """An Adam train step; under ``pmap``, loss and gradients are averaged over the axis."""
    _, loss_fn = make_loss(cross_replica_axis)
    optimizer = optax.adam(learning_rate)

    def step(params, state, opt_state, images, labels):
        (loss, state), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            params, state, images, labels)
        if cross_replica_axis is not None:
            grads, loss = jax.lax.pmean((grads, loss), cross_replica_axis)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), state, opt_state, loss

    return step, optimizer


def train_single(params, state, batches, learning_rate):
    step, optimizer = make_step(learning_rate)
    step = jax.jit(step)
    opt_state = optimizer.init(params)
    losses = []
    for images, labels in batches:
        params, state, opt_state, loss = step(params, state, opt_state, images, labels)
        losses.append(float(loss))
    return losses


def train_sharded(params, state, batches, learning_rate):
    """``jax.jit`` over a mesh of every device: the batch is split along its first axis."""
    mesh = Mesh(np.array(jax.devices()), (AXIS,))
    replicated = NamedSharding(mesh, PartitionSpec())
    split = NamedSharding(mesh, PartitionSpec(AXIS))
    step, optimizer = make_step(learning_rate)
    step = jax.jit(step)
    params, state = jax.device_put((params, state), replicated)
    opt_state = jax.device_put(optimizer.init(params), replicated)
    losses = []
    for images, labels in batches:
        images, labels = (_process_local(split, a) for a in (images, labels))
        params, state, opt_state, loss = step(params, state, opt_state, images, labels)
        losses.append(float(loss))
    return losses


def _process_local(sharding: NamedSharding, global_array: np.ndarray) -> jax.Array:
    """The global array, built from this process's rows only (multi-host ready)."""
    rows = len(global_array) // jax.process_count()
    start = jax.process_index() * rows
    return jax.make_array_from_process_local_data(
        sharding, global_array[start:start + rows], global_array.shape)


def train_pmap(params, state, batches, learning_rate):
    """``jax.pmap``: BatchNorm and the gradients are averaged over the devices."""
    devices = jax.local_devices()
    step, optimizer = make_step(learning_rate, cross_replica_axis=AXIS)
    step = jax.pmap(step, axis_name=AXIS)
    params, state, opt_state = jax.tree_util.tree_map(
        lambda x: jnp.broadcast_to(x, (len(devices), *jnp.shape(x))),
        (params, state, optimizer.init(params)))
    losses = []
    for images, labels in batches:
        images, labels = (a.reshape(len(devices), -1, *a.shape[1:]) for a in (images, labels))
        params, state, opt_state, loss = step(params, state, opt_state, images, labels)
        losses.append(float(loss[0]))
    return losses


def main() -> dict[str, list[float]]:
    args = ARGS
    if args.distributed:
        # On CPUs the processes exchange data through gloo (GPUs and TPUs have their own).
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(args.coordinator, args.num_processes, args.process_id)
    num_devices = jax.device_count()
    if args.batch_size % num_devices:
        raise SystemExit(f"--batch-size {args.batch_size} must divide over {num_devices} devices")
    print(f"{num_devices} devices ({jax.process_count()} process(es)): {jax.devices()[0].platform}")

    model, _ = make_loss(None)
    sample = next(global_batches(1, args.batch_size, args.seed))[0]
    params, state = model.init(jax.random.PRNGKey(args.seed), sample)
    runs = {"single": train_single, "sharded": train_sharded}
    if jax.process_count() == 1:
        runs["pmap"] = train_pmap
    curves = {
        name: train(params, state, global_batches(args.steps, args.batch_size, args.seed),
                    args.learning_rate)
        for name, train in runs.items()
    }
    for step in range(args.steps):
        print(f"step {step + 1:3d}  " + "  ".join(
            f"{name} {losses[step]:.6f}" for name, losses in curves.items()))
    reference = np.array(next(iter(curves.values())))
    for name, losses in curves.items():
        difference = float(np.max(np.abs(np.array(losses) - reference) / np.abs(reference)))
        print(f"{name}: largest relative difference to {next(iter(curves))} {difference:.2e}")
        if difference > args.tolerance:
            raise SystemExit(f"{name} loss curve differs by {difference:.2e} "
                             f"(more than --tolerance {args.tolerance:g})")
    print(f"loss curves agree within {args.tolerance:g} "
          f"({curves[next(iter(curves))][0]:.4f} -> {reference[-1]:.4f})")
    return curves


if __name__ == "__main__":
    main()
