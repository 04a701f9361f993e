"""Embedding: :class:`Embed` and :class:`EmbedLookupStyle`."""

from __future__ import annotations

import enum
from collections.abc import Sequence

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["Embed", "EmbedLookupStyle"]


class EmbedLookupStyle(enum.Enum):
    """How :class:`Embed` maps ids to their embedding vectors.

    - ``ARRAY_INDEX``: NumPy-style indexing of the embedding matrix
      (``embeddings[ids]``), a gather.
    - ``ONE_HOT``: a one-hot encoding of the ids times the embedding matrix,
      a matrix multiplication (often faster on TPU).

    The values are the same; speed and memory use differ. As in dm-haiku,
    ``ONE_HOT`` multiplies by a one-hot matrix of JAX's default float dtype,
    so ``bfloat16``/``float16`` embeddings give ``float32`` results with it
    (``ARRAY_INDEX`` keeps the embeddings' dtype).

    >>> hk.EmbedLookupStyle["ONE_HOT"]
    <EmbedLookupStyle.ONE_HOT: 2>
    """

    ARRAY_INDEX = 1
    ONE_HOT = 2


def _lookup_style(style: str | EmbedLookupStyle, module_name: str) -> EmbedLookupStyle:
    """The :class:`EmbedLookupStyle` named by ``style`` (case-insensitive)."""
    if isinstance(style, EmbedLookupStyle):
        return style
    valid = ", ".join(repr(s.name) for s in EmbedLookupStyle)
    if not isinstance(style, str):
        raise NotImplementedError(
            f"{style} is not supported by hk.Embed. ({module_name}: lookup_style must be "
            f"one of {valid} or an hk.EmbedLookupStyle, got {style!r}.)")
    try:
        return EmbedLookupStyle[style.upper()]
    except KeyError:
        # AttributeError, as documented for dm-haiku.
        raise AttributeError(
            f"{style.upper()} ({module_name}: invalid lookup_style {style!r}; use one of "
            f"{valid} or an hk.EmbedLookupStyle.)") from None


