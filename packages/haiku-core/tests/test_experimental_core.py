"""The core half of ``hk.experimental``: check_jax_usage, optimize_rng_use, fast_eval_shape.

Oracle parity (bit-exact keys and parameters, shapes, and which operations
raise) runs the scenarios of ``scenarios/experimental_scenarios.py`` here and,
on this same machine, under dm-haiku 0.0.17 (the ``dm_haiku`` fixture of
``tests/oracle``); the other tests pin down behaviour the scenarios do not
show.
"""

from __future__ import annotations

import threading
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from haiku_oracle import load_module

import haiku as hk
from haiku._src import base, config, fast_eval, jax_usage, random_keys

scenarios = load_module(Path(__file__).parent / "scenarios" / "experimental_scenarios.py")
KEY = jax.random.PRNGKey(42)


@pytest.fixture(autouse=True)
def _restore_config():
    with hk.config.context():
        yield
    assert base._FRAMES.get() == ()


# Oracle parity.


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_scenario_matches_dm_haiku(name, dm_haiku):
    dm_haiku.assert_matches(scenarios, name)


# Public names.


def test_public_names():
    assert hk.experimental.check_jax_usage is config.check_jax_usage
    assert hk.JaxUsageError is jax_usage.JaxUsageError
    assert issubclass(hk.JaxUsageError, ValueError)
    assert hk.JaxUsageError.__module__ == "haiku"
    assert {"check_jax_usage", "optimize_rng_use", "fast_eval_shape"} <= set(dir(hk.experimental))
    assert "JaxUsageError" in dir(hk)


# check_jax_usage.

SIDE_EFFECTS = {
    "get_parameter": lambda x: x + hk.get_parameter("p", [], init=jnp.zeros),
    "get_state": lambda x: x + hk.get_state("s0"),
    "set_state": lambda x: (hk.set_state("s0", x), x)[1],
    "next_rng_key": lambda x: x + jax.random.uniform(hk.next_rng_key(), ()),
    "next_rng_keys": lambda x: x + jax.random.uniform(hk.next_rng_keys(2)[0], ()),
    "maybe_next_rng_key": lambda x: x + jax.random.uniform(hk.maybe_next_rng_key(), ()),
    "reserve_rng_keys": lambda x: (hk.reserve_rng_keys(2), x)[1],
}
PURE = {
    "get_params": lambda x: (hk.get_params(), x)[1],
    "current_name": lambda x: (hk.current_name(), x)[1],
    "running_init": lambda x: (hk.running_init(), x)[1],
    "module_constructor": lambda x: (hk.Module(name="m"), x)[1],
    "arithmetic": lambda x: x * 2,
}
RAW = {
    "jax.vmap": lambda f, x: jax.vmap(f)(jnp.stack([x, x])),
    "jax.jit": lambda f, x: jax.jit(f)(x),
    "jax.grad": lambda f, x: jax.grad(f)(x),
    "jax.lax.cond": lambda f, x: jax.lax.cond(True, f, f, x),
    "jax.lax.scan": lambda f, x: jax.lax.scan(lambda c, _: (f(c), None), x, None, length=2),
    "jax.lax.fori_loop": lambda f, x: jax.lax.fori_loop(0, 2, lambda i, c: f(c), x),
    "jax.checkpoint": lambda f, x: jax.checkpoint(f)(x),
    "jax.eval_shape": lambda f, x: jax.eval_shape(f, x),
}
WRAPPERS = {
    "hk.vmap": lambda f, x: hk.vmap(f, split_rng=False)(jnp.stack([x, x])),
    "hk.vmap split": lambda f, x: hk.vmap(f, split_rng=True)(jnp.stack([x, x])),
    "hk.grad": lambda f, x: hk.grad(f)(x),
    "hk.value_and_grad": lambda f, x: hk.value_and_grad(f)(x),
    "hk.remat": lambda f, x: hk.remat(f)(x),
    "hk.eval_shape": lambda f, x: (hk.eval_shape(f, x), x)[1],
    "hk.cond": lambda f, x: hk.cond(True, f, f, x),
    "hk.switch": lambda f, x: hk.switch(1, [f, f], x),
}
# Loops run their body at init outside the loop (or not at all): checked at apply.
LOOPS = {
    "hk.scan": lambda f, x: hk.scan(lambda c, _: (f(c), None), x, None, length=2),
    "hk.map": lambda f, x: hk.map(f, jnp.stack([x, x])),
    "hk.fori_loop": lambda f, x: hk.fori_loop(0, 2, lambda i, c: f(c), x),
    "hk.while_loop": lambda f, x: hk.while_loop(lambda c: c < 0, f, x),
}


