"""Behaviour of hk.ExponentialMovingAverage and hk.EMAParamsTree.

Numbers are checked against a float64 NumPy unrolling of the recurrence
(``hidden = hidden * decay + value * (1 - decay)``, zero-debias
``hidden / (1 - decay ** counter)``, warmup: decay 0 while ``counter <= 0``
with the counter starting at ``-warmup_length``); bit parity with dm-haiku
lives in ``test_moving_averages_oracle_parity.py``.
"""

from __future__ import annotations

import re

import haiku as hk
import jax
import jax.numpy as jnp
import jmp
import numpy as np
import pytest

from haiku_nets._src.moving_averages import tree_module_name


def ema_reference(values, decay, zero_debias=True, warmup_length=0):
    """The averages after each update, unrolled by hand in float64."""
    hidden = np.zeros_like(np.asarray(values[0], np.float64))
    counter = -warmup_length
    averages = []
    for value in values:
        counter += 1
        d = decay if counter > 0 else 0.0
        hidden = hidden * d + np.asarray(value, np.float64) * (1 - d)
        averages.append(hidden / (1 - decay ** counter) if zero_debias else hidden.copy())
    return averages


def _ema_fn(value, decay, zero_debias=True, warmup_length=0, update_stats=True):
    ema = hk.ExponentialMovingAverage(decay, zero_debias=zero_debias,
                                      warmup_length=warmup_length)
    return ema(value, update_stats=update_stats)


EMA = hk.transform_with_state(_ema_fn)
EMA_JIT = jax.jit(EMA.apply, static_argnums=(4, 5, 6, 7))
VALUES = [np.random.RandomState(i).randn(3).astype(np.float32) * 2 for i in range(5)]


def run_ema(values, decay, zero_debias=True, warmup_length=0, jit=False):
    _, state = EMA.init(None, values[0], decay, zero_debias, warmup_length)
    apply = EMA_JIT if jit else EMA.apply
    outs, states = [], []
    for value in values:
        out, state = apply({}, state, None, value, decay, zero_debias, warmup_length)
        outs.append(out)
        states.append(state["exponential_moving_average"])
    return outs, states


def test_unrolled_by_hand():
    # decay 0.5, values 4, 8, 2: hidden 2, 5, 3.5; debiased by 0.5, 0.75, 0.875.
    outs, states = run_ema([np.float32(v) for v in (4, 8, 2)], 0.5)
    np.testing.assert_allclose([float(o) for o in outs], [4.0, 5 / 0.75, 3.5 / 0.875], rtol=1e-6)
    assert [float(s["hidden"]) for s in states] == [2.0, 5.0, 3.5]
    assert [int(s["counter"]) for s in states] == [1, 2, 3]
    outs, _ = run_ema([np.float32(v) for v in (4, 8, 2)], 0.5, zero_debias=False)
    assert [float(o) for o in outs] == [2.0, 5.0, 3.5]


@pytest.mark.parametrize("decay, zero_debias, warmup_length, jit", [
    (0.9, True, 0, False),
    (0.99, True, 0, True),
    (0.37, False, 0, False),
    (0.0, True, 0, False),
    (0.8, False, 1, False),
    (0.95, False, 3, True),
])
def test_matches_float64_recurrence(decay, zero_debias, warmup_length, jit):
    outs, states = run_ema(VALUES, decay, zero_debias, warmup_length, jit=jit)
    want = ema_reference(VALUES, decay, zero_debias, warmup_length)
    for step, (out, state, w) in enumerate(zip(outs, states, want)):
        np.testing.assert_allclose(out, w, rtol=2e-5, atol=1e-6, err_msg=f"step {step}")
        np.testing.assert_array_equal(state["average"], out)
        assert int(state["counter"]) == step + 1 - warmup_length
        assert out.dtype == jnp.float32


def test_warmup_follows_the_input_then_decays():
    values = [np.float32(v) for v in (4, 8, 2, 6)]
    outs, states = run_ema(values, 0.5, zero_debias=False, warmup_length=2)
    # Counters -1, 0 (decay 0: the average is the value), then 1, 2.
    assert [int(s["counter"]) for s in states] == [-1, 0, 1, 2]
    assert [float(o) for o in outs] == [4.0, 8.0, 5.0, 5.5]


