"""Checks of hk.experimental.partitioning on 8 host devices (run by test_partitioning_devices.py).

Run as a script in a fresh process: the device count must be set
(``--xla_force_host_platform_device_count=8``) before JAX starts. Each check
prints ``<name> ok``; the test compares the printed names. Importing the
module (pytest's ``--doctest-modules`` does) works on one device: the mesh
is made by :func:`mesh`, first called from :func:`main`.
"""

from __future__ import annotations

import functools
import os
import sys

if __name__ == "__main__" and "jax" not in sys.modules:
    os.environ["XLA_FLAGS"] = " ".join(filter(None, [
        os.environ.get("XLA_FLAGS"), "--xla_force_host_platform_device_count=8"]))
    os.environ.setdefault("JAX_PLATFORMS", "cpu")

import haiku as hk  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P  # noqa: E402

from haiku._src import jax_compat  # noqa: E402

partitioning = hk.experimental.partitioning
TOL = dict(rtol=1e-5, atol=1e-6)
D_MODEL, HIDDEN, LAYERS = 8, 16, 3
RULES = [("batch", "data"), ("layers", None), ("embed", "data"), ("mlp", "model")]


@functools.cache
def mesh() -> Mesh:
    """The data=2 x model=4 mesh; Auto axes on every JAX (jax.make_mesh makes Explicit ones from 0.7)."""
    return Mesh(np.array(jax.devices()).reshape(2, 4), ("data", "model"))


def named(init, *names):
    return partitioning.with_logical_axes(init, names)


def block(x):
    """A residual MLP block whose parameters carry logical names (embed x mlp)."""
    normal = hk.initializers.RandomNormal(0.3)
    w1 = hk.get_parameter("w1", [D_MODEL, HIDDEN], init=named(normal, "embed", "mlp"))
    b1 = hk.get_parameter("b1", [HIDDEN], init=named(normal, "mlp"))
    w2 = hk.get_parameter("w2", [HIDDEN, D_MODEL], init=named(normal, "mlp", "embed"))
    h = partitioning.constrain(jnp.tanh(x @ w1 + b1), ("batch", "mlp"))
    return partitioning.constrain(x + h @ w2, ("batch", "embed"))


def model(x):
    x = hk.layer_stack(LAYERS, name="blocks")(block)(x)
    readout = hk.get_parameter("readout", [D_MODEL], init=jnp.ones)  # unnamed: replicated
    return x @ readout


F = hk.transform(model)
X = np.random.RandomState(0).normal(size=(8, D_MODEL)).astype(np.float32)
KEY = jax.random.PRNGKey(42)


def same_spec(a, b):
    """Equal up to trailing Nones (JAX drops them from the specs of its outputs)."""
    def strip(spec):
        entries = tuple(spec)
        while entries and entries[-1] is None:
            entries = entries[:-1]
        return entries

    return strip(a) == strip(b)


def shard_shape(shape, spec):
    """The shape of one device's shard of an array of ``shape`` under ``spec`` on :func:`mesh`."""
    out = list(shape)
    for dim, entry in enumerate(spec):
        for axis in () if entry is None else (entry,) if isinstance(entry, str) else entry:
            out[dim] //= mesh().shape[axis]
    return tuple(out)


def check_sharded_init():
    """Each device holds only its shard of each parameter; values equal the 1-device init."""
    names = partitioning.get_logical_axes(F.init, KEY, X)
    assert names["blocks/~"]["w1"] == P("layers", "embed", "mlp"), names
    assert names["~"]["readout"] == P(), names
    with partitioning.axis_rules(RULES, mesh=mesh()):
        specs = partitioning.logical_to_mesh(names)
    assert specs["blocks/~"]["w1"] == P(None, "data", "model")
    assert specs["blocks/~"]["w2"] == P(None, "model", "data")
    assert specs["blocks/~"]["b1"] == P(None, "model")
    params = partitioning.sharded_init(F.init, mesh(), specs)(KEY, X)
    reference = jax.jit(F.init)(KEY, X)
    for module, bundle in reference.items():
        for name, want in bundle.items():
            got = params[module][name]
            spec = specs[module][name]
            assert same_spec(got.sharding.spec, spec), (module, name, got.sharding.spec)
            shards = got.addressable_shards
            assert len(shards) == 8
            assert {s.data.shape for s in shards} == {shard_shape(want.shape, spec)}, (
                module, name, [s.data.shape for s in shards])
            np.testing.assert_allclose(np.asarray(got), np.asarray(want), **TOL)
    # w1 of [3, 8, 16] on (None, data=2, model=4): each device holds [3, 4, 4].
    assert params["blocks/~"]["w1"].addressable_shards[0].data.shape == (3, 4, 4)
    return params, reference, specs


def check_match_rules_matches_logical_names(specs):
    """An unchanged model, by rules on names, gives the same specs."""
    abstract = jax.eval_shape(F.init, KEY, X)
    by_rules = partitioning.match_rules(
        [(r"blocks/~/w1$", P(None, "data", "model")), (r"blocks/~/w2$", P(None, "model", "data")),
         (r"blocks/~/b1$", P(None, "model"))], abstract, default=P(), mesh=mesh())
    assert by_rules == specs, (by_rules, specs)
    # The layers axis (3) does not divide over 'model' (4 devices).
    try:
        partitioning.match_rules([(r"w1$", P("model"))], abstract, default=P(), mesh=mesh())
    except ValueError as e:
        assert str(e).startswith(
            "Parameter 'blocks/~/w1' of shape (3, 8, 16): dimension 0 (size 3) is not divisible "
            "by mesh axis 'model' of size 4"), e
    else:
        raise AssertionError("an indivisible dimension was accepted")