def _run(use, effect, phase, *, jit=False, check=True):
    def fn(x):
        hk.get_state("s0", [], init=jnp.zeros)
        return use(effect, x)

    f = hk.transform_with_state(fn)
    init, apply = (jax.jit(f.init), jax.jit(f.apply)) if jit else (f.init, f.apply)
    x = jnp.float32(1.0)
    with hk.config.context(check_jax_usage=check):
        if phase == "init":
            return init(KEY, x)
        params = {"~": {"p": jnp.zeros([])}}
        return apply(params, {"~": {"s0": jnp.zeros([])}}, KEY, x)


@pytest.mark.parametrize("phase", ["init", "apply"])
@pytest.mark.parametrize("effect", list(SIDE_EFFECTS))
@pytest.mark.parametrize("transform", list(RAW))
def test_raw_jax_over_side_effects_raises(transform, effect, phase):
    with pytest.raises(hk.JaxUsageError, match="hk.vmap"):
        _run(RAW[transform], SIDE_EFFECTS[effect], phase)


@pytest.mark.parametrize("effect", ["get_parameter", "set_state", "next_rng_key"])
def test_raises_under_jit_of_init_and_apply(effect):
    for phase in ("init", "apply"):
        with pytest.raises(hk.JaxUsageError):
            _run(RAW["jax.vmap"], SIDE_EFFECTS[effect], phase, jit=True)


@pytest.mark.parametrize("effect", list(PURE))
@pytest.mark.parametrize("transform", list(RAW))
def test_raw_jax_over_functions_without_side_effects_is_fine(transform, effect):
    _run(RAW[transform], PURE[effect], "init")
    _run(RAW[transform], PURE[effect], "apply")


@pytest.mark.parametrize("transform", ["jax.vmap", "jax.lax.cond"])
def test_disabled_by_default(transform):
    _run(RAW[transform], SIDE_EFFECTS["get_state"], "apply", check=False)


def test_with_rng_and_replace_rng_sequence_state_are_checked():
    def with_rng(x):
        with hk.with_rng(jax.random.PRNGKey(1)):
            return x

    def replace(x):
        hk.replace_rng_sequence_state(hk.maybe_get_rng_sequence_state())
        return x

    for effect in (with_rng, replace):
        with pytest.raises(hk.JaxUsageError):
            _run(RAW["jax.vmap"], effect, "apply")


def test_without_rng_only_next_rng_key_raises():
    f = hk.transform(lambda x: jax.vmap(lambda y: hk.maybe_next_rng_key())(x))
    with hk.config.context(check_jax_usage=True):
        assert f.apply({}, None, jnp.ones([2])) is None
        g = hk.transform(lambda x: jax.vmap(lambda y: hk.next_rng_key())(x))
        with pytest.raises(hk.JaxUsageError):
            g.apply({}, None, jnp.ones([2]))


WRAPPED_EFFECTS = ["get_state", "set_state", "next_rng_key", "maybe_next_rng_key", "arithmetic"]


def _effect(name):
    return SIDE_EFFECTS.get(name) or PURE[name]


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize(
    ("wrapper", "effect"),
    [
        (wrapper, effect)
        for effect in WRAPPED_EFFECTS
        for wrapper in WRAPPERS
        # hk.vmap cannot return state set to a batched value (nor can dm-haiku).
        if not (wrapper.startswith("hk.vmap") and effect == "set_state")
    ],
)
def test_haiku_wrappers_do_not_raise(wrapper, effect, jit):
    _run(WRAPPERS[wrapper], _effect(effect), "init", jit=jit)
    _run(WRAPPERS[wrapper], _effect(effect), "apply", jit=jit)


@pytest.mark.parametrize("effect", WRAPPED_EFFECTS)
@pytest.mark.parametrize("loop", list(LOOPS))
def test_haiku_loops_do_not_raise(loop, effect):
    _run(LOOPS[loop], _effect(effect), "apply")