class Embed(hk.Module):
    """Embeds tokens (integer ids) in a low-dimensional space.

    >>> embed = hk.Embed(vocab_size=10, embed_dim=4)
    >>> ids = jnp.array([[1, 2, 3], [4, 5, 6]])
    >>> embed(ids).shape
    (2, 3, 4)
    >>> embed.embeddings.shape
    (10, 4)

    An existing matrix sets the initial embeddings (and their dtype):

    >>> embed = hk.Embed(embedding_matrix=np.eye(3, dtype=np.float32))
    >>> embed(jnp.array([2, 0]), lookup_style="ONE_HOT")
    Array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """

    def __init__(
        self,
        vocab_size: int | None = None,
        embed_dim: int | None = None,
        embedding_matrix: np.ndarray | jax.Array | None = None,
        w_init: hk.initializers.Initializer | None = None,
        lookup_style: str | EmbedLookupStyle = "ARRAY_INDEX",
        name: str | None = None,
        precision: jax.lax.Precision = jax.lax.Precision.HIGHEST,
    ):
        """Constructs an :class:`Embed` module.

        Args:
          vocab_size: The number of unique tokens to embed. May be left out
            when ``embedding_matrix`` is given.
          embed_dim: Size of each embedding vector. May be left out when
            ``embedding_matrix`` is given.
          embedding_matrix: A ``[vocab_size, embed_dim]`` matrix used as the
            initial value of the embeddings (``vocab_size`` and ``embed_dim``
            are inferred from it, or checked against it when given).
          w_init: Initializer of the embeddings; by default a truncated normal
            with stddev 1. Ignored when ``embedding_matrix`` is given.
          lookup_style: How ids are mapped to embeddings, an
            :class:`EmbedLookupStyle` or its name (``"ARRAY_INDEX"``,
            ``"ONE_HOT"``). Only a default: each call may override it. It is
            checked when the module is called.
          name: Optional name for this module.
          precision: The precision of the one-hot matrix product (used by the
            ``ONE_HOT`` style only). ``jax.lax.Precision.DEFAULT`` may be
            about 2x faster on TPU at the cost of a lower precision.

        Raises:
          ValueError: If neither ``embedding_matrix`` nor both ``vocab_size``
            and ``embed_dim`` are given, or they disagree with the shape of
            ``embedding_matrix``, or it has more than two axes.
          IndexError: If ``embedding_matrix`` has fewer than two axes.
        """
        super().__init__(name=name)
        if embedding_matrix is None and not (vocab_size and embed_dim):
            raise ValueError(
                "hk.Embed must be supplied either with an initial `embedding_matrix` or "
                f"with `embed_dim` and `vocab_size`. ({self.module_name}: got "
                f"vocab_size={vocab_size!r}, embed_dim={embed_dim!r}.)")
        if embedding_matrix is not None:
            matrix = jnp.asarray(embedding_matrix)
            if matrix.ndim < 2:
                raise IndexError(
                    f"tuple index out of range ({self.module_name}: `embedding_matrix` must "
                    f"be a [vocab_size, embed_dim] matrix, got shape {matrix.shape}.)")
            for label, given, actual in (("vocab_size", vocab_size, matrix.shape[0]),
                                         ("embed_dim", embed_dim, matrix.shape[1])):
                if given and given != actual:
                    raise ValueError(
                        f"An `embedding_matrix` was supplied but the `{label}` of {given} "
                        f"was not consistent with its shape {matrix.shape}. "
                        f"({self.module_name}: leave `{label}` out to infer it from the "
                        "matrix.)")
            if matrix.ndim > 2:
                # dm-haiku's words: its hk.get_parameter of a [vocab_size, embed_dim] matrix.
                raise ValueError(
                    f"'{self.module_name}/embeddings' with retrieved shape {matrix.shape} does "
                    f"not match shape={list(matrix.shape[:2])} dtype={jnp.float32!r} "
                    f"({self.module_name}: `embedding_matrix` must be a [vocab_size, embed_dim] "
                    f"matrix, got shape {matrix.shape}.)")
            vocab_size, embed_dim = matrix.shape
            self._dtype = matrix.dtype
            w_init = lambda shape, dtype: matrix  # noqa: E731
        else:
            self._dtype = jnp.float32
            if w_init is None:
                w_init = hk.initializers.TruncatedNormal()
        self.vocab_size: int = int(vocab_size)  # type: ignore[arg-type]
        self.embed_dim: int = int(embed_dim)  # type: ignore[arg-type]
        self.lookup_style = lookup_style
        self.precision = precision
        self.w_init = w_init

    @property
    def embeddings(self) -> jax.Array:
        """The ``[vocab_size, embed_dim]`` embedding matrix (a parameter)."""
        return hk.get_parameter("embeddings", [self.vocab_size, self.embed_dim], self._dtype,
                                init=self.w_init)

    def __call__(
        self,
        ids: jax.Array | Sequence[int],
        lookup_style: str | EmbedLookupStyle | None = None,
        precision: jax.lax.Precision | None = None,
    ) -> jax.Array:
        """Looks up the embedding vector of each id.

        Ids must lie in ``[0, vocab_size)``; others give unspecified vectors
        (``ARRAY_INDEX``) or zeros (``ONE_HOT``).

        Args:
          ids: Integer array (or nested sequence) of ids.
          lookup_style: Overrides the ``lookup_style`` of the constructor.
          precision: Overrides the ``precision`` of the constructor.

        Returns:
          The embeddings, of shape ``ids.shape + (embed_dim,)``.

        Raises:
          AttributeError: If ``lookup_style`` is a string naming no style.
          NotImplementedError: If ``lookup_style`` is neither a string nor an
            :class:`EmbedLookupStyle`.
          ValueError: If ``ids`` is not an integer array.
        """
        ids = jnp.asarray(ids)
        if not jnp.issubdtype(ids.dtype, jnp.integer):
            raise ValueError(
                "hk.Embed's __call__ method must take an array of integer dtype but was "
                f"called with an array of {ids.dtype} ({self.module_name}: ids of shape "
                f"{ids.shape}).")
        style = _lookup_style(lookup_style or self.lookup_style, self.module_name)
        if precision is None:
            precision = self.precision
        # An embedding matrix closed over as a NumPy array cannot be indexed with
        # traced ids: index a JAX array.
        embeddings = jnp.asarray(self.embeddings)
        if style is EmbedLookupStyle.ARRAY_INDEX:
            return embeddings[ids]
        # One-hot in JAX's default float dtype, as dm-haiku does: bfloat16 or
        # float16 embeddings give float32 results with this style.
        one_hot = jax.nn.one_hot(ids, self.vocab_size)
        return jnp.dot(one_hot, embeddings, precision=precision)
