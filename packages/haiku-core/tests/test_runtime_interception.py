"""Custom creators, getters and setters, and method interceptors.

Every expectation here was checked against dm-haiku 0.0.17 (black box).
"""

from __future__ import annotations

import contextlib

import jax.numpy as jnp
import numpy as np
import pytest

import haiku as hk
from haiku._src import base


@pytest.fixture(autouse=True)
def _no_frame_left_behind():
    yield
    assert base._FRAMES.get() == ()


LOG: list = []


@pytest.fixture(autouse=True)
def _clear_log():
    LOG.clear()
    yield
    LOG.clear()


def logging_creator(tag):
    def creator(next_creator, shape, dtype, init, context):
        LOG.append(("creator", tag, context.full_name))
        return next_creator(shape, dtype, init)

    return creator


def logging_getter(tag):
    def getter(next_getter, value, context):
        LOG.append(("getter", tag, context.full_name))
        return next_getter(value)

    return getter


def logging_setter(tag):
    def setter(next_setter, value, context):
        LOG.append(("setter", tag, context.full_name))
        return next_setter(value)

    return setter


class Mod(hk.Module):
    def __call__(self):
        w = hk.get_parameter("w", [2], init=jnp.ones)
        s = hk.get_state("s", [3], jnp.int32, init=jnp.zeros)
        hk.set_state("s", s + 1)
        return w


def test_order_and_params_state_flags():
    def f():
        with contextlib.ExitStack() as stack:
            stack.enter_context(hk.custom_creator(logging_creator("A"), state=True))
            stack.enter_context(hk.custom_creator(logging_creator("B")))
            stack.enter_context(hk.custom_creator(logging_creator("C"), params=False, state=True))
            stack.enter_context(hk.custom_getter(logging_getter("A")))
            stack.enter_context(hk.custom_getter(logging_getter("B"), params=False, state=True))
            stack.enter_context(hk.custom_getter(logging_getter("C"), state=True))
            stack.enter_context(hk.custom_setter(logging_setter("A")))
            stack.enter_context(hk.custom_setter(logging_setter("B")))
            Mod()()

    f = hk.transform_with_state(f)
    params, state = f.init(None)
    # First registered runs first; params/state flags pick the chains.
    assert LOG == [
        ("creator", "A", "mod/w"),
        ("creator", "B", "mod/w"),
        ("getter", "A", "mod/w"),
        ("getter", "C", "mod/w"),
        ("creator", "A", "mod/s"),
        ("creator", "C", "mod/s"),
        ("getter", "B", "mod/s"),
        ("getter", "C", "mod/s"),
        ("setter", "A", "mod/s"),
        ("setter", "B", "mod/s"),
    ]
    LOG.clear()
    f.apply(params, state, None)
    # No creators in apply: everything exists.
    assert LOG == [
        ("getter", "A", "mod/w"),
        ("getter", "C", "mod/w"),
        ("getter", "B", "mod/s"),
        ("getter", "C", "mod/s"),
        ("setter", "A", "mod/s"),
        ("setter", "B", "mod/s"),
    ]


def test_creators_change_shape_dtype_and_init():
    def zeros_creator(next_creator, shape, dtype, init, context):
        del init
        return next_creator(shape, dtype, jnp.zeros)

    def bf16_creator(next_creator, shape, dtype, init, context):
        del dtype
        return next_creator(shape, jnp.bfloat16, init)

    def f():
        with hk.custom_creator(zeros_creator), hk.custom_creator(bf16_creator):
            return hk.get_parameter("z", [2], jnp.float32, jnp.ones)

    params = hk.transform(f).init(None)
    z = params["~"]["z"]
    assert z.dtype == jnp.bfloat16
    np.testing.assert_array_equal(z.astype(jnp.float32), [0.0, 0.0])


