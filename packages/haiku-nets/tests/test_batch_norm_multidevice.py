"""hk.BatchNorm across devices: ``cross_replica_axis`` under ``jax.pmap`` and
under ``jax.jit`` + ``jax.shard_map``, and ``cross_replica_axis_index_groups``.

Runs one subprocess with 8 fake CPU devices
(``--xla_force_host_platform_device_count=8``, which must be set before JAX
starts) and checks that a batch split over the devices gives the outputs and
the moving-average state of one device normalising the whole batch (or, with
index groups, of each group's part of the batch).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent('''
    import haiku as hk
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.sharding import NamedSharding, PartitionSpec as P

    # jax.shard_map from JAX 0.7; JAX 0.6 has it in jax.experimental.shard_map.
    shard_map = getattr(jax, "shard_map", None)
    if shard_map is None:
        from jax.experimental.shard_map import shard_map

    assert jax.device_count() == 8, jax.devices()
    TOL = dict(rtol=1e-5, atol=1e-6)

    def make(**kwargs):
        def f(x, is_training):
            return hk.BatchNorm(True, True, 0.9, **kwargs)(x, is_training)
        return hk.transform_with_state(f)

    def reference(x, steps=2):
        """One device, whole batch: the outputs of `steps` training steps, the
        state after them and the test-mode output."""
        f = make()
        params, state = f.init(None, x, True)
        outs = []
        for step in range(steps):
            out, state = f.apply(params, state, None, x * (step + 1), True)
            outs.append(out)
        test, _ = f.apply(params, state, None, x, False)
        return params, outs, state, test

    def check_state(state, ref_state, replicas):
        for module, bundle in ref_state.items():
            for name, want in bundle.items():
                got = np.asarray(state[module][name])
                assert got.shape == (replicas,) + want.shape, (module, name, got.shape)
                for r in range(replicas):
                    np.testing.assert_allclose(got[r], want, **TOL, err_msg=f"{module}/{name}")

    x = np.random.RandomState(0).normal(1.0, 2.0, (16, 3, 4)).astype(np.float32)
    params, ref_outs, ref_state, ref_test = reference(x)

    # 1. jax.pmap over 8 devices, 2 examples each.
    f = make(cross_replica_axis="i")
    xs = x.reshape(8, 2, 3, 4)
    init = jax.pmap(f.init, axis_name="i", in_axes=(None, 0, None), static_broadcasted_argnums=2)
    p_params, state = init(None, xs, True)
    apply = jax.pmap(f.apply, axis_name="i", in_axes=(0, 0, None, 0, None),
                     static_broadcasted_argnums=4)
    for step in range(2):
        out, state = apply(p_params, state, None, xs * (step + 1), True)
        np.testing.assert_allclose(np.asarray(out).reshape(x.shape), ref_outs[step], **TOL)
    check_state(state, ref_state, 8)
    test, _ = apply(p_params, state, None, xs, False)
    np.testing.assert_allclose(np.asarray(test).reshape(x.shape), ref_test, **TOL)
    print("pmap ok")

    # 2. Index groups: devices 0-3 and 4-7 each normalise their half of the batch.
    groups = [[0, 1, 2, 3], [4, 5, 6, 7]]
    f = make(cross_replica_axis="i", cross_replica_axis_index_groups=groups)
    p_params, state = init(None, xs, True)
    apply = jax.pmap(f.apply, axis_name="i", in_axes=(0, 0, None, 0, None),
                     static_broadcasted_argnums=4)
    out, state = apply(p_params, state, None, xs, True)
    for half in range(2):
        _, (want,), want_state, _ = reference(x[half * 8:(half + 1) * 8], steps=1)
        np.testing.assert_allclose(np.asarray(out[half * 4:(half + 1) * 4]).reshape(8, 3, 4),
                                   want, **TOL)
        half_state = jax.tree_util.tree_map(lambda a: a[half * 4:(half + 1) * 4], state)
        check_state(half_state, want_state, 4)
    # The groups really differ (otherwise this would not test anything).
    assert not np.allclose(out[0, 0], reference(x)[1][0][0])
    print("index groups ok")

    # 3. jax.jit + jax.shard_map: the batch sharded over a 1-D mesh, then over
    #    both axes of a 2-D mesh with a sequence of axis names.
    for mesh_shape, names, axis in (((8,), ("b",), "b"), ((2, 4), ("a", "b"), ("a", "b"))):
        mesh = jax.make_mesh(mesh_shape, names)
        f = make(cross_replica_axis=axis)
        batch = P(names if len(names) > 1 else names[0])
        x_sharded = jax.device_put(x, NamedSharding(mesh, batch))
        sm_params, state = jax.jit(shard_map(
            lambda x: f.init(None, x, True), mesh=mesh, in_specs=(batch,),
            out_specs=(P(), P())))(x_sharded)

        @jax.jit
        def step(params, state, x):
            return shard_map(
                lambda p, s, x: f.apply(p, s, None, x, True), mesh=mesh,
                in_specs=(P(), P(), batch), out_specs=(batch, P()))(params, state, x)

        for i in range(2):
            out, state = step(sm_params, state, x_sharded * (i + 1))
            assert len(out.sharding.device_set) == 8
            np.testing.assert_allclose(out, ref_outs[i], **TOL)
        check_state(jax.tree_util.tree_map(lambda a: a[None], state), ref_state, 1)
        print("shard_map", mesh_shape, "ok")
''')


def test_batch_norm_across_devices():
    env = dict(os.environ)
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") +
                        " --xla_force_host_platform_device_count=8").strip()
    env["JAX_PLATFORMS"] = "cpu"
    result = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == [
        "pmap", "ok", "index", "groups", "ok",
        "shard_map", "(8,)", "ok", "shard_map", "(2,", "4)", "ok"], result.stdout
