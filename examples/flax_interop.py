"""Trains two digit classifiers that mix Haiku and Flax layers, with optax.

Both use scikit-learn's bundled ``load_digits`` (the same 80/20 split as
``train_digits.py``) and optax Adam:

1. ``haiku``: a Haiku model (``hk.transform_with_state``) whose first block
   is a ``flax.linen`` module (``nn.Conv`` + ``nn.BatchNorm`` + ReLU) run
   through ``hk.experimental.flax.lift``; its Flax ``params`` become Haiku
   parameters (``flax_block/Conv_0``, ``flax_block/BatchNorm_0``) and its
   ``batch_stats`` Haiku state (``flax_block/batch_stats/BatchNorm_0``). The
   rest is Haiku: ``hk.max_pool``, ``hk.Flatten`` and an ``hk.nets.MLP``.
2. ``flax``: a ``flax.linen`` model whose classifier head is a Haiku
   ``hk.nets.MLP`` wrapped as a Flax module with
   ``hk.experimental.flax.Module.create``; its Haiku parameters sit in the
   Flax ``params`` collection next to the ``nn.Conv`` kernel.

Run::

    python examples/flax_interop.py --steps 300 --batch-size 64 --seed 0

For each model it prints where the parameters live, then
``[haiku] step   50  loss 0.8765`` every ``--log-every`` steps and
``[haiku] held-out accuracy 0.9xxx``; ``--models`` picks one or both.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import flax.linen as nn
import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import optax
from train_digits import NUM_CLASSES, Split, load_data


class FlaxConvBlock(nn.Module):
    """Conv + BatchNorm + ReLU, written in Flax."""

    features: int = 32

    @nn.compact
    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        x = nn.Conv(self.features, (3, 3))(x)
        x = nn.BatchNorm(use_running_average=not train, momentum=0.9)(x)
        return nn.relu(x)


def haiku_model(images: jax.Array, is_training: bool) -> jax.Array:
    """A Haiku classifier whose first block is the lifted Flax module."""
    x = hk.experimental.flax.lift(FlaxConvBlock(), name="flax_block")(images, train=is_training)
    x = hk.max_pool(x, window_shape=2, strides=2, padding="VALID")
    return hk.nets.MLP([64, NUM_CLASSES])(hk.Flatten()(x))


class FlaxModel(nn.Module):
    """A Flax classifier whose head is a Haiku MLP."""

    @nn.compact
    def __call__(self, images: jax.Array) -> jax.Array:
        x = nn.relu(nn.Conv(32, (3, 3))(images))
        x = nn.max_pool(x, (2, 2), strides=(2, 2))
        x = x.reshape(x.shape[0], -1)
        return hk.experimental.flax.Module.create(hk.nets.MLP, [64, NUM_CLASSES])(x)


def shapes(tree) -> str:
    paths = jax.tree_util.tree_leaves_with_path(tree)
    return "\n".join(f"  {jax.tree_util.keystr(path)}: {tuple(leaf.shape)}" for path, leaf in paths)


def train_haiku(args: argparse.Namespace, train: Split, test: Split) -> float:
    model = hk.transform_with_state(haiku_model)
    params, state = jax.jit(model.init, static_argnums=2)(
        jax.random.PRNGKey(args.seed), train.images[:1], True)
    print(f"[haiku] Haiku params (the Flax block's under 'flax_block/'):\n{shapes(params)}")
    print(f"[haiku] Haiku state (the Flax batch_stats):\n{shapes(state)}")

    def loss_fn(params, state, images, labels):
        logits, state = model.apply(params, state, None, images, True)
        return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean(), state

    def predict(params, state, images):
        return model.apply(params, state, None, images, False)[0]

    return fit("haiku", args, train, test, (params, state), loss_fn, predict)


def train_flax(args: argparse.Namespace, train: Split, test: Split) -> float:
    model = FlaxModel()
    variables = jax.jit(model.init)(jax.random.PRNGKey(args.seed), train.images[:1])
    print(f"[flax] Flax variables (the Haiku MLP's in params['Module_0']):\n{shapes(variables)}")

    def loss_fn(variables, state, images, labels):
        logits = model.apply(variables, images)
        return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean(), state

    def predict(variables, state, images):
        return model.apply(variables, images)

    return fit("flax", args, train, test, (variables, None), loss_fn, predict)


def fit(tag: str, args: argparse.Namespace, train: Split, test: Split, init,
        loss_fn: Callable, predict: Callable) -> float:
    """The same optax loop for both models: ``loss_fn(params, state, x, y) -> (loss, state)``."""
    params, state = init
    optimizer = optax.adam(optax.cosine_decay_schedule(args.learning_rate, max(args.steps, 1)))
    opt_state = optimizer.init(params)

    @jax.jit
    def train_step(params, state, opt_state, images, labels):
        (loss, state), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            params, state, images, labels)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), state, opt_state, loss

    rng = np.random.default_rng(args.seed)
    losses = []
    for step in range(1, args.steps + 1):
        index = rng.choice(len(train.labels), args.batch_size, replace=False)
        params, state, opt_state, loss = train_step(
            params, state, opt_state, train.images[index], train.labels[index])
        losses.append(loss)
        if step % args.log_every == 0 or step == args.steps:
            print(f"[{tag}] step {step:5d}  loss {float(np.mean(losses)):.4f}", flush=True)
            losses = []
    logits = jax.jit(predict)(params, state, test.images)
    accuracy = float(jnp.mean(logits.argmax(-1) == test.labels))
    print(f"[{tag}] held-out accuracy {accuracy:.4f}")
    return accuracy


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", choices=("haiku", "flax", "both"), default="both")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, float]:
    args = parse_args(argv)
    start = time.perf_counter()
    train, test = load_data(args.seed)
    results = {}
    if args.models in ("haiku", "both"):
        results["haiku"] = train_haiku(args, train, test)
    if args.models in ("flax", "both"):
        results["flax"] = train_flax(args, train, test)
    print(f"done after {time.perf_counter() - start:.1f}s")
    return results


if __name__ == "__main__":
    main()