def test_getters_transform_values_in_order():
    def plus_one(next_getter, value, context):
        return next_getter(value + 1)

    def times_ten(next_getter, value, context):
        return next_getter(value * 10)

    def cast(next_getter, value, context):
        return next_getter(value.astype(jnp.bfloat16))

    def f():
        with hk.custom_getter(plus_one), hk.custom_getter(times_ten), hk.custom_getter(cast):
            return hk.get_parameter("w", [], init=jnp.ones)

    f = hk.transform(f)
    params = f.init(None)
    # The stored value is the creator's, untouched by getters.
    assert params["~"]["w"] == 1.0 and params["~"]["w"].dtype == jnp.float32
    out = f.apply({"~": {"w": jnp.array(2.0)}}, None)
    assert out == 30.0 and out.dtype == jnp.bfloat16


def test_getters_may_post_process_the_result_of_the_chain():
    def outer(next_getter, value, context):
        return next_getter(value) * 2

    def inner(next_getter, value, context):
        return next_getter(value) + 3

    def f():
        with hk.custom_getter(outer), hk.custom_getter(inner):
            return hk.get_parameter("w", [], init=jnp.ones)

    assert hk.transform(f).apply({"~": {"w": jnp.array(1.0)}}, None) == 8.0


def test_setters_change_stored_state():
    def zero_during_init(next_setter, value, context):
        if hk.running_init():
            value = jnp.zeros_like(value)
        return next_setter(value)

    def double(next_setter, value, context):
        return next_setter(value * 2)

    def f():
        with hk.custom_setter(zero_during_init), hk.custom_setter(double):
            hk.set_state("x", jnp.ones([2]))
            return hk.get_state("x")

    f = hk.transform_with_state(f)
    _, state = f.init(None)
    np.testing.assert_array_equal(state["~"]["x"], [0.0, 0.0])
    out, state = f.apply({}, state, None)
    np.testing.assert_array_equal(out, [2.0, 2.0])
    np.testing.assert_array_equal(state["~"]["x"], [2.0, 2.0])


def test_setters_do_not_run_for_get_state_init():
    def f():
        with hk.custom_setter(logging_setter("S")):
            hk.get_state("x", [], init=jnp.zeros)

    hk.transform_with_state(f).init(None)
    assert LOG == []


# DO_NOT_STORE.


def test_do_not_store_with_a_getter_that_provides_values():
    pretrained = {"torso": {"w": jnp.full([3, 2], 7.0)}}

    class Dense(hk.Module):
        def __call__(self, x):
            w = hk.get_parameter("w", [x.shape[-1], 2], init=jnp.ones)
            return x @ w

    def creator(next_creator, shape, dtype, init, context):
        if context.module_name in pretrained:
            return hk.DO_NOT_STORE
        return next_creator(shape, dtype, init)

    def getter(next_getter, value, context):
        if context.module_name in pretrained:
            assert value is hk.DO_NOT_STORE
            value = pretrained[context.module_name][context.name]
        return next_getter(value)

    def f(x):
        with hk.custom_creator(creator), hk.custom_getter(getter):
            return Dense(name="tail")(Dense(name="torso")(x))

    f = hk.transform(f)
    x = jnp.ones([1, 3])
    params = f.init(None, x)
    assert list(params) == ["tail"]
    # apply works with params that lack the pretrained module.
    out = f.apply(params, None, x)
    np.testing.assert_array_equal(out, np.full([1, 2], 42.0))


def test_do_not_store_in_apply_needs_a_creator_that_declines():
    def f():
        return hk.get_parameter("x", [2], init=jnp.ones)

    def passthrough(next_creator, shape, dtype, init, context):
        LOG.append(context.full_name)
        return next_creator(shape, dtype, init)

    def wrapped():
        with hk.custom_creator(passthrough):
            return f()

    # A creator that creates runs, but apply still refuses new parameters.
    with pytest.raises(ValueError, match="Unable to retrieve parameter 'x' for module '~'"):
        hk.transform(wrapped).apply({}, None)
    assert LOG == ["~/x"]

    def only_getter():
        with hk.custom_getter(lambda next_getter, value, context: next_getter(jnp.zeros(2))):
            return f()

    with pytest.raises(ValueError, match="Unable to retrieve parameter"):
        hk.transform(only_getter).apply({}, None)


