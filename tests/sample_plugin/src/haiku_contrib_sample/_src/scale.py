"""A module that multiplies its input by one learned scalar."""

from __future__ import annotations

import jax
import jax.numpy as jnp

import haiku as hk


class ScaleByParameter(hk.Module):
    """Multiplies its input by a learned scalar parameter ``scale``.

    The parameter has shape ``[]``, the input's dtype, and starts at one, so
    a freshly initialised module is the identity:

    >>> import haiku as hk
    >>> import jax
    >>> import jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.contrib.ScaleByParameter()(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([2]))
    >>> params["scale_by_parameter"]["scale"]
    Array(1., dtype=float32)
    >>> params = {"scale_by_parameter": {"scale": jnp.asarray(3.0)}}
    >>> f.apply(params, None, jnp.ones([2]))
    Array([3., 3.], dtype=float32)
    """

    def __init__(self, name: str | None = None):
        super().__init__(name=name)

    def __call__(self, x: jax.Array) -> jax.Array:
        x = jnp.asarray(x)
        scale = hk.get_parameter("scale", [], x.dtype, init=jnp.ones)
        return x * scale
