"""Trains a haiku MLP classifier on scikit-learn's bundled digits data set.

The 1,797 8x8 images of ``sklearn.datasets.load_digits`` ship inside
scikit-learn, so this runs without any download::

    python examples/train_digits.py --epochs 30 --batch-size 64 --seed 0

It prints the loss and accuracy per epoch and the final held-out accuracy.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import optax
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def load_data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The digits as float32 images in [0, 1] and int32 labels, split 80/20."""
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)
    labels = digits.target.astype(np.int32)
    return train_test_split(images, labels, test_size=0.2, random_state=seed, stratify=labels)


def classifier(images: jax.Array) -> jax.Array:
    """An MLP: flatten, two hidden ReLU layers, 10 logits."""
    x = images.reshape(images.shape[0], -1)
    for width in (128, 64):
        x = jax.nn.relu(hk.Linear(width)(x))
    return hk.Linear(10)(x)


def batches(images: np.ndarray, labels: np.ndarray, size: int, rng: np.random.Generator
            ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    order = rng.permutation(len(images))
    for start in range(0, len(order), size):
        index = order[start:start + size]
        yield images[index], labels[index]


def main() -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    train_x, test_x, train_y, test_y = load_data(args.seed)
    model = hk.without_apply_rng(hk.transform(classifier))
    optimizer = optax.adam(args.learning_rate)

    params = model.init(jax.random.PRNGKey(args.seed), train_x[:1])
    opt_state = optimizer.init(params)
    print(f"{hk.data_structures.tree_size(params):,} parameters: "
          f"{jax.tree_util.tree_map(jnp.shape, params)}")

    def loss_fn(params, images, labels):
        logits = model.apply(params, images)
        return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()

    @jax.jit
    def train_step(params, opt_state, images, labels):
        loss, grads = jax.value_and_grad(loss_fn)(params, images, labels)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    @jax.jit
    def accuracy(params, images, labels):
        return (model.apply(params, images).argmax(-1) == labels).mean()

    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        losses = []
        for images, labels in batches(train_x, train_y, args.batch_size, rng):
            params, opt_state, loss = train_step(params, opt_state, images, labels)
            losses.append(loss)
        train_acc = float(accuracy(params, train_x, train_y))
        print(f"epoch {epoch:3d}  loss {float(np.mean(losses)):.4f}  train accuracy {train_acc:.3f}")
    test_acc = float(accuracy(params, test_x, test_y))
    print(f"held-out accuracy {test_acc:.4f} ({len(test_x)} images) "
          f"after {time.perf_counter() - start:.1f}s")
    return test_acc


if __name__ == "__main__":
    main()
