"""hk.experimental.flax.Module: Haiku transforms inside Flax."""

from __future__ import annotations

import flax.errors
import flax.linen as nn
import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from haiku.experimental import flax as hkflax

RNG = jax.random.PRNGKey(0)
X = np.arange(6.0, dtype=np.float32).reshape(2, 3) / 5


def test_is_a_flax_module_seeded_by_the_params_stream():
    f = hk.transform(lambda x: hk.Linear(2)(x))
    mod = hkflax.Module(f)
    assert isinstance(mod, nn.Module)
    variables = mod.init(RNG, X)

    class MakeRng(nn.Module):
        @nn.compact
        def __call__(self):
            return self.make_rng("params")

    # The Haiku init gets the Module's first key of Flax's "params" stream.
    key = MakeRng().apply({}, rngs={"params": RNG})
    expected = f.init(key, X)
    np.testing.assert_array_equal(variables["params"]["linear"]["w"], expected["linear"]["w"])


def test_linear_matches_flax_dense_with_the_same_weights():
    """Round trip: hk.Linear through the bridge and nn.Dense give the same numbers."""
    mod = hkflax.Module.create(hk.Linear, 4)
    variables = mod.init(RNG, X)
    w = variables["params"]["linear"]["w"]
    b = jnp.array([1.0, -2.0, 0.5, 0.0])
    out = mod.apply({"params": {"linear": {"w": w, "b": b}}}, X)
    dense = nn.Dense(4).apply({"params": {"kernel": w, "bias": b}}, X)
    np.testing.assert_array_equal(out, dense)
    np.testing.assert_allclose(out, X @ np.asarray(w) + np.asarray(b), rtol=1e-6)


def counter_fn(x):
    count = hk.get_state("count", [], jnp.int32, init=jnp.zeros)
    hk.set_state("count", count + 1)
    scale = hk.get_state("scale", [], init=jnp.ones)  # read-only state
    return x * scale, count


def test_state_collection_is_written_back_when_mutable():
    mod = hkflax.Module(hk.transform_with_state(counter_fn))
    variables = mod.init(RNG, X)
    # Init leaves the initial state (the init run's update is not stored).
    assert variables == {"state": {"~": {"count": 0, "scale": 1.0}}}
    (_, count), updated = mod.apply(variables, X, mutable=["state"])
    assert int(count) == 0
    assert int(updated["state"]["~"]["count"]) == 1
    (_, count), updated = mod.apply(updated, X, mutable=["state"])
    assert int(count) == 1 and int(updated["state"]["~"]["count"]) == 2


def test_changed_state_needs_mutable_but_unchanged_state_does_not():
    mod = hkflax.Module(hk.transform_with_state(counter_fn))
    variables = mod.init(RNG, X)
    with pytest.raises(flax.errors.ModifyScopeVariableError, match='collection "state" is immutable'):
        mod.apply(variables, X)
    reader = hkflax.Module(hk.transform_with_state(lambda x: x * hk.get_state("s", [], init=jnp.ones)))
    variables = reader.init(RNG, X)
    np.testing.assert_array_equal(reader.apply(variables, X), X)


def test_apply_key_comes_from_the_apply_stream():
    mod = hkflax.Module(hk.transform(lambda x: hk.maybe_next_rng_key()))
    variables = mod.init(RNG, X)
    assert mod.apply(variables, X) is None
    assert mod.apply(variables, X, rngs={"params": RNG}) is None

    class MakeRng(nn.Module):
        @nn.compact
        def __call__(self):
            return self.make_rng("apply")

    key = MakeRng().apply({}, rngs={"apply": RNG})
    expected = next(hk.PRNGSequence(key))
    np.testing.assert_array_equal(mod.apply(variables, X, rngs={"apply": RNG}), expected)


def test_nested_names_and_haiku_modules_inside_a_flax_parent():
    class Parent(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.Dense(3)(x)
            x = hkflax.Module(hk.transform(lambda x: hk.nets.MLP([4, 2])(x)), name="hk")(x)
            return hkflax.Module.create(hk.Linear, 1, name="head")(x)

    variables = Parent().init(RNG, X)
    shapes = jax.tree.map(jnp.shape, variables["params"])
    assert shapes == {
        "Dense_0": {"bias": (3,), "kernel": (3, 3)},
        "hk": {"mlp": {"~": {"linear_0": {"b": (4,), "w": (3, 4)},
                             "linear_1": {"b": (2,), "w": (4, 2)}}}},
        "Module_0": {"head": {"b": (1,), "w": (2, 1)}},
    }
    out = jax.jit(Parent().apply)(variables, X)
    p = jax.tree.map(np.asarray, variables["params"])
    h = X @ p["Dense_0"]["kernel"] + p["Dense_0"]["bias"]
    mlp = p["hk"]["mlp"]["~"]
    h = np.maximum(h @ mlp["linear_0"]["w"] + mlp["linear_0"]["b"], 0)
    h = h @ mlp["linear_1"]["w"] + mlp["linear_1"]["b"]
    np.testing.assert_allclose(out, h @ p["Module_0"]["head"]["w"] + p["Module_0"]["head"]["b"],
                               rtol=1e-5, atol=1e-6)
    # flatten_flax_to_haiku gives back the Haiku names.
    flat = hkflax.flatten_flax_to_haiku(variables["params"]["hk"])
    assert list(flat) == ["mlp/~/linear_0", "mlp/~/linear_1"]


def test_rejects_what_is_not_a_transform():
    with pytest.raises(TypeError, match=r"expects the result of hk.transform .* got the class Linear"):
        hkflax.Module(hk.Linear)
    with pytest.raises(TypeError, match=r"as `transformed`, got function"):
        hkflax.Module(lambda x: x)
    with pytest.raises(TypeError, match="expects a Haiku module class"):
        hkflax.Module.create(3)