def test_haiku_wrappers_create_parameters_without_raising():
    def f(x):
        x = hk.vmap(lambda y: y * hk.get_parameter("a", [], init=jnp.ones), split_rng=False)(x)
        x = hk.remat(lambda y: y * hk.get_parameter("b", [], init=jnp.ones))(x)
        return hk.grad(lambda y: jnp.sum(y * hk.get_parameter("c", [], init=jnp.ones)))(x)

    with hk.config.context(check_jax_usage=True):
        params = hk.transform(f).init(KEY, jnp.ones([2]))
    assert set(params["~"]) == {"a", "b", "c"}


def test_raw_transform_inside_a_haiku_wrapper_raises():
    def f(x):
        inner = lambda y: y * hk.get_parameter("w", [], init=jnp.ones)  # noqa: E731
        return hk.vmap(jax.vmap(inner), split_rng=False)(x)

    with hk.config.context(check_jax_usage=True):
        with pytest.raises(hk.JaxUsageError):
            hk.transform(f).init(KEY, jnp.ones([2, 2]))


def test_allowed_again_after_a_wrapper_returns():
    def f(x):
        hk.vmap(lambda y: hk.get_state("s0"), split_rng=False)(x)
        hk.get_state("s0")  # back in the transform's own trace
        return jax.vmap(lambda y: hk.get_state("s0"))(x)

    g = hk.transform_with_state(f)
    with hk.config.context(check_jax_usage=True):
        with pytest.raises(hk.JaxUsageError):
            g.apply({}, {"~": {"s0": jnp.zeros([])}}, None, jnp.ones([2]))


def test_transforms_run_inside_raw_jax_transforms_are_fine():
    inner = hk.transform(lambda y: y * hk.get_parameter("w", [], init=jnp.ones))

    def f(x):
        by_jit = jax.jit(inner.init)(KEY, x[0])
        by_vmap = jax.vmap(inner.init, in_axes=(None, 0))(KEY, x)
        return by_jit, by_vmap

    with hk.config.context(check_jax_usage=True):
        by_jit, by_vmap = hk.transform(f).apply({}, None, jnp.ones([2]))
    assert by_jit["~"]["w"].shape == ()
    assert by_vmap["~"]["w"].shape == (2,)


def test_lift_and_layer_stack_do_not_raise():
    def ensemble(x):
        inner = hk.transform(lambda y: y * hk.get_parameter("w", [], init=jnp.ones))
        params = hk.lift(jax.vmap(inner.init, in_axes=(None, 0)), name="ens")(
            hk.next_rng_key(), x
        )
        return jax.vmap(inner.apply, in_axes=(0, None, 0))(params, None, x)

    def stack(x):
        layer = lambda y: y * hk.get_parameter("w", [], init=jnp.ones) + hk.next_rng_key()[0]  # noqa: E731
        return hk.layer_stack(3)(layer)(x)

    with hk.config.context(check_jax_usage=True):
        for fn in (ensemble, stack):
            f = hk.transform(fn)
            params = f.init(KEY, jnp.ones([3]))
            f.apply(params, KEY, jnp.ones([3]))


def test_enabled_part_way_through_a_transform():
    def f(x):
        jax.vmap(lambda y: hk.get_state("s0"))(x)  # not checked yet
        previous = hk.experimental.check_jax_usage(True)
        try:
            return jax.vmap(lambda y: hk.get_state("s0"))(x)
        finally:
            hk.experimental.check_jax_usage(previous)

    g = hk.transform_with_state(f)
    with pytest.raises(hk.JaxUsageError):
        g.apply({}, {"~": {"s0": jnp.zeros([])}}, None, jnp.ones([2]))


def test_check_jax_usage_toggle():
    assert hk.experimental.check_jax_usage() is False
    assert config.get_config().check_jax_usage is True
    assert hk.experimental.check_jax_usage(False) is True
    with hk.config.context(check_jax_usage=True):
        assert config.get_config().check_jax_usage is True
    assert config.get_config().check_jax_usage is False


def test_message_names_the_function_and_the_fix():
    f = hk.transform(lambda x: jax.vmap(lambda y: y * hk.get_parameter("w", [], init=jnp.ones))(x))
    with hk.config.context(check_jax_usage=True):
        with pytest.raises(hk.JaxUsageError) as info:
            f.init(KEY, jnp.ones([2]))
    message = str(info.value)
    assert "`hk.get_parameter`" in message
    for fix in ("hk.vmap", "hk.cond", "hk.scan", "hk.lift", "jax.jit(f.apply)"):
        assert fix in message


