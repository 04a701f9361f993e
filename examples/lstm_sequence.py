"""Trains an LSTM that reads scikit-learn's digits row by row and classifies them.

Each 8x8 image of ``sklearn.datasets.load_digits`` (bundled with scikit-learn,
no download) is read as a sequence of 8 steps, one image row of 8 pixels per
step. A two-layer ``hk.DeepRNN`` of ``hk.LSTM`` cores is unrolled over the rows
with ``hk.dynamic_unroll`` (one ``jax.lax.scan``), and an ``hk.Linear`` head
classifies the digit from the last step's output. Training uses optax Adam on
the same 80/20 split as ``train_digits.py``::

    python examples/lstm_sequence.py --steps 600 --batch-size 64 --seed 0

Every ``--log-every`` steps it prints a line
``step   200  loss 0.4123  held-out accuracy 0.912``; the last line is
``final held-out accuracy 0.9xxx (360 sequences of 8 steps) after N.Ns``.
"""

from __future__ import annotations

import argparse
import time

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import optax
from train_digits import NUM_CLASSES, load_data


def sequence_classifier(rows: jax.Array, hidden_size: int) -> jax.Array:
    """Logits ``[B, 10]`` from row sequences ``[B, T, F]`` (batch-major)."""
    core = hk.DeepRNN([hk.LSTM(hidden_size), hk.LSTM(hidden_size)])
    initial_state = core.initial_state(rows.shape[0])
    outputs, _ = hk.dynamic_unroll(core, rows, initial_state, time_major=False)
    return hk.Linear(NUM_CLASSES)(outputs[:, -1])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=1e-2)
    parser.add_argument("--log-every", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> float:
    args = parse_args(argv)
    start = time.perf_counter()
    train, test = load_data(args.seed)
    # [N, 8, 8, 1] images -> [N, 8 steps, 8 features] sequences.
    train_x, test_x = train.images[..., 0], test.images[..., 0]

    model = hk.without_apply_rng(hk.transform(
        lambda rows: sequence_classifier(rows, args.hidden_size)))
    params = jax.jit(model.init)(jax.random.PRNGKey(args.seed), train_x[:1])
    print(f"{hk.data_structures.tree_size(params):,} parameters: "
          + ", ".join(f"{name} {dict((k, v.shape) for k, v in p.items())}"
                      for name, p in params.items()))
    schedule = optax.cosine_decay_schedule(args.learning_rate, max(args.steps, 1))
    optimizer = optax.adam(schedule)
    opt_state = optimizer.init(params)

    def loss_fn(params, rows, labels):
        logits = model.apply(params, rows)
        return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()

    @jax.jit
    def train_step(params, opt_state, rows, labels):
        loss, grads = jax.value_and_grad(loss_fn)(params, rows, labels)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    @jax.jit
    def accuracy(params, rows, labels):
        return jnp.mean(model.apply(params, rows).argmax(-1) == labels)

    rng = np.random.default_rng(args.seed)
    losses = []
    test_accuracy = float(accuracy(params, test_x, test.labels))
    for step in range(1, args.steps + 1):
        index = rng.choice(len(train.labels), args.batch_size, replace=False)
        params, opt_state, loss = train_step(params, opt_state, train_x[index],
                                             train.labels[index])
        losses.append(loss)
        if step % args.log_every == 0 or step == args.steps:
            test_accuracy = float(accuracy(params, test_x, test.labels))
            print(f"step {step:5d}  loss {float(np.mean(losses)):.4f}  "
                  f"held-out accuracy {test_accuracy:.3f}", flush=True)
            losses = []
    print(f"final held-out accuracy {test_accuracy:.4f} ({len(test.labels)} sequences of "
          f"{test_x.shape[1]} steps) after {time.perf_counter() - start:.1f}s")
    return test_accuracy


if __name__ == "__main__":
    main()