def test_state_at_init():
    x = jnp.array([1.0, 2.0])
    _, state = EMA.init(None, x, 0.9)
    s = state["exponential_moving_average"]
    assert list(s) == ["counter", "hidden", "average"]
    assert (s["counter"].shape, s["counter"].dtype, int(s["counter"])) == ((), jnp.int32, 0)
    assert (s["hidden"].shape, s["hidden"].dtype) == ((2,), jnp.float32)
    np.testing.assert_array_equal(s["hidden"], [0.0, 0.0])
    # The average is only ever set, so init keeps the first update's value.
    np.testing.assert_allclose(s["average"], x, rtol=1e-6)
    _, state = EMA.init(None, x, 0.9, False, 4)
    assert int(state["exponential_moving_average"]["counter"]) == -4


def test_update_stats_false_returns_the_update_without_storing_it():
    _, state = EMA.init(None, VALUES[0], 0.6)
    out, state = EMA.apply({}, state, None, VALUES[0], 0.6)
    peek, same = EMA.apply({}, state, None, VALUES[1], 0.6, True, 0, False)
    jax.tree.map(np.testing.assert_array_equal, same, state)
    out2, _ = EMA.apply({}, state, None, VALUES[1], 0.6)
    np.testing.assert_array_equal(peek, out2)
    np.testing.assert_allclose(peek, ema_reference(VALUES[:2], 0.6)[1], rtol=1e-5)
    # At init nothing is stored but what get_state created: no average yet.
    _, state = EMA.init(None, VALUES[0], 0.6, True, 0, False)
    assert list(state["exponential_moving_average"]) == ["counter", "hidden"]


def test_initialize_then_call():
    def f(x):
        ema = hk.ExponentialMovingAverage(0.5)
        ema.initialize(x.shape, jnp.bfloat16)
        ema.initialize([7])  # Ignored: the state exists already.
        before = ema.average
        return before, ema(x), ema.average

    f = hk.transform_with_state(f)
    x = jnp.array([2.0, -4.0])
    _, state = f.init(None, x)
    s = state["exponential_moving_average"]
    assert list(s) == ["hidden", "average", "counter"]
    assert (s["hidden"].dtype, s["average"].dtype) == (jnp.bfloat16, jnp.bfloat16)
    np.testing.assert_array_equal(s["average"], [0, 0])
    (before, out, after), state = f.apply({}, state, None, x)
    np.testing.assert_array_equal(before, [0, 0])
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(after, x)


def test_average_before_any_state_is_an_error():
    f = hk.transform_with_state(lambda: hk.ExponentialMovingAverage(0.9).average)
    with pytest.raises(ValueError, match="average"):
        f.init(None)


def test_dtypes_follow_the_value():
    for dtype in (jnp.bfloat16, jnp.float16):
        x = jnp.array([1.0, 3.0], dtype)
        _, state = EMA.init(None, x, 0.9)
        out, state = EMA.apply({}, state, None, x * 2, 0.9)
        s = state["exponential_moving_average"]
        assert (out.dtype, s["hidden"].dtype, s["average"].dtype) == (dtype, dtype, dtype)
        assert s["counter"].dtype == jnp.int32
        # The decay is rounded to the value's dtype: bf16(0.9) = 0.8984375.
        d = float(jnp.asarray(0.9, dtype))
        np.testing.assert_allclose(s["hidden"].astype(np.float32), [2 * (1 - d), 6 * (1 - d)],
                                   rtol=1e-2)
    # Integer values: the decay becomes int(0.5) = 0, the average a float.
    x = jnp.array([3, 6], jnp.int32)
    _, state = EMA.init(None, x, 0.5)
    out, state = EMA.apply({}, state, None, x, 0.5)
    assert state["exponential_moving_average"]["hidden"].dtype == jnp.int32
    assert out.dtype == jnp.float32
    np.testing.assert_array_equal(out, [3.0, 6.0])