def test_outside_a_transform_the_usual_error():
    with hk.config.context(check_jax_usage=True):
        with pytest.raises(ValueError, match="must be used as part of an `hk.transform`") as info:
            jax.vmap(lambda x: hk.get_parameter("w", [], init=jnp.ones))(jnp.ones([2]))
    assert not isinstance(info.value, hk.JaxUsageError)


def test_no_check_when_disabled(monkeypatch):
    """Disabled, the side-effecting functions do not even look at the trace."""

    def fail(caller):
        raise AssertionError(f"checked {caller}")

    monkeypatch.setattr(jax_usage, "check", fail)
    f = hk.transform_with_state(
        lambda: [hk.get_parameter("w", [], init=jnp.ones), hk.get_state("s", [], init=jnp.ones),
                 hk.set_state("s", 2.0), hk.next_rng_key(), hk.next_rng_keys(2),
                 hk.maybe_next_rng_key()]
    )
    params, state = f.init(KEY)
    f.apply(params, state, KEY)


def test_threads_have_their_own_allowed_traces():
    errors = []
    barrier = threading.Barrier(2)

    def work():
        try:
            f = hk.transform(
                lambda x: hk.vmap(lambda y: y * hk.get_parameter("w", [], init=jnp.ones),
                                  split_rng=False)(x)
            )
            with hk.config.context(check_jax_usage=True):
                barrier.wait()
                for _ in range(3):
                    f.apply(f.init(KEY, jnp.ones([2])), KEY, jnp.ones([2]))
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# optimize_rng_use.


def _keys(n):
    return [hk.next_rng_key() for _ in range(n)]


def _same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


def test_optimize_rng_use_is_reserving_the_keys_first():
    def reserved():
        hk.reserve_rng_keys(4)
        return _keys(4) + _keys(2)

    def optimized():
        return hk.experimental.optimize_rng_use(lambda: _keys(4))() + _keys(2)

    a = hk.transform(optimized).apply({}, KEY)
    b = hk.transform(reserved).apply({}, KEY)
    assert _same(a, b)
    assert not _same(a, hk.transform(lambda: _keys(6)).apply({}, KEY))


def _count_splits(fun, *args):
    jaxpr = jax.make_jaxpr(fun)(*args)
    return str(jaxpr).count("random_split")


def test_optimize_rng_use_splits_once():
    def net(x):
        for i in range(5):
            w = hk.get_parameter(f"w{i}", [x.shape[-1], 3], init=hk.initializers.RandomNormal())
            x = x @ w
        return x

    x = jnp.ones([1, 3])
    plain = hk.transform(net)
    optimized = hk.transform(hk.experimental.optimize_rng_use(net))
    assert _count_splits(plain.init, KEY, x) == 5
    assert _count_splits(optimized.init, KEY, x) == 1
    jax.tree.map(lambda a, b: a.shape == b.shape, plain.init(KEY, x), optimized.init(KEY, x))


def test_optimize_rng_use_under_jit_matches_eager():
    f = hk.transform(hk.experimental.optimize_rng_use(lambda: _keys(3)))
    assert _same(f.apply({}, KEY), jax.jit(f.apply)({}, KEY))


def test_optimize_rng_use_keeps_python_arguments_concrete():
    def fun(x, training):
        if training:
            return x + jax.random.uniform(hk.next_rng_key(), x.shape)
        return x

    f = hk.transform(hk.experimental.optimize_rng_use(fun))
    assert f.apply({}, KEY, jnp.ones([2]), True).shape == (2,)
    assert f.apply({}, KEY, jnp.ones([2]), training=False).tolist() == [1.0, 1.0]


def test_optimize_rng_use_runs_python_twice_with_a_key_and_once_without():
    calls = []

    def fun():
        calls.append(1)
        return hk.maybe_next_rng_key()

    f = hk.transform(hk.experimental.optimize_rng_use(fun))
    f.apply({}, KEY)
    assert len(calls) == 2
    calls.clear()
    assert f.apply({}, None) is None
    assert len(calls) == 1


def test_optimize_rng_use_keeps_one_set_of_parameters_state_and_names():
    class Layer(hk.Module):
        def __call__(self, x):
            n = hk.get_state("n", [], init=jnp.zeros)
            hk.set_state("n", n + 1)
            return x * hk.get_parameter("w", [], init=hk.initializers.RandomNormal())

    def fun(x):
        return Layer()(Layer()(x))

    f = hk.transform_with_state(lambda x: hk.experimental.optimize_rng_use(fun)(x) + Layer()(x))
    params, state = f.init(KEY, 1.0)
    assert sorted(params) == ["layer", "layer_1", "layer_2"]
    assert all(s["n"] == 0 for s in state.values())
    _, state = f.apply(params, state, KEY, 1.0)
    assert all(s["n"] == 1 for s in state.values())


