"""Transforms: init/apply outputs, state, wrappers, multi_transform, jit.

Every expectation here was checked against dm-haiku 0.0.17 (black box).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import haiku as hk
from haiku._src import base


@pytest.fixture(autouse=True)
def _no_frame_left_behind():
    yield
    assert base._FRAMES.get() == ()


class Affine(hk.Module):
    """``x * w + b`` with ``w`` random (drawn from ``next_rng_key``)."""

    def __init__(self, size, name=None):
        super().__init__(name=name)
        self.size = size

    def __call__(self, x):
        w = hk.get_parameter(
            "w", [x.shape[-1], self.size], init=lambda s, d: jax.random.normal(hk.next_rng_key(), s, d)
        )
        b = hk.get_parameter("b", [self.size], init=jnp.zeros)
        return x @ w + b


class Counter(hk.Module):
    """Counts its calls in state; records the first input in state too."""

    def __call__(self, x):
        n = hk.get_state("n", [], jnp.int32, init=jnp.zeros)
        hk.set_state("n", n + 1)
        hk.get_state("first", x.shape, x.dtype, init=lambda *_: x)
        return x * hk.get_parameter("scale", [], init=jnp.ones)


class Net(hk.Module):
    def __call__(self, x):
        x = Affine(4)(x)
        x = jax.nn.relu(x)
        x = Affine(2, name="head")(x)
        return Counter()(x)


def assert_plain_tree(tree):
    assert type(tree) is dict
    for bundle in tree.values():
        assert type(bundle) is dict


X = jnp.arange(6, dtype=jnp.float32).reshape(2, 3)


def test_init_and_apply_trees():
    f = hk.transform_with_state(lambda x: Net()(x))
    params, state = f.init(jax.random.PRNGKey(0), X)
    assert_plain_tree(params)
    assert_plain_tree(state)
    assert list(params) == ["net/affine", "net/head", "net/counter"]
    assert list(params["net/affine"]) == ["w", "b"]
    shapes = {m: {k: (v.shape, v.dtype) for k, v in b.items()} for m, b in params.items()}
    assert shapes == {
        "net/affine": {"w": ((3, 4), jnp.float32), "b": ((4,), jnp.float32)},
        "net/head": {"w": ((4, 2), jnp.float32), "b": ((2,), jnp.float32)},
        "net/counter": {"scale": ((), jnp.float32)},
    }
    np.testing.assert_array_equal(params["net/affine"]["b"], np.zeros(4))
    assert list(state) == ["net/counter"]
    assert list(state["net/counter"]) == ["n", "first"]
    # init returns the *initial* state: the value before set_state.
    assert int(state["net/counter"]["n"]) == 0

    out, state1 = f.apply(params, state, None, X)
    assert_plain_tree(state1)
    assert int(state1["net/counter"]["n"]) == 1
    out2, state2 = f.apply(params, state1, None, X)
    np.testing.assert_array_equal(out, out2)
    assert int(state2["net/counter"]["n"]) == 2
    # apply did not touch its inputs.
    assert int(state["net/counter"]["n"]) == 0
    assert int(state1["net/counter"]["n"]) == 1
    # The state recorded at init keeps the first input.
    np.testing.assert_array_equal(state2["net/counter"]["first"], state["net/counter"]["first"])


def test_apply_computes_with_given_params():
    f = hk.transform(lambda x: Affine(2)(x))
    params = f.init(jax.random.PRNGKey(1), X)
    new = {"affine": {"w": jnp.ones([3, 2]), "b": jnp.array([1.0, -1.0])}}
    np.testing.assert_array_equal(f.apply(new, None, X), np.asarray(X) @ np.ones([3, 2]) + np.array([1.0, -1.0]))
    # Extra entries in the params are ignored.
    extra = dict(params, unused={"z": jnp.zeros([])})
    np.testing.assert_array_equal(f.apply(extra, None, X), f.apply(params, None, X))


def test_same_seed_same_params_and_different_seed_different_params():
    f = hk.transform(lambda x: Net()(x))
    f = hk.transform_with_state(lambda x: Net()(x))
    p1, _ = f.init(jax.random.PRNGKey(3), X)
    p2, _ = f.init(jax.random.PRNGKey(3), X)
    p3, _ = f.init(jax.random.PRNGKey(4), X)
    jax.tree_util.tree_map(np.testing.assert_array_equal, p1, p2)
    assert not np.array_equal(p1["net/affine"]["w"], p3["net/affine"]["w"])


def test_state_initial_vs_current_inside_and_outside():
    seen = []

    def report(when):
        seen.append(
            (
                when,
                jax.tree_util.tree_map(int, hk.get_initial_state()),
                jax.tree_util.tree_map(int, hk.get_current_state()),
            )
        )

    def f():
        report("before")
        x = hk.get_state("x", [], jnp.int32, init=jnp.zeros)
        report("after get")
        hk.set_state("x", x + 1)
        report("after set")
        hk.set_state("x", x + 5)
        hk.set_state("y", jnp.int32(7))
        report("end")

    f = hk.transform_with_state(f)
    _, state = f.init(None)
    assert jax.tree_util.tree_map(int, state) == {"~": {"x": 0, "y": 7}}
    assert seen == [
        ("before", {}, {}),
        ("after get", {"~": {"x": 0}}, {"~": {"x": 0}}),
        ("after set", {"~": {"x": 0}}, {"~": {"x": 1}}),
        ("end", {"~": {"x": 0, "y": 7}}, {"~": {"x": 5, "y": 7}}),
    ]
    seen.clear()
    _, state = f.apply({}, {"~": {"x": jnp.int32(10), "y": jnp.int32(0)}}, None)
    assert jax.tree_util.tree_map(int, state) == {"~": {"x": 15, "y": 7}}
    assert seen[0] == ("before", {"~": {"x": 10, "y": 0}}, {"~": {"x": 10, "y": 0}})
    assert seen[-1] == ("end", {"~": {"x": 10, "y": 0}}, {"~": {"x": 15, "y": 7}})


def test_apply_returns_untouched_state_entries():
    def f():
        a = hk.get_state("a", [], init=jnp.zeros)
        hk.set_state("a", a + 1)
        return a

    f = hk.transform_with_state(f)
    out, state = f.apply({}, {"~": {"a": jnp.array(5.0)}, "other": {"b": jnp.array(1.0)}}, None)
    assert out == 5.0
    assert list(state) == ["~", "other"]
    assert state["~"]["a"] == 6.0 and state["other"]["b"] == 1.0
    # Missing state is created in apply from its initializer.
    out, state = f.apply({}, {}, None)
    assert out == 0.0 and state == {"~": {"a": 1.0}}


def test_get_params_in_init_and_apply():
    seen = []

    def f():
        seen.append(jax.tree_util.tree_map(jnp.shape, hk.get_params()))
        hk.get_parameter("w", [2], init=jnp.ones)
        seen.append(jax.tree_util.tree_map(jnp.shape, hk.get_params()))

    f = hk.transform(f)
    params = f.init(None)
    assert seen == [{}, {"~": {"w": (2,)}}]
    seen.clear()
    f.apply(params, None)
    assert seen == [{"~": {"w": (2,)}}, {"~": {"w": (2,)}}]


def test_args_and_kwargs_are_passed():
    f = hk.transform(lambda x, *, y: x + y + hk.get_parameter("w", [], init=jnp.zeros))
    params = f.init(None, 1.0, y=2.0)
    assert params == {"~": {"w": 0.0}}
    assert f.apply({"~": {"w": jnp.array(1.0)}}, None, 1.0, y=2.0) == 4.0


def test_transformed_types_are_named_tuples():
    f = hk.transform(lambda: None)
    assert isinstance(f, hk.Transformed)
    init, apply = f
    assert init is f.init and apply is f.apply
    g = hk.transform_with_state(lambda: None)
    assert isinstance(g, hk.TransformedWithState)
    assert g.init(None) == ({}, {})
    assert g.apply({}, {}, None) == (None, {})


def test_running_init():
    seen = []
    f = hk.transform(lambda: seen.append(hk.running_init()))
    f.init(None)
    f.apply({}, None)
    assert seen == [True, False]

    def make():
        def init():
            seen.append(("init", hk.running_init()))

        def apply():
            seen.append(("apply", hk.running_init()))

        return init, apply

    seen.clear()
    m = hk.multi_transform(make)
    m.init(None)
    m.apply({}, None)
    assert seen == [("init", True), ("apply", False)]


def test_running_init_creates_every_branch():
    def f(x, use_a):
        a = Affine(1, name="a")
        b = Affine(1, name="b")
        if hk.running_init():
            return a(x) + b(x)
        return a(x) if use_a else b(x)

    f = hk.transform(f)
    params = f.init(jax.random.PRNGKey(0), X, True)
    assert list(params) == ["a", "b"]
    np.testing.assert_array_equal(f.apply(params, None, X, True), X @ params["a"]["w"])
    np.testing.assert_array_equal(f.apply(params, None, X, False), X @ params["b"]["w"])


def test_nested_transform_runs_in_its_own_frame():
    inner = hk.transform(lambda: hk.get_parameter("inner_w", [], init=jnp.ones))
    seen = {}

    def outer():
        hk.get_parameter("outer_w", [], init=jnp.zeros)
        p = inner.init(None)
        seen["inner"] = p
        seen["outer"] = list(hk.get_params()["~"])
        return inner.apply(p, None)

    params = hk.transform(outer).init(None)
    assert params == {"~": {"outer_w": 0.0}}
    assert seen == {"inner": {"~": {"inner_w": 1.0}}, "outer": ["outer_w"]}


# Wrappers on the four transformed types.


class Scale(hk.Module):
    def __call__(self, x):
        return x * hk.get_parameter("s", [], init=jnp.ones)


def _make_multi():
    a = Scale(name="a")
    b = Scale(name="b")

    def init(x):
        return b(a(x))

    return init, {"enc": a, "dec": (b, lambda x: a(b(x)))}


def _stateless(x):
    return Scale()(x)


def test_without_apply_rng_on_all_four_types():
    t = hk.without_apply_rng(hk.transform(_stateless))
    assert isinstance(t, hk.Transformed)
    params = t.init(None, 2.0)
    assert t.apply(params, 2.0) == 2.0

    ts = hk.without_apply_rng(hk.transform_with_state(_stateless))
    assert isinstance(ts, hk.TransformedWithState)
    params, state = ts.init(None, 2.0)
    assert ts.apply(params, state, 2.0) == (2.0, {})

    m = hk.without_apply_rng(hk.multi_transform(_make_multi))
    assert isinstance(m, hk.MultiTransformed)
    params = m.init(None, 2.0)
    assert list(params) == ["a", "b"]
    assert jax.tree_util.tree_structure(m.apply) == jax.tree_util.tree_structure(
        {"enc": 0, "dec": (0, 0)}
    )
    params = {"a": {"s": jnp.array(2.0)}, "b": {"s": jnp.array(3.0)}}
    assert m.apply["enc"](params, 1.0) == 2.0
    assert m.apply["dec"][0](params, 1.0) == 3.0
    assert m.apply["dec"][1](params, 1.0) == 6.0

    ms = hk.without_apply_rng(hk.multi_transform_with_state(_make_multi))
    assert isinstance(ms, hk.MultiTransformedWithState)
    _, state = ms.init(None, 2.0)
    assert ms.apply["dec"][1](params, state, 1.0) == (6.0, {})


def test_without_apply_rng_still_needs_a_key_for_random_numbers():
    f = hk.without_apply_rng(hk.transform(lambda: hk.next_rng_key()))
    with pytest.raises(ValueError, match="non-None PRNGKey"):
        f.apply({})


def test_with_empty_state():
    f = hk.with_empty_state(hk.transform(_stateless))
    assert isinstance(f, hk.TransformedWithState)
    params, state = f.init(None, 2.0)
    assert params == {"scale": {"s": 1.0}} and state == {}
    assert f.apply(params, state, None, 3.0) == (3.0, {})
    # The given state is ignored.
    assert f.apply(params, {"x": {"y": 1}}, None, 3.0) == (3.0, {})


def test_without_state():
    f = hk.without_state(hk.transform_with_state(_stateless))
    assert isinstance(f, hk.Transformed)
    params = f.init(None, 2.0)
    assert f.apply(params, None, 3.0) == 3.0
    g = hk.without_state(hk.transform_with_state(lambda: hk.set_state("s", 1.0)))
    with pytest.raises(ValueError, match="transform_with_state"):
        g.init(None)


@pytest.mark.parametrize("wrapper", [hk.with_empty_state, hk.without_state])
@pytest.mark.parametrize("multi", [hk.multi_transform, hk.multi_transform_with_state])
def test_single_function_wrappers_reject_multi_transforms(wrapper, multi):
    with pytest.raises(TypeError):
        wrapper(multi(_make_multi))


def test_multi_transform_with_state_apply_tree_and_state():
    def make():
        counter = hk.to_module(
            lambda: hk.set_state("n", hk.get_state("n", [], jnp.int32, init=jnp.zeros) + 1)
        )(name="counter")
        scale = Scale(name="scale")

        def init(x):
            counter()
            return scale(x)

        return init, {"scale": scale, "count": counter, "both": (scale, counter)}

    f = hk.multi_transform_with_state(make)
    params, state = f.init(None, 2.0)
    assert params == {"scale": {"s": 1.0}}
    assert state == {"counter": {"n": 0}}
    assert sorted(f.apply) == ["both", "count", "scale"]
    out, state = f.apply["scale"](params, state, None, 5.0)
    assert out == 5.0 and state == {"counter": {"n": 0}}
    out, state = f.apply["count"](params, state, None)
    assert out is None and state == {"counter": {"n": 1}}
    _, state = f.apply["count"](params, state, None)
    assert int(state["counter"]["n"]) == 2
    out, state = f.apply["both"][0]({"scale": {"s": jnp.array(3.0)}}, state, None, 2.0)
    assert out == 6.0


def test_multi_transform_rejects_state():
    def make():
        def init():
            hk.set_state("s", 1.0)

        return init, init

    f = hk.multi_transform(make)
    with pytest.raises(ValueError, match="transform_with_state"):
        f.init(None)


def test_multi_transform_requires_template_to_create_params():
    def make():
        a = Scale(name="a")
        b = Scale(name="b")
        return (lambda x: a(x)), (a, b)

    f = hk.multi_transform(make)
    params = f.init(None, 1.0)
    assert list(params) == ["a"]
    with pytest.raises(ValueError, match="Unable to retrieve parameter 's' for module 'b'"):
        f.apply[1](params, None, 1.0)


# jax.jit of init and apply.


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(0, id="int"),
        pytest.param(jax.random.PRNGKey(0), id="raw"),
        pytest.param(jax.random.key(0), id="typed"),
        pytest.param(np.zeros(2, np.uint32), id="numpy"),
    ],
)
def test_jit_init_and_apply_match_eager(key):
    class Noisy(hk.Module):
        def __call__(self, x):
            w = hk.get_parameter(
                "w", [3], init=lambda s, d: jax.random.normal(hk.next_rng_key(), s, d)
            )
            n = hk.get_state("n", [], jnp.int32, init=jnp.zeros)
            hk.set_state("n", n + 1)
            return x * w + jax.random.uniform(hk.next_rng_key(), [3])

    f = hk.transform_with_state(lambda x: Noisy()(x))
    params, state = f.init(key, 1.0)
    out, new_state = f.apply(params, state, key, 1.0)
    jparams, jstate = jax.jit(f.init)(key, 1.0)
    jout, jnew_state = jax.jit(f.apply)(jparams, jstate, key, 1.0)
    for a, b in [(params, jparams), (state, jstate), (out, jout), (new_state, jnew_state)]:
        jax.tree_util.tree_map(np.testing.assert_array_equal, a, b)
    assert int(jnew_state["noisy"]["n"]) == 1
    # Every kind of key with the same seed gives the same numbers.
    reference, _ = f.init(0, 1.0)
    np.testing.assert_array_equal(params["noisy"]["w"], reference["noisy"]["w"])


def test_jit_of_transform_with_traced_inputs():
    f = hk.transform(lambda x: Affine(2)(x))
    key = jax.random.PRNGKey(7)
    params = jax.jit(f.init)(key, X)
    eager = f.init(key, X)
    jax.tree_util.tree_map(np.testing.assert_array_equal, params, eager)
    np.testing.assert_array_equal(jax.jit(f.apply)(params, None, X), f.apply(params, None, X))


def test_grad_through_apply():
    f = hk.without_apply_rng(hk.transform(lambda x: jnp.sum(Affine(1)(x))))
    params = f.init(jax.random.PRNGKey(0), X)
    grads = jax.grad(f.apply)(params, X)
    assert jax.tree_util.tree_structure(grads) == jax.tree_util.tree_structure(params)
    np.testing.assert_allclose(grads["affine"]["w"][:, 0], X.sum(0))
    np.testing.assert_allclose(grads["affine"]["b"], [2.0])


# hk.testing.transform_and_run.


def test_transform_and_run_keys_and_modes():
    @hk.testing.transform_and_run
    def keys():
        return hk.next_rng_key(), hk.running_init()

    key, running_init = keys()
    assert running_init is False
    # apply gets PRNGKey(seed + 1) with the default seed 42.
    np.testing.assert_array_equal(key, jax.random.split(jax.random.PRNGKey(43))[1])

    assert hk.testing.transform_and_run(run_apply=False)(lambda: 1)() is None
    assert hk.testing.transform_and_run(seed=None)(hk.maybe_next_rng_key)() is None
    out = hk.testing.transform_and_run(jax_transform=jax.jit)(
        lambda: hk.get_parameter("w", [2], init=jnp.ones) * 2
    )()
    np.testing.assert_array_equal(out, [2.0, 2.0])
    key = hk.testing.transform_and_run(seed=3, map_rng=lambda k: jax.random.fold_in(k, 1))(
        hk.next_rng_key
    )()
    expected = jax.random.split(jax.random.fold_in(jax.random.PRNGKey(4), 1))[1]
    np.testing.assert_array_equal(key, expected)


def test_transform_and_run_passes_arguments():
    @hk.testing.transform_and_run
    def f(x, *, y):
        return Scale()(x) + y

    assert f(2.0, y=1.0) == 3.0
