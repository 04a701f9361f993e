"""Misuse: each error has the right type and says what is wrong, and leaves
nothing behind (no frame, no interceptor), so the next transform works.

Messages are matched on the parts dm-haiku 0.0.17 also has.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import haiku as hk
from haiku._src import base, interception


class Leaf(hk.Module):
    def __call__(self, x=0.0):
        return x + hk.get_parameter("w", [], init=jnp.ones)


def assert_clean_and_working():
    """No frame or interceptor is left, and a fresh transform works normally."""
    assert base._FRAMES.get() == ()
    assert interception.interceptors.get() == ()

    def fn(x):
        a = Leaf()
        with hk.name_scope("scope"):
            b = Leaf()
        return a(x) + b(x) + jax.random.uniform(hk.next_rng_key(), ())

    f = hk.transform(fn)
    params = f.init(jax.random.PRNGKey(0), 1.0)
    # Numbering starts afresh: nothing from a failed transform leaks.
    assert list(params) == ["leaf", "scope/leaf"]
    out = f.apply(params, jax.random.PRNGKey(1), 1.0)
    expected = 4.0 + jax.random.uniform(jax.random.split(jax.random.PRNGKey(1))[1], ())
    np.testing.assert_allclose(out, expected)
    assert base._FRAMES.get() == ()


@pytest.fixture(autouse=True)
def _check_after_each_test():
    yield
    assert_clean_and_working()


# Outside a transform.


@pytest.mark.parametrize(
    "name, call",
    [
        ("hk.get_parameter", lambda: hk.get_parameter("w", [], init=jnp.ones)),
        ("hk.get_state", lambda: hk.get_state("s", [], init=jnp.ones)),
        ("hk.set_state", lambda: hk.set_state("s", 1.0)),
        ("hk.next_rng_key", hk.next_rng_key),
        ("hk.current_name", hk.current_name),
        ("hk.running_init", hk.running_init),
        ("hk.get_params", hk.get_params),
        ("hk.name_scope", lambda: hk.name_scope("x").__enter__()),
        ("hk.custom_getter", lambda: hk.custom_getter(None).__enter__()),
    ],
)
def test_runtime_functions_outside_a_transform(name, call):
    with pytest.raises(ValueError, match=f"`{name}` must be used as part of an `hk.transform`"):
        call()


def test_module_constructed_outside_a_transform():
    with pytest.raises(ValueError, match="All `hk.Module`s must be initialized inside an `hk.transform`"):
        Leaf()


# Parameters.


def test_parameter_requested_twice_with_different_shapes():
    def f():
        hk.get_parameter("w", [2], init=jnp.ones)
        hk.get_parameter("w", [3], init=jnp.ones)

    with pytest.raises(ValueError, match=r"'~/w' with retrieved shape \(2,\) does not match shape=\[3\]"):
        hk.transform(f).init(None)


@pytest.mark.parametrize(
    "shape, error",
    [([2, -1], TypeError), ([2, 2.5], TypeError), ((np.int64(-2),), TypeError), ([True], TypeError)],
)
@pytest.mark.parametrize("getter", ["get_parameter", "get_state"])
def test_negative_or_non_integer_sizes_are_refused_naming_the_value(getter, shape, error):
    def fn():
        with hk.name_scope("block"):
            if getter == "get_parameter":
                return hk.get_parameter("w", shape, init=jnp.zeros)
            return hk.get_state("w", shape, init=jnp.zeros)

    with pytest.raises(error, match=rf"hk\.{getter}: 'block/w' was requested with shape "
                                    r"\[.*\]; every size must be a non-negative integer"):
        hk.transform_with_state(fn).init(None)
    assert_clean_and_working()


def test_zero_and_numpy_integer_sizes_are_fine():
    f = hk.transform(lambda: hk.get_parameter("w", [0, np.int32(2)], init=jnp.zeros))
    assert f.init(None)["~"]["w"].shape == (0, 2)


def test_parameter_with_wrong_shape_in_apply():
    f = hk.transform(lambda: Leaf()())
    with pytest.raises(ValueError, match=r"'leaf/w' with retrieved shape \(2,\) does not match shape=\[\]"):
        f.apply({"leaf": {"w": jnp.ones([2])}}, None)


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"leaf": {"w": jnp.ones([])}}, id="missing_module"),
        pytest.param({"leaf": {"w": jnp.ones([])}, "leaf_1": {}}, id="missing_key"),
        pytest.param({"leaf": {"w": jnp.ones([])}, "leaf_1": {"v": jnp.ones([])}}, id="other_key"),
    ],
)
def test_apply_with_params_missing_a_key(params):
    f = hk.transform(lambda: Leaf()() + Leaf()())
    with pytest.raises(
        ValueError,
        match=r"Unable to retrieve parameter 'w' for module 'leaf_1'(?i:.*all parameters must be "
        r"created as part of `init`)",
    ):
        f.apply(params, None)


def test_new_parameter_without_initializer():
    with pytest.raises(ValueError, match="Initializer must be specified"):
        hk.transform(lambda: hk.get_parameter("w", [])).init(None)


# Random numbers.


@pytest.mark.parametrize("phase", ["init", "apply"])
def test_next_rng_key_without_a_key(phase):
    class Noisy(hk.Module):
        def __call__(self):
            return Leaf()() + jax.random.uniform(hk.next_rng_key(), ())

    f = hk.transform(lambda: Noisy()())
    with pytest.raises(ValueError, match="You must pass a non-None PRNGKey to init and/or apply") as info:
        if phase == "init":
            f.init(None)
        else:
            f.apply({"noisy/leaf": {"w": jnp.ones([])}}, None)
    assert type(info.value).__name__ == "MissingRNGError"


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(jnp.ones([3]), id="float_vector"),
        pytest.param(jnp.ones([2]), id="float_pair"),
        pytest.param("abc", id="str"),
        pytest.param(jnp.ones([2, 2], jnp.uint32), id="key_batch"),
    ],
)
def test_init_called_with_an_array_instead_of_an_rng(bad):
    f = hk.transform(lambda x: Leaf()(x))
    with pytest.raises(
        ValueError,
        match=r"Init must be called with an RNG as the first argument, the required signature "
        r"is: `init\(rng, \*a, \*\*k\)`. The object was of type",
    ):
        f.init(bad, 1.0)


def test_apply_called_with_an_array_instead_of_an_rng():
    f = hk.transform(lambda x: Leaf()(x))
    params = f.init(None, 1.0)
    with pytest.raises(ValueError, match="Apply must be called with an RNG as the second argument"):
        f.apply(params, jnp.ones([3]), 1.0)


# Modules.


def test_module_init_without_super_init():
    class NoSuper(hk.Module):
        def __init__(self):
            self.x = 1

        def __call__(self):
            return 1

    with pytest.raises(
        ValueError,
        match="Constructing an hk.Module without calling the super constructor is not supported",
    ):
        hk.transform(lambda: NoSuper()()).init(None)


@pytest.mark.parametrize("what", ["parameter", "state", "submodule"])
def test_created_before_super_init(what):
    class Early(hk.Module):
        def __init__(self):
            if what == "parameter":
                hk.get_parameter("w", [], init=jnp.ones)
            elif what == "state":
                hk.get_state("s", [], init=jnp.ones)
            else:
                Leaf()
            super().__init__()

    with pytest.raises(
        ValueError,
        match="(?i)the super constructor must be called before you create parameters or submodules",
    ):
        hk.transform_with_state(lambda: Early()).init(None)


def test_module_names_not_unique():
    def f():
        Leaf(name="leaf_1")
        Leaf(name="leaf_1")

    with pytest.raises(ValueError, match="Module name 'leaf_1' is not unique."):
        hk.transform(f).init(None)


def test_invalid_module_name():
    with pytest.raises(ValueError, match="'a-b' is not a valid module name"):
        hk.transform(lambda: Leaf(name="a-b")).init(None)


# Arguments of init and apply.


@pytest.mark.parametrize("bad", [[1, 2], jnp.ones(3), 3.0])
def test_apply_with_non_mapping_params(bad):
    f = hk.transform(lambda: Leaf()())
    with pytest.raises(
        TypeError,
        match="params argument does not appear valid. It should be a mapping but is of type",
    ):
        f.apply(bad, None)


def test_apply_with_non_mapping_state():
    f = hk.transform_with_state(lambda: Leaf()())
    params, _ = f.init(None)
    with pytest.raises(
        TypeError,
        match=r"state argument does not appear valid. It should be a mapping but is of type <class 'list'>",
    ):
        f.apply(params, [1], None)


def test_transform_with_apply_rng_false():
    with pytest.raises(
        ValueError,
        match=r"(?s)The apply_rng argument has been removed.*hk.without_apply_rng\(hk.transform\(...\)\)",
    ):
        hk.transform(lambda: None, apply_rng=False)


def test_transform_of_a_non_callable():
    with pytest.raises(TypeError):
        hk.transform(3)
    with pytest.raises(TypeError):
        hk.transform(hk.transform(lambda: None))


# State.


@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda: hk.set_state("s", 1.0), id="set_state"),
        pytest.param(lambda: hk.get_state("s", [], init=jnp.zeros), id="get_state"),
    ],
)
@pytest.mark.parametrize("phase", ["init", "apply"])
def test_state_used_under_transform(fn, phase):
    f = hk.transform(fn)
    with pytest.raises(ValueError, match="hk.transform_with_state") as info:
        if phase == "init":
            f.init(None)
        else:
            f.apply({}, None)
    assert type(info.value).__name__ == "NonEmptyStateError"


def test_state_without_init_or_shape():
    with pytest.raises(ValueError, match=r"(?i)no value for .*'(~/)?s'"):
        hk.transform_with_state(lambda: hk.get_state("s")).init(None)
    with pytest.raises(ValueError, match=r"(?i)shape.*'(~/)?s'"):
        hk.transform_with_state(lambda: hk.get_state("s", init=jnp.zeros)).init(None)


# Exceptions from user code.


class Boom(Exception):
    pass


class Deep(hk.Module):
    def __init__(self, depth, name=None):
        super().__init__(name=name)
        self.depth = depth

    def __call__(self, x):
        if self.depth == 0:
            raise Boom(hk.current_name())
        with hk.name_scope("scope"), hk.with_rng(jax.random.PRNGKey(0)):
            with hk.custom_getter(lambda next_getter, value, context: next_getter(value)):
                return Deep(self.depth - 1)(x)


@pytest.mark.parametrize("phase", ["init", "apply"])
def test_exception_raised_deep_inside_nested_modules(phase):
    def interceptor(next_fun, args, kwargs, context):
        return next_fun(*args, **kwargs)

    def fn(x):
        with hk.intercept_methods(interceptor):
            return Deep(3)(x)

    f = hk.transform(fn)
    with pytest.raises(Boom) as info:
        if phase == "init":
            f.init(None, 1.0)
        else:
            f.apply({}, None, 1.0)
    if phase == "init":
        assert str(info.value) == "deep/scope/deep/scope/deep/scope/deep"
    # The error is raised as is, not wrapped.
    assert type(info.value) is Boom


def test_exception_in_module_init():
    class Broken(hk.Module):
        def __init__(self):
            super().__init__()
            Leaf()
            raise Boom("init")

    with pytest.raises(Boom, match="init"):
        hk.transform(lambda: Broken()).init(None)


def test_error_in_one_transform_does_not_affect_an_enclosing_one():
    inner = hk.transform(lambda: hk.get_parameter("w", [2], init=jnp.ones) + Leaf()(jnp.ones([3])))

    def outer():
        before = hk.current_name()
        with hk.name_scope("outer_scope"):
            try:
                inner.apply({}, None)
            except ValueError:
                pass
            inside = hk.current_name()
            hk.get_parameter("v", [], init=jnp.zeros)
        return before, inside

    out = []
    params = hk.transform(lambda: out.append(outer())).init(None)
    assert out == [("~", "outer_scope")]
    assert list(params) == ["outer_scope"]
