"""``hk.mixed_precision``: which values each policy casts, and where.

Every expectation here was checked against dm-haiku 0.0.17 (black box):
the same modules give the same dtypes there.
"""

from __future__ import annotations

import concurrent.futures
import threading

import jax
import jax.numpy as jnp
import jmp
import numpy as np
import pytest

import haiku as hk
from haiku._src import base, module

mp = hk.mixed_precision

# params / compute / output all differ, so every cast shows.
HALF = jmp.get_policy("params=float32,compute=bfloat16,output=float16")
LOW_PARAMS = jmp.get_policy("params=bfloat16,compute=float16,output=float32")
FULL = jmp.get_policy("float32")

TIMEOUT = 30  # seconds; only reached if the code under test deadlocks.


@pytest.fixture(autouse=True)
def _clean():
    yield
    for cls in (Scale, Parent, Child, Recorder, InitArgs, Sub, Raiser):
        mp.clear_policy(cls)
    assert base._FRAMES.get() == ()
    assert mp.current_policy() is None
    # No policy left anywhere: the module call path is back to the free one.
    assert module.method_hook is None


LOG: list = []


@pytest.fixture(autouse=True)
def _clear_log():
    LOG.clear()
    yield
    LOG.clear()


def dtypes(tree):
    return jax.tree_util.tree_map(lambda a: jnp.dtype(a.dtype).name, tree)


class Scale(hk.Module):
    def __call__(self, x):
        w = hk.get_parameter("w", x.shape[-1:], init=jnp.ones)
        LOG.append(("scale", x.dtype, w.dtype))
        return x * w


class Child(hk.Module):
    def __call__(self, x):
        w = hk.get_parameter("w", [2], init=jnp.ones)
        LOG.append(("child", x.dtype, w.dtype, mp.current_policy()))
        return x * w


class Parent(hk.Module):
    def __call__(self, x):
        w = hk.get_parameter("w", [2], init=jnp.ones)
        LOG.append(("parent", x.dtype, w.dtype, mp.current_policy()))
        out = Child()(x * w)
        LOG.append(("child out", out.dtype))
        return out


class Recorder(hk.Module):
    """Records what its methods receive and returns it unchanged."""

    def __call__(self, *args, **kwargs):
        LOG.append(("args", dtypes_or_types(args), dtypes_or_types(kwargs)))
        return args, kwargs

    def helper(self, x):
        LOG.append(("helper", x.dtype))
        return x

    def calls_helper(self, x):
        y = self.helper(x)
        LOG.append(("helper out", y.dtype))
        return y


def dtypes_or_types(tree):
    return jax.tree_util.tree_map(
        lambda a: jnp.dtype(a.dtype).name if hasattr(a, "dtype") else type(a).__name__, tree
    )


class InitArgs(hk.Module):
    def __init__(self, a, name=None):
        super().__init__(name=name)
        self.v = hk.get_parameter("v", [2], init=jnp.ones)
        LOG.append(("init", a.dtype, self.v.dtype, mp.current_policy()))

    def __call__(self):
        return self.v


class Sub(Scale):
    pass


class Raiser(hk.Module):
    def __call__(self, x):
        hk.get_parameter("w", [], init=jnp.ones)
        raise RuntimeError("boom")


X = jnp.ones([2], jnp.float32)


# The policy of one class.


@pytest.mark.parametrize("policy", [HALF, LOW_PARAMS, FULL], ids=str)
def test_params_stored_in_param_dtype_inputs_and_reads_in_compute_outputs_in_output(policy):
    mp.set_policy(Scale, policy)
    f = hk.transform(lambda x: Scale()(x))
    params = f.init(None, X)
    assert dtypes(params) == {"scale": {"w": jnp.dtype(policy.param_dtype).name}}
    out = f.apply(params, None, X)
    assert out.dtype == policy.output_dtype
    assert LOG[-1] == ("scale", policy.compute_dtype, policy.compute_dtype)


