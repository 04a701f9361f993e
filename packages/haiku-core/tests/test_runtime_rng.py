"""Random numbers: the key splitting scheme, reserve, with_rng, sequence state.

The splitting scheme (checked against dm-haiku 0.0.17): a sequence seeded
with key ``k`` hands out ``split(k)[1]`` and keeps ``split(k)[0]``; reserving
``n`` keys splits once into ``n + 1`` keys, keeps the first and hands out the
others in order.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import haiku as hk
from haiku._src import base, random_keys


@pytest.fixture(autouse=True)
def _no_frame_left_behind():
    yield
    assert base._FRAMES.get() == ()


class Reference:
    """The documented scheme, written with plain ``jax.random.split``."""

    def __init__(self, key):
        self.key = key
        self.reserved = []

    def next(self):
        if self.reserved:
            return self.reserved.pop(0)
        self.key, out = jax.random.split(self.key)
        return out

    def reserve(self, n):
        if n > 0:
            keys = jax.random.split(self.key, n + 1)
            self.key = keys[0]
            self.reserved.extend(keys[1:])


def assert_keys_equal(actual, expected):
    actual, expected = np.asarray(_raw(actual)), np.asarray(_raw(expected))
    assert actual.dtype == expected.dtype == np.uint32
    np.testing.assert_array_equal(actual, expected)


def _raw(key):
    if jax.dtypes.issubdtype(getattr(key, "dtype", np.float32), jax.dtypes.prng_key):
        return jax.random.key_data(key)
    return key


def run_apply(fn, key):
    return hk.transform(fn).apply({}, key)


def test_next_rng_key_follows_the_splitting_scheme():
    key = jax.random.PRNGKey(123)
    keys = run_apply(lambda: [hk.next_rng_key() for _ in range(4)], key)
    ref = Reference(key)
    for k in keys:
        assert_keys_equal(k, ref.next())
    assert_keys_equal(keys[0], jax.random.split(key)[1])


def test_init_and_apply_draw_from_their_own_key():
    seen = []
    f = hk.transform(lambda: seen.append(hk.next_rng_key()))
    f.init(jax.random.PRNGKey(1))
    f.apply({}, jax.random.PRNGKey(2))
    assert_keys_equal(seen[0], jax.random.split(jax.random.PRNGKey(1))[1])
    assert_keys_equal(seen[1], jax.random.split(jax.random.PRNGKey(2))[1])


def test_reserve_rng_keys():
    key = jax.random.PRNGKey(5)

    def fn():
        out = [hk.next_rng_key()]
        hk.reserve_rng_keys(3)
        out += [hk.next_rng_key() for _ in range(5)]
        return out

    ref = Reference(key)
    expected = [ref.next()]
    ref.reserve(3)
    expected += [ref.next() for _ in range(5)]
    for actual, exp in zip(run_apply(fn, key), expected, strict=True):
        assert_keys_equal(actual, exp)
    # The reserved keys are split(k', 4)[1:], k' the internal key at that time.
    internal = jax.random.split(key)[0]
    reserved = jax.random.split(internal, 4)
    assert_keys_equal(run_apply(fn, key)[1:4], reserved[1:])


def test_reserve_adds_to_what_is_reserved():
    def fn():
        hk.reserve_rng_keys(2)
        hk.reserve_rng_keys(3)
        before = len(hk.maybe_get_rng_sequence_state()[1])
        return before, [hk.next_rng_key() for _ in range(6)]

    key = jax.random.PRNGKey(0)
    before, keys = run_apply(fn, key)
    assert before == 5
    ref = Reference(key)
    ref.reserve(2)
    ref.reserve(3)
    for k in keys:
        assert_keys_equal(k, ref.next())


def test_next_rng_keys():
    key = jax.random.PRNGKey(9)
    keys = run_apply(lambda: hk.next_rng_keys(3), key)
    assert keys.shape == (3, 2) and keys.dtype == jnp.uint32
    assert_keys_equal(keys, jax.random.split(key, 4)[1:])
    assert len({tuple(k) for k in np.asarray(keys).tolist()}) == 3

    def fn():
        hk.reserve_rng_keys(2)
        return hk.next_rng_keys(3), hk.next_rng_key()

    # Reserved keys are used first, the rest are split off.
    keys, after = run_apply(fn, key)
    reserved = jax.random.split(key, 3)
    assert_keys_equal(keys[:2], reserved[1:])
    rest = jax.random.split(reserved[0], 2)
    assert_keys_equal(keys[2], rest[1])
    assert_keys_equal(after, jax.random.split(rest[0])[1])


def test_typed_keys_give_typed_keys_with_the_same_bits():
    raw = jax.random.PRNGKey(4)
    typed = jax.random.key(4)

    def fn():
        return hk.next_rng_key(), hk.next_rng_keys(2), hk.maybe_next_rng_key()

    raw_out = run_apply(fn, raw)
    typed_out = run_apply(fn, typed)
    assert jax.dtypes.issubdtype(typed_out[0].dtype, jax.dtypes.prng_key)
    assert typed_out[0].shape == () and typed_out[1].shape == (2,)
    for r, t in zip(raw_out, typed_out, strict=True):
        assert_keys_equal(t, r)
    # An int seed is the same as PRNGKey(seed).
    for r, i in zip(raw_out, run_apply(fn, 4), strict=True):
        assert_keys_equal(i, r)


def test_maybe_next_rng_key():
    assert run_apply(hk.maybe_next_rng_key, None) is None
    key = jax.random.PRNGKey(3)
    assert_keys_equal(run_apply(hk.maybe_next_rng_key, key), jax.random.split(key)[1])
    seen = []
    hk.transform(lambda: seen.append(hk.maybe_next_rng_key())).init(None)
    assert seen == [None]


def test_with_rng_uses_a_new_sequence_and_restores_the_outer_one():
    key = jax.random.PRNGKey(0)
    inner_key = jax.random.PRNGKey(428)

    def fn():
        a = hk.next_rng_key()
        with hk.with_rng(inner_key):
            b = hk.next_rng_key()
            c = hk.next_rng_key()
        d = hk.next_rng_key()
        return a, b, c, d

    a, b, c, d = run_apply(fn, key)
    outer, inner = Reference(key), Reference(inner_key)
    assert_keys_equal(a, outer.next())
    assert_keys_equal(b, inner.next())
    assert_keys_equal(c, inner.next())
    assert_keys_equal(d, outer.next())


def test_with_rng_gives_random_numbers_without_a_transform_key():
    def fn():
        with hk.with_rng(jax.random.PRNGKey(428)):
            return jax.random.uniform(hk.next_rng_key(), ())

    s = hk.transform(fn).apply({}, None)
    expected = jax.random.uniform(jax.random.split(jax.random.PRNGKey(428))[1], ())
    np.testing.assert_array_equal(s, expected)
    with pytest.raises(random_keys.MissingRNGError):
        hk.transform(hk.next_rng_key).apply({}, None)


def test_with_rng_none_disables_random_numbers_in_the_block():
    # An extension: dm-haiku 0.0.17 rejects None here (a ValueError).
    def fn():
        with hk.with_rng(None):
            maybe = hk.maybe_next_rng_key()
            with pytest.raises(ValueError, match="non-None PRNGKey"):
                hk.next_rng_key()
        return maybe, hk.next_rng_key()

    key = jax.random.PRNGKey(1)
    maybe, after = run_apply(fn, key)
    assert maybe is None
    # The outer sequence is untouched by the block.
    assert_keys_equal(after, jax.random.split(key)[1])


def test_with_rng_nests_and_survives_exceptions():
    def fn():
        with hk.with_rng(jax.random.PRNGKey(1)):
            with hk.with_rng(jax.random.PRNGKey(2)):
                inner = hk.next_rng_key()
            middle = hk.next_rng_key()
        try:
            with hk.with_rng(jax.random.PRNGKey(3)):
                raise KeyError
        except KeyError:
            pass
        return inner, middle, hk.next_rng_key()

    inner, middle, outer = run_apply(fn, jax.random.PRNGKey(0))
    assert_keys_equal(inner, jax.random.split(jax.random.PRNGKey(2))[1])
    assert_keys_equal(middle, jax.random.split(jax.random.PRNGKey(1))[1])
    assert_keys_equal(outer, jax.random.split(jax.random.PRNGKey(0))[1])


def test_rng_sequence_state_round_trip():
    def fn():
        hk.next_rng_key()
        hk.reserve_rng_keys(2)
        hk.next_rng_key()
        state = hk.maybe_get_rng_sequence_state()
        first = [hk.next_rng_key() for _ in range(3)]
        hk.replace_rng_sequence_state(state)
        again = [hk.next_rng_key() for _ in range(3)]
        return state, first, again

    state, first, again = run_apply(fn, jax.random.PRNGKey(0))
    assert isinstance(state, tuple) and len(state) == 2
    key, reserved = state
    assert isinstance(reserved, tuple) and len(reserved) == 1
    for a, b in zip(first, again, strict=True):
        assert_keys_equal(a, b)
    # The state is the internal key and the reserved keys, in order.
    assert_keys_equal(first[0], reserved[0])
    assert_keys_equal(first[1], jax.random.split(key)[1])


def test_rng_sequence_state_moves_between_transforms():
    def save():
        hk.next_rng_key()
        return hk.maybe_get_rng_sequence_state()

    state = run_apply(save, jax.random.PRNGKey(0))

    def load():
        hk.replace_rng_sequence_state(state)
        return hk.next_rng_key()

    continued = run_apply(load, jax.random.PRNGKey(99))
    two = run_apply(lambda: [hk.next_rng_key() for _ in range(2)], jax.random.PRNGKey(0))
    assert_keys_equal(continued, two[1])


def test_rng_sequence_state_without_key():
    assert run_apply(hk.maybe_get_rng_sequence_state, None) is None
    state = run_apply(hk.maybe_get_rng_sequence_state, 0)

    def fn():
        hk.replace_rng_sequence_state(state)

    with pytest.raises(random_keys.MissingRNGError, match="replace_rng_sequence_state"):
        hk.transform(fn).apply({}, None)


def test_params_are_drawn_in_call_order():
    class Random(hk.Module):
        def __call__(self):
            return hk.get_parameter(
                "w", [2], init=lambda s, d: jax.random.uniform(hk.next_rng_key(), s, d)
            )

    def fn():
        a = Random(name="a")
        b = Random(name="b")
        b()
        a()

    key = jax.random.PRNGKey(0)
    params = hk.transform(fn).init(key)
    ref = Reference(key)
    np.testing.assert_array_equal(params["b"]["w"], jax.random.uniform(ref.next(), [2]))
    np.testing.assert_array_equal(params["a"]["w"], jax.random.uniform(ref.next(), [2]))


def test_missing_key_errors():
    for fn in (
        hk.next_rng_key,
        lambda: hk.next_rng_keys(2),
        lambda: hk.reserve_rng_keys(2),
    ):
        f = hk.transform(fn)
        with pytest.raises(random_keys.MissingRNGError, match="non-None PRNGKey"):
            f.init(None)
        with pytest.raises(ValueError, match="non-None PRNGKey"):
            f.apply({}, None)


# PRNGSequence.


def test_prng_sequence_from_int_raw_and_typed_keys():
    expected = Reference(jax.random.PRNGKey(3))
    expected = [expected.next() for _ in range(3)]
    for key_or_seed in (3, np.int32(3), jnp.array(3), jax.random.PRNGKey(3), jax.random.key(3)):
        seq = hk.PRNGSequence(key_or_seed)
        for exp in expected:
            assert_keys_equal(next(seq), exp)
    typed = next(hk.PRNGSequence(jax.random.key(3)))
    assert jax.dtypes.issubdtype(typed.dtype, jax.dtypes.prng_key)


def test_prng_sequence_reserve_and_state():
    seq = hk.PRNGSequence(0)
    seq.reserve(3)
    assert len(seq.internal_state[1]) == 3
    seq.reserve(2)
    assert len(seq.internal_state[1]) == 5
    assert_keys_equal(next(seq), jax.random.split(jax.random.PRNGKey(0), 4)[1])
    seq.reserve(0)
    assert len(seq.internal_state[1]) == 4
    saved = seq.internal_state
    a = [next(seq) for _ in range(6)]
    seq.replace_internal_state(saved)
    b = [next(seq) for _ in range(6)]
    for x, y in zip(a, b, strict=True):
        assert_keys_equal(x, y)
    assert iter(seq) is seq


def test_prng_sequence_in_jit():
    out = jax.jit(lambda s: next(hk.PRNGSequence(s)))(3)
    assert_keys_equal(out, jax.random.split(jax.random.PRNGKey(3))[1])


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("abc", id="str"),
        pytest.param(jnp.zeros([3], jnp.uint32), id="shape3"),
        pytest.param(jnp.zeros([2], jnp.float32), id="float"),
        pytest.param(np.array([3]), id="int_vector"),
        pytest.param(jnp.array(3.0), id="float_scalar"),
    ],
)
def test_prng_sequence_rejects_non_keys(bad):
    with pytest.raises(ValueError):
        hk.PRNGSequence(bad)


# hk.config rng_reserve_size.


def test_rng_reserve_size_changes_the_keys():
    key = jax.random.PRNGKey(0)
    draw = lambda: [hk.next_rng_key() for _ in range(4)]  # noqa: E731
    default = run_apply(draw, key)
    with hk.config.context(rng_reserve_size=3):
        reserved = run_apply(draw, key)
    keys = jax.random.split(key, 4)
    for actual, exp in zip(reserved[:3], keys[1:], strict=True):
        assert_keys_equal(actual, exp)
    assert_keys_equal(reserved[3], jax.random.split(keys[0], 4)[1])
    assert not np.array_equal(reserved[1], default[1])
    # Back to the default outside the context.
    for a, b in zip(run_apply(draw, key), default, strict=True):
        assert_keys_equal(a, b)


def test_rng_reserve_size_setter_returns_previous_value():
    try:
        assert hk.experimental.rng_reserve_size(4) == 1
        key = jax.random.PRNGKey(0)
        assert_keys_equal(run_apply(hk.next_rng_key, key), jax.random.split(key, 5)[1])
        assert hk.experimental.rng_reserve_size(1) == 4
        assert_keys_equal(run_apply(hk.next_rng_key, key), jax.random.split(key)[1])
    finally:
        hk.config.set(rng_reserve_size=1)
