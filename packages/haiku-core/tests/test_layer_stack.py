"""hk.layer_stack and hk.LayerStackTransparencyMapping.

Names, key scheme and edge cases were observed on dm-haiku 0.0.17; the
numbers are pinned by test_lift_oracle.py.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import haiku as hk
from haiku._src import base
from haiku._src.transform import NonEmptyStateError


@pytest.fixture(autouse=True)
def _no_frame_left_behind():
    yield
    assert base._FRAMES.get() == ()


def shapes(tree):
    return jax.tree_util.tree_map(jnp.shape, tree)


class Dense(hk.Module):
    def __call__(self, x):
        w = hk.get_parameter("w", [x.shape[-1], x.shape[-1]], init=hk.initializers.RandomNormal())
        b = hk.get_parameter("b", [x.shape[-1]], init=hk.initializers.RandomNormal())
        return x @ w + b


def residual(x):
    return x + jnp.tanh(Dense()(x))


X = jnp.linspace(-1.0, 1.0, 6).reshape(2, 3)
KEY = jax.random.PRNGKey(0)


def stacked(n=4, **kwargs):
    return hk.transform(lambda x, **k: hk.layer_stack(n, **kwargs)(residual)(x, **k))


def loop_with(params, x, n, reverse=False):
    """A Python loop over the layers, applying layer ``i`` with slice ``i``."""
    layer = hk.transform(residual)
    inner = {"dense": {k: v for k, v in params["__layer_stack_no_per_layer/dense"].items()}}
    for i in reversed(range(n)) if reverse else range(n):
        x = layer.apply(jax.tree_util.tree_map(lambda v: v[i], inner), None, x)
    return x


# Semantics.


def test_params_are_stacked_and_never_shared():
    f = stacked()
    params = jax.jit(f.init)(KEY, X)
    assert shapes(params) == {"__layer_stack_no_per_layer/dense": {"b": (4, 3), "w": (4, 3, 3)}}
    w = np.asarray(params["__layer_stack_no_per_layer/dense"]["w"])
    assert len({w[i].tobytes() for i in range(4)}) == 4


@pytest.mark.parametrize("reverse", [False, True])
def test_apply_equals_a_python_loop(reverse):
    f = stacked()
    params = f.init(KEY, X)
    out = f.apply(params, None, X, reverse=reverse)
    np.testing.assert_allclose(out, loop_with(params, X, 4, reverse), rtol=1e-6)
    np.testing.assert_allclose(jax.jit(f.apply, static_argnames="reverse")(
        params, None, X, reverse=reverse), out, rtol=1e-6)  # fmt: skip


def test_init_output_is_the_apply_output():
    f = hk.transform_with_state(lambda x: hk.set_state("out", hk.layer_stack(3)(residual)(x)))
    params, state = f.init(KEY, X)
    applied = hk.transform(lambda x: hk.layer_stack(3)(residual)(x)).apply(params, None, X)
    np.testing.assert_array_equal(state["~"]["out"], applied)


def test_unroll_gives_the_same_result():
    params = jax.jit(stacked(5).init)(KEY, X)
    unrolled = stacked(5, unroll=2)
    np.testing.assert_array_equal(jax.jit(unrolled.init)(KEY, X)["__layer_stack_no_per_layer/dense"]["w"],
                                  params["__layer_stack_no_per_layer/dense"]["w"])  # fmt: skip
    np.testing.assert_allclose(unrolled.apply(params, None, X), stacked(5).apply(params, None, X))


def test_several_carried_arguments():
    def layer(x, count):
        return residual(x), count + 1

    f = hk.transform(lambda x: hk.layer_stack(3)(layer)(x, 0))
    params = f.init(KEY, X)
    out, count = f.apply(params, None, X)
    assert count == 3 and out.shape == X.shape


def test_a_single_pytree_argument_is_carried_whole():
    f = hk.transform(lambda x: hk.layer_stack(2)(lambda t: {"a": t["a"] + 1, "b": t["b"]})(x))
    assert f.apply({}, None, {"a": 1.0, "b": 2.0}) == {"a": 3.0, "b": 2.0}


def test_per_layer_inputs_and_outputs():
    def layer(x, y, z):
        return x + y, {"z": z * 2, "x": x}

    f = hk.transform(lambda *a, **k: hk.layer_stack(3, with_per_layer_inputs=True)(layer)(*a, **k))
    x, outs = f.apply({}, None, 0.0, jnp.arange(3.0), jnp.ones([3, 2]))
    assert x == 3.0
    np.testing.assert_array_equal(outs["x"], [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(outs["z"], jnp.full([3, 2], 2.0))
    x, outs = f.apply({}, None, 0.0, jnp.arange(3.0), jnp.ones([3, 2]), reverse=True)
    np.testing.assert_array_equal(outs["x"], [3.0, 2.0, 0.0])


def test_pass_reverse_to_layer_fn():
    seen = []

    def layer(x, reverse=None):
        seen.append(reverse)
        return x

    def f(x, reverse):
        return hk.layer_stack(2, pass_reverse_to_layer_fn=True)(layer)(x, reverse=reverse)

    f = hk.transform(f)
    params = f.init(None, 1.0, True)
    # init: the layers are created forwards (init and apply), then run.
    assert seen == [False, False, True]
    del seen[:]
    f.apply(params, None, 1.0, True)
    assert seen == [True]


def test_zero_layers_is_the_identity():
    f = stacked(0)
    params = f.init(KEY, X)
    assert shapes(params) == {"__layer_stack_no_per_layer/dense": {"b": (0, 3), "w": (0, 3, 3)}}
    np.testing.assert_array_equal(f.apply(params, None, X), X)


def test_the_layer_is_traced_once_per_scan():
    calls = []

    def layer(x):
        calls.append(1)
        return residual(x)

    f = hk.transform(lambda x: hk.layer_stack(16)(layer)(x))
    params = f.init(KEY, X)
    assert len(calls) == 3  # init scan: init + apply; then the apply scan.
    del calls[:]
    jax.jit(f.apply)(params, None, X)
    assert len(calls) == 1


def test_the_program_does_not_grow_with_the_number_of_layers():
    def program_size(n):
        f = stacked(n)
        params = jax.eval_shape(f.init, KEY, X)
        return len(jax.jit(f.apply).lower(params, None, X).as_text())

    # Only the numbers in the shapes differ.
    assert abs(program_size(2) - program_size(32)) < 50


def test_gradients():
    f = stacked(3)
    params = f.init(KEY, X)
    grads = jax.grad(lambda p: f.apply(p, None, X).sum())(params)
    assert shapes(grads) == shapes(params)
    assert all(jnp.all(jnp.isfinite(g)) for g in jax.tree_util.tree_leaves(grads))


# Names.


def test_default_names_and_numbering():
    def f(x, ys):
        x = hk.layer_stack(2)(residual)(x)
        x = hk.layer_stack(2)(residual)(x)
        x, _ = hk.layer_stack(3, with_per_layer_inputs=True)(lambda x, y: (residual(x), y))(x, ys)
        return hk.layer_stack(2, name="named")(residual)(x)

    class Net(hk.Module):
        def __call__(self, x, ys):
            return f(x, ys)

    params = jax.eval_shape(hk.transform(lambda x, ys: Net()(x, ys)).init, KEY, X, jnp.zeros(3))
    assert list(params) == [
        "net/__layer_stack_no_per_layer/dense",
        "net/__layer_stack_no_per_layer_1/dense",
        "net/__layer_stack_with_per_layer/dense",
        "net/named/dense",
    ]


def test_nested_layer_stacks():
    inner = hk.layer_stack(2, name="inner")(residual)
    f = hk.transform(lambda x: hk.layer_stack(3, name="outer")(inner)(x))
    params = jax.jit(f.init)(KEY, X)
    assert shapes(params) == {"outer/inner/dense": {"b": (3, 2, 3), "w": (3, 2, 3, 3)}}
    assert f.apply(params, None, X).shape == X.shape


class Numbered(hk.LayerStackTransparencyMapping):
    def stacked_to_flat(self, stacked_module_name, scan_idx):
        return stacked_module_name if scan_idx == 0 else f"{stacked_module_name}_{scan_idx}"

    def flat_to_stacked(self, unstacked_module_name):
        name, _, idx = unstacked_module_name.rpartition("_")
        if name == "dense" and idx.isdigit():
            return name, int(idx)
        return ("dense", 0) if unstacked_module_name == "dense" else None


class Model(hk.Module):
    def __init__(self, transparent, name="model"):
        super().__init__(name=name)
        self.transparent = transparent

    def __call__(self, x):
        x = jnp.tanh(Dense(name="first")(x))
        if self.transparent:
            stack = hk.layer_stack(3, transparent=True, transparency_map=Numbered(), name="ignored")
            return stack(residual)(x)
        for _ in range(3):
            x = residual(x)
        return x


def test_transparent_names_are_those_of_a_python_loop():
    stack = hk.transform(lambda x: Model(True)(x))
    loop = hk.transform(lambda x: Model(False)(x))
    params = stack.init(KEY, X)
    assert shapes(params) == shapes(loop.init(KEY, X))
    assert list(params) == ["model/first", "model/dense", "model/dense_1", "model/dense_2"]
    np.testing.assert_allclose(stack.apply(params, None, X), loop.apply(params, None, X), rtol=1e-6)
    np.testing.assert_allclose(jax.jit(stack.apply)(params, None, X),
                               stack.apply(params, None, X), rtol=1e-6)  # fmt: skip


def test_transparent_values_equal_the_stacked_ones():
    flat = hk.transform(
        lambda x: hk.layer_stack(3, transparent=True, transparency_map=Numbered())(residual)(x)
    ).init(KEY, X)
    stacked_params = stacked(3).init(KEY, X)["__layer_stack_no_per_layer/dense"]
    for i, name in enumerate(["dense", "dense_1", "dense_2"]):
        for k in ("w", "b"):
            np.testing.assert_array_equal(flat[name][k], stacked_params[k][i])


def test_transparent_needs_a_map():
    with pytest.raises(
        ValueError, match="transparency_map must be provided with transparent=True."
    ):
        hk.layer_stack(2, transparent=True)


def test_a_map_that_claims_other_modules_fails_clearly():
    class Greedy(Numbered):
        def flat_to_stacked(self, unstacked_module_name):
            return super().flat_to_stacked(unstacked_module_name) or (unstacked_module_name, 0)

    def f(x):
        x = Dense(name="other")(x)
        return hk.layer_stack(2, transparent=True, transparency_map=Greedy())(residual)(x)

    f = hk.transform(f)
    params = f.init(KEY, X)  # In init only the lifted values are mapped back.
    with pytest.raises(ValueError, match="must return None for modules that are not part"):
        f.apply(params, None, X)


def test_mapping_methods_must_be_implemented():
    class Lazy(hk.LayerStackTransparencyMapping):
        pass

    with pytest.raises(NotImplementedError, match="Lazy must implement stacked_to_flat"):
        Lazy().stacked_to_flat("x", 0)


# Random numbers.


def test_layers_get_distinct_keys_and_none_without_rng():
    def layer(x, _):
        key = hk.maybe_next_rng_key()
        return x, jnp.zeros([2], jnp.uint32) if key is None else jax.random.key_data(key)

    stack = hk.layer_stack(3, with_per_layer_inputs=True)(layer)
    f = hk.transform(lambda x, ys, reverse=False: stack(x, ys, reverse=reverse))
    ys = jnp.zeros([3])
    _, keys = f.apply({}, KEY, 0.0, ys)
    assert len({tuple(np.asarray(k)) for k in keys}) == 3
    _, reverse_keys = f.apply({}, KEY, 0.0, ys, reverse=True)
    np.testing.assert_array_equal(keys, reverse_keys)  # Keys follow the layer, not the order.
    _, none_keys = f.apply({}, None, 0.0, ys)
    np.testing.assert_array_equal(none_keys, jnp.zeros([3, 2], jnp.uint32))


def test_two_outer_keys_are_drawn_per_call():
    def f():
        hk.layer_stack(2)(lambda x: x)(0.0)
        return hk.next_rng_key()

    seq = hk.PRNGSequence(KEY)
    expected = [next(seq) for _ in range(3)][-1]
    np.testing.assert_array_equal(hk.transform(f).apply({}, KEY), expected)


# State.


def test_layers_may_use_state():
    def layer(x):
        n = hk.get_state("n", [], init=jnp.zeros)
        hk.set_state("n", n + 1)
        return x + n

    f = hk.transform_with_state(lambda x: hk.layer_stack(3)(layer)(x))
    params, state = f.init(None, 0.0)
    # As dm-haiku: the initial state is the state after the first forward pass
    # of the init scan.
    assert shapes(state) == {"__layer_stack_no_per_layer/~": {"n": (3,)}}
    np.testing.assert_array_equal(state["__layer_stack_no_per_layer/~"]["n"], [1.0, 1.0, 1.0])
    out, state = f.apply(params, state, None, 0.0)
    assert out == 3.0
    np.testing.assert_array_equal(state["__layer_stack_no_per_layer/~"]["n"], [2.0, 2.0, 2.0])
    out, state = jax.jit(f.apply)(params, state, None, 0.0)
    assert out == 6.0


def test_transparent_state():
    def layer(x):
        n = hk.get_state("n", [], init=jnp.zeros)
        hk.set_state("n", n + 1)
        return residual(x)

    class AllNumbered(Numbered):
        def flat_to_stacked(self, unstacked_module_name):
            if unstacked_module_name in ("~", "~_1"):
                return "~", 0 if unstacked_module_name == "~" else 1
            return super().flat_to_stacked(unstacked_module_name)

    f = hk.transform_with_state(
        lambda x: hk.layer_stack(2, transparent=True, transparency_map=AllNumbered())(layer)(x)
    )
    params, state = f.init(KEY, X)
    assert state == {"~": {"n": 1.0}, "~_1": {"n": 1.0}}
    _, state = f.apply(params, state, None, X)
    assert state == {"~": {"n": 2.0}, "~_1": {"n": 2.0}}


def test_state_in_a_stateless_transform():
    def layer(x):
        hk.set_state("n", x)
        return x

    with pytest.raises(NonEmptyStateError):
        hk.transform(lambda x: hk.layer_stack(2)(layer)(x)).init(None, 0.0)


# Misuse.


def test_varargs_are_rejected_when_decorating():
    with pytest.raises(
        ValueError,
        match=r"The function `f` should not have any `varargs` .*\(here `layer` takes \*args",
    ):

        @hk.layer_stack(2)
        def layer(*xs):
            return xs


def test_keyword_arguments_are_rejected():
    f = hk.transform(lambda x: hk.layer_stack(2)(lambda x: x)(x, foo=1))
    with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
        f.apply({}, None, 0.0)


def test_per_layer_inputs_of_the_wrong_length():
    f = hk.transform(
        lambda x, y: hk.layer_stack(3, with_per_layer_inputs=True)(lambda x, y: (x, y))(x, y)
    )
    # dm-haiku asserts the sizes: AssertionError, its message starts "4 != 3".
    with pytest.raises(
        AssertionError, match=r"^4 != 3: .*leading axis of size 3, got one of shape \(4,\)"
    ):
        f.apply({}, None, 0.0, jnp.zeros(4))
    with pytest.raises(AssertionError, match=r"shape \(\)"):
        f.apply({}, None, 0.0, 1.0)


def test_per_layer_functions_must_return_a_pair():
    f = hk.transform(
        lambda x, y: hk.layer_stack(2, with_per_layer_inputs=True)(lambda x, y: x)(x, y)
    )
    with pytest.raises(TypeError, match=r"must return a pair `\(carry, per_layer_output\)`"):
        f.apply({}, None, 0.0, jnp.zeros(2))


def test_no_arguments():
    with pytest.raises(TypeError, match="at least one positional argument"):
        hk.transform(lambda: hk.layer_stack(2)(lambda: ())()).apply({}, None)


def test_negative_number_of_layers():
    with pytest.raises(ValueError, match="num_layers must be non-negative, got -1"):
        hk.layer_stack(-1)


def test_outside_a_transform():
    with pytest.raises(
        ValueError, match=r"`hk.layer_stack` must be used as part of an `hk.transform`"
    ):
        hk.layer_stack(2)(lambda x: x)(1.0)


def test_the_wrapped_function_keeps_its_name_and_doc():
    def layer(x):
        """Doc."""
        return x

    wrapped = hk.layer_stack(2)(layer)
    assert wrapped.__name__ == "layer" and wrapped.__doc__ == "Doc."


def test_experimental_names_are_the_same_objects():
    assert hk.experimental.layer_stack is hk.layer_stack
    assert hk.experimental.LayerStackTransparencyMapping is hk.LayerStackTransparencyMapping