def test_python_scalars():
    _, state = EMA.init(None, 1.0, 0.5)
    out, state = EMA.apply({}, state, None, 3.0, 0.5)
    assert out.shape == () and out.dtype == jnp.float32
    assert float(out) == 3.0


def test_constructor_errors():
    f = hk.transform_with_state(lambda x, **kw: hk.ExponentialMovingAverage(0.9, **kw)(x))
    with pytest.raises(ValueError, match=r"^`warmup_length` is -1, but should be non-negative\. "
                                         r"\(exponential_moving_average\)"):
        f.init(None, 1.0, zero_debias=False, warmup_length=-1)
    with pytest.raises(ValueError, match=r"zero_debias=False.*warmup_length"):
        f.init(None, 1.0, warmup_length=2)
    # Like dm-haiku, the range of the decay is not checked.
    out, _ = EMA.init(None, 1.0, 1.5, False)
    assert out is not None


def test_shape_mismatch_after_initialize():
    def f():
        ema = hk.ExponentialMovingAverage(0.9, name="ema")
        ema.initialize([2])
        return ema(jnp.ones([3]))

    with pytest.raises(TypeError, match=r"ema: the value's shape \(3,\) does not match "
                                        r"the shape \(2,\)"):
        hk.transform_with_state(f).init(None)


def test_remat_and_gradient():
    # d average / d value = (1 - decay) / (1 - decay ** counter) at each step.
    def f(x):
        return hk.remat(lambda y: hk.ExponentialMovingAverage(0.75)(y))(x)

    f = hk.transform_with_state(f)
    _, state = f.init(None, VALUES[0])
    for step, value in enumerate(VALUES[:3], start=1):
        out, new_state = f.apply({}, state, None, value)
        grad = jax.grad(lambda v, s=state: f.apply({}, s, None, v)[0].sum())(value)
        np.testing.assert_allclose(grad, 0.25 / (1 - 0.75 ** step), rtol=1e-6)
        state = new_state
    np.testing.assert_allclose(out, ema_reference(VALUES[:3], 0.75)[-1], rtol=1e-5)


def test_bf16_policy():
    policy = jmp.get_policy("params=float32,compute=bfloat16,output=float32")
    hk.mixed_precision.set_policy(hk.ExponentialMovingAverage, policy)
    try:
        _, state = EMA.init(None, VALUES[0], 0.5)
        for value in VALUES[1:3]:
            out, state = EMA.apply({}, state, None, value, 0.5)
    finally:
        hk.mixed_precision.clear_policy(hk.ExponentialMovingAverage)
    s = state["exponential_moving_average"]
    assert out.dtype == jnp.float32
    assert s["hidden"].dtype == s["average"].dtype == jnp.bfloat16
    np.testing.assert_allclose(out, ema_reference(VALUES[1:3], 0.5)[1], rtol=2e-2, atol=2e-2)


# EMAParamsTree ---------------------------------------------------------------

PARAMS = {"block/~/linear": {"w": np.arange(6, dtype=np.float32).reshape(2, 3),
                             "b": np.ones(3, np.float32)},
          "conv": {"w": np.full((1, 2), 2.0, np.float32)}}


def _tree_fn(tree, update_stats=True, **kwargs):
    return hk.EMAParamsTree(**kwargs)(tree, update_stats=update_stats)


TREE = hk.transform_with_state(_tree_fn)


def _shift(tree, by):
    return jax.tree.map(lambda p: p + by, tree)


def test_tree_state_names():
    _, state = TREE.init(None, PARAMS, decay=0.9)
    assert list(state) == ["ema_params_tree/block___tilde___linear__w",
                           "ema_params_tree/block___tilde___linear__b",
                           "ema_params_tree/conv__w"]
    assert list(state["ema_params_tree/conv__w"]) == ["counter", "hidden", "average"]
    _, state = TREE.init(None, PARAMS, decay=0.9, name="avg")
    assert list(state)[-1] == "avg/conv__w"
    assert tree_module_name("a~b/~", "w~") == "a_tilde_b___tilde___w_tilde_"


