"""hk.BatchNorm(cross_replica_axis=...) inside hk.experimental.shard_map, within a transform.

``hk.experimental.shard_map`` creates the BatchNorm's parameters and state
inside the per-shard function at ``init`` and carries the moving averages
out at ``apply``; with the batch split over 8 host devices the outputs and
state equal one device normalising the whole batch. Runs in a fresh process
(the device count is fixed when JAX starts).
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
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

    assert jax.device_count() == 8
    TOL = dict(rtol=1e-5, atol=1e-6)

    def net(x, axis):
        x = hk.Linear(5)(x)
        return hk.BatchNorm(True, True, 0.9, cross_replica_axis=axis)(x, is_training=True)

    for shape, names in (((8,), ("data",)), ((2, 4), ("data", "model"))):
        mesh = Mesh(np.array(jax.devices()).reshape(shape), names)
        batch = P(names)
        sharded = hk.transform_with_state(lambda x: hk.experimental.shard_map(
            lambda x: net(x, names), mesh=mesh, in_specs=batch, out_specs=batch)(x))
        whole = hk.transform_with_state(lambda x: net(x, None))
        x = np.random.RandomState(0).normal(1.0, 2.0, (16, 3)).astype(np.float32)
        key = jax.random.PRNGKey(0)
        params, state = jax.jit(sharded.init)(key, x)
        want_params, want_state = whole.init(key, x)
        assert jax.tree.structure(params) == jax.tree.structure(want_params)
        for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(want_params)):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        xs = jax.device_put(x, NamedSharding(mesh, batch))
        apply = jax.jit(sharded.apply)
        for step in range(2):
            out, state = apply(params, state, None, xs * (step + 1))
            want, want_state = whole.apply(want_params, want_state, None, x * (step + 1))
            assert len(out.sharding.device_set) == 8
            np.testing.assert_allclose(np.asarray(out), np.asarray(want), **TOL)
            for m, bundle in want_state.items():
                for k, v in bundle.items():
                    np.testing.assert_allclose(np.asarray(state[m][k]), np.asarray(v), **TOL,
                                               err_msg=f"{m}/{k}")
        print("batch_norm", shape, "ok")
''')


def test_batch_norm_cross_replica_axis_in_hk_shard_map():
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env["XLA_FLAGS"] = " ".join(filter(None, [
        env.get("XLA_FLAGS"), "--xla_force_host_platform_device_count=8"]))
    result = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == [
        "batch_norm", "(8,)", "ok", "batch_norm", "(2,", "4)", "ok"], result.stdout
