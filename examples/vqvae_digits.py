"""Trains a VQ-VAE on scikit-learn's digits with ``hk.nets.VectorQuantizerEMA``.

The 8x8 images of ``sklearn.datasets.load_digits`` (bundled, no download;
the same 80/20 split as ``train_digits.py``) are encoded by ``hk.Conv2D``
layers into a 4x4 grid of ``--embedding-dim`` vectors, each replaced by the
nearest of ``--num-embeddings`` codebook vectors by
``hk.nets.VectorQuantizerEMA`` (the codebook is Haiku state moved by
exponential moving averages; gradients pass straight through the
quantization), and decoded back to 8x8 by ``hk.Conv2DTranspose`` and
``hk.Conv2D``. The loss is the reconstruction mean squared error divided by
the data variance plus the quantizer's commitment loss, minimised with optax
Adam::

    python examples/vqvae_digits.py --steps 1000 --batch-size 64 --seed 0

Every ``--log-every`` steps it prints
``step   200  recon loss 0.1234  perplexity 23.4`` (normalised reconstruction
error and codebook perplexity, the exponential of the entropy of code use:
how many codes are effectively used, at most ``--num-embeddings``, averaged
over those steps), then the held-out reconstruction error next to the error
of predicting the mean image, a held-out digit and its reconstruction drawn
in characters, and last ``held-out recon loss 0.0xxx (mean-image baseline
1.0xxx), perplexity NN.N after N.Ns``.
"""

from __future__ import annotations

import argparse
import time

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import optax
from train_digits import load_data


class VQVAE(hk.Module):
    """Conv encoder, EMA vector quantizer, transposed-conv decoder."""

    def __init__(self, embedding_dim: int, num_embeddings: int, name: str | None = None):
        super().__init__(name=name)
        self.embedding_dim = embedding_dim
        self.num_embeddings = num_embeddings

    def __call__(self, images: jax.Array, is_training: bool) -> dict[str, jax.Array]:
        x = jax.nn.relu(hk.Conv2D(32, kernel_shape=3, name="enc_0")(images))
        x = jax.nn.relu(hk.Conv2D(64, kernel_shape=4, stride=2, name="enc_1")(x))  # 4x4
        z = hk.Conv2D(self.embedding_dim, kernel_shape=1, name="pre_vq")(x)
        vq = hk.nets.VectorQuantizerEMA(
            embedding_dim=self.embedding_dim, num_embeddings=self.num_embeddings,
            commitment_cost=0.25, decay=0.99)(z, is_training=is_training)
        x = jax.nn.relu(hk.Conv2D(64, kernel_shape=3, name="dec_0")(vq["quantize"]))
        x = jax.nn.relu(hk.Conv2DTranspose(32, kernel_shape=4, stride=2, name="dec_1")(x))  # 8x8
        reconstruction = hk.Conv2D(1, kernel_shape=3, name="dec_out")(x)
        return {"reconstruction": reconstruction, "vq_loss": vq["loss"],
                "perplexity": vq["perplexity"], "codes": vq["encoding_indices"]}


def ascii_image(image: np.ndarray) -> list[str]:
    """An 8x8 image in [0, 1] as 8 strings of characters, darker meaning more ink."""
    ramp = " .:-=+*#%@"
    levels = np.clip(np.round(image * (len(ramp) - 1)), 0, len(ramp) - 1).astype(int)
    return ["".join(ramp[v] * 2 for v in row) for row in levels]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--embedding-dim", type=int, default=16)
    parser.add_argument("--num-embeddings", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--log-every", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> float:
    args = parse_args(argv)
    start = time.perf_counter()
    train, test = load_data(args.seed)
    mean_image = train.images.mean(0)
    variance = float(train.images.var())
    # Centre the inputs; the decoder predicts centred images too.
    train_x, test_x = train.images - mean_image, test.images - mean_image

    model = hk.transform_with_state(lambda x, is_training: VQVAE(
        args.embedding_dim, args.num_embeddings)(x, is_training))
    params, state = jax.jit(model.init, static_argnums=2)(
        jax.random.PRNGKey(args.seed), train_x[:args.batch_size], True)
    print(f"{hk.data_structures.tree_size(params):,} parameters; state (the codebook and its "
          f"moving averages): " + ", ".join(
              f"{m}/{n} {tuple(v.shape)}" for m, n, v in hk.data_structures.traverse(state)))
    optimizer = optax.adam(optax.cosine_decay_schedule(args.learning_rate, max(args.steps, 1)))
    opt_state = optimizer.init(params)

    def loss_fn(params, state, images):
        out, state = model.apply(params, state, None, images, True)
        recon_loss = jnp.mean(jnp.square(out["reconstruction"] - images)) / variance
        return recon_loss + out["vq_loss"], (state, recon_loss, out["perplexity"])

    @jax.jit
    def train_step(params, state, opt_state, images):
        grads, (state, recon_loss, perplexity) = jax.grad(loss_fn, has_aux=True)(
            params, state, images)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), state, opt_state, recon_loss, perplexity

    @jax.jit
    def evaluate(params, state, images):
        out, _ = model.apply(params, state, None, images, False)
        recon_loss = jnp.mean(jnp.square(out["reconstruction"] - images)) / variance
        return recon_loss, out["perplexity"], out["reconstruction"]

    rng = np.random.default_rng(args.seed)
    history: list[tuple[float, float]] = []
    for step in range(1, args.steps + 1):
        index = rng.choice(len(train.labels), args.batch_size, replace=False)
        params, state, opt_state, recon_loss, perplexity = train_step(
            params, state, opt_state, train_x[index])
        history.append((recon_loss, perplexity))
        if step % args.log_every == 0 or step == args.steps:
            recon, perp = np.mean(np.asarray(history, dtype=np.float32), axis=0)
            print(f"step {step:5d}  recon loss {recon:.4f}  perplexity {perp:.1f}", flush=True)
            history = []

    test_loss, test_perplexity, reconstructions = evaluate(params, state, test_x)
    baseline = float(np.mean(np.square(test_x)) / variance)
    print("a held-out digit (left) and its reconstruction (right):")
    shown = test.images[0, ..., 0]
    rebuilt = np.asarray(reconstructions[0, ..., 0]) + mean_image[..., 0]
    for left, right in zip(ascii_image(shown), ascii_image(rebuilt)):
        print(f"  |{left}|   |{right}|")
    print(f"held-out recon loss {float(test_loss):.4f} (mean-image baseline {baseline:.4f}), "
          f"perplexity {float(test_perplexity):.1f} of {args.num_embeddings} codes "
          f"after {time.perf_counter() - start:.1f}s")
    return float(test_loss)


if __name__ == "__main__":
    main()
