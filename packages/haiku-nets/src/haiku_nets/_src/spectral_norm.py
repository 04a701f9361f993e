"""Spectral normalization: :class:`SpectralNorm` and :class:`SNParamsTree`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp

from haiku_nets._src.moving_averages import map_params_tree

__all__ = ["SpectralNorm", "SNParamsTree"]


def _l2_normalize(x: jax.Array, eps: float) -> jax.Array:
    # x / sqrt(sum(x**2) + eps): the eps keeps a zero vector finite.
    return x * jax.lax.rsqrt(jnp.sum(jnp.square(x)) + eps)


class SpectralNorm(hk.Module):
    """Divides a matrix by an estimate of its largest singular value.

    The estimate comes from power iteration (Miyato et al., 2018,
    https://arxiv.org/abs/1802.05957) on a vector ``u0`` kept in the state, so
    that one step per call is enough while the matrix changes slowly. For a
    matrix ``W`` of shape ``[m, n]`` each step computes::

        v = l2_normalize(u0 @ W.T)
        u0 = l2_normalize(v @ W)

    with ``l2_normalize(x) = x / sqrt(sum(x ** 2) + eps)``; then
    ``sigma = v @ W @ u0.T`` and the result is ``W / sigma``. The state is
    ``u0`` (shape ``[1, n]``, drawn from a standard normal with
    ``hk.next_rng_key()`` when created, so ``init`` needs an RNG key) and
    ``sigma`` (a scalar); both have the dtype of the input. Inputs of rank > 2
    are treated as the matrix ``[prod(leading dims), last dim]``. The
    properties :attr:`u0` and :attr:`sigma` read that state back.

    >>> def f(w):
    ...   return hk.SpectralNorm(n_steps=10)(w)
    >>> f = hk.transform_with_state(f)
    >>> w = jnp.array([[3., 0.], [0., 1.]])
    >>> params, state = f.init(jax.random.PRNGKey(0), w)
    >>> w_sn, state = f.apply(params, state, None, w)
    >>> w_sn.round(3)
    Array([[1.   , 0.   ],
           [0.   , 0.333]], dtype=float32)
    >>> round(float(state["spectral_norm"]["sigma"]), 3)
    3.0
    """

    def __init__(self, eps: float = 1e-4, n_steps: int = 1, name: str | None = None):
        """Constructs a :class:`SpectralNorm`.

        Args:
          eps: The constant added under the square roots of the
            normalizations, for numerical stability.
          n_steps: How many steps of power iteration to run per call.
          name: The name of the module.

        Raises:
          ValueError: If ``n_steps`` is smaller than 1.
        """
        super().__init__(name=name)
        if n_steps < 1:
            raise ValueError(
                f"{self.module_name}: `n_steps` is {n_steps}, but at least one step of "
                "power iteration is needed.")
        self.eps = eps
        self.n_steps = n_steps

    def __call__(
        self,
        value: jax.Array,
        update_stats: bool = True,
        error_on_non_matrix: bool = False,
    ) -> jax.Array:
        """Returns ``value`` divided by its estimated largest singular value.

        Args:
          value: A matrix, or an array of rank > 2 (flattened to
            ``[-1, value.shape[-1]]`` for the estimate; the result keeps its
            shape).
          update_stats: Whether to store the new ``u0`` and ``sigma``. The
            result is the same either way.
          error_on_non_matrix: Whether an input of rank > 2 is an error instead
            of being flattened.

        Returns:
          ``value / sigma``, of the shape and dtype of ``value``.

        Raises:
          ValueError: If ``value`` is a scalar or a vector (spectral
            normalization needs a matrix), or of rank > 2 with
            ``error_on_non_matrix=True``.
        """
        value = jnp.asarray(value)
        if value.ndim <= 1:
            raise ValueError(
                "Spectral normalization is not well defined for scalar or vector inputs. "
                f"({self.module_name}: got shape {value.shape}; pass a matrix.)")
        if value.ndim > 2:
            if error_on_non_matrix:
                raise ValueError(
                    f"Input is {value.ndim}D but error_on_non_matrix is True "
                    f"({self.module_name}: shape {value.shape}; pass a matrix, or "
                    "error_on_non_matrix=False to flatten the leading axes).")
            matrix = jnp.reshape(value, (-1, value.shape[-1]))
        else:
            matrix = value

        u0 = hk.get_state("u0", (1, matrix.shape[-1]), matrix.dtype,
                          init=hk.initializers.RandomNormal())
        if u0.shape != (1, matrix.shape[-1]):
            # TypeError: what dm-haiku's matrix product raises for it.
            raise TypeError(
                f"{self.module_name}: the state u0 has shape {tuple(u0.shape)} (set by an "
                f"earlier call) but the input of shape {value.shape} needs "
                f"{(1, matrix.shape[-1])}.")
        for _ in range(self.n_steps):
            v0 = _l2_normalize(jnp.matmul(u0, matrix.T), self.eps)
            u0 = _l2_normalize(jnp.matmul(v0, matrix), self.eps)
        u0 = jax.lax.stop_gradient(u0)
        v0 = jax.lax.stop_gradient(v0)
        sigma = jnp.squeeze(jnp.matmul(jnp.matmul(v0, matrix), u0.T), axis=(0, 1))

        if update_stats:
            hk.set_state("u0", u0)
            hk.set_state("sigma", sigma)
        return value / sigma

    @property
    def u0(self) -> jax.Array:
        """The power iteration vector kept in the state, of shape ``[1, n]``.

        Only there once the module has been called (with ``update_stats``
        either way: the first call creates it).
        """
        return hk.get_state("u0")

    @property
    def sigma(self) -> jax.Array:
        """The last stored estimate of the largest singular value.

        One (a float32 scalar, then stored in the state) until a call with
        ``update_stats=True`` stores an estimate.
        """
        return hk.get_state("sigma", shape=(), init=jnp.ones)


class SNParamsTree(hk.Module):
    """Applies :class:`SpectralNorm` to every parameter of a params tree.

    The counterpart of :class:`~haiku.EMAParamsTree`: each parameter gets its
    own :class:`SpectralNorm` submodule, named from its path (``"linear/w"``
    gives ``"linear__w"``). Scalars and vectors (biases) cannot be spectrally
    normalized: leave them out with ``ignore_regex``.

    >>> params = {"linear": {"w": jnp.array([[2., 0.], [0., 1.]]), "b": jnp.ones([2])}}
    >>> sn = hk.transform_with_state(lambda p: hk.SNParamsTree(ignore_regex=".*b$")(p))
    >>> _, sn_state = sn.init(jax.random.PRNGKey(0), params)
    >>> list(sn_state)
    ['sn_params_tree/linear__w']
    >>> sn_params, sn_state = sn.apply(None, sn_state, None, params)
    >>> sn_params["linear"]["b"]
    Array([1., 1.], dtype=float32)
    """

    def __init__(
        self,
        eps: float = 1e-4,
        n_steps: int = 1,
        ignore_regex: str = "",
        name: str | None = None,
    ):
        """Constructs an :class:`SNParamsTree`.

        Args:
          eps: The constant used for numerical stability.
          n_steps: How many steps of power iteration to run per call.
          ignore_regex: Parameters whose ``"module_name/param_name"`` matches
            this regular expression (``re.match``, anchored at the start) are
            returned unchanged. The empty string normalizes every parameter.
          name: The name of the module.
        """
        super().__init__(name=name)
        self.eps = eps
        self.n_steps = n_steps
        self.ignore_regex = ignore_regex

    def __call__(self, tree: Mapping[str, Mapping[str, Any]],
                 update_stats: bool = True) -> dict[str, dict[str, Any]]:
        """Spectrally normalizes every (not ignored) parameter of ``tree``.

        Args:
          tree: A params tree ``{module_name: {param_name: array}}``.
          update_stats: Whether to store the new power iteration state.

        Returns:
          A ``dict`` of ``dict`` like ``tree`` holding the normalized
          parameters (ignored ones unchanged).
        """
        def sn(name: str, value: Any) -> jax.Array:
            return SpectralNorm(eps=self.eps, n_steps=self.n_steps, name=name)(
                value, update_stats=update_stats)

        return map_params_tree(self.module_name, tree, self.ignore_regex, sn, tilde="_tilde")