def test_without_a_policy_nothing_is_cast():
    f = hk.transform(lambda x: Scale()(x.astype(jnp.float16)))
    params = f.init(None, X)
    assert dtypes(params) == {"scale": {"w": "float32"}}
    assert f.apply(params, None, X).dtype == jnp.float32
    assert LOG[-1] == ("scale", jnp.float16, jnp.float32)


def test_parameters_are_created_in_the_param_dtype_whatever_dtype_is_asked():
    seen = []

    class Mixed(hk.Module):
        def __call__(self):
            init = lambda s, d: (seen.append(jnp.dtype(d)), jnp.zeros(s, d))[1]  # noqa: E731
            a = hk.get_parameter("a", [2], dtype=jnp.float16, init=init)
            b = hk.get_parameter("b", [2], dtype=jnp.int32, init=init)
            return a, b

    mp.set_policy(Mixed, LOW_PARAMS)
    try:
        f = hk.transform(lambda: Mixed()())
        params = f.init(None)
        # As dm-haiku: the creator replaces the requested dtype, ints included.
        assert seen == [jnp.bfloat16, jnp.bfloat16]
        assert dtypes(params) == {"mixed": {"a": "bfloat16", "b": "bfloat16"}}
        a, b = f.apply(params, None)
        assert (a.dtype, b.dtype) == (jnp.float32, jnp.float32)  # read as f16, output f32
    finally:
        mp.clear_policy(Mixed)


def test_state_is_read_in_compute_dtype_but_created_and_set_as_given():
    class Stateful(hk.Module):
        def __call__(self):
            s = hk.get_state("s", [2], dtype=jnp.float16, init=jnp.ones)
            hk.set_state("t", jnp.ones([2], jnp.bfloat16))
            LOG.append(("state", s.dtype))
            return s

    mp.set_policy(Stateful, HALF)
    try:
        f = hk.transform_with_state(lambda: Stateful()())
        params, state = f.init(None)
        assert dtypes(state) == {"stateful": {"s": "float16", "t": "bfloat16"}}
        out, state = f.apply(params, state, None)
        assert dtypes(state) == {"stateful": {"s": "float16", "t": "bfloat16"}}
        assert LOG[-1] == ("state", jnp.bfloat16)
        assert out.dtype == jnp.float16
    finally:
        mp.clear_policy(Stateful)


def test_only_floating_arrays_in_args_kwargs_and_outputs_are_cast():
    mp.set_policy(Recorder, HALF)
    args = (X, 1.0, np.ones([2], np.float32), jnp.ones([2], jnp.int32), "s", None)
    kwargs = {"k": {"nested": X}, "i": jnp.ones([], jnp.int32)}
    f = hk.transform(lambda: Recorder()(*args, **kwargs))
    out_args, out_kwargs = f.apply({}, None)
    assert LOG == [
        (
            "args",
            ("bfloat16", "float", "bfloat16", "int32", "str", None),
            {"k": {"nested": "bfloat16"}, "i": "int32"},
        )
    ]
    assert dtypes_or_types(out_args) == ("float16", "float", "float16", "int32", "str", None)
    assert dtypes_or_types(out_kwargs) == {"k": {"nested": "float16"}, "i": "int32"}


def test_every_method_is_cast_including_nested_calls_of_the_same_module():
    mp.set_policy(Recorder, HALF)
    f = hk.transform(lambda x: Recorder().calls_helper(x))
    out = f.apply({}, None, X)
    # The inner call's result is cast to the output dtype before the outer
    # method sees it.
    assert LOG == [("helper", jnp.bfloat16), ("helper out", jnp.float16)]
    assert out.dtype == jnp.float16


def test_init_arguments_are_cast_and_init_runs_under_the_policy():
    mp.set_policy(InitArgs, LOW_PARAMS)
    f = hk.transform(lambda x: InitArgs(x)())
    params = f.init(None, X)
    assert dtypes(params) == {"init_args": {"v": "bfloat16"}}
    assert LOG == [("init", jnp.float16, jnp.float16, LOW_PARAMS)]
    assert f.apply(params, None, X).dtype == jnp.float32


