"""Threads and asyncio tasks never see each other's frames or interceptors.

Haiku keeps its context (frames, method interceptors, config overrides) in
``contextvars``: each thread starts with an empty context and each asyncio
task runs in a copy of the context it was created in.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import haiku as hk
from haiku._src import base, interception

TIMEOUT = 30  # seconds; only reached if the code under test deadlocks.


@pytest.fixture(autouse=True)
def _no_frame_left_behind():
    yield
    assert base._FRAMES.get() == ()
    assert interception.interceptors.get() == ()


class Dense(hk.Module):
    def __init__(self, size, name=None):
        super().__init__(name=name)
        self.size = size

    def __call__(self, x):
        w = hk.get_parameter(
            "w",
            [x.shape[-1], self.size],
            init=lambda s, d: jax.random.normal(hk.next_rng_key(), s, d),
        )
        return x @ w


class Counted(hk.Module):
    def __call__(self, x):
        n = hk.get_state("n", [], jnp.int32, init=jnp.zeros)
        hk.set_state("n", n + 1)
        return x + n


def make_model(index):
    """A different little network for each index (depth, widths, names)."""
    depth = 1 + index % 3
    widths = [2 + (index + i) % 3 for i in range(depth)]

    def forward(x):
        with hk.name_scope(f"model{index % 4}"):
            for i, width in enumerate(widths):
                x = jnp.tanh(Dense(width, name=f"dense_{i}" if index % 2 else None)(x))
            x = Counted()(x)
            return x + jax.random.uniform(hk.next_rng_key(), x.shape)

    return hk.transform_with_state(forward)


def run_model(index, repeats):
    """init then ``repeats`` applies; returns everything, as numpy."""
    f = make_model(index)
    x = jnp.full([2, 3], 0.1 * index)
    params, state = f.init(jax.random.PRNGKey(index), x)
    outs = []
    for step in range(repeats):
        out, state = f.apply(params, state, jax.random.PRNGKey(1000 + step), x)
        outs.append(out)
    return jax.tree_util.tree_map(np.asarray, (params, state, outs))


def assert_trees_equal(a, b):
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)
    jax.tree_util.tree_map(np.testing.assert_array_equal, a, b)


def test_many_threads_running_many_models():
    num_models, repeats = 12, 3
    expected = [run_model(i, repeats) for i in range(num_models)]
    jobs = [i % num_models for i in range(48)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: (i, run_model(i, repeats)), jobs, timeout=TIMEOUT * 4))
    assert len(results) == len(jobs)
    for index, result in results:
        assert_trees_equal(result, expected[index])


def test_frame_of_one_thread_is_invisible_to_another():
    inside = threading.Event()
    release = threading.Event()
    seen = {}

    class Waiting(hk.Module):
        def __call__(self):
            hk.get_parameter("mine", [], init=jnp.zeros)
            inside.set()
            assert release.wait(TIMEOUT)
            seen["names"] = (hk.current_name(), list(hk.get_params()))
            return Dense(1)(jnp.ones([1, 2]))

    def hold_a_transform():
        hk.transform(lambda: Waiting()()).init(jax.random.PRNGKey(0))

    holder = threading.Thread(target=hold_a_transform)
    holder.start()
    try:
        assert inside.wait(TIMEOUT)

        def intruder():
            for call in (
                lambda: hk.get_parameter("w", [], init=jnp.ones),
                hk.current_name,
                hk.next_rng_key,
            ):
                with pytest.raises(ValueError, match="must be used as part of an `hk.transform`"):
                    call()
            with pytest.raises(ValueError, match="must be initialized inside an `hk.transform`"):
                Dense(1)
            # Its own transform works and is unaffected by the waiting one.
            params = hk.transform(lambda: Dense(3)(jnp.ones([1, 2]))).init(jax.random.PRNGKey(1))
            return list(params)

        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            assert pool.submit(intruder).result(TIMEOUT) == ["dense"]
    finally:
        release.set()
        holder.join(TIMEOUT)
    assert not holder.is_alive()
    assert seen["names"] == ("waiting", ["waiting"])


def test_threads_paused_inside_modules_name_independently():
    barrier = threading.Barrier(4, timeout=TIMEOUT)

    class Parent(hk.Module):
        def __call__(self, x):
            barrier.wait()
            a = Dense(2)
            barrier.wait()
            b = Dense(2)
            return a.module_name, b.module_name, hk.current_name(), b(a(x))

    def work(seed):
        out = []
        f = hk.transform(lambda x: out.append(Parent()(x)))
        params = f.init(jax.random.PRNGKey(seed), jnp.ones([1, 3]))
        return out[0][:3], list(params)

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, range(4), timeout=TIMEOUT))
    for names, params in results:
        assert names == ("parent/dense", "parent/dense_1", "parent")
        assert params == ["parent/dense", "parent/dense_1"]


def test_interceptors_of_one_thread_are_invisible_to_another():
    entered = threading.Event()
    release = threading.Event()
    calls = []

    def interceptor(next_fun, args, kwargs, context):
        calls.append((threading.current_thread().name, context.method_name))
        return next_fun(*args, **kwargs)

    f = hk.transform(lambda: Dense(1)(jnp.ones([1, 1])))

    def intercepting():
        with hk.intercept_methods(interceptor):
            entered.set()
            assert release.wait(TIMEOUT)
            f.init(jax.random.PRNGKey(0))

    thread = threading.Thread(target=intercepting, name="intercepting")
    thread.start()
    try:
        assert entered.wait(TIMEOUT)
        f.init(jax.random.PRNGKey(0))
        assert calls == []
    finally:
        release.set()
        thread.join(TIMEOUT)
    assert calls == [("intercepting", "__init__"), ("intercepting", "__call__")]


# asyncio.


def test_asyncio_tasks_running_transforms_between_awaits():
    async def task(index):
        f = make_model(index)
        x = jnp.full([2, 3], 0.1 * index)
        await asyncio.sleep(0)
        params, state = f.init(jax.random.PRNGKey(index), x)
        await asyncio.sleep(0)
        outs = []
        for step in range(2):
            out, state = f.apply(params, state, jax.random.PRNGKey(1000 + step), x)
            outs.append(out)
            await asyncio.sleep(0)
        assert base._FRAMES.get() == ()
        return jax.tree_util.tree_map(np.asarray, (params, state, outs))

    async def main():
        return await asyncio.gather(*(task(i) for i in range(6)))

    results = asyncio.run(main())
    for index, result in enumerate(results):
        assert_trees_equal(result, run_model(index, 2))


def test_asyncio_tasks_with_frames_open_across_awaits():
    """Each task opens a frame, yields to the others, and still sees only its own."""

    async def task(index, started):
        frame = base.Frame({}, {}, None, params_frozen=False, is_init=True)
        with base.new_frame(frame):
            hk.get_parameter(f"p{index}", [], init=jnp.zeros)
            with hk.name_scope(f"scope{index}"):
                started.append(index)
                while len(started) < 5:
                    await asyncio.sleep(0)
                name = hk.current_name()
                hk.get_parameter("inner", [], init=jnp.ones)
            assert base._FRAMES.get() == (frame,)
            return name, jax.tree_util.tree_map(float, hk.get_params())

    async def main():
        started = []
        return await asyncio.gather(*(task(i, started) for i in range(5)))

    for index, (name, params) in enumerate(asyncio.run(main())):
        assert name == f"scope{index}"
        assert params == {"~": {f"p{index}": 0.0}, f"scope{index}": {"inner": 1.0}}


def test_asyncio_tasks_created_inside_a_transform():
    """Tasks created inside a transform share its frame, not their own transforms'."""
    per_task = []

    async def task(index):
        await asyncio.sleep(0)
        inner = hk.transform(lambda: hk.get_parameter(f"inner{index}", [], init=jnp.ones))
        params = inner.init(None)
        await asyncio.sleep(0)
        per_task.append((index, params, hk.current_name(), len(base._FRAMES.get())))

    def outer():
        hk.get_parameter("outer", [], init=jnp.zeros)

        async def main():
            await asyncio.gather(*(task(i) for i in range(4)))

        asyncio.run(main())
        return list(hk.get_params()["~"])

    out = []
    params = hk.transform(lambda: out.append(outer())).init(None)
    assert out == [["outer"]]
    assert params == {"~": {"outer": 0.0}}
    assert sorted(per_task, key=lambda t: t[0]) == [
        (i, {"~": {f"inner{i}": 1.0}}, "~", 1) for i in range(4)
    ]


def test_asyncio_interceptors_and_config_are_per_task():
    calls = []

    def interceptor(next_fun, args, kwargs, context):
        calls.append(context.method_name)
        return next_fun(*args, **kwargs)

    f = hk.transform(lambda: (Dense(1)(jnp.ones([1, 1])), hk.next_rng_key())[1])
    key = jax.random.PRNGKey(0)

    async def intercepting(go):
        with hk.intercept_methods(interceptor), hk.config.context(rng_reserve_size=3):
            go.set()
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            return f.apply(f.init(key), key)

    async def plain(go):
        await go.wait()
        assert calls == []
        out = f.apply(f.init(key), key)
        assert calls == []
        return out

    async def main():
        go = asyncio.Event()
        return await asyncio.gather(intercepting(go), plain(go))

    reserved_key, plain_key = asyncio.run(main())
    assert calls == ["__init__", "__call__", "__init__", "__call__"]
    # apply draws the first key of its sequence: with a reserve size of 3
    # it is split(key, 4)[1], otherwise split(key)[1].
    np.testing.assert_array_equal(reserved_key, jax.random.split(key, 4)[1])
    np.testing.assert_array_equal(plain_key, jax.random.split(key)[1])
