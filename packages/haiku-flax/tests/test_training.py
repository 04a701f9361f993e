"""Models mixing Haiku and Flax layers train with optax, in both directions."""

from __future__ import annotations

import flax.linen as nn
import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from haiku.experimental import flax as hkflax

X = np.linspace(-1, 1, 32, dtype=np.float32).reshape(16, 2)
Y = np.sin(3 * X[:, :1]) + X[:, 1:] ** 2


def _train(loss_fn, params, steps=40):
    opt = optax.adam(3e-2)
    opt_state = opt.init(params)

    @jax.jit
    def step(params, opt_state):
        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, opt_state = opt.update(grads, opt_state)
        return optax.apply_updates(params, updates), opt_state, loss

    losses = []
    for _ in range(steps):
        params, opt_state, loss = step(params, opt_state)
        losses.append(float(loss))
    return params, losses


def test_haiku_model_with_lifted_linen_and_nnx_layers_trains():
    head = nnx.Linear(8, 1, rngs=nnx.Rngs(0))

    def model(x):
        x = jax.nn.tanh(hkflax.lift(nn.Dense(16), name="flax_in")(x))
        x = jax.nn.tanh(hk.Linear(8)(x))
        return hkflax.lift(head, name="nnx_head")(x)

    f = hk.without_apply_rng(hk.transform(model))
    params = f.init(jax.random.PRNGKey(0), X)
    assert list(params) == ["flax_in/~", "linear", "nnx_head/~"]
    trained, losses = _train(lambda p: jnp.mean((f.apply(p, X) - Y) ** 2), params)
    assert losses[-1] < 0.3 * losses[0], losses
    for name in params:  # every layer, Flax or Haiku, was updated
        changed = [not np.array_equal(a, b)
                   for a, b in zip(jax.tree.leaves(trained[name]), jax.tree.leaves(params[name]))]
        assert all(changed), name


def test_flax_model_with_a_haiku_module_inside_trains():
    class Model(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = jax.nn.tanh(nn.Dense(16)(x))
            x = jax.nn.tanh(hkflax.Module.create(hk.Linear, 8)(x))
            return nn.Dense(1)(x)

    variables = Model().init(jax.random.PRNGKey(0), X)
    params = variables["params"]
    trained, losses = _train(
        lambda p: jnp.mean((Model().apply({"params": p}, X) - Y) ** 2), params
    )
    assert losses[-1] < 0.3 * losses[0], losses
    assert not np.array_equal(trained["Module_0"]["linear"]["w"], params["Module_0"]["linear"]["w"])