def test_the_policy_is_exact_to_the_class_subclasses_are_not_cast():
    mp.set_policy(Scale, HALF)
    f = hk.transform(lambda x: Sub()(x))
    params = f.init(None, X)
    assert dtypes(params) == {"sub": {"w": "float32"}}
    assert f.apply(params, None, X).dtype == jnp.float32
    assert LOG[-1] == ("scale", jnp.float32, jnp.float32)


def test_a_subclass_policy_applies_to_inherited_methods():
    mp.set_policy(Sub, HALF)
    f = hk.transform(lambda x: Sub()(x))
    assert f.apply(f.init(None, X), None, X).dtype == jnp.float16
    assert LOG[-1] == ("scale", jnp.bfloat16, jnp.bfloat16)


def test_policy_is_looked_up_when_the_method_runs_not_at_construction():
    def f(x):
        scale = Scale()
        mp.set_policy(Scale, HALF)
        try:
            return scale(x)
        finally:
            mp.clear_policy(Scale)

    f = hk.transform(f)
    assert f.apply(f.init(None, X), None, X).dtype == jnp.float16


# Parents and children.


def test_a_parent_policy_applies_to_the_modules_it_calls():
    mp.set_policy(Parent, HALF)
    f = hk.transform(lambda x: Parent()(x))
    params = f.init(None, X)
    assert dtypes(params) == {"parent": {"w": "float32"}, "parent/child": {"w": "float32"}}
    LOG.clear()
    out = f.apply(params, None, X)
    assert LOG == [
        ("parent", jnp.bfloat16, jnp.bfloat16, HALF),
        # The child's parameters are read under the parent's policy; it has no
        # policy of its own, so its output is not cast.
        ("child", jnp.bfloat16, jnp.bfloat16, HALF),
        ("child out", jnp.bfloat16),
    ]
    assert out.dtype == jnp.float16


def test_a_parent_policy_creates_child_parameters_in_its_param_dtype():
    mp.set_policy(Parent, LOW_PARAMS)
    params = hk.transform(lambda x: Parent()(x)).init(None, X)
    assert dtypes(params) == {"parent": {"w": "bfloat16"}, "parent/child": {"w": "bfloat16"}}


def test_the_innermost_policy_wins():
    mp.set_policy(Parent, LOW_PARAMS)
    mp.set_policy(Child, FULL)
    f = hk.transform(lambda x: Parent()(x))
    params = f.init(None, X)
    assert dtypes(params) == {"parent": {"w": "bfloat16"}, "parent/child": {"w": "float32"}}
    LOG.clear()
    out = f.apply(params, None, X)
    assert LOG == [
        ("parent", jnp.float16, jnp.float16, LOW_PARAMS),
        ("child", jnp.float32, jnp.float32, FULL),
        ("child out", jnp.float32),
    ]
    assert out.dtype == jnp.float32


def test_the_innermost_policy_reads_values_without_the_outer_compute_dtype():
    # 1 + 2**-10 + 2**-12 is exact in float32 and rounds to 1 in bfloat16: a
    # child parameter read in float32 under a bfloat16 parent must keep it.
    value = 1 + 2**-10 + 2**-12
    mp.set_policy(Parent, jmp.get_policy("params=float32,compute=bfloat16,output=float32"))
    mp.set_policy(Child, FULL)
    f = hk.transform(lambda x: Parent()(x))
    params = f.init(None, X)
    params = {**params, "parent": {"w": jnp.ones([2])}, "parent/child": {"w": jnp.full([2], value)}}
    out = f.apply(params, None, X)
    np.testing.assert_array_equal(out, np.full([2], value, np.float32))


def test_current_policy_is_none_outside_policy_modules_and_outside_transforms():
    assert mp.current_policy() is None
    mp.set_policy(Child, HALF)

    def f(x):
        assert mp.current_policy() is None
        y = Child()(x)
        assert mp.current_policy() is None
        return y

    hk.transform(f).init(None, X)
    assert LOG == [("child", jnp.bfloat16, jnp.bfloat16, HALF)]


# set / get / clear / push.


