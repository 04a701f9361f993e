"""Attention: :class:`MultiHeadAttention`."""

from __future__ import annotations

import os
import sys
import types
import warnings

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

from haiku_nets._src.linear import Linear

__all__ = ["MultiHeadAttention"]

# Logits of masked-out positions; clipped to the dtype's range (float16).
_MASKED_LOGIT = -1e30

# Frames in these folders are Haiku's own (module wrappers, this file).
_INTERNAL = tuple(
    os.path.dirname(path) + os.sep
    for path in (hk.__file__, os.path.dirname(__file__))
)


def _user_stacklevel() -> int:
    """The ``stacklevel`` of ``warnings.warn`` that points at the user's code.

    Called from the function that warns; frames of Haiku itself (its module
    call wrappers) are skipped.
    """
    level = 1
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        frame = frame.f_back
        level += 1
    return level


def _broadcastable(*shapes: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        return False
    return True


class MultiHeadAttention(hk.Module):
    """Multi-headed attention (MHA), for attending over sequences of vectors.

    Queries ``Q``, keys ``K`` and values ``V`` are linear projections of the
    inputs, split into ``H`` heads. Each head computes the weights
    ``W = softmax(Q K^T / sqrt(key_size))`` and the head outputs ``W V`` are
    concatenated and projected once more. See "Attention is all you need"
    (https://arxiv.org/abs/1706.03762).

    Shapes: ``T`` is a sequence length, ``D`` an embedding size, ``H`` the
    number of heads; any number of leading batch-like axes is allowed.

    >>> mha = hk.MultiHeadAttention(
    ...     num_heads=2, key_size=2, w_init=hk.initializers.VarianceScaling(1.0))
    >>> query = jnp.ones([8, 3, 4])          # [B, T', D_q]
    >>> memory = jnp.ones([8, 7, 4])         # [B, T, D_k] (keys and values)
    >>> mha(query, memory, memory).shape     # [B, T', H * key_size]
    (8, 3, 4)

    A mask has the rank of the attention logits ``[..., H, T', T]`` (size-1
    axes broadcast); ``True`` keeps a position. A causal mask for
    self-attention:

    >>> x = jnp.ones([8, 3, 4])
    >>> causal = jnp.tril(jnp.ones([1, 1, 3, 3], bool))
    >>> mha = hk.MultiHeadAttention(2, 2, w_init=hk.initializers.VarianceScaling(1.0))
    >>> mha(x, x, x, mask=causal).shape
    (8, 3, 4)
    """

    def __init__(
        self,
        num_heads: int,
        key_size: int,
        # TODO: remove once w_init_scale is gone from dm-haiku's API.
        w_init_scale: float | None = None,
        *,
        w_init: hk.initializers.Initializer | None = None,
        with_bias: bool = True,
        b_init: hk.initializers.Initializer | None = None,
        value_size: int | None = None,
        model_size: int | None = None,
        name: str | None = None,
    ):
        """Initialises the module.

        Args:
          num_heads: Number of independent attention heads (H).
          key_size: The size of keys (K) and queries used for attention.
          w_init_scale: DEPRECATED, use ``w_init`` instead. Builds
            ``w_init = hk.initializers.VarianceScaling(w_init_scale)`` and
            warns (``DeprecationWarning``).
          w_init: Initialiser for the weights of the linear maps. Required
            unless the deprecated ``w_init_scale`` is given.
          with_bias: Whether the linear projections add a bias.
          b_init: Optional initialiser for the biases. By default, zero.
          value_size: Size of the value projection (V). Defaults to
            ``key_size``.
          model_size: Size of the output embedding (D'). Defaults to
            ``key_size * num_heads``.
          name: Optional name for this module.

        Raises:
          ValueError: If neither or both of ``w_init`` and ``w_init_scale``
            are given.
        """
        super().__init__(name=name)
        self.num_heads = num_heads
        self.key_size = key_size
        self.value_size = value_size or key_size
        self.model_size = model_size or key_size * num_heads

        if w_init_scale is not None:
            warnings.warn(
                "w_init_scale is deprecated; please pass an explicit weight initialiser "
                f"instead. (MultiHeadAttention: e.g. "
                f"w_init=hk.initializers.VarianceScaling({w_init_scale!r}).)",
                DeprecationWarning,
                stacklevel=_user_stacklevel(),
            )
        if w_init_scale and w_init is not None:
            raise ValueError(
                "Please provide only `w_init`, not `w_init_scale`. "
                f"({self.module_name}: w_init_scale is deprecated; drop it.)")
        if w_init is None:
            if w_init_scale is None:
                raise ValueError(
                    "Please provide a weight initializer: `w_init`. `w_init` will become "
                    "mandatory once `w_init_scale` is fully deprecated. "
                    f"({self.module_name}: e.g. "
                    "w_init=hk.initializers.VarianceScaling(1.0).)")
            w_init = hk.initializers.VarianceScaling(w_init_scale)
        self.w_init = w_init
        self.with_bias = with_bias
        self.b_init = b_init

    def __call__(
        self,
        query: jax.Array,
        key: jax.Array,
        value: jax.Array,
        mask: jax.Array | None = None,
    ) -> jax.Array:
        """Computes (optionally masked) multi-head attention.

        Args:
          query: Embeddings used to compute queries; shape ``[..., T', D_q]``.
          key: Embeddings used to compute keys; shape ``[..., T, D_k]``.
          value: Embeddings used to compute values; shape ``[..., T, D_v]``.
          mask: Optional mask applied to the attention weights, of the rank
            of the logits: shape ``[..., H or 1, T', T]`` with the same leading
            axes as the inputs (or size 1). ``True`` (non-zero) keeps a
            position.

        Returns:
          The projected attention output; shape ``[..., T', D']``.
        """
        query, key, value = map(jnp.asarray, (query, key, value))
        for label, arr in (("query", query), ("key", key), ("value", value)):
            if arr.ndim < 2:
                raise ValueError(
                    f"{self.module_name}: {label} must have shape [..., T, D] (rank >= 2), "
                    f"got shape {arr.shape}.")
        if key.shape[-2] != value.shape[-2] or not _broadcastable(key.shape[:-2],
                                                                 value.shape[:-2]):
            raise ValueError(
                f"{self.module_name}: key and value must agree on all axes but the last "
                f"([..., T, D], leading axes may broadcast), got key {key.shape} and value "
                f"{value.shape}.")
        *leading_dims, sequence_length, _ = query.shape

        query_heads = self._linear_projection(query, self.key_size, "query")  # [..., T', H, K]
        key_heads = self._linear_projection(key, self.key_size, "key")  # [..., T, H, K]
        value_heads = self._linear_projection(value, self.value_size, "value")  # [..., T, H, V]

        logits = jnp.einsum("...thd,...Thd->...htT", query_heads, key_heads)
        logits = logits / np.sqrt(self.key_size).astype(key.dtype)
        if mask is not None:
            mask = jnp.asarray(mask)
            if mask.ndim != logits.ndim:
                raise ValueError(
                    f"Mask dimensionality {mask.ndim} must match logits dimensionality "
                    f"{logits.ndim}. ({self.module_name}: the mask has shape {mask.shape} "
                    f"and the attention logits [..., H, T', T] have shape {logits.shape}.)")
            if not _broadcastable(mask.shape, logits.shape):
                raise ValueError(
                    f"{self.module_name}: mask of shape {mask.shape} does not broadcast to the "
                    f"attention logits [..., H, T', T] of shape {logits.shape}.")
            masked = max(_MASKED_LOGIT, float(jnp.finfo(logits.dtype).min))
            logits = jnp.where(mask, logits, masked)
        weights = jax.nn.softmax(logits)  # [..., H, T', T]

        attn = jnp.einsum("...htT,...Thd->...thd", weights, value_heads)
        attn = jnp.reshape(attn, (*leading_dims, sequence_length, -1))  # [..., T', H * V]
        final = Linear(self.model_size, with_bias=self.with_bias, w_init=self.w_init,
                       b_init=self.b_init)
        return final(attn)

    @hk.transparent
    def _linear_projection(
        self, x: jax.Array, head_size: int, name: str | None = None
    ) -> jax.Array:
        """Projects ``x`` ([..., T, D]) to ``[..., T, num_heads, head_size]``."""
        y = Linear(self.num_heads * head_size, with_bias=self.with_bias, w_init=self.w_init,
                   b_init=self.b_init, name=name)(x)
        *leading_dims, _ = x.shape
        return y.reshape((*leading_dims, self.num_heads, head_size))