def test_do_not_store_without_a_getter_is_an_error():
    def f():
        with hk.custom_creator(lambda next_creator, shape, dtype, init, context: hk.DO_NOT_STORE):
            return hk.get_parameter("x", [], init=jnp.ones)

    with pytest.raises(ValueError):
        hk.transform(f).init(None)


def test_do_not_store_for_state_and_from_setters():
    def creator(next_creator, shape, dtype, init, context):
        if context.name == "skip":
            return hk.DO_NOT_STORE
        return next_creator(shape, dtype, init)

    def getter(next_getter, value, context):
        if value is hk.DO_NOT_STORE:
            value = jnp.full(context.original_shape, 7.0)
        return next_getter(value)

    def setter(next_setter, value, context):
        if context.name == "nostore":
            return hk.DO_NOT_STORE
        return next_setter(value)

    def f():
        with hk.custom_creator(creator, state=True), hk.custom_getter(getter, state=True):
            with hk.custom_setter(setter):
                a = hk.get_parameter("skip", [2], init=jnp.ones)
                b = hk.get_parameter("keep", [2], init=jnp.ones)
                c = hk.get_state("skip", [1], init=jnp.ones)
                hk.set_state("nostore", jnp.array(3.0))
                hk.set_state("yes", jnp.array(4.0))
        return a, b, c

    f = hk.transform_with_state(f)
    params, state = f.init(None)
    assert list(params) == ["~"] and list(params["~"]) == ["keep"]
    assert list(state["~"]) == ["yes"]
    (a, b, c), state = f.apply(params, state, None)
    np.testing.assert_array_equal(a, [7.0, 7.0])
    np.testing.assert_array_equal(b, [1.0, 1.0])
    np.testing.assert_array_equal(c, [7.0])
    assert list(state["~"]) == ["yes"]


def test_setter_do_not_store_leaves_previous_value():
    def f():
        hk.set_state("x", jnp.array(1.0))
        with hk.custom_setter(lambda next_setter, value, context: hk.DO_NOT_STORE):
            hk.set_state("x", jnp.array(5.0))
        return hk.get_state("x")

    out, state = hk.transform_with_state(f).init(None)
    assert state == {"~": {"x": 1.0}}


# Context objects.


def test_getter_context_fields():
    contexts = []

    def record(next_creator, shape, dtype, init, context):
        contexts.append(("creator", context))
        return next_creator(shape, dtype, init)

    def record_getter(next_getter, value, context):
        contexts.append(("getter", context))
        return next_getter(value)

    class Outer(hk.Module):
        def __call__(self):
            return Inner()()

    class Inner(hk.Module):
        def __call__(self):
            return hk.get_parameter("w", [2, 3], jnp.bfloat16, init=jnp.ones)

    def f():
        with hk.custom_creator(record, state=True), hk.custom_getter(record_getter, state=True):
            Outer()()
            hk.get_state("s", [4], jnp.int32, init=jnp.zeros)
            hk.get_state("s")

    hk.transform_with_state(f).init(None)
    kinds = [k for k, _ in contexts]
    assert kinds == ["creator", "getter", "creator", "getter", "getter"]
    ctx = contexts[0][1]
    assert isinstance(ctx, hk.GetterContext)
    assert ctx.full_name == "outer/inner/w"
    assert ctx.module_name == "outer/inner"
    assert ctx.name == "w"
    assert type(ctx.module).__name__ == "Inner"
    assert ctx.module.module_name == "outer/inner"
    assert tuple(ctx.original_shape) == (2, 3)
    assert ctx.original_dtype == jnp.bfloat16
    assert ctx.original_init is jnp.ones
    assert ctx.lifted_prefix_name is None
    assert tuple(contexts[1][1]) == tuple(ctx)
    state_ctx = contexts[2][1]
    assert state_ctx.full_name == "~/s" and state_ctx.module_name == "~" and state_ctx.name == "s"
    assert state_ctx.module is None
    assert tuple(state_ctx.original_shape) == (4,)
    assert state_ctx.original_dtype == jnp.int32
    assert state_ctx.original_init is jnp.zeros
    # Reading state by name only: the context has what the call had.
    read_ctx = contexts[4][1]
    assert read_ctx.full_name == "~/s"
    assert read_ctx.original_shape is None
    assert read_ctx.original_init is None