def test_set_get_clear():
    assert mp.get_policy(Scale) is None
    mp.set_policy(Scale, HALF)
    assert mp.get_policy(Scale) is HALF
    assert mp.get_policy(Sub) is None
    mp.set_policy(Scale, FULL)
    assert mp.get_policy(Scale) is FULL
    mp.clear_policy(Scale)
    assert mp.get_policy(Scale) is None
    mp.clear_policy(Scale)  # Clearing twice is fine.
    assert module.method_hook is None


def test_push_policy_restores_the_previous_policy():
    with mp.push_policy(Scale, HALF):
        assert mp.get_policy(Scale) is HALF
        with mp.push_policy(Scale, FULL):
            assert mp.get_policy(Scale) is FULL
        assert mp.get_policy(Scale) is HALF
    assert mp.get_policy(Scale) is None
    assert module.method_hook is None


def test_push_policy_restores_on_exceptions():
    mp.set_policy(Scale, HALF)
    with pytest.raises(RuntimeError):
        with mp.push_policy(Scale, FULL):
            raise RuntimeError
    assert mp.get_policy(Scale) is HALF
    with pytest.raises(RuntimeError):
        with mp.push_policy(Child, FULL):
            raise RuntimeError
    assert mp.get_policy(Child) is None


def test_push_policy_restores_even_if_the_block_cleared_the_policy():
    mp.set_policy(Scale, HALF)
    with mp.push_policy(Scale, FULL):
        mp.clear_policy(Scale)
    assert mp.get_policy(Scale) is HALF
    mp.clear_policy(Scale)
    assert module.method_hook is None


def test_push_policy_applies_inside_the_block_only():
    f = hk.transform(lambda x: Scale()(x))
    params = f.init(None, X)
    with mp.push_policy(Scale, HALF):
        assert f.apply(params, None, X).dtype == jnp.float16
    assert f.apply(params, None, X).dtype == jnp.float32


def test_an_exception_in_a_policy_module_restores_everything():
    mp.set_policy(Raiser, HALF)

    def f(x):
        frame = base.current_frame()
        with pytest.raises(RuntimeError, match="boom"):
            Raiser()(x)
        assert mp.current_policy() is None
        assert frame.creators == [] and frame.getters == []
        return Scale()(x)

    f = hk.transform(f)
    params = f.init(None, X)
    assert dtypes(params)["scale"] == {"w": "float32"}
    assert f.apply(params, None, X).dtype == jnp.float32


# Interplay with creators, getters and interceptors.


def test_outer_creators_and_getters_see_requested_dtype_and_stored_value():
    def creator(next_creator, shape, dtype, init, context):
        LOG.append(("creator", jnp.dtype(dtype)))
        return next_creator(shape, dtype, init)

    def getter(next_getter, value, context):
        LOG.append(("getter in", value.dtype))
        value = next_getter(value)
        LOG.append(("getter out", value.dtype))
        return value

    def f(x):
        with hk.custom_creator(creator), hk.custom_getter(getter):
            return Scale()(x)

    mp.set_policy(Scale, LOW_PARAMS)
    params = hk.transform(f).init(None, X)
    assert dtypes(params) == {"scale": {"w": "bfloat16"}}
    assert LOG[:3] == [
        ("creator", jnp.float32),
        ("getter in", jnp.bfloat16),
        ("getter out", jnp.float16),
    ]


def test_interceptors_see_cast_arguments_and_uncast_outputs():
    def interceptor(next_fun, args, kwargs, context):
        LOG.append((context.method_name, [a.dtype for a in args], mp.current_policy()))
        out = next_fun(*args, **kwargs)
        LOG.append(("out", getattr(out, "dtype", None)))
        return out

    def f(x):
        with hk.intercept_methods(interceptor):
            return Scale()(x)

    mp.set_policy(Scale, HALF)
    f = hk.transform(f)
    params = f.init(None, X)
    LOG.clear()
    out = f.apply(params, None, X)
    assert out.dtype == jnp.float16
    assert [e for e in LOG if e[0] != "scale"] == [
        ("__init__", [], HALF),
        ("out", None),
        ("__call__", [jnp.bfloat16], HALF),
        ("out", jnp.bfloat16),
    ]


