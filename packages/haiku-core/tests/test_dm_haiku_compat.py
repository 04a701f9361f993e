"""Behaviour dm-haiku 0.0.17's own test suite asserts, stated with our own values.

Each error is checked for dm-haiku's exception type and a regex of dm-haiku's
wording (its message is the prefix of ours); values are checked against an
independent computation.
"""

import inspect
from typing import Any, Optional, Protocol, Union

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import haiku as hk


def run(fn, *args):
    """Runs ``fn`` inside a transform (init), returning its output."""
    out = []
    hk.transform(lambda: out.append(fn(*args))).init(None)
    return out[0]


# hk.Deferred.


class Holder(hk.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.w = jnp.ones([])

    def __call__(self):
        return self.w

    def __str__(self):
        return "Holder!"


class Forward(hk.Module):
    def forward(self):
        return 42


def test_deferred_forwards_set_and_delete_to_the_built_module():
    def fn():
        mod = hk.Deferred(Holder)
        assert mod() == 1.0
        new_w = jnp.full([], 3.0)
        mod.w = new_w
        assert mod.target.w is new_w and mod.w is new_w
        mod.target.w = jnp.zeros([])
        assert float(mod.w) == 0.0
        del mod.w
        return hasattr(mod.target, "w")

    assert run(fn) is False


def test_deferred_attribute_before_construction():
    def fn():
        mod = hk.Deferred(Holder)
        with pytest.raises(AttributeError, match=r"^'Deferred' object has no attribute 'w'"):
            mod.w  # noqa: B018
        mod.later = 5  # Unbuilt: set on the Deferred itself.
        return mod.later, mod.target.module_name

    assert run(fn) == (5, "holder")


def test_deferred_str_and_repr_build_the_target():
    def fn():
        m = Holder()
        d = hk.Deferred(lambda: m)
        return str(d), repr(d), d._target is m

    s, r, built = run(fn)
    assert s == "Deferred(Holder!)"
    assert r == "Deferred(Holder())"
    assert built


def test_deferred_call_of_a_module_without_call():
    def fn():
        mod = hk.Deferred(Forward, call_methods=("forward",))
        assert mod.forward() == 42
        with pytest.raises(TypeError, match=r"^'Forward' object is not callable") as e:
            mod()
        return str(e.value)

    assert "call_methods=('forward',)" in run(fn)


# Protocols.


@pytest.mark.parametrize("proto", [hk.ModuleProtocol, hk.SupportsCall])
def test_protocols_reject_concrete_subclasses(proto):
    msg = (
        "ExtendsProtocol is a Protocol.*should not be subclassed.*"
        f"`class ExtendsProtocol[(]{proto.__name__}, Protocol[)]`"
    )
    with pytest.raises(TypeError, match=msg):

        class ExtendsProtocol(proto):
            pass

    class NewProtocol(proto, Protocol):  # A protocol extending ours is fine.
        pass

    class Callable_(hk.Module):
        def __call__(self, x):
            return x

    checks = run(lambda: (isinstance(Callable_(), NewProtocol), isinstance(object(), NewProtocol)))
    assert checks == (True, False)


# Transform signatures.


def test_transform_signatures_follow_the_function():
    Params, State = hk.Params, hk.State
    Rng = Optional[Union[jax.Array, int]]

    def f(pos, *, key: int = 37) -> int:
        return pos + key

    def init(rng: Rng, pos, *, key: int = 37) -> Params: ...
    def apply(params: Optional[Params], rng: Rng, pos, *, key: int = 37) -> int: ...
    def apply_no_rng(params: Optional[Params], pos, *, key: int = 37) -> int: ...
    def init_s(rng: Rng, pos, *, key: int = 37) -> tuple[Params, State]: ...
    def apply_s(params: Optional[Params], state: Optional[State], rng: Rng, pos, *,
                key: int = 37) -> tuple[int, State]: ...  # fmt: skip
    def apply_s_no_rng(params: Optional[Params], state: Optional[State], pos, *,
                       key: int = 37) -> tuple[int, State]: ...  # fmt: skip

    sig = inspect.signature
    t = hk.transform(f)
    assert (sig(t.init), sig(t.apply)) == (sig(init), sig(apply))
    assert sig(hk.without_apply_rng(t).apply) == sig(apply_no_rng)
    ts = hk.transform_with_state(f)
    assert (sig(ts.init), sig(ts.apply)) == (sig(init_s), sig(apply_s))
    assert sig(hk.without_apply_rng(ts).apply) == sig(apply_s_no_rng)
    assert hk.without_apply_rng(t).apply({}, 1, key=2) == 3


def test_without_apply_rng_errors():
    with pytest.raises(ValueError, match=r"^Must be called with the result of `hk.transformed`"):
        hk.without_apply_rng(lambda x: x)
    f = hk.without_apply_rng(hk.transform(lambda x, rng=None: x))
    with pytest.raises(TypeError, match=r"^Haiku transform adds three arguments"):
        f.apply({}, 1, rng=2)


def test_stateless_apply_rejects_a_state_keyword():
    f = hk.transform(lambda x, state=None: x)
    with pytest.raises(TypeError, match=r"^Haiku transform adds three arguments .*state="):
        f.apply({}, None, 1, state=2)


def test_apply_with_state_names_the_third_argument():
    f = hk.transform_with_state(lambda: None)
    with pytest.raises(ValueError, match="^Apply must be called with an RNG as the third argument"):
        f.apply({}, {}, "not a key")
    with pytest.raises(ValueError, match="^Apply must be called with an RNG as the second argument"):
        hk.transform(lambda: None).apply({}, "not a key")


def test_transform_of_a_jitted_function():
    with pytest.raises(ValueError, match=r"^A common error with Haiku is to pass an already jit"):
        hk.transform(jax.jit(lambda x: x))


def test_multi_transform_state_error_names_multi_transform_with_state():
    def f():
        counter = lambda: hk.set_state("n", 1)  # noqa: E731
        return counter, counter

    with pytest.raises(ValueError, match=r"then use `hk.multi_transform_with_state`"):
        hk.multi_transform(f).init(None)


def test_leaked_tracer_gets_haiku_hint():
    def f(x):
        leaked = []
        jax.vmap(lambda y: leaked.append(y) or y)(x)
        return leaked[0] + 1

    with pytest.raises(jax.errors.UnexpectedTracerError, match="inside a Haiku transformed") as e:
        hk.transform(f).init(None, jnp.ones([2]))
    assert isinstance(e.value.__cause__, jax.errors.UnexpectedTracerError)


# Random keys.


def test_rbg_raw_keys_are_accepted():
    with jax.default_prng_impl("rbg"):
        key = jax.random.PRNGKey(42)
        assert key.shape == (4,)
        out = hk.transform(hk.next_rng_key).apply({}, key)
        np.testing.assert_array_equal(out, jax.random.split(key)[1])


def test_rbg_wrong_raw_key_shape():
    with jax.default_prng_impl("rbg"):
        key = jax.random.PRNGKey(42)[:2]
        with pytest.raises(ValueError, match="^Init must be called with an RNG") as e:
            hk.transform(hk.next_rng_key).init(key)
    cause = str(e.value.__cause__)
    assert cause.startswith(
        "Provided key did not have expected shape and/or dtype: "
        "expected=(shape=(4,), dtype=uint32), actual=(shape=(2,), dtype=uint32)"
    )
    assert "jax_default_prng_impl has been set to 'rbg'" in cause


@pytest.mark.parametrize(
    "bad, message",
    [
        ("key", r"^The provided key is not a JAX PRNGKey but a <class 'str'>:\nkey"),
        (np.zeros(3, np.uint32), r"^Provided key did not have expected shape and/or dtype: "
                                 r"expected=\(shape=\(2,\), dtype=uint32\), actual=\(shape=\(3,\)"),
        (jax.random.split(jax.random.key(0)), r"^Provided key did not have expected shape "
                                              r"and/or dtype: expected=\(shape=\(\), dtype=key"),
    ],
)  # fmt: skip
def test_bad_keys(bad: Any, message: str):
    with pytest.raises(ValueError, match=message):
        hk.PRNGSequence(bad)


def test_prng_sequence_restored_from_its_state():
    seq = hk.PRNGSequence(7)
    seq.reserve(2)
    restored = hk.PRNGSequence(seq.internal_state)
    expected = jax.random.split(jax.random.PRNGKey(7), 3)  # [key, reserved0, reserved1]
    for want in expected[1:]:
        np.testing.assert_array_equal(next(restored), want)
    np.testing.assert_array_equal(next(restored), jax.random.split(expected[0])[1])


def test_bad_sequence_state_leaves_the_sequence_unchanged():
    seq = hk.PRNGSequence(0)
    before = seq.internal_state
    with pytest.raises(ValueError, match=r"^The provided key is not a JAX PRNGKey"):
        seq.replace_internal_state((jax.random.PRNGKey(1), ("bad",)))
    assert seq.internal_state[0] is before[0] and seq.internal_state[1] == ()
    with pytest.raises(ValueError, match=r"pair `\(key, reserved_keys\)`"):
        hk.PRNGSequence((1, 2, 3))


# hk.layer_stack.


class Dense(hk.Module):
    def __call__(self, x):
        size = x.shape[-1]
        w = hk.get_parameter("w", [size, size], init=hk.initializers.RandomNormal())
        return x @ w


def test_layer_stack_module_called_twice_reuses_its_parameters():
    def block(x):
        return jax.nn.relu(Dense()(x))

    class MLP(hk.Module):
        def __call__(self, x):
            return hk.layer_stack(5)(block)(x)

    f = hk.transform(lambda x: (lambda m: m(m(x)))(MLP()))
    x = jnp.arange(4.0).reshape(2, 2) - 1.5
    params = f.init(jax.random.PRNGKey(0), x)
    (name, bundle), = params.items()
    assert name == "mlp/__layer_stack_no_per_layer/dense" and bundle["w"].shape == (5, 2, 2)
    y = x
    for _ in range(2):
        for w in np.asarray(bundle["w"]):
            y = np.maximum(np.asarray(y) @ w, 0.0)
    np.testing.assert_allclose(f.apply(params, None, x), y, rtol=1e-6)


def test_layer_stack_varargs():
    class VarArgs(hk.Module):
        def __call__(self, *args):
            return args

    with pytest.raises(ValueError, match=r"^The function `f` should not have any `varargs`"):
        hk.transform(lambda x: hk.layer_stack(1)(VarArgs())(x)).init(None, 1.0)
    # Per-layer inputs may be varargs (dm-haiku checks only the carry).
    stacked = hk.layer_stack(3, with_per_layer_inputs=True)(lambda x, *ys: (x + ys[0], 2 * x))
    carry, zs = hk.transform(lambda: stacked(0.0, jnp.arange(3.0))).apply({}, None)
    assert float(carry) == 3.0
    np.testing.assert_array_equal(zs, [0.0, 0.0, 2.0])


class _Collide(hk.LayerStackTransparencyMapping):
    def stacked_to_flat(self, stacked_module_name, scan_idx):
        return stacked_module_name

    def flat_to_stacked(self, unstacked_module_name):
        return unstacked_module_name, 0


def test_transparent_layer_stack_name_collisions():
    layer = lambda x: x + hk.get_parameter("b", [], init=jnp.zeros)  # noqa: E731
    stack = hk.layer_stack(2, transparent=True, transparency_map=_Collide())(layer)
    with pytest.raises(ValueError, match=r"^Found conflicting unstacked module name for ~ at ~"):
        hk.transform(stack).init(None, 0.0)


# hk.name_scope.


def test_name_scope_is_single_use():
    def fn():
        scope = hk.name_scope("foo")
        with scope:
            first = hk.Module().module_name
            with pytest.raises(ValueError, match="^name_scope is not reentrant"):
                scope.__enter__()
        with pytest.raises(ValueError, match="^name_scope is not reusable"):
            with scope:
                pass
        after_error = hk.name_scope("bar")
        with pytest.raises(AssertionError, match="expected"):
            with after_error:
                raise AssertionError("expected")
        with pytest.raises(ValueError, match="^name_scope is not reusable"):
            with after_error:
                pass
        return first, hk.Module().module_name

    assert run(fn) == ("foo/module", "module")


def test_name_scope_takes_its_name_when_made():
    def fn():
        early = hk.name_scope("foo")
        with hk.name_scope("foo"):
            second = hk.Module().module_name
        with early:
            first = hk.Module().module_name
        return first, second

    assert run(fn) == ("foo/module", "foo_1/module")


def test_name_scope_bad_names():
    def fn():
        for bad in ("/foo", ""):
            with pytest.raises(ValueError, match="^Name scopes must not start with /"):
                hk.name_scope(bad)
        return hk.Module().module_name  # Nothing was created by the bad calls.

    assert run(fn) == "module"
    with pytest.raises(ValueError, match="name_scope.*must be used as part of an `hk.transform`"):
        hk.name_scope("foo")


def test_name_scope_is_not_a_module():
    scope_type = run(lambda: type(hk.name_scope("foo")))
    assert not issubclass(scope_type, hk.Module)


# Parameter, state and module errors: dm-haiku's wording first.


def test_parameter_errors():
    def mismatched():
        hk.get_parameter("w", (3,), init=lambda shape, dtype: jnp.zeros([2]))

    with pytest.raises(
        ValueError,
        match=r"^'~/w' with retrieved shape \(2,\) does not match shape=\(3,\) "
        r"dtype=<class 'jax.numpy.float32'>",
    ):
        hk.transform(mismatched).init(None)
    with pytest.raises(ValueError, match=r"^Initializer must be specified\. '~/w'"):
        hk.transform(lambda: hk.get_parameter("w", [])).init(None)
    f = hk.transform(lambda: hk.get_parameter("w", [], init=jnp.zeros))
    with pytest.raises(
        ValueError,
        match=r"^Unable to retrieve parameter 'w' for module '~' All parameters must be "
        r"created as part of `init`\.",
    ):
        f.apply({}, None)


def test_state_errors():
    f = hk.transform_with_state(lambda: hk.get_state("s"))
    with pytest.raises(ValueError, match=r"^No value for 's' in '~', perhaps set an init function\?"):
        f.init(None)
    f = hk.transform_with_state(lambda: hk.get_state("s", init=jnp.zeros))
    with pytest.raises(ValueError, match=r"^Must provide shape and dtype to initialize 's' in '~'\."):
        f.init(None)
    # Nothing was created by the failed calls.
    ok = hk.transform_with_state(lambda: hk.get_state("s", [], init=jnp.ones))
    assert ok.init(None) == ({}, {"~": {"s": 1.0}})


def test_module_construction_errors():
    with pytest.raises(ValueError, match=r"^All `hk.Module`s must be initialized inside an `hk.transform`\."):
        hk.Module()

    class NoSuper(hk.Module):
        def __init__(self):
            pass

    class EarlyParam(hk.Module):
        def __init__(self):
            hk.get_parameter("w", [], init=jnp.zeros)
            super().__init__()

    msg = (
        r"^Constructing an hk.Module without calling the super constructor is not supported\. "
        r"Add the following as the first line in your __init__ method:\n\n"
        r"super\(NoSuper, self\).__init__\(\)"
    )
    with pytest.raises(ValueError, match=msg):
        hk.transform(NoSuper).init(None)
    with pytest.raises(
        ValueError,
        match=r"^The super constructor must be called before you create parameters or submodules",
    ):
        hk.transform(EarlyParam).init(None)
    module = []
    hk.transform(lambda: module.append(hk.Module())).init(None)
    with pytest.raises(
        ValueError, match=r"^`module.params_dict\(\)` must be used as part of an `hk.transform`"
    ):
        module[0].params_dict()


# hk.lift and friends.


class Scale(hk.Module):
    def __call__(self, x):
        return x * hk.get_parameter("s", [], init=jnp.ones)


def test_transparent_lift_rejects_closed_over_modules():
    def fn(x):
        outer = Scale(name="outer")

        def inner(x):
            return Scale(name="inner")(outer(x))

        return hk.transparent_lift(hk.transform(inner).init)(None, x)

    with pytest.raises(
        ValueError, match=r"^You can't functionally close over a module .*transparent_lift"
    ) as e:
        hk.transform(fn).init(None, 1.0)
    assert "The module you closed over is called 'outer'" in str(e.value)

    def fine(x):  # Modules made inside the lifted function are fine.
        return hk.transparent_lift(hk.transform(lambda x: Scale()(x)).init)(None, x)

    assert hk.transform(fine).init(None, 1.0) == {"scale": {"s": 1.0}}


def test_updater_used_in_another_transform():
    def f():
        g = hk.transform_with_state(lambda: None)
        _, updater = hk.lift_with_state(g.init)
        with pytest.raises(ValueError, match="^State updater must be used within the same call"):
            hk.transform_with_state(lambda: updater.update({})).init(None)
        updater.ignore_update()  # The failed use did not count.

    hk.transform_with_state(f).init(None)


# hk.vmap and the other JAX transforms.


def test_vmap_requires_split_rng_unless_opted_out():
    with pytest.raises(TypeError, match="^Haiku now requires the split_rng argument"):
        hk.vmap(lambda x: x)
    hk.vmap.require_split_rng = False
    try:
        f = hk.transform(lambda x: hk.vmap(lambda _: hk.next_rng_key())(x))
        key1, key2 = f.apply({}, jax.random.PRNGKey(0), jnp.ones(2))
    finally:
        hk.vmap.require_split_rng = True
    np.testing.assert_array_equal(key1, key2)  # split_rng=False: one key, broadcast.


@pytest.mark.parametrize("in_axes", [None, (None, None), {"a": None}])
def test_vmap_with_nothing_to_map_is_refused_when_made(in_axes):
    def scale(x, y=None):
        return x

    # Refused when made, before split_rng is looked at. (dm-haiku refuses an
    # axis_size too; JAX's axis_size works here: test_stateful.py.)
    with pytest.raises(ValueError, match=r"^scale must have at least one non-None value in "
                       r"in_axes to use with `hk\.vmap`\. \(Got in_axes="):
        hk.vmap(scale, in_axes=in_axes)