def test_setter_context_fields():
    contexts = []

    def setter(next_setter, value, context):
        contexts.append(context)
        return next_setter(value)

    class Mod(hk.Module):
        def __call__(self):
            with hk.custom_setter(setter):
                hk.set_state("a", jnp.zeros([2, 5], jnp.int8))
                with hk.name_scope("scope"):
                    hk.set_state("b", jnp.float16(1))

    hk.transform_with_state(lambda: Mod()()).init(None)
    a, b = contexts
    assert isinstance(a, hk.SetterContext)
    assert (a.full_name, a.module_name, a.name) == ("mod/a", "mod", "a")
    assert a.module.module_name == "mod"
    assert tuple(a.original_shape) == (2, 5)
    assert a.original_dtype == jnp.int8
    assert a.lifted_prefix_name is None
    assert (b.full_name, b.module_name, b.name) == ("mod/scope/b", "mod/scope", "b")
    assert tuple(b.original_shape) == ()
    assert b.original_dtype == jnp.float16


def test_interceptors_registered_in_a_module_only_apply_inside():
    class Mod(hk.Module):
        def __call__(self):
            with hk.custom_getter(logging_getter("in")):
                hk.get_parameter("inside", [], init=jnp.ones)
            hk.get_parameter("outside", [], init=jnp.ones)

    hk.transform(lambda: Mod()()).init(None)
    assert LOG == [("getter", "in", "mod/inside")]


def test_interceptors_are_removed_after_exceptions():
    def f():
        try:
            with hk.custom_getter(logging_getter("g")), hk.custom_creator(logging_creator("c")):
                raise KeyError
        except KeyError:
            pass
        hk.get_parameter("w", [], init=jnp.ones)

    hk.transform(f).init(None)
    assert LOG == []


# intercept_methods.


def logging_interceptor(tag, short_circuit=False):
    def interceptor(next_fun, args, kwargs, context):
        LOG.append(
            (
                tag,
                type(context.module).__name__,
                context.method_name,
                context.orig_class.__name__,
                context.module.__dict__.get("module_name", "<unset>"),
            )
        )
        if short_circuit:
            return context.orig_method(*args, **kwargs)
        return next_fun(*args, **kwargs)

    return interceptor


class Base(hk.Module):
    def __init__(self, name=None):
        super().__init__(name=name)

    def __call__(self, x):
        return self.helper(x) + 1

    def helper(self, x):
        return x * 2


class Child(Base):
    def __call__(self, x):
        return super().__call__(x) * 10


class Child2(Base):
    pass


class Inner(hk.Module):
    def __call__(self, x):
        return x


class Outer(hk.Module):
    def __call__(self, x):
        return Inner()(x)

    @property
    def prop(self):
        return 3

    @hk.transparent
    def transparent_method(self):
        return 4

    def _private(self):
        return 5


def run_init(fn):
    out = []
    hk.transform(lambda: out.append(fn())).init(None)
    return out[0]


