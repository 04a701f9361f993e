"""hk.experimental.flax.lift of Flax NNX modules."""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from haiku.experimental import flax as hkflax

X = np.arange(6.0, dtype=np.float32).reshape(3, 2) / 5


class Net(nnx.Module):
    def __init__(self, rngs: nnx.Rngs):
        self.layers = nnx.List([nnx.Linear(2, 3, rngs=rngs), nnx.Linear(3, 1, rngs=rngs)])
        self.bn = nnx.BatchNorm(3, momentum=0.5, rngs=rngs)

    def __call__(self, x):
        return self.layers[1](jax.nn.relu(self.bn(self.layers[0](x))))


def test_params_and_state_come_from_nnx_split():
    net = Net(nnx.Rngs(0))
    f = hk.transform_with_state(lambda x: hkflax.lift(net, name="net")(x))
    params, state = f.init(None, X)  # an NNX module needs no Haiku key
    assert jax.tree.map(jnp.shape, params) == {
        "net/bn": {"bias": (3,), "scale": (3,)},
        "net/layers/0": {"bias": (3,), "kernel": (2, 3)},
        "net/layers/1": {"bias": (1,), "kernel": (3, 1)},
    }
    assert jax.tree.map(jnp.shape, state) == {"net/bn": {"mean": (3,), "var": (3,)}}
    np.testing.assert_array_equal(params["net/layers/0"]["kernel"], net.layers[0].kernel[...])


def test_same_numbers_as_running_the_nnx_module():
    net = Net(nnx.Rngs(1))
    f = hk.transform_with_state(lambda x: hkflax.lift(net, name="net")(x))
    params, state = f.init(None, X)
    out, new_state = jax.jit(f.apply)(params, state, None, X)
    # The lifted call leaves the original module untouched; run it natively.
    np.testing.assert_array_equal(net.bn.mean[...], np.zeros(3))
    expected = net(X)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_state["net/bn"]["mean"], net.bn.mean[...], rtol=1e-6)
    # Parameters given to apply are the ones used: zeroing the head zeroes the output.
    params = {**params, "net/layers/1": jax.tree.map(jnp.zeros_like, params["net/layers/1"])}
    out, _ = f.apply(params, state, None, X)
    np.testing.assert_array_equal(out, np.zeros((3, 1)))


def test_rng_streams_of_the_module_are_state():
    drop = nnx.Dropout(0.5, rngs=nnx.Rngs(dropout=3))
    f = hk.transform_with_state(lambda x: hkflax.lift(drop, name="drop")(x))
    params, state = f.init(None, X)
    assert params == {}
    assert int(state["drop/rngs"]["count"]) == 0
    out1, state1 = f.apply(params, state, None, jnp.ones([4, 8]))
    out2, state2 = f.apply(params, state1, None, jnp.ones([4, 8]))
    assert int(state1["drop/rngs"]["count"]) == 1 and int(state2["drop/rngs"]["count"]) == 2
    assert not np.array_equal(out1, out2)  # the stream advanced through Haiku state
    again, _ = f.apply(params, state, None, jnp.ones([4, 8]))
    np.testing.assert_array_equal(again, out1)  # and is a pure function of it


def test_rngs_passed_to_the_call_can_come_from_haiku():
    f = hk.transform(lambda x: hkflax.lift(nnx.Dropout(0.5), name="drop")(
        x, rngs=nnx.Rngs(dropout=hk.next_rng_key())))
    x = jnp.ones([4, 8])
    params = f.init(jax.random.PRNGKey(0), x)
    assert params == {}
    rng = jax.random.PRNGKey(1)
    out = f.apply(params, rng, x)
    key = next(hk.PRNGSequence(rng))  # the first key Haiku hands out
    np.testing.assert_array_equal(out, nnx.Dropout(0.5)(x, rngs=nnx.Rngs(dropout=key)))
    assert set(np.unique(out)) == {0.0, 2.0}