def test_optimize_rng_use_inside_a_module_at_apply():
    class Noisy(hk.Module):
        def __call__(self, x):
            w = hk.get_parameter("w", [], init=hk.initializers.RandomNormal())
            return x * w + jax.random.uniform(hk.next_rng_key(), ())

    class Outer(hk.Module):
        def __call__(self, x):
            return hk.experimental.optimize_rng_use(lambda x: Noisy()(x))(x)

    f = hk.transform(lambda x: Outer()(x))
    params = f.init(KEY, 1.0)
    assert list(params) == ["outer/noisy"]
    f.apply(params, KEY, 1.0)


def test_optimize_rng_use_sees_custom_creators():
    seen = []

    def creator(next_creator, shape, dtype, init, context):
        seen.append(context.full_name)
        return next_creator(shape, dtype, init)

    def f():
        with hk.custom_creator(creator):
            return hk.experimental.optimize_rng_use(
                lambda: hk.get_parameter("w", [], init=hk.initializers.RandomNormal())
            )()

    hk.transform(f).init(KEY)
    assert seen == ["~/w", "~/w"]  # abstract run, then the real one


def test_optimize_rng_use_needs_a_transform():
    with pytest.raises(ValueError, match="must be used as part of an `hk.transform`"):
        hk.experimental.optimize_rng_use(lambda: 1)()


def test_optimize_rng_use_wraps():
    def my_function():
        """Doc."""

    wrapped = hk.experimental.optimize_rng_use(my_function)
    assert wrapped.__name__ == "my_function"
    assert wrapped.__doc__ == "Doc."


def test_optimize_rng_use_errors_leave_no_counter():
    def fun():
        hk.next_rng_key()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        hk.transform(hk.experimental.optimize_rng_use(fun)).apply({}, KEY)
    assert random_keys.next_rng_key_counters.get() == ()


# fast_eval_shape.


def _net(x):
    w = hk.get_parameter("w", [x.shape[-1], 3], init=hk.initializers.RandomNormal())
    s = hk.get_state("s", [3], init=jnp.ones)
    hk.set_state("s", s + 1)
    key = jax.random.fold_in(hk.next_rng_key(), 7)
    return {"y": x @ w + s, "key": key, "bf16": hk.get_parameter("h", [2], jnp.bfloat16, jnp.ones)}


def _struct_equal(a, b):
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        assert (x.shape, x.dtype) == (y.shape, y.dtype)


@pytest.mark.parametrize("key", [jax.random.PRNGKey(1), jax.random.key(1)], ids=["raw", "typed"])
def test_fast_eval_shape_is_jax_eval_shape(key):
    f = hk.transform_with_state(_net)
    x = jnp.ones([4, 5])
    _struct_equal(hk.experimental.fast_eval_shape(f.init, key, x), jax.eval_shape(f.init, key, x))
    params, state = f.init(key, x)
    _struct_equal(
        hk.experimental.fast_eval_shape(f.apply, params, state, key, x),
        jax.eval_shape(f.apply, params, state, key, x),
    )
    spec = jax.ShapeDtypeStruct(x.shape, x.dtype)
    _struct_equal(hk.experimental.fast_eval_shape(f.init, key, spec), jax.eval_shape(f.init, key, x))


def test_fast_eval_shape_inside_a_transform_is_hk_eval_shape():
    seen = {}

    def f(x):
        seen["fast"] = hk.experimental.fast_eval_shape(_net, x)
        seen["slow"] = hk.eval_shape(_net, x)
        return x

    g = hk.transform_with_state(f)
    params, state = g.init(KEY, jnp.ones([4, 5]))
    assert params == {} and state == {}
    _struct_equal(seen["fast"], seen["slow"])


def test_fast_eval_shape_inside_a_transform_takes_no_module_names():
    def f(x):
        hk.experimental.fast_eval_shape(lambda x: (hk.Module(), x)[1], x)
        return hk.Module().module_name

    assert hk.transform(f).apply({}, None, 1.0) == "module"


