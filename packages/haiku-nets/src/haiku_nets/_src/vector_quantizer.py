"""VQ-VAE bottlenecks: :class:`VectorQuantizer` and :class:`VectorQuantizerEMA`.

Both quantize the last axis of their input to the nearest of ``num_embeddings``
codebook vectors (van den Oord et al., "Neural Discrete Representation
Learning", https://arxiv.org/abs/1711.00937). :class:`VectorQuantizer` learns
the codebook by gradient descent on an auxiliary loss;
:class:`VectorQuantizerEMA` moves it towards the mean of the inputs assigned to
each code with exponential moving averages (state).
"""

from __future__ import annotations

from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp

from haiku_nets._src.moving_averages import ExponentialMovingAverage

__all__ = ["VectorQuantizer", "VectorQuantizerEMA"]


def _codebook_init() -> hk.initializers.Initializer:
    return hk.initializers.VarianceScaling(distribution="uniform")


def _check_inputs(module: hk.Module, inputs: jax.Array, embedding_dim: int) -> None:
    shape = jnp.shape(inputs)
    if not shape or shape[-1] != embedding_dim:
        # TypeError: what dm-haiku's jnp.reshape of the inputs raises for it.
        raise TypeError(
            f"{module.module_name}: the last dimension of the inputs must be embedding_dim="
            f"{embedding_dim}, got inputs of shape {tuple(shape)}.")