def test_do_not_store_parameters_supplied_by_an_outer_getter():
    def creator(next_creator, shape, dtype, init, context):
        return hk.DO_NOT_STORE

    def getter(next_getter, value, context):
        if value is hk.DO_NOT_STORE:
            return jnp.full(context.original_shape, 2.0, context.original_dtype)
        return next_getter(value)

    def f(x):
        with hk.custom_creator(creator), hk.custom_getter(getter):
            return Scale()(x)

    mp.set_policy(Scale, HALF)
    f = hk.transform(f)
    params = f.init(None, X)
    assert params == {}
    out = f.apply(params, None, X)
    assert out.dtype == jnp.float16
    np.testing.assert_allclose(out, [2.0, 2.0])


# JAX transforms.


def test_under_jit():
    mp.set_policy(Scale, HALF)
    f = hk.transform(lambda x: Scale()(x))
    params = jax.jit(f.init)(None, X)
    assert dtypes(params) == {"scale": {"w": "float32"}}
    out = jax.jit(f.apply)(params, None, X)
    assert out.dtype == jnp.float16
    np.testing.assert_allclose(out, [1.0, 1.0])


def test_jaxpr_holds_the_casts_only_when_a_policy_is_set():
    f = hk.transform(lambda x: Scale()(x))
    params = f.init(None, X)

    def converts(jaxpr):
        return sum(e.primitive.name == "convert_element_type" for e in jaxpr.jaxpr.eqns)

    # A fresh function each time: JAX caches traces per function, and a
    # policy is Python-side state it cannot see.
    assert converts(jax.make_jaxpr(lambda *a: f.apply(*a))(params, None, X)) == 0
    with mp.push_policy(Scale, HALF):
        # x and w to bfloat16, the product to float16.
        assert converts(jax.make_jaxpr(lambda *a: f.apply(*a))(params, None, X)) == 3


def test_under_hk_vmap_and_grad():
    mp.set_policy(Scale, HALF)

    def loss(x):
        return jnp.sum(hk.vmap(Scale(), split_rng=False)(x).astype(jnp.float32))

    f = hk.transform(lambda x: loss(x))
    xs = jnp.ones([3, 2])
    params = f.init(None, xs)
    assert dtypes(params) == {"scale": {"w": "float32"}}
    grads = jax.grad(f.apply)(params, None, xs)
    # Gradients flow back through the casts to the float32 parameters.
    assert dtypes(grads) == {"scale": {"w": "float32"}}
    np.testing.assert_allclose(grads["scale"]["w"], [3.0, 3.0])


# Threads.


def test_a_policy_set_in_one_thread_does_not_apply_in_another():
    mp.set_policy(Scale, HALF)
    f = hk.transform(lambda x: Scale()(x))
    params = f.init(None, X)

    def other():
        return mp.get_policy(Scale), f.apply(params, None, X).dtype

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        policy, dtype = pool.submit(other).result(TIMEOUT)
    assert policy is None
    assert dtype == jnp.float32
    assert f.apply(params, None, X).dtype == jnp.float16


def test_a_policy_set_in_a_thread_stays_in_that_thread():
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    f = hk.transform(lambda x: Scale()(x))
    params = f.init(None, X)

    def worker(policy):
        mp.set_policy(Scale, policy)
        try:
            barrier.wait()  # Both threads have set their own policy.
            results = [f.apply(params, None, X).dtype for _ in range(5)]
            barrier.wait()
            return mp.get_policy(Scale), results
        finally:
            mp.clear_policy(Scale)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        a = pool.submit(worker, HALF)
        b = pool.submit(worker, LOW_PARAMS)
        (pa, ra), (pb, rb) = a.result(TIMEOUT), b.result(TIMEOUT)
    assert (pa, ra) == (HALF, [jnp.float16] * 5)
    assert (pb, rb) == (LOW_PARAMS, [jnp.float32] * 5)
    assert mp.get_policy(Scale) is None
    assert f.apply(params, None, X).dtype == jnp.float32