def check_apply_numbers_and_constraints(params, reference):
    """The sharded forward pass gives the 1-device numbers; activations are constrained."""
    want = F.apply(reference, None, X)
    x = jax.device_put(X, NamedSharding(mesh(), P("data")))
    with partitioning.axis_rules(RULES, mesh=mesh()):
        apply = jax.jit(F.apply)
        got = apply(params, None, x)
        text = apply.lower(params, None, x).as_text()
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), **TOL)
    assert "sharding_constraint" in text or "Sharding" in text, text[:2000]
    # An activation returned from a constrained function keeps the sharding asked for.
    with partitioning.axis_rules(RULES, mesh=mesh()):
        h = jax.jit(hk.transform(lambda x: partitioning.constrain(x * 2, ("batch", "mlp"))).apply)(
            {}, None, jnp.ones([8, 16]))
    assert same_spec(h.sharding.spec, P("data", "model")), h.sharding.spec
    assert {s.data.shape for s in h.addressable_shards} == {(4, 4)}
    # Under jax.set_mesh (no mesh given to axis_rules) the abstract mesh is used.
    with jax_compat.set_mesh(mesh()), partitioning.axis_rules(RULES):
        h = jax.jit(lambda x: partitioning.constrain(x, ("mlp", None)))(jnp.ones([8, 4]))
    assert same_spec(h.sharding.spec, P("model", None)), h.sharding.spec
    # Gradients through the sharded model equal the 1-device ones.
    loss = lambda p, x: jnp.sum(F.apply(p, None, x) ** 2)  # noqa: E731
    with partitioning.axis_rules(RULES, mesh=mesh()):
        grads = jax.jit(jax.grad(loss))(params, x)
    want_grads = jax.grad(loss)(reference, X)
    for module, bundle in want_grads.items():
        for name, value in bundle.items():
            np.testing.assert_allclose(np.asarray(grads[module][name]), np.asarray(value),
                                       rtol=1e-4, atol=1e-5, err_msg=f"{module}/{name}")


def check_vmap_spmd_axis_name():
    """hk.vmap(spmd_axis_name=...) keeps the mapped axis sharded through constraints."""
    def per_example(x):
        w = hk.get_parameter("w", [4, 8], init=jnp.ones)
        return partitioning.constrain(x @ w, ("mlp",))

    for spmd, want in ((None, P(None, "model")), ("data", P("data", "model"))):
        f = hk.transform(lambda x: hk.vmap(per_example, split_rng=False, spmd_axis_name=spmd)(x))
        params = f.init(None, jnp.ones([8, 4]))
        with partitioning.axis_rules([("mlp", "model")], mesh=mesh()):
            out = jax.jit(f.apply)(params, None, jnp.ones([8, 4]))
        assert same_spec(out.sharding.spec, want), (spmd, out.sharding.spec)
        np.testing.assert_allclose(np.asarray(out), np.full([8, 8], 4.0))


def check_shard_map():
    """Modules in hk.experimental.shard_map: params created inside, state reduced, same numbers."""
    def per_shard(x):
        w = hk.get_parameter("w", [4, 3], init=hk.initializers.RandomNormal())
        mean = jax.lax.pmean(jnp.mean(x, axis=0), "data")  # the global batch mean
        count = hk.get_state("count", [], jnp.int32, init=jnp.zeros)
        hk.set_state("count", count + 1)
        hk.set_state("mean", mean)
        return (x - mean) @ w

    def sharded(x):
        return hk.experimental.shard_map(per_shard, mesh=mesh(), in_specs=P("data"),
                                         out_specs=P("data"))(x)

    def whole(x):
        w = hk.get_parameter("w", [4, 3], init=hk.initializers.RandomNormal())
        mean = jnp.mean(x, axis=0)
        count = hk.get_state("count", [], jnp.int32, init=jnp.zeros)
        hk.set_state("count", count + 1)
        hk.set_state("mean", mean)
        return (x - mean) @ w

    x = np.random.RandomState(1).normal(size=(16, 4)).astype(np.float32)
    f, g = hk.transform_with_state(sharded), hk.transform_with_state(whole)
    params, state = jax.jit(f.init)(KEY, x)
    want_params, want_state = g.init(KEY, x)
    np.testing.assert_array_equal(np.asarray(params["~"]["w"]), np.asarray(want_params["~"]["w"]))
    assert int(state["~"]["count"]) == 0 and "mean" in state["~"]
    xs = jax.device_put(x, NamedSharding(mesh(), P("data")))
    out, state = jax.jit(f.apply)(params, state, None, xs)
    want, want_state = g.apply(want_params, want_state, None, x)
    np.testing.assert_allclose(np.asarray(out), np.asarray(want), **TOL)
    assert same_spec(out.sharding.spec, P("data")), out.sharding.spec
    np.testing.assert_allclose(np.asarray(state["~"]["mean"]), np.asarray(want_state["~"]["mean"]),
                               **TOL)
    assert int(state["~"]["count"]) == 1


def main():
    assert jax.device_count() == 8, jax.devices()
    params, reference, specs = check_sharded_init()
    print("sharded_init ok")
    check_match_rules_matches_logical_names(specs)
    print("match_rules ok")
    check_apply_numbers_and_constraints(params, reference)
    print("constrain ok")
    check_vmap_spmd_axis_name()
    print("spmd_axis_name ok")
    check_shard_map()
    print("shard_map ok")


if __name__ == "__main__":
    main()
