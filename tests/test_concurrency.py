"""Different haiku-nets/haiku-rnn models run at once, in threads and in asyncio
tasks, give exactly the results they give alone.

haiku-core's test_runtime_concurrency covers frames, names and interceptors
with core-only models; here the models hold state (BatchNorm), draw keys
(dropout), scan (LSTM unroll) and run under a bfloat16 policy set in one
thread only (policies are per thread).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import jax
import jax.numpy as jnp
import jmp
import numpy as np
import pytest

import haiku as hk

X = np.linspace(-1.0, 1.0, 24, dtype=np.float32).reshape(2, 3, 4)


def conv_bn(x):
    y = hk.Conv1D(3, 2)(x)
    return hk.BatchNorm(True, True, 0.9)(y, is_training=True)


def mlp_dropout(x):
    return hk.nets.MLP([5, 2])(x, dropout_rate=0.3, rng=hk.next_rng_key())


def lstm(x):
    core = hk.LSTM(3)
    return hk.dynamic_unroll(core, x, core.initial_state(x.shape[1]))


MODELS = {"conv_bn": conv_bn, "mlp_dropout": mlp_dropout, "lstm": lstm}


def run(name, seed, policy=False):
    """Init + two apply steps (state threaded through) of one model."""
    f = hk.transform_with_state(MODELS[name])
    with hk.mixed_precision.push_policy(hk.nets.MLP, jmp.get_policy("bfloat16")) if policy \
            else contextlib.nullcontext():
        params, state = f.init(jax.random.PRNGKey(seed), X)
        outs = []
        for step in range(2):
            out, state = f.apply(params, state, jax.random.PRNGKey(seed + step), X)
            outs.append(out)
    return jax.tree_util.tree_map(np.asarray, (params, state, outs))


JOBS = [(name, seed, policy) for name in MODELS for seed in (0, 1) for policy in (False,)]
JOBS += [("mlp_dropout", 2, True)]


@pytest.fixture(scope="module")
def alone():
    return {job: run(*job) for job in JOBS}


def assert_same(actual, expected):
    assert jax.tree_util.tree_structure(actual) == jax.tree_util.tree_structure(expected)
    jax.tree_util.tree_map(np.testing.assert_array_equal, actual, expected)


def test_alone_results_differ_by_model_seed_and_policy(alone):
    # The jobs are distinguishable, so a mix-up between them would show.
    outs = {job: result[2][0] for job, result in alone.items() if job[0] == "mlp_dropout"}
    assert not np.array_equal(outs[("mlp_dropout", 0, False)], outs[("mlp_dropout", 1, False)])
    assert alone[("mlp_dropout", 2, True)][2][0].dtype == jnp.bfloat16
    assert alone[("mlp_dropout", 1, False)][2][0].dtype == jnp.float32


def test_threads_running_different_models_at_once(alone):
    jobs = JOBS * 3
    barrier = threading.Barrier(len(JOBS))

    def job_in_thread(job):
        barrier.wait(timeout=60)  # start the first round together
        return job, run(*job)

    with ThreadPoolExecutor(len(JOBS)) as pool:
        results = list(pool.map(job_in_thread, jobs[: len(JOBS)]))
    with ThreadPoolExecutor(4) as pool:
        results += list(pool.map(lambda job: (job, run(*job)), jobs[len(JOBS):]))
    assert len(results) == len(jobs)
    for job, result in results:
        assert_same(result, alone[job])


def test_asyncio_tasks_interleaving_models(alone):
    async def task(job):
        name, seed, policy = job
        f = hk.transform_with_state(MODELS[name])
        cm = hk.mixed_precision.push_policy(hk.nets.MLP, jmp.get_policy("bfloat16")) \
            if policy else contextlib.nullcontext()
        with cm:
            params, state = f.init(jax.random.PRNGKey(seed), X)
            await asyncio.sleep(0)  # let the other tasks run between init and apply
            outs = []
            for step in range(2):
                out, state = f.apply(params, state, jax.random.PRNGKey(seed + step), X)
                outs.append(out)
                await asyncio.sleep(0)
        return jax.tree_util.tree_map(np.asarray, (params, state, outs))

    async def main():
        # Policies are per thread, not per task (as in dm-haiku): a policy
        # pushed across an await would reach the other tasks, so the policy
        # job runs in a worker thread only.
        plain = [job for job in JOBS if not job[2]]
        in_loop = await asyncio.gather(*(task(job) for job in plain))
        # And in worker threads (the policy job is one of them), awaited together.
        in_threads = await asyncio.gather(*(asyncio.to_thread(run, *job) for job in JOBS))
        return list(zip(plain, in_loop)) + list(zip(JOBS, in_threads))

    for job, result in asyncio.run(main()):
        assert_same(result, alone[job])