def test_tree_averages_every_leaf():
    _, state = TREE.init(None, PARAMS, decay=0.5, zero_debias=False)
    trees = [_shift(PARAMS, float(i)) for i in range(3)]
    for step, tree in enumerate(trees):
        out, state = TREE.apply({}, state, None, tree, decay=0.5, zero_debias=False)
        # The result keeps the order of the input tree (tree.map sorted it).
        assert list(out) == list(tree) and list(out["block/~/linear"]) == ["b", "w"]
        for module, bundle in PARAMS.items():
            for name in bundle:
                want = ema_reference([t[module][name] for t in trees[:step + 1]], 0.5, False)
                np.testing.assert_allclose(out[module][name], want[-1], rtol=1e-6)


@pytest.mark.parametrize("regex, averaged", [
    ("", ["block/~/linear/w", "block/~/linear/b", "conv/w"]),
    (".*/b$", ["block/~/linear/w", "conv/w"]),
    ("w", ["block/~/linear/w", "block/~/linear/b", "conv/w"]),  # re.match: anchored.
    ("block", ["conv/w"]),
    ("conv/w", ["block/~/linear/w", "block/~/linear/b"]),
])
def test_tree_ignore_regex(regex, averaged):
    _, state = TREE.init(None, PARAMS, decay=0.5, ignore_regex=regex)
    assert list(state) == ["ema_params_tree/" + tree_module_name(*p.rsplit("/", 1))
                           for p in averaged]
    out, state = TREE.apply({}, state, None, _shift(PARAMS, 4.0), decay=0.5,
                            ignore_regex=regex)
    out, state = TREE.apply({}, state, None, PARAMS, decay=0.5, ignore_regex=regex)
    for module, bundle in PARAMS.items():
        for name, value in bundle.items():
            if f"{module}/{name}" in averaged:  # (0.25 * (v + 4) + 0.5 * v) / 0.75
                np.testing.assert_allclose(out[module][name], value + 4 / 3, rtol=1e-6)
            else:
                assert re.match(regex, f"{module}/{name}")
                np.testing.assert_array_equal(out[module][name], value)


def test_tree_update_stats_false():
    _, state = TREE.init(None, PARAMS, decay=0.5)
    _, state = TREE.apply({}, state, None, PARAMS, decay=0.5)
    out, same = TREE.apply({}, state, None, _shift(PARAMS, 3.0), False, decay=0.5)
    jax.tree.map(np.testing.assert_array_equal, same, state)
    np.testing.assert_allclose(out["conv"]["w"], [[2 + 3 * 0.5 / 0.75] * 2], rtol=1e-6)


def test_tree_jit():
    apply = jax.jit(lambda s, t: TREE.apply({}, s, None, t, decay=0.9))
    _, state = TREE.init(None, PARAMS, decay=0.9)
    eager_state = state
    for i in range(2):
        out, state = apply(state, _shift(PARAMS, float(i)))
        eager_out, eager_state = TREE.apply({}, eager_state, None, _shift(PARAMS, float(i)),
                                            decay=0.9)
        # XLA may fuse the jitted arithmetic differently: an ulp or so.
        jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6), out, eager_out)
        jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6),
                     state, eager_state)


def test_tree_rejects_what_is_not_a_params_tree():
    with pytest.raises(AttributeError, match=r"^'list' object has no attribute 'items' "
                                             r"\(ema_params_tree: expected a params tree.*got "
                                             r"PyTreeDef\(\[\*\]\)"):
        TREE.init(None, [jnp.ones(2)], decay=0.5)
    with pytest.raises(AttributeError, match=r"^'list' object has no attribute 'items' "
                                             r"\(ema_params_tree: expected a params tree"):
        TREE.init(None, {"a": [jnp.ones(2)]}, decay=0.5)
    with pytest.raises(ValueError, match="not a valid module name"):
        TREE.init(None, {"a-b": {"w": jnp.ones(2)}}, decay=0.5)
