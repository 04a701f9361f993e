"""Code as a haiku user writes it: `nox -s typecheck` runs mypy over it.

The names are served lazily at run time; this file proves type checkers see
them (through haiku's .pyi stubs) with their real signatures.
"""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp


class Scaled(hk.Module):
    def __init__(self, output_size: int, name: str | None = None):
        super().__init__(name=name)
        self.linear = hk.Linear(output_size, w_init=hk.initializers.TruncatedNormal(0.1))

    def __call__(self, x: jax.Array) -> jax.Array:
        scale = hk.get_parameter("scale", [], x.dtype, init=jnp.ones)
        return scale * self.linear(x)


def forward(x: jax.Array) -> jax.Array:
    with hk.name_scope("body"):
        return Scaled(3)(x)


model: hk.Transformed = hk.transform(forward)
params: hk.Params = model.init(jax.random.PRNGKey(0), jnp.ones([1, 2]))
out: jax.Array = model.apply(params, None, jnp.ones([1, 2]))
size: int = hk.data_structures.tree_size(params)
with hk.config.context(module_auto_repr=False):
    pass


# Names of the plugins, seen through their public export modules.
def recurrent(x: jax.Array) -> jax.Array:
    mlp: hk.nets.MLP = hk.nets.MLP([4, 2], activate_final=True)
    lstm = hk.LSTM(hidden_size=2)
    state: hk.LSTMState = lstm.initial_state(batch_size=1)
    out, _ = lstm(mlp(x), state)
    return out


padding: tuple[int, int] = hk.pad.same(3)
