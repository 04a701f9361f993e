"""``hk.config`` and the config switches of ``hk.experimental``.

Behaviour checked against dm-haiku 0.0.17 (black box): defaults, return values,
the error for a non-positive reserve size, and the thread semantics (a thread
starts from the main thread's options, then keeps its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading

import jax
import numpy as np
import pytest

import haiku as hk
from haiku._src import config
from haiku._src.config import check_jax_usage, get_config

DEFAULTS = {
    "check_jax_usage": False,
    "module_auto_repr": True,
    "restore_flatmap": False,
    "rng_reserve_size": 1,
}

OTHER_VALUES = {
    "check_jax_usage": True,
    "module_auto_repr": False,
    "restore_flatmap": True,
    "rng_reserve_size": 3,
}


@pytest.fixture(autouse=True)
def _restore_config():
    """Every test starts from the defaults and leaves them behind."""
    with hk.config.context(**DEFAULTS):
        yield
    assert dataclasses.asdict(get_config()) == DEFAULTS


def as_dict() -> dict:
    return dataclasses.asdict(get_config())


def in_thread(fn, *args):
    """Runs ``fn`` in a new thread; returns its result (or raises its error)."""
    result = {}

    def target():
        try:
            result["value"] = fn(*args)
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller.
            result["error"] = e

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


# Defaults and the Config object.


def test_defaults_in_a_fresh_thread():
    # The autouse fixture holds the defaults on the main thread, so a new
    # thread starts from them too.
    assert in_thread(as_dict) == DEFAULTS


def test_config_class_defaults():
    assert dataclasses.asdict(config.Config()) == DEFAULTS


def test_get_config_is_stable_and_immutable():
    cfg = get_config()
    assert get_config() is cfg
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.rng_reserve_size = 4  # type: ignore[misc]
    hk.config.set(rng_reserve_size=4)
    assert cfg.rng_reserve_size == 1, "an old snapshot never changes"
    assert get_config().rng_reserve_size == 4


def test_public_namespace():
    assert hk.config.set is config.set
    assert hk.config.context is config.context
    assert hk.experimental.module_auto_repr is config.module_auto_repr
    assert hk.experimental.rng_reserve_size is config.rng_reserve_size


# set


@pytest.mark.parametrize("option", sorted(DEFAULTS))
def test_set_changes_only_the_given_option(option):
    assert hk.config.set(**{option: OTHER_VALUES[option]}) is None
    assert as_dict() == {**DEFAULTS, option: OTHER_VALUES[option]}


def test_set_several_and_none_means_unchanged():
    hk.config.set(module_auto_repr=False, rng_reserve_size=7)
    hk.config.set(module_auto_repr=None, rng_reserve_size=None, check_jax_usage=None)
    hk.config.set()
    assert as_dict() == {**DEFAULTS, "module_auto_repr": False, "rng_reserve_size": 7}


def test_set_is_keyword_only():
    with pytest.raises(TypeError, match="positional"):
        hk.config.set(True)  # type: ignore[misc]
    with pytest.raises(TypeError, match="unexpected keyword"):
        hk.config.set(foo=1)  # type: ignore[call-arg]


def test_set_accepts_numpy_scalars():
    hk.config.set(rng_reserve_size=np.int64(5), module_auto_repr=np.bool_(False))
    assert get_config().rng_reserve_size == 5
    assert type(get_config().rng_reserve_size) is int
    assert get_config().module_auto_repr is False


# Validation (set, context and the experimental functions share it).

BAD_SIZES = [
    (0, ValueError, "RNG reserve size needs to be more than 0, got 0."),
    (-1, ValueError, "RNG reserve size needs to be more than 0, got -1."),
    (1.5, TypeError, "RNG reserve size must be an int, got 1.5 of type float."),
    ("2", TypeError, "RNG reserve size must be an int, got '2' of type str."),
    (True, TypeError, "RNG reserve size must be an int, got True."),
]


@pytest.mark.parametrize("size, error, message", BAD_SIZES)
def test_bad_reserve_size(size, error, message):
    for fn in (
        lambda: hk.config.set(rng_reserve_size=size),
        lambda: hk.config.context(rng_reserve_size=size),
        lambda: hk.experimental.rng_reserve_size(size),
    ):
        with pytest.raises(error) as info:
            fn()
        assert str(info.value) == message
    assert get_config().rng_reserve_size == 1


def test_rng_reserve_size_none_is_an_error():
    with pytest.raises(TypeError, match="must be an int, got None"):
        hk.experimental.rng_reserve_size(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("option", ["check_jax_usage", "module_auto_repr", "restore_flatmap"])
@pytest.mark.parametrize("value", [1, 0, "yes", 1.0])
def test_flags_must_be_bools(option, value):
    with pytest.raises(TypeError) as info:
        hk.config.set(**{option: value})
    assert str(info.value) == (
        f"`{option}` must be a bool, got {value!r} of type {type(value).__name__}."
    )
    with pytest.raises(TypeError):
        hk.config.context(**{option: value})
    assert as_dict() == DEFAULTS


@pytest.mark.parametrize(
    "fn", [hk.experimental.module_auto_repr, check_jax_usage], ids=["auto_repr", "jax_usage"]
)
def test_experimental_flags_reject_non_bools(fn):
    with pytest.raises(TypeError, match="must be a bool"):
        fn(None)
    with pytest.raises(TypeError, match="must be a bool"):
        fn("False")
    assert as_dict() == DEFAULTS


# context


def test_context_overrides_and_restores():
    with hk.config.context(rng_reserve_size=5, check_jax_usage=True) as value:
        assert value is None
        assert as_dict() == {**DEFAULTS, "rng_reserve_size": 5, "check_jax_usage": True}
    assert as_dict() == DEFAULTS


def test_context_keeps_unspecified_values():
    hk.config.set(module_auto_repr=False)
    with hk.config.context(rng_reserve_size=2):
        assert get_config().module_auto_repr is False
    assert as_dict() == {**DEFAULTS, "module_auto_repr": False}


def test_context_without_arguments_restores_everything():
    with hk.config.context():
        hk.config.set(**OTHER_VALUES)
        assert as_dict() == OTHER_VALUES
    assert as_dict() == DEFAULTS


def test_context_restores_on_exception():
    with pytest.raises(KeyError):
        with hk.config.context(rng_reserve_size=7, restore_flatmap=True):
            raise KeyError("boom")
    assert as_dict() == DEFAULTS


def test_context_reverts_set_inside_the_block():
    with hk.config.context(rng_reserve_size=2):
        hk.config.set(rng_reserve_size=9, module_auto_repr=False)
        assert hk.experimental.rng_reserve_size(9) == 9
    assert as_dict() == DEFAULTS


def test_nested_contexts():
    with hk.config.context(rng_reserve_size=2):
        with hk.config.context(rng_reserve_size=3, check_jax_usage=True):
            assert get_config().rng_reserve_size == 3
        assert get_config().rng_reserve_size == 2
        assert get_config().check_jax_usage is False
    assert get_config().rng_reserve_size == 1


def test_context_validates_before_entering():
    # dm-haiku only noticed a bad value when the block was entered (or not at
    # all); ours raises at the call.
    with pytest.raises(ValueError, match="more than 0"):
        hk.config.context(rng_reserve_size=-3)
    assert as_dict() == DEFAULTS


def test_context_is_keyword_only():
    with pytest.raises(TypeError, match="positional"):
        hk.config.context(True)  # type: ignore[misc]
    with pytest.raises(TypeError, match="unexpected keyword"):
        hk.config.context(foo=1)  # type: ignore[call-arg]


def test_context_as_exit_stack_member():
    with contextlib.ExitStack() as stack:
        stack.enter_context(hk.config.context(restore_flatmap=True))
        assert get_config().restore_flatmap is True
    assert get_config().restore_flatmap is False


# The experimental functions return the previous value.


def test_module_auto_repr_returns_previous():
    assert hk.experimental.module_auto_repr(False) is True
    assert get_config().module_auto_repr is False
    assert hk.experimental.module_auto_repr(False) is False
    assert hk.experimental.module_auto_repr(True) is False
    assert get_config().module_auto_repr is True


def test_rng_reserve_size_returns_previous():
    assert hk.experimental.rng_reserve_size(4) == 1
    assert hk.experimental.rng_reserve_size(np.int32(2)) == 4
    assert hk.experimental.rng_reserve_size(1) == 2
    assert get_config().rng_reserve_size == 1


def test_check_jax_usage_returns_previous_and_defaults_to_true():
    assert check_jax_usage() is False
    assert get_config().check_jax_usage is True
    assert check_jax_usage(False) is True
    assert get_config().check_jax_usage is False


# Threads, contexts, asyncio.


def test_thread_starts_from_main_thread_value():
    hk.config.set(rng_reserve_size=2)
    assert in_thread(lambda: get_config().rng_reserve_size) == 2


def test_thread_started_inside_a_main_thread_context_sees_it():
    with hk.config.context(module_auto_repr=False):
        assert in_thread(lambda: get_config().module_auto_repr) is False
    assert in_thread(lambda: get_config().module_auto_repr) is True


def test_set_in_a_thread_does_not_touch_the_main_thread():
    def worker():
        hk.config.set(rng_reserve_size=6, check_jax_usage=True)
        return as_dict()

    assert in_thread(worker) == {**DEFAULTS, "rng_reserve_size": 6, "check_jax_usage": True}
    assert as_dict() == DEFAULTS
    # And not the next thread either: it starts from the main thread.
    assert in_thread(as_dict) == DEFAULTS


def test_thread_keeps_its_snapshot_after_main_thread_changes():
    read_once = threading.Event()
    main_changed = threading.Event()
    seen = []

    def worker():
        seen.append(get_config().rng_reserve_size)
        read_once.set()
        main_changed.wait(timeout=10)
        seen.append(get_config().rng_reserve_size)

    thread = threading.Thread(target=worker)
    thread.start()
    assert read_once.wait(timeout=10)
    hk.config.set(rng_reserve_size=9)
    main_changed.set()
    thread.join()
    assert seen == [1, 1]


def test_concurrent_thread_contexts_are_isolated():
    barrier = threading.Barrier(2, timeout=10)
    seen = {}

    def worker(size):
        with hk.config.context(rng_reserve_size=size):
            barrier.wait()  # Both threads are inside their block now.
            seen[size] = get_config().rng_reserve_size
            barrier.wait()

    threads = [threading.Thread(target=worker, args=(s,)) for s in (2, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {2: 2, 5: 5}
    assert get_config().rng_reserve_size == 1


def test_asyncio_tasks_do_not_see_each_others_context():
    async def task(size, started, other_started):
        with hk.config.context(rng_reserve_size=size):
            started.set()
            await other_started.wait()
            return get_config().rng_reserve_size

    async def main():
        a, b = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(task(2, a, b), task(5, b, a))

    assert asyncio.run(main()) == [2, 5]
    assert get_config().rng_reserve_size == 1


# The runtime reads the options.


def test_rng_reserve_size_changes_next_rng_key():
    key = jax.random.PRNGKey(7)

    def f():
        return hk.next_rng_key(), hk.next_rng_key()

    # Fact observed on dm-haiku 0.0.17: with a reserve of n the sequence splits
    # once into n + 1 keys and hands out keys 1..n in order.
    with hk.config.context(rng_reserve_size=4):
        a, b = hk.transform(f).apply({}, key)
    expected = jax.random.split(key, 5)
    np.testing.assert_array_equal(a, expected[1])
    np.testing.assert_array_equal(b, expected[2])
    # Dm-haiku's numbers for the same call (black box).
    np.testing.assert_array_equal(a, np.array([195045567, 4062205631], np.uint32))
    np.testing.assert_array_equal(b, np.array([966301609, 1948237315], np.uint32))

    a1, _ = hk.transform(f).apply({}, key)
    np.testing.assert_array_equal(a1, jax.random.split(key)[1])


def test_spec_example_context():
    with hk.config.context(check_jax_usage=True):
        assert get_config().check_jax_usage is True
    assert get_config().check_jax_usage is False