def test_intercept_methods_order_init_and_inheritance():
    def f():
        with hk.intercept_methods(logging_interceptor("A")):
            with hk.intercept_methods(logging_interceptor("B")):
                child = Child()
                LOG.append("--")
                out = child(1.0)
                LOG.append("--")
                Child2()(1.0)
                LOG.append("--")
                o = Outer()
                o(1.0)
                o.prop  # noqa: B018
                o.transparent_method()
                o._private()
                return out

    assert run_init(f) == 30.0
    assert LOG == [
        # Interceptors see __init__ too, before the module has a name.
        ("A", "Child", "__init__", "Child", "<unset>"),
        ("B", "Child", "__init__", "Child", "<unset>"),
        "--",
        ("A", "Child", "__call__", "Child", "child"),
        ("B", "Child", "__call__", "Child", "child"),
        # super().__call__: same module, the defining class differs.
        ("A", "Child", "__call__", "Base", "child"),
        ("B", "Child", "__call__", "Base", "child"),
        ("A", "Child", "helper", "Base", "child"),
        ("B", "Child", "helper", "Base", "child"),
        "--",
        ("A", "Child2", "__init__", "Child2", "<unset>"),
        ("B", "Child2", "__init__", "Child2", "<unset>"),
        ("A", "Child2", "__call__", "Base", "child2"),
        ("B", "Child2", "__call__", "Base", "child2"),
        ("A", "Child2", "helper", "Base", "child2"),
        ("B", "Child2", "helper", "Base", "child2"),
        "--",
        ("A", "Outer", "__init__", "Outer", "<unset>"),
        ("B", "Outer", "__init__", "Outer", "<unset>"),
        ("A", "Outer", "__call__", "Outer", "outer"),
        ("B", "Outer", "__call__", "Outer", "outer"),
        ("A", "Inner", "__init__", "Inner", "<unset>"),
        ("B", "Inner", "__init__", "Inner", "<unset>"),
        ("A", "Inner", "__call__", "Inner", "outer/inner"),
        ("B", "Inner", "__call__", "Inner", "outer/inner"),
        # Properties and private methods are methods; transparent ones are not.
        ("A", "Outer", "prop", "Outer", "outer"),
        ("B", "Outer", "prop", "Outer", "outer"),
        ("A", "Outer", "_private", "Outer", "outer"),
        ("B", "Outer", "_private", "Outer", "outer"),
    ]


def test_intercept_methods_short_circuit():
    def f():
        with hk.intercept_methods(logging_interceptor("A", short_circuit=True)):
            with hk.intercept_methods(logging_interceptor("B")):
                return Child()(1.0)

    assert run_init(f) == 30.0
    # B never runs: A calls the original method directly.
    assert [entry[0] for entry in LOG] == ["A", "A", "A", "A"]
    assert [entry[2] for entry in LOG] == ["__init__", "__call__", "__call__", "helper"]


def test_intercept_methods_modify_args_and_results():
    def interceptor(next_fun, args, kwargs, context):
        if context.method_name != "__call__":
            return next_fun(*args, **kwargs)
        args = tuple(a * 2 for a in args)
        return next_fun(*args, **kwargs) + 1000

    def f():
        with hk.intercept_methods(interceptor):
            return Inner()(1.0), Outer()(1.0)

    assert run_init(f) == (1002.0, 2004.0)


def test_intercept_methods_can_replace_the_method():
    def interceptor(next_fun, args, kwargs, context):
        if isinstance(context.module, Inner) and context.method_name == "__call__":
            return "replaced"
        return next_fun(*args, **kwargs)

    def f():
        with hk.intercept_methods(interceptor):
            return Outer()(1.0)

    assert run_init(f) == "replaced"


def test_intercept_methods_sees_kwargs_and_module_identity():
    seen = []

    class Kw(hk.Module):
        def __call__(self, x, *, scale=1.0):
            return x * scale

    def interceptor(next_fun, args, kwargs, context):
        seen.append((args, dict(kwargs), context.module))
        return next_fun(*args, **kwargs)

    def f():
        mod = Kw()
        with hk.intercept_methods(interceptor):
            out = mod(2.0, scale=3.0)
        return mod, out

    mod, out = run_init(f)
    assert out == 6.0
    assert seen == [((2.0,), {"scale": 3.0}, mod)]


def test_intercept_methods_outside_a_transform_applies_inside():
    f = hk.transform(lambda: Inner()(1.0))
    with hk.intercept_methods(logging_interceptor("A")):
        f.init(None)
    assert [entry[2] for entry in LOG] == ["__init__", "__call__"]
    LOG.clear()
    f.init(None)
    assert LOG == []


def test_method_context_is_a_named_tuple():
    contexts = []

    def interceptor(next_fun, args, kwargs, context):
        contexts.append(context)
        return next_fun(*args, **kwargs)

    def f():
        inner = Inner()
        with hk.intercept_methods(interceptor):
            inner(1.0)
        return inner

    inner = run_init(f)
    (ctx,) = contexts
    assert isinstance(ctx, hk.MethodContext)
    assert ctx.module is inner
    assert ctx.method_name == "__call__"
    assert ctx.orig_class is Inner
    assert ctx._fields == ("module", "method_name", "orig_method", "orig_class")
