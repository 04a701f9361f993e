"""``hk.experimental.shard_map``: :func:`jax.shard_map` inside a transform.

``jax.shard_map`` traces its function in a JAX trace of its own: Haiku
modules in it can read parameters (by closure) during ``apply``, but a
parameter or state value created or set inside would escape that trace. As
``hk.vmap`` does, this wrapper hands ``jax.shard_map`` a pure version of the
function (:mod:`haiku._src.state_passing`): the state and the random key
sequence go in replicated (``PartitionSpec()``), and what the function
created or set comes out replicated and is merged into the frame.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from jax.sharding import PartitionSpec

from haiku._src import jax_compat
from haiku._src.state_passing import current_frame, pure_function, state_in, update_frame

__all__ = ["shard_map"]


def shard_map(
    fun: Callable[..., Any],
    *,
    mesh: Any,
    in_specs: Any,
    out_specs: Any,
    check_vma: bool = True,
) -> Callable[..., Any]:
    """:func:`jax.shard_map` for functions that use Haiku modules.

    Each device runs ``fun`` on its shard of the inputs. Parameters and
    state are the same on every device: at ``init`` they are created inside
    (from the same random key on every device), at ``apply`` read as they
    are. State a device sets must be the same on every device, e.g. reduced
    with ``jax.lax.pmean`` over the mesh axes, as ``hk.BatchNorm`` does with
    ``cross_replica_axis``. Haiku's random keys are the same on every device
    too (fold in ``jax.lax.axis_index`` for per-device keys).

    >>> from jax.sharding import PartitionSpec as P
    >>> mesh = jax.sharding.Mesh(jax.devices()[:1], ("data",))
    >>> def f(x):
    ...   def per_shard(x):
    ...     w = hk.get_parameter("w", [x.shape[-1], 2], init=jnp.ones)
    ...     return jax.lax.psum(x @ w, "data")
    ...   return hk.experimental.shard_map(per_shard, mesh=mesh, in_specs=P("data"),
    ...                                    out_specs=P())(x)
    >>> f = hk.transform(f)
    >>> params = jax.jit(f.init)(None, jnp.ones([4, 3]))
    >>> params["~"]["w"].shape
    (3, 2)
    >>> print(jax.jit(f.apply)(params, None, jnp.ones([4, 3])))
    [[3. 3.]
     [3. 3.]
     [3. 3.]
     [3. 3.]]

    Args:
      fun: The function to run on each shard.
      mesh: A ``jax.sharding.Mesh``.
      in_specs: As for :func:`jax.shard_map`: a ``PartitionSpec`` for every
        positional argument, or a tuple with one (prefix) per argument.
      out_specs: As for :func:`jax.shard_map`.
      check_vma: As for :func:`jax.shard_map` (``check_rep`` on JAX 0.6).

    Returns:
      A function with the arguments of ``fun``; call it inside a transform
      (and, on JAX before 0.7 or with inputs not yet sharded, inside
      ``jax.jit``).
    """

    @functools.wraps(fun)
    def wrapper(*args: Any) -> Any:
        frame = current_frame("experimental.shard_map")
        pure = pure_function(frame, fun)
        specs = (in_specs,) * len(args) if isinstance(in_specs, PartitionSpec) else in_specs
        mapped = jax_compat.shard_map(
            pure, mesh=mesh, in_specs=(PartitionSpec(), *specs),
            out_specs=(out_specs, PartitionSpec()), check_vma=check_vma)
        out, changes = mapped(state_in(frame), *args)
        update_frame(frame, changes)
        return out

    return wrapper