def test_fast_eval_shape_does_not_run_parameter_initializers():
    calls = []

    def init(shape, dtype):
        calls.append("param")
        return jnp.ones(shape, dtype)

    def state_init(shape, dtype):
        calls.append("state")
        return jnp.ones(shape, dtype)

    def f():
        return hk.get_parameter("w", [3], init=init), hk.get_state("s", [2], init=state_init)

    out = hk.experimental.fast_eval_shape(hk.transform_with_state(f).init, KEY)
    assert calls == ["state"]  # state initializers run (as in dm-haiku)
    _struct_equal(out, jax.eval_shape(hk.transform_with_state(f).init, KEY))


def test_fast_eval_shape_custom_creators_see_zeros():
    seen = []

    def creator(next_creator, shape, dtype, init, context):
        seen.append(init([2], jnp.float32))
        return next_creator(shape, dtype, init)

    def f():
        with hk.custom_creator(creator):
            return hk.get_parameter("w", [2], init=jnp.ones)

    hk.experimental.fast_eval_shape(hk.transform(f).init, KEY)
    assert len(seen) == 1


def test_fast_eval_shape_fold_in_is_the_identity_only_while_it_runs():
    original = jax.random.fold_in
    seen = []

    def f(key):
        folded = jax.random.fold_in(key, 3)
        seen.append(folded is key)
        return folded

    hk.experimental.fast_eval_shape(f, KEY)
    assert seen == [True]
    assert jax.random.fold_in is original

    def fails(key):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        hk.experimental.fast_eval_shape(fails, KEY)
    assert jax.random.fold_in is original
    assert base.param_init_override.get() is None
    assert not fast_eval.fast_eval_shape_active()


def test_fast_eval_shape_leaves_no_traces_for_later_jits():
    """What fast_eval_shape traces (zero parameters) is never reused by jax.jit."""

    @jax.jit
    def fold(key):
        return jax.random.fold_in(key, 1)

    def f(x):
        w = hk.get_parameter("w", [2], init=hk.initializers.RandomNormal())
        return x * w, fold(hk.next_rng_key())

    t = hk.transform(f)
    x = jnp.ones([2])
    hk.experimental.fast_eval_shape(t.init, KEY, x)
    hk.experimental.fast_eval_shape(t.apply, t.init(KEY, x), KEY, x)
    assert _same(jax.jit(t.init)(KEY, x), t.init(KEY, x))
    params = t.init(KEY, x)
    assert _same(jax.jit(t.apply)(params, KEY, x), t.apply(params, KEY, x))
    assert not np.array_equal(fold(KEY), KEY)


def test_fast_eval_shape_leaves_other_threads_alone():
    inside, release = threading.Event(), threading.Event()
    results = {}

    def f(key):
        inside.set()
        release.wait(timeout=30)
        return jax.random.fold_in(key, 1)

    thread = threading.Thread(target=lambda: hk.experimental.fast_eval_shape(f, KEY))
    thread.start()
    try:
        assert inside.wait(timeout=30)
        results["other"] = jax.random.fold_in(KEY, 1)
        results["active"] = fast_eval.fast_eval_shape_active()
    finally:
        release.set()
        thread.join()
    assert not np.array_equal(results["other"], KEY)
    assert results["active"] is False


def test_fast_eval_shape_nested():
    inner = []

    def f(key):
        inner.append(hk.experimental.fast_eval_shape(lambda k: jax.random.fold_in(k, 1), key))
        assert fast_eval.fast_eval_shape_active()
        return jax.random.fold_in(key, 2)

    out = hk.experimental.fast_eval_shape(f, KEY)
    assert out.shape == (2,) and inner[0].shape == (2,)
    assert not fast_eval.fast_eval_shape_active()


def test_substitute_in_fast_eval_shape():
    calls = []

    def substitute(rate, x):
        calls.append("substitute")
        return x

    @fast_eval.substitute_in_fast_eval_shape(substitute)
    def noisy(rate, x):
        """Adds noise."""
        calls.append("original")
        return x + rate * jax.random.normal(jax.random.PRNGKey(0), x.shape)

    assert noisy.__name__ == "noisy" and noisy.__doc__ == "Adds noise."
    hk.experimental.fast_eval_shape(noisy, 0.5, jnp.ones([2]))
    noisy(0.5, jnp.ones([2]))
    jax.eval_shape(noisy, 0.5, jnp.ones([2]))
    assert calls == ["substitute", "original", "original"]