def _nearest_codes(flat_inputs: jax.Array, embeddings: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Squared distances ``[N, K]`` to each code and the index of the nearest."""
    distances = (
        jnp.sum(jnp.square(flat_inputs), 1, keepdims=True)
        - 2 * jnp.matmul(flat_inputs, embeddings)
        + jnp.sum(jnp.square(embeddings), 0, keepdims=True))
    indices = jnp.argmax(-distances, 1)
    return distances, indices


def _perplexity(encodings: jax.Array, cross_replica_axis: str | None) -> jax.Array:
    """``exp`` of the entropy of the average code usage."""
    avg_probs = jnp.mean(encodings, 0)
    if cross_replica_axis is not None:
        avg_probs = jax.lax.pmean(avg_probs, axis_name=cross_replica_axis)
    return jnp.exp(-jnp.sum(avg_probs * jnp.log(avg_probs + 1e-10)))


def _lookup(embeddings: jax.Array, encoding_indices: jax.Array) -> jax.Array:
    """The codebook vectors (columns of ``embeddings``) at ``encoding_indices``."""
    return jnp.swapaxes(embeddings, 1, 0)[(encoding_indices,)]


def _quantize(
    inputs: jax.Array,
    embeddings: jax.Array,
    num_embeddings: int,
    cross_replica_axis: str | None,
) -> dict[str, jax.Array]:
    """Everything both quantizers return, except the loss (plus the flat inputs)."""
    flat_inputs = jnp.reshape(inputs, [-1, embeddings.shape[0]])
    distances, flat_indices = _nearest_codes(flat_inputs, embeddings)
    encodings = jax.nn.one_hot(flat_indices, num_embeddings, dtype=distances.dtype)
    encoding_indices = jnp.reshape(flat_indices, inputs.shape[:-1])
    quantized = _lookup(embeddings, encoding_indices)
    return {
        "quantize": quantized,
        "perplexity": _perplexity(encodings, cross_replica_axis),
        "encodings": encodings,
        "encoding_indices": encoding_indices,
        "distances": distances,
        "flat_inputs": flat_inputs,
    }


def _straight_through(inputs: jax.Array, quantized: jax.Array) -> jax.Array:
    """``quantized`` in the forward pass, the identity of ``inputs`` backwards."""
    return inputs + jax.lax.stop_gradient(quantized - inputs)


class VectorQuantizer(hk.Module):
    """The VQ-VAE bottleneck, learning its codebook through an auxiliary loss.

    Every vector along the last axis of the input (of size ``embedding_dim``)
    is replaced by the nearest (in Euclidean distance) of ``num_embeddings``
    codebook vectors, the columns of the ``embeddings`` parameter of shape
    ``[embedding_dim, num_embeddings]``. All other dimensions are flattened,
    so a ``[16, 32, 32, 64]`` input quantizes ``16 * 32 * 32`` vectors and
    ``quantize`` has the input's shape:

    >>> vq = hk.nets.VectorQuantizer(
    ...     embedding_dim=64, num_embeddings=512, commitment_cost=0.25)
    >>> out = vq(jnp.ones([16, 32, 32, 64]), is_training=True)
    >>> out["quantize"].shape, out["encodings"].shape, out["encoding_indices"].shape
    ((16, 32, 32, 64), (16384, 512), (16, 32, 32))
    >>> sorted(out)
    ['distances', 'encoding_indices', 'encodings', 'loss', 'perplexity', 'quantize']

    The returned ``quantize`` passes gradients straight through to the input
    (its Jacobian is the identity). The ``loss`` is
    ``q_latent_loss + commitment_cost * e_latent_loss``: both are the mean
    squared distance between the inputs and their codes, the first moving the
    codes (the inputs held fixed), the second the inputs.

    Attributes:
      embedding_dim: The size of the quantized vectors (last axis of inputs).
      num_embeddings: The number of codebook vectors.
      commitment_cost: The weight of the commitment loss (beta in the paper).
    """

    def __init__(
        self,
        embedding_dim: int,
        num_embeddings: int,
        commitment_cost: float,
        dtype: Any = jnp.float32,
        name: str | None = None,
        cross_replica_axis: str | None = None,
    ):
        """Initializes a VQ-VAE module.

        Args:
          embedding_dim: Dimensionality of the quantized vectors; the last
            dimension of the inputs must have this size.
          num_embeddings: Number of vectors in the codebook.
          commitment_cost: Weight of the commitment loss (beta, equation 4 of
            the paper).
          dtype: dtype of the ``embeddings`` parameter, ``float32`` by default.
          name: Name of the module.
          cross_replica_axis: If not ``None``, the name of a ``jax.pmap`` (or
            other named) axis over which the perplexity is averaged.
        """
        super().__init__(name=name)
        self.embedding_dim = embedding_dim
        self.num_embeddings = num_embeddings
        self.commitment_cost = commitment_cost
        self.cross_replica_axis = cross_replica_axis
        self._embedding_shape = [embedding_dim, num_embeddings]
        self._embedding_dtype = dtype

    @property
    def embeddings(self) -> jax.Array:
        """The codebook, ``[embedding_dim, num_embeddings]`` (created on first use)."""
        return hk.get_parameter(
            "embeddings", self._embedding_shape, self._embedding_dtype, init=_codebook_init())

    def __call__(self, inputs: jax.Array, is_training: bool) -> dict[str, jax.Array]:
        """Quantizes ``inputs`` over their last axis.

        Args:
          inputs: An array whose last dimension is ``embedding_dim``; every
            other dimension is flattened into one batch.
          is_training: Whether this is a training step (accepted for symmetry
            with :class:`VectorQuantizerEMA`; the result does not depend on it).

        Returns:
          A dict with ``quantize`` (the quantized inputs, same shape, with a
          straight-through gradient), ``loss`` (scalar), ``perplexity``
          (scalar: ``exp`` of the entropy of the mean code usage),
          ``encodings`` (one-hot ``[N, num_embeddings]``), ``encoding_indices``
          (``inputs.shape[:-1]``, int32) and ``distances`` (squared distances
          ``[N, num_embeddings]``), where ``N`` is the number of input vectors.

        Raises:
          TypeError: If the last dimension of ``inputs`` is not
            ``embedding_dim``.
        """
        del is_training  # Same computation in training and evaluation.
        _check_inputs(self, inputs, self.embedding_dim)
        out = _quantize(inputs, self.embeddings, self.num_embeddings, self.cross_replica_axis)
        quantized = out["quantize"]
        e_latent_loss = jnp.mean(jnp.square(jax.lax.stop_gradient(quantized) - inputs))
        q_latent_loss = jnp.mean(jnp.square(quantized - jax.lax.stop_gradient(inputs)))
        loss = q_latent_loss + self.commitment_cost * e_latent_loss
        return {
            "quantize": _straight_through(inputs, quantized),
            "loss": loss,
            "perplexity": out["perplexity"],
            "encodings": out["encodings"],
            "encoding_indices": out["encoding_indices"],
            "distances": out["distances"],
        }

    def quantize(self, encoding_indices: jax.Array) -> jax.Array:
        """The codebook vectors at ``encoding_indices`` (shape ``indices.shape + [D]``).

        >>> vq = hk.nets.VectorQuantizer(
        ...     embedding_dim=4, num_embeddings=10, commitment_cost=0.25)
        >>> vq.quantize(jnp.array([[0, 3], [9, 9]])).shape
        (2, 2, 4)
        """
        return _lookup(self.embeddings, encoding_indices)


class VectorQuantizerEMA(hk.Module):
    """The VQ-VAE bottleneck, moving its codebook with exponential moving averages.

    Quantizes like :class:`VectorQuantizer`, but the codebook is state, not a
    parameter: each training call updates moving averages of the number of
    inputs assigned to each code (``ema_cluster_size``) and of their sum
    (``ema_dw``), and sets each code to their ratio (with Laplace smoothing by
    ``epsilon``). The codebook then trains the same way whatever the
    optimizer, and the ``loss`` is only the commitment loss
    ``commitment_cost * e_latent_loss``.

    >>> vq = hk.nets.VectorQuantizerEMA(
    ...     embedding_dim=2, num_embeddings=3, commitment_cost=0.25, decay=0.99)
    >>> out = vq(jnp.ones([5, 2]), is_training=True)
    >>> out["quantize"].shape, out["encoding_indices"].shape
    ((5, 2), (5,))
    >>> vq.embeddings.shape
    (2, 3)

    Attributes:
      embedding_dim: The size of the quantized vectors (last axis of inputs).
      num_embeddings: The number of codebook vectors.
      commitment_cost: The weight of the commitment loss.
      decay: The decay of the moving averages.
      epsilon: The smoothing constant of the cluster sizes.
    """

    def __init__(
        self,
        embedding_dim: int,
        num_embeddings: int,
        commitment_cost: float,
        decay: float,
        epsilon: float = 1e-5,
        dtype: Any = jnp.float32,
        cross_replica_axis: str | None = None,
        name: str | None = None,
    ):
        """Initializes a VQ-VAE EMA module.

        Args:
          embedding_dim: Dimensionality of the quantized vectors; the last
            dimension of the inputs must have this size.
          num_embeddings: Number of vectors in the codebook.
          commitment_cost: Weight of the commitment loss (beta in the paper).
          decay: Decay of the moving averages, in ``[0, 1]``.
          epsilon: Small constant smoothing the cluster sizes (avoids dividing
            by zero for unused codes).
          dtype: dtype of the codebook and the moving averages, ``float32``
            by default.
          cross_replica_axis: If not ``None``, the name of a ``jax.pmap`` (or
            other named) axis over which the cluster statistics are summed and
            the perplexity averaged.
          name: Name of the module.

        Raises:
          ValueError: If ``decay`` is outside ``[0, 1]``.
        """
        super().__init__(name=name)
        if not 0 <= decay <= 1:
            raise ValueError(f"decay must be in range [0, 1] ({self.module_name}: got {decay}.)")
        self.embedding_dim = embedding_dim
        self.num_embeddings = num_embeddings
        self.decay = decay
        self.commitment_cost = commitment_cost
        self.epsilon = epsilon
        self.cross_replica_axis = cross_replica_axis
        self._embedding_shape = [embedding_dim, num_embeddings]
        self._dtype = dtype
        # Their state is created by the first training call (zeros, then counter).
        self._ema_cluster_size = ExponentialMovingAverage(decay=decay, name="ema_cluster_size")
        self._ema_dw = ExponentialMovingAverage(decay=decay, name="ema_dw")

    @property
    def embeddings(self) -> jax.Array:
        """The codebook state, ``[embedding_dim, num_embeddings]`` (created on first use)."""
        return hk.get_state(
            "embeddings", self._embedding_shape, self._dtype, init=_codebook_init())

    @property
    def ema_cluster_size(self) -> ExponentialMovingAverage:
        """The moving average of the number of inputs assigned to each code.

        Its state (``[num_embeddings]``, zeros) is created when first read.
        """
        self._ema_cluster_size.initialize([self.num_embeddings], self._dtype)
        return self._ema_cluster_size

    @property
    def ema_dw(self) -> ExponentialMovingAverage:
        """The moving average of the sum of the inputs assigned to each code.

        Its state (``[embedding_dim, num_embeddings]``, zeros) is created when
        first read.
        """
        self._ema_dw.initialize(self._embedding_shape, self._dtype)
        return self._ema_dw

    def __call__(self, inputs: jax.Array, is_training: bool) -> dict[str, jax.Array]:
        """Quantizes ``inputs`` over their last axis; in training, updates the codebook.

        Args:
          inputs: An array whose last dimension is ``embedding_dim``; every
            other dimension is flattened into one batch.
          is_training: Whether this is a training step. Only then are the
            moving averages and the codebook updated (the outputs use the
            codebook as it was before the update).

        Returns:
          A dict with ``quantize``, ``loss``, ``perplexity``, ``encodings``,
          ``encoding_indices`` and ``distances``, as for
          :class:`VectorQuantizer`.

        Raises:
          TypeError: If the last dimension of ``inputs`` is not
            ``embedding_dim``.
        """
        _check_inputs(self, inputs, self.embedding_dim)
        embeddings = self.embeddings
        out = _quantize(inputs, embeddings, self.num_embeddings, self.cross_replica_axis)
        quantized = out["quantize"]
        encodings = out["encodings"]
        e_latent_loss = jnp.mean(jnp.square(jax.lax.stop_gradient(quantized) - inputs))

        if is_training:
            cluster_size = jnp.sum(encodings, axis=0)
            if self.cross_replica_axis is not None:
                cluster_size = jax.lax.psum(cluster_size, axis_name=self.cross_replica_axis)
            updated_cluster_size = self.ema_cluster_size(cluster_size)

            dw = jnp.matmul(out["flat_inputs"].T, encodings)
            if self.cross_replica_axis is not None:
                dw = jax.lax.psum(dw, axis_name=self.cross_replica_axis)
            updated_dw = self.ema_dw(dw)

            total = jnp.sum(updated_cluster_size)
            smoothed_cluster_size = (
                (updated_cluster_size + self.epsilon)
                / (total + self.num_embeddings * self.epsilon) * total)
            hk.set_state("embeddings", updated_dw / jnp.reshape(smoothed_cluster_size, [1, -1]))

        return {
            "quantize": _straight_through(inputs, quantized),
            "loss": self.commitment_cost * e_latent_loss,
            "perplexity": out["perplexity"],
            "encodings": encodings,
            "encoding_indices": out["encoding_indices"],
            "distances": out["distances"],
        }

    def quantize(self, encoding_indices: jax.Array) -> jax.Array:
        """The codebook vectors at ``encoding_indices`` (shape ``indices.shape + [D]``)."""
        return _lookup(self.embeddings, encoding_indices)
