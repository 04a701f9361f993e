"""hk.lift, hk.lift_with_state, the transparent variants and LiftWithStateUpdater.

Behaviour (names, reuse rules, error messages, interceptor contexts) was
observed on dm-haiku 0.0.17; the numbers are pinned by test_lift_oracle.py.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import haiku as hk
from haiku._src import base, interceptor_chains
from haiku._src.transform import NonEmptyStateError


@pytest.fixture(autouse=True)
def _no_frame_left_behind():
    yield
    assert base._FRAMES.get() == ()
    assert interceptor_chains.lifted_prefix_name.get() is None


def shapes(tree):
    return jax.tree_util.tree_map(jnp.shape, tree)


class Scale(hk.Module):
    def __call__(self, x):
        return x * hk.get_parameter("w", [], init=jnp.ones)


class Count(hk.Module):
    def __call__(self):
        n = hk.get_state("n", [], init=jnp.zeros)
        hk.set_state("n", n + 1)
        return n


def scaled(x):
    hk.get_parameter("t", [], init=jnp.zeros)
    return Scale()(x)


INNER = hk.transform(scaled)
COUNTER = hk.transform_with_state(lambda: Count()())


# Names.


def test_lift_registers_under_scope_and_name_and_apply_reads_back():
    calls = []

    def init_fn(rng, x):
        calls.append(hk.running_init() if base.inside_transform() else "outside")
        return INNER.init(rng, x)

    class Outer(hk.Module):
        def __call__(self, x):
            with hk.name_scope("scope"):
                params = hk.lift(init_fn, name="mine")(None, x)
            return INNER.apply(params, None, x), params

    f = hk.transform(lambda x: Outer()(x))
    params = f.init(None, 2.0)
    assert shapes(params) == {"outer/scope/mine/~": {"t": ()}, "outer/scope/mine/scale": {"w": ()}}
    assert len(calls) == 1
    out, seen = f.apply(params, None, 2.0)
    assert out == 2.0
    assert seen == {"~": {"t": 0.0}, "scale": {"w": 1.0}}
    assert len(calls) == 1, "apply must not run the lifted init"


def test_each_lift_is_a_numbered_module():
    def f():
        a = hk.lift(INNER.init)(None, 1.0)
        b = hk.lift(INNER.init)(None, 1.0)
        return a, b

    params = hk.transform(f).init(None)
    assert list(params) == ["lifted/~", "lifted/scale", "lifted_1/~", "lifted_1/scale"]


def test_the_name_is_fixed_where_the_lift_is_created():
    class Holder(hk.Module):
        def __init__(self):
            super().__init__()
            self.lifted = hk.lift(INNER.init)
            self.transparent = hk.transparent_lift(INNER.init, allow_reuse=True)

        def __call__(self):
            with hk.name_scope("elsewhere"):
                self.lifted(None, 1.0)
                self.transparent(None, 1.0)

    params = hk.transform(lambda: Holder()()).init(None)
    # Both are modules: the transparent lift takes the name "lifted_1".
    assert list(params) == ["holder/~/lifted/~", "holder/~/lifted/scale",
                            "holder/~/~", "holder/~/scale"]  # fmt: skip


def test_transparent_lift_adds_no_scope():
    class Outer(hk.Module):
        def __call__(self, x):
            params = hk.transparent_lift(INNER.init)(None, x)
            return INNER.apply(params, None, x)

    f = hk.transform(lambda x: Outer()(x))
    params = f.init(None, 1.0)
    assert list(params) == ["outer/~", "outer/scale"]
    assert f.apply(params, None, 3.0) == 3.0

    top = hk.transform(lambda: hk.transparent_lift(INNER.init)(None, 1.0))
    assert list(top.init(None)) == ["~", "scale"]


def test_transparent_lift_at_apply_returns_everything_under_its_scope():
    # As dm-haiku: the values are found by name prefix, so outer values of
    # the same scope come back too.
    def f():
        hk.get_parameter("outer", [], init=jnp.zeros)
        with hk.name_scope("other"):
            hk.get_parameter("o", [], init=jnp.zeros)
        return hk.transparent_lift(lambda rng: {"inner": {"p": jnp.ones([])}})(None)

    f = hk.transform(f)
    params = f.init(None)
    assert sorted(f.apply(params, None)) == ["inner", "other", "~"]


# Reuse.


def test_calling_a_lift_twice_needs_allow_reuse():
    def f():
        lifted = hk.lift(INNER.init)
        lifted(None, 1.0)
        lifted(None, 1.0)

    with pytest.raises(ValueError, match="Key 'lifted/~' already exists in the destination params"):
        hk.transform(f).init(None)


def test_allow_reuse_keeps_the_last_registration_and_returns_the_fresh_values():
    inner = hk.transform(lambda: hk.get_parameter("w", [], init=hk.initializers.RandomNormal()))
    seen = []

    def f():
        lifted = hk.lift(inner.init, allow_reuse=True)
        a = lifted(hk.next_rng_key())["~"]["w"]
        b = lifted(hk.next_rng_key())["~"]["w"]
        seen.append((a, b, hk.get_params()["lifted/~"]["w"]))

    f = hk.transform(f)
    params = f.init(0)
    ((a, b, stored),) = seen
    assert a != b, "in init each call runs the lifted init"
    assert stored == b == params["lifted/~"]["w"]
    f.apply(params, 0)
    assert seen[1] == (b, b, b), "in apply each call returns the stored values"


def test_transparent_lift_clashing_with_outer_params():
    def f(x):
        Scale()(x)
        return hk.transparent_lift(INNER.init)(None, x)

    with pytest.raises(ValueError, match="Key 'scale' already exists"):
        hk.transform(f).init(None, 1.0)


def test_closing_over_an_outer_module_is_allowed_as_in_dm_haiku():
    def f(x):
        scale = Scale()
        inner = hk.transform(lambda x: scale(x))
        params = hk.lift(inner.init)(None, x)
        return inner.apply(params, None, x)

    params = hk.transform(f).init(None, 1.0)
    assert list(params) == ["lifted/scale"]


def test_lift_inside_hk_scan_with_allow_reuse():
    inner = hk.transform(lambda x: x * hk.get_parameter("w", [], init=jnp.ones))

    def f(xs, allow_reuse):
        lifted = hk.lift(inner.init, allow_reuse=allow_reuse, name="inner")

        def step(total, x):
            return total + inner.apply(lifted(None, x), None, x), None

        return hk.scan(step, 0.0, xs)[0]

    f = hk.transform(f)
    xs = jnp.arange(3.0)
    params = f.init(None, xs, True)
    assert shapes(params) == {"inner/~": {"w": ()}}
    assert f.apply(params, None, xs, True) == 3.0
    with pytest.raises(ValueError, match="already exists"):
        f.init(None, xs, False)


# Misuse.


def test_lift_outside_a_transform():
    with pytest.raises(ValueError, match=r"`hk.lift` must be used as part of an `hk.transform`"):
        hk.lift(INNER.init)
    with pytest.raises(ValueError, match="hk.transparent_lift_with_state"):
        hk.transparent_lift_with_state(COUNTER.init)


def test_lift_of_a_stateful_init_says_to_use_lift_with_state():
    def f():
        hk.lift(COUNTER.init)(None)

    with pytest.raises(NonEmptyStateError, match="use `hk.lift_with_state`"):
        hk.transform_with_state(f).init(None)


def test_lift_with_state_of_a_params_only_init():
    def f():
        init, updater = hk.lift_with_state(INNER.init)
        updater.ignore_update()
        init(None, 1.0)

    with pytest.raises(ValueError, match=r"return `\(params, state\)`"):
        hk.transform_with_state(f).init(None)


def test_lift_rejects_non_callables():
    with pytest.raises(TypeError, match="expects an init function"):
        hk.transform(lambda: hk.lift(INNER)).init(None)


# State.


def _lift_counter(name="counter", transparent=False):
    if transparent:
        return hk.transparent_lift_with_state(COUNTER.init)
    return hk.lift_with_state(COUNTER.init, name=name)


@pytest.mark.parametrize("transparent", [False, True])
def test_lift_with_state_round_trip(transparent):
    def f():
        init, updater = _lift_counter(transparent=transparent)
        params, state = init(None)
        out, state = COUNTER.apply(params, state, None)
        updater.update(state)
        return out

    f = hk.transform_with_state(f)
    key = "count" if transparent else "counter/count"
    params, state = f.init(None)
    assert params == {}
    assert state == {key: {"n": 0.0}}
    for step in range(3):
        out, state = f.apply(params, state, None)
        assert out == step
        assert state == {key: {"n": step + 1.0}}
    out, state = jax.jit(f.apply)(params, state, None)
    assert out == 3 and state == {key: {"n": 4.0}}


def test_lift_with_state_at_init_returns_initial_state_and_keeps_the_update_current():
    seen = []

    def f():
        init, updater = _lift_counter()
        params, state = init(None)
        _, state = COUNTER.apply(params, state, None)
        updater.update(state)
        seen.append((hk.get_initial_state(), hk.get_current_state()))

    _, state = hk.transform_with_state(f).init(None)
    assert state == {"counter/count": {"n": 0.0}}
    assert seen == [({"counter/count": {"n": 0.0}}, {"counter/count": {"n": 1.0}})]


def test_updater_must_be_used_once():
    def unused():
        _lift_counter()[0](None)

    with pytest.raises(
        ValueError, match=r"must be used, call `.update\(..\)` or `.ignore_update\(\)`"
    ):
        hk.transform_with_state(unused).init(None)

    def twice():
        init, updater = _lift_counter()
        _, state = init(None)
        updater.update(state)
        updater.update(state)

    with pytest.raises(ValueError, match="State updater must only be used once."):
        hk.transform_with_state(twice).init(None)

    def ignored_then_updated():
        init, updater = _lift_counter()
        _, state = init(None)
        updater.ignore_update()
        updater.update(state)

    with pytest.raises(ValueError, match="must only be used once"):
        hk.transform_with_state(ignored_then_updated).init(None)


def test_assert_used_raises_at_once():
    def f():
        init, updater = _lift_counter()
        init(None)
        updater.assert_used()

    with pytest.raises(ValueError, match="must be used"):
        hk.transform_with_state(f).init(None)


def test_ignore_update_leaves_the_state():
    def f():
        init, updater = _lift_counter()
        params, state = init(None)
        COUNTER.apply(params, state, None)
        updater.ignore_update()

    f = hk.transform_with_state(f)
    params, state = f.init(None)
    assert f.apply(params, state, None)[1] == {"counter/count": {"n": 0.0}}


def test_updater_used_outside_its_transform():
    kept = []

    def f():
        init, updater = _lift_counter()
        init(None)
        updater.ignore_update()
        kept.append(updater)
        kept.append(hk.LiftWithStateUpdater("elsewhere"))  # Never used: no check.

    hk.transform_with_state(f).init(None)
    used, fresh = kept
    with pytest.raises(ValueError, match="must only be used once"):
        used.update({})
    with pytest.raises(ValueError, match="inside the transform that created it"):
        hk.transform(lambda: fresh.update({})).apply({}, None)


def test_update_creates_new_state_and_clashes_with_a_later_lift():
    def new_names():
        init, updater = _lift_counter()
        init(None)
        updater.update({"extra": {"q": jnp.array(5.0)}})

    params, state = hk.transform_with_state(new_names).init(None)
    assert state == {"counter/count": {"n": 0.0}, "counter/extra": {"q": 5.0}}

    def before_call():
        init, updater = _lift_counter()
        updater.update({"count": {"n": jnp.array(5.0)}})
        init(None)

    with pytest.raises(
        ValueError, match="Key 'counter/count' already exists in the destination state"
    ):
        hk.transform_with_state(before_call).init(None)


def test_lift_with_state_needs_transform_with_state():
    def f():
        init, updater = _lift_counter()
        _, state = init(None)
        updater.update(state)

    with pytest.raises(NonEmptyStateError):
        hk.transform(f).init(None)


# Interception.


def test_creators_getters_and_setters_see_lifted_prefix_name():
    log = []

    def creator(next_creator, shape, dtype, init, context):
        log.append(("create", context.full_name, context.lifted_prefix_name))
        return next_creator(shape, dtype, init)

    def getter(next_getter, value, context):
        log.append(("get", context.full_name, context.lifted_prefix_name))
        return next_getter(value)

    def setter(next_setter, value, context):
        log.append(("set", context.full_name, context.lifted_prefix_name))
        return next_setter(value)

    def stateful(x):
        hk.set_state("s", x)
        return Scale()(x)

    inner = hk.transform_with_state(stateful)

    class Outer(hk.Module):
        def __call__(self, x):
            init, updater = hk.lift_with_state(inner.init, name="lft")
            with hk.custom_creator(creator), hk.custom_getter(getter), hk.custom_setter(setter):
                params, state = init(None, x)
                out, state = inner.apply(params, state, None, x)
            updater.update(state)
            return out

    f = hk.transform_with_state(lambda x: Outer()(x))
    params, state = f.init(None, 1.0)
    assert log == [
        ("set", "~/s", "outer/lft/"),
        ("create", "scale/w", "outer/lft/"),
        ("get", "scale/w", "outer/lft/"),
        ("set", "~/s", None),
        ("get", "scale/w", None),
    ]
    del log[:]
    f.apply(params, state, None, 1.0)
    assert log == [("set", "~/s", None), ("get", "scale/w", None)]


def test_nested_lifts_accumulate_the_prefix():
    seen = []

    def creator(next_creator, shape, dtype, init, context):
        seen.append(context.lifted_prefix_name)
        return next_creator(shape, dtype, init)

    def middle():
        hk.transparent_lift(INNER.init)(None, 1.0)
        return hk.lift(INNER.init, name="deep")(None, 1.0)

    middle = hk.transform(middle)

    def f():
        with hk.custom_creator(creator):
            with hk.name_scope("sc"):
                hk.lift(middle.init, name="mid")(None)
            hk.transparent_lift(INNER.init)(None, 1.0)

    params = hk.transform(f).init(None)
    assert seen == ["sc/mid/", "sc/mid/", "sc/mid/deep/", "sc/mid/deep/", None, None]
    assert list(params) == ["sc/mid/~", "sc/mid/scale", "sc/mid/deep/~", "sc/mid/deep/scale",
                            "~", "scale"]  # fmt: skip


def test_outer_creators_apply_to_nested_transforms():
    # dm-haiku's creators and getters are not local to a transform.
    seen = []

    def getter(next_getter, value, context):
        seen.append(context.full_name)
        return next_getter(value * 2)

    def f():
        with hk.custom_getter(getter):
            params = INNER.init(None, 1.0)
            return INNER.apply(params, None, 1.0)

    assert hk.transform(f).apply({}, None) == 2.0
    assert seen == ["~/t", "scale/w", "~/t", "scale/w"]


def test_interceptors_see_the_lifting_module_call():
    seen = []

    def interceptor(next_f, args, kwargs, context):
        seen.append((type(context.module).__name__, context.method_name))
        return next_f(*args, **kwargs)

    def f():
        with hk.intercept_methods(interceptor):
            hk.lift(INNER.init)(None, 1.0)

    hk.transform(f).init(None)
    assert seen == [
        ("LiftingModule", "__init__"),
        ("LiftingModule", "__call__"),
        ("Scale", "__init__"),
        ("Scale", "__call__"),
    ]


# JAX transforms.


def _ensemble(x):
    keys = hk.next_rng_keys(4) if hk.running_init() else None
    inner = hk.transform(
        lambda x: x * hk.get_parameter("w", [3], init=hk.initializers.RandomNormal())
    )
    params = hk.lift(jax.vmap(inner.init, in_axes=(0, None)), name="ensemble")(keys, x)
    return jax.vmap(inner.apply, in_axes=(0, None, None))(params, None, x)


def test_vmapped_init_gives_a_leading_ensemble_axis():
    f = hk.transform(_ensemble)
    x = jnp.ones([2, 3])
    params = f.init(jax.random.PRNGKey(0), x)
    assert shapes(params) == {"ensemble/~": {"w": (4, 3)}}
    w = params["ensemble/~"]["w"]
    assert len({tuple(np.asarray(row)) for row in w}) == 4, "members must differ"
    out = f.apply(params, None, x)
    assert out.shape == (4, 2, 3)
    np.testing.assert_array_equal(out, jnp.broadcast_to(w[:, None, :], (4, 2, 3)))


def test_lift_under_jit():
    f = hk.transform(_ensemble)
    x = jnp.ones([2, 3])
    params = jax.jit(f.init)(jax.random.PRNGKey(0), x)
    expected = f.init(jax.random.PRNGKey(0), x)
    np.testing.assert_array_equal(params["ensemble/~"]["w"], expected["ensemble/~"]["w"])
    np.testing.assert_array_equal(jax.jit(f.apply)(params, None, x), f.apply(params, None, x))


def test_gradients_flow_through_lifted_params():
    f = hk.transform(_ensemble)
    x = jnp.ones([2, 3])
    params = f.init(jax.random.PRNGKey(0), x)
    grads = jax.grad(lambda p: f.apply(p, None, x).sum())(params)
    np.testing.assert_array_equal(grads["ensemble/~"]["w"], jnp.full((4, 3), 2.0))


def test_experimental_names_are_the_same_objects():
    for name in ("lift", "lift_with_state", "transparent_lift", "transparent_lift_with_state",
                 "LiftWithStateUpdater"):  # fmt: skip
        assert getattr(hk.experimental, name) is getattr(hk, name)
