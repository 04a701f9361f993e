"""hk.cond, switch, scan, map, fori_loop, while_loop, grad, value_and_grad, vmap, remat, eval_shape.

Each wrapper at init and at apply, with and without ``jax.jit``, with state
set inside the wrapped function, random keys drawn inside (they must be the
keys the enclosing sequence would have given, and the sequence must move on
by exactly what was drawn), nested in each other, and the documented failure
modes. Only haiku-core: the modules are small hand-written ones.

(``test_stateful_oracle_parity.py`` checks the same wrappers against
dm-haiku bit for bit.)
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import haiku as hk
from haiku._src import base

KEY = jax.random.PRNGKey(3)


@pytest.fixture(autouse=True)
def _no_frame_left_behind():
    yield
    assert base._FRAMES.get() == ()


class Counter(hk.Module):
    """``tanh(x * w + b)``; counts its calls and sums its outputs in its state."""

    def __call__(self, x):
        w = hk.get_parameter("w", [x.shape[-1]], init=hk.initializers.RandomNormal())
        b = hk.get_parameter("b", [x.shape[-1]], init=jnp.zeros)
        y = jnp.tanh(x * w + b)
        hk.set_state("count", hk.get_state("count", [], jnp.int32, init=jnp.zeros) + 1)
        hk.set_state("total", hk.get_state("total", [], init=jnp.zeros) + jnp.sum(y))
        return y


def keys_of(key, n):
    """The first ``n`` keys of a transform's sequence seeded with ``key``."""
    seq = hk.PRNGSequence(key)
    return jnp.stack([next(seq) for _ in range(n)])


def assert_trees_equal(a, b):
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def assert_trees_close(a, b):
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-6, atol=1e-6)


def init_and_apply(f, *args, jit=True, key=KEY):
    """``(params, state, out, new_state)`` of ``f``: ``init`` then ``apply``.

    With ``jit`` both run in one ``jax.jit`` (one compilation is much cheaper
    than running every operation eagerly); otherwise eagerly.
    """
    t = hk.transform_with_state(f)

    def run(key, *args):
        params, state = t.init(key, *args)
        out, new_state = t.apply(params, state, key, *args)
        return params, state, out, new_state

    return jax.jit(run)(key, *args) if jit else run(key, *args)


XS = jnp.linspace(-1.0, 1.0, 12).reshape(4, 3)


# scan and map.


def _scan_model(xs, reverse=False):
    counter = Counter()
    return hk.scan(lambda c, x: (counter(c + x), c), jnp.zeros([3]), xs, reverse=reverse)


def _loop_model(xs, reverse=False):
    counter = Counter()
    c, ys = jnp.zeros([3]), []
    order = range(len(xs) - 1, -1, -1) if reverse else range(len(xs))
    for i in order:
        c, y = counter(c + xs[i]), c
        ys.append(y)
    return c, jnp.stack(ys[::-1] if reverse else ys)


@functools.lru_cache
def _loop_reference(reverse):
    return init_and_apply(lambda xs: _loop_model(xs, reverse), XS)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("jit", [False, True])
def test_scan_matches_a_python_loop(jit, reverse):
    got = init_and_apply(lambda xs: _scan_model(xs, reverse), XS, jit=jit)
    want = _loop_reference(reverse)
    assert_trees_close(got, want)
    params, state, out, new_state = got
    assert list(params) == ["counter"]
    if not jit:  # (jax.jit returns dicts in sorted order)
        assert list(params["counter"]) == ["w", "b"]
    assert state["counter"]["count"] == 0  # init returns the initial state
    assert new_state["counter"]["count"] == 4  # one per step


def test_scan_xs_none_with_length_and_unroll():
    def f(x):
        counter = Counter()
        return hk.scan(lambda c, _: (counter(c), c), x, None, length=3, unroll=2)

    def loop(x):
        counter = Counter()
        ys = []
        for _ in range(3):
            x, y = counter(x), x
            ys.append(y)
        return x, jnp.stack(ys)

    assert_trees_close(init_and_apply(f, XS[0]), init_and_apply(loop, XS[0]))
    with pytest.raises(ValueError):  # as jax.lax.scan: no xs and no length
        hk.transform(lambda: hk.scan(lambda c, x: (c, x), 0.0, None)).init(KEY)


def test_scan_of_length_one_and_zero():
    def f(xs):
        return hk.scan(lambda c, x: (c + x * hk.get_parameter("w", [], init=jnp.ones), c), 0.0, xs)

    t = hk.transform(f)
    params = t.init(KEY, jnp.ones([1]))
    carry, ys = t.apply(params, None, jnp.ones([1]))
    assert ys.shape == (1,) and carry == 1.0
    carry, ys = t.apply(params, None, jnp.ones([0]))
    assert ys.shape == (0,) and carry == 0.0


def test_scan_draws_the_sequences_next_keys():
    def f(xs):
        _, keys = hk.scan(lambda c, x: (c, hk.next_rng_key()), 0, xs)
        return keys, hk.next_rng_key()

    t = hk.transform(f)
    expected = keys_of(KEY, 5)
    for run in (lambda: t.apply({}, KEY, XS), lambda: jax.jit(t.apply)({}, KEY, XS)):
        keys, after = run()
        assert_trees_equal(keys, expected[:4])
        assert_trees_equal(after, expected[4])
    # At init the first step runs outside the loop: the same keys.
    seen = []
    hk.transform(lambda xs: seen.append(f(xs))).init(KEY, XS)
    assert_trees_equal(seen[0], (expected[:4], expected[4]))


def test_map_matches_per_element_calls():
    def f(xs):
        counter = Counter()
        return hk.map(counter, xs)

    def loop(xs):
        counter = Counter()
        return jnp.stack([counter(x) for x in xs])

    assert_trees_close(init_and_apply(f, XS), init_and_apply(loop, XS))


def test_modules_constructed_in_a_scan_body_are_named_as_at_apply():
    """At init the first step names its modules as the (traced) body will."""

    def f(xs):
        hk.scan(lambda c, x: (Counter()(c + x), c), jnp.zeros([3]), xs)
        return Counter()(xs[0])  # takes the name the body took, as in dm-haiku

    params, _, out, _ = init_and_apply(f, XS)
    assert list(params) == ["counter"]


# fori_loop and while_loop.


@pytest.mark.parametrize("jit", [False, True])
def test_fori_loop_matches_a_python_loop(jit):
    def f(x):
        counter = Counter()
        return hk.fori_loop(1, 4, lambda i, v: counter(v * i), x)

    def loop(x):
        counter = Counter()
        for i in range(1, 4):
            x = counter(x * i)
        return x

    assert_trees_close(init_and_apply(f, XS[0], jit=jit), init_and_apply(loop, XS[0]))


def test_fori_loop_draws_the_sequences_next_keys():
    def f():
        keys = hk.fori_loop(
            0, 3, lambda i, ks: ks.at[i].set(hk.next_rng_key()), jnp.zeros([3, 2], jnp.uint32)
        )
        return keys, hk.next_rng_key()

    expected = keys_of(KEY, 4)
    keys, after = hk.transform(f).apply({}, KEY)
    assert_trees_equal((keys, after), (expected[:3], expected[3]))


@pytest.mark.parametrize("lower, upper", [(0, 0), (3, 1)])
def test_fori_loop_creates_parameters_at_init_even_when_empty(lower, upper):
    out = []

    def f(x):
        w = lambda i, v: v * hk.get_parameter("w", [], init=lambda *_: jnp.array(2.0))  # noqa: E731
        out.append(hk.fori_loop(lower, upper, w, x))
        return out[-1]

    t = hk.transform(f)
    params = t.init(KEY, 1.0)
    assert list(params["~"]) == ["w"]
    assert out[-1] == 1.0  # the loop ran zero times
    assert t.apply(params, None, 1.0) == 1.0


def test_fori_loop_with_bounds_known_at_run_time():
    def f(x, n):
        return hk.fori_loop(0, n, lambda i, v: v * hk.get_parameter("w", [], init=jnp.ones) + 1, x)

    t = hk.transform(f)
    params = jax.jit(t.init)(KEY, 1.0, 3)
    assert list(params["~"]) == ["w"]
    params = {"~": {"w": jnp.array(2.0)}}
    apply = jax.jit(t.apply)
    assert apply(params, None, 1.0, 3) == 15.0
    assert apply(params, None, 1.0, 0) == 1.0

    out = []
    jax.jit(hk.transform(lambda x, n: out.append(f(x, n))).init)(KEY, 1.0, 0)
    # At init with traced bounds the result is still the loop's.
    assert out and out[0].shape == ()


def test_while_loop_threads_state_and_keys():
    def f(x):
        counter = Counter()

        def body(c):
            i, v, keys = c
            return i + 1, counter(v), keys.at[i].set(hk.next_rng_key())

        if hk.running_init():
            counter(x)  # parameters and state exist before the loop
        init = (0, x, jnp.zeros([3, 2], jnp.uint32))
        i, v, keys = hk.while_loop(lambda c: c[0] < 3, body, init)
        return v, keys, hk.next_rng_key()

    params, state, (v, keys, after), new_state = init_and_apply(f, XS[0], jit=False)
    expected = keys_of(KEY, 4)
    assert_trees_equal((keys, after), (expected[:3], expected[3]))
    assert new_state["counter"]["count"] == state["counter"]["count"] + 3
    _, _, jitted, jitted_state = init_and_apply(f, XS[0], jit=True)
    assert_trees_close((jitted, jitted_state), ((v, keys, after), new_state))


def test_while_loop_cond_fun_may_read_parameters_and_state():
    def f(x):
        limit = hk.get_parameter("limit", [], init=jnp.ones)
        hk.get_state("s", [], init=jnp.ones)
        return hk.while_loop(lambda v: v < limit * hk.get_state("s"), lambda v: v + 1, x)

    t = hk.transform_with_state(f)
    params, state = t.init(None, 0.0)
    out, _ = t.apply({"~": {"limit": jnp.array(5.0)}}, state, None, 0.0)
    assert out == 5.0


@pytest.mark.parametrize(
    "cond_fun",
    [
        lambda v: v < jax.random.uniform(hk.next_rng_key()),
        lambda v: (hk.set_state("s", v), v < 3)[1],
        lambda v: v < hk.get_parameter("new", [], init=jnp.ones),
    ],
    ids=["draws", "sets_state", "creates"],
)
def test_while_loop_cond_fun_must_not_write(cond_fun):
    def f(x):
        hk.get_state("s", [], init=jnp.zeros)
        return hk.while_loop(cond_fun, lambda v: v + 1, x)

    with pytest.raises(ValueError, match=r"^`hk\.while_loop` does not support `hk\.set_state`, "
                       r"`hk\.next_rng_key` \(et al\) in `cond_fun`\. .*cond_fun must not"):
        hk.transform_with_state(f).init(KEY, 0.0)


def test_while_loop_creating_parameters_raises():
    def f(x):
        return hk.while_loop(lambda v: v < 10, lambda v: v * hk.get_parameter("w", [], init=jnp.ones), x)

    with pytest.raises(ValueError, match=r"(?s)^hk\.while_loop does not support initialization "
                       r"\(since we cannot statically determine if your loop will run at least "
                       r"once\)\. Please use `hk\.running_init` to run the body unconditionally:"
                       r"\n\n    if hk\.running_init\(\):.*\n\nhk.while_loop: creating parameters "
                       r".*\['~/w'\]"):
        hk.transform(f).init(None, 1.0)


# cond and switch.


def _cond_model(x):
    counter = Counter()
    if hk.running_init():
        counter(x)
    return hk.cond(
        jnp.sum(x) > 0,
        lambda x: (counter(x), hk.next_rng_key()),
        lambda x: (-x, jnp.zeros([2], jnp.uint32)),
        x,
    ), hk.next_rng_key()


@pytest.mark.parametrize("jit", [False, True])
def test_cond_runs_one_branch_with_its_state_and_keys(jit):
    t = hk.transform_with_state(_cond_model)
    params, state = t.init(KEY, XS[3])
    apply = jax.jit(t.apply) if jit else t.apply
    expected = keys_of(KEY, 2)

    ((y, key), after), new_state = apply(params, state, KEY, XS[3])  # true branch
    assert_trees_equal((key, after), (expected[0], expected[1]))
    assert new_state["counter"]["count"] == state["counter"]["count"] + 1
    assert new_state["counter"]["total"] != state["counter"]["total"]

    ((y, key), after), new_state = apply(params, state, KEY, -XS[3])  # false branch
    assert_trees_equal(y, XS[3])
    assert_trees_equal(after, expected[0])  # the branch drew nothing
    assert_trees_equal(new_state, state)


def test_cond_branches_may_create_the_same_parameters_at_init():
    def f(x):
        counter = Counter()
        return hk.cond(jnp.sum(x) > 0, counter, lambda x: counter(-x), x)

    for x in (XS[3], -XS[3]):
        params, state = hk.transform_with_state(f).init(KEY, x)
        plain, plain_state = hk.transform_with_state(lambda x: Counter()(x)).init(KEY, x)
        assert_trees_equal(params, plain)
        assert_trees_equal(state, plain_state)
    params, state = jax.jit(hk.transform_with_state(f).init)(KEY, XS[3])
    assert_trees_equal(params, plain)


def test_cond_branches_creating_different_parameters_raise():
    def f(x):
        return hk.cond(x > 0, lambda x: x * hk.get_parameter("a", [], init=jnp.ones), lambda x: x, x)

    with pytest.raises(ValueError, match=r"every branch creates the same.*\['~/a'\]"):
        hk.transform(f).init(None, 1.0)


def test_cond_operand_forms():
    def f(x):
        return (
            hk.cond(x > 0, lambda a, b: a + b, lambda a, b: a - b, x, 1.0),
            hk.cond(x > 0, lambda v: v + 1, lambda v: v - 1, operand=x),
            hk.cond(True, lambda: 1.0, lambda: 2.0),
        )

    assert hk.transform(f).apply({}, None, 1.0) == (2.0, 2.0, 1.0)
    with pytest.raises(ValueError, match="operand"):
        hk.transform(lambda x: hk.cond(True, lambda v: v, lambda v: v, x, operand=x)).apply(
            {}, None, 1.0
        )


def _experts(i, x):
    experts = [Counter(name=f"expert_{j}") for j in range(3)]
    if hk.running_init():
        for e in experts:
            e(x)
        return x
    return hk.switch(i, experts, x)


@pytest.mark.parametrize("jit", [False, True])
def test_switch_runs_one_expert(jit):
    t = hk.transform_with_state(_experts)
    params, state = t.init(KEY, 0, XS[3])
    apply = jax.jit(t.apply) if jit else t.apply
    for i in (0, 2, 5):  # out of range: clamped, as jax.lax.switch
        out, new_state = apply(params, state, None, i, XS[3])
        chosen = f"expert_{min(i, 2)}"
        ref = hk.transform_with_state(lambda x: Counter(name=chosen)(x))
        want, want_state = ref.apply({chosen: params[chosen]}, {chosen: state[chosen]}, None, XS[3])
        assert_trees_close(out, want)
        for name in params:
            expected = want_state[chosen] if name == chosen else state[name]
            assert_trees_close(new_state[name], expected)


def test_switch_creating_parameters_at_apply_raises():
    def f(i, x):
        return hk.switch(i, [lambda x: x, lambda x: x * hk.get_parameter("w", [], init=jnp.ones)], x)

    with pytest.raises(ValueError, match="Unable to retrieve parameter 'w'"):
        hk.transform(f).apply({}, None, 0, 1.0)
    with pytest.raises(ValueError, match=r"hk.switch: .*branch 1 created \['~/w'\]"):
        hk.transform(f).init(None, 0, 1.0)


# JAX transforms.


@pytest.mark.parametrize("jit", [False, True])
def test_grad_sets_state_and_creates_parameters(jit):
    def f(x):
        counter = Counter()
        return hk.grad(lambda x: jnp.sum(counter(x)))(x)

    def plain(x):
        counter = Counter()
        return jax.grad(lambda x: jnp.sum(jnp.tanh(x * counter.params_dict()["counter/w"])))(x)

    params, state, g, new_state = init_and_apply(f, XS[3], jit=jit)
    assert list(params["counter"]) == ["b", "w"]  # created inside a JAX transform: sorted
    assert new_state["counter"]["count"] == 1
    w = params["counter"]["w"]
    np.testing.assert_allclose(g, w * (1 - jnp.tanh(XS[3] * w) ** 2), rtol=1e-6)
    del plain


def test_value_and_grad_argnums_and_has_aux():
    def f(x, y):
        def loss(x, y):
            w = hk.get_parameter("w", [], init=jnp.ones)
            hk.set_state("seen", y)
            return jnp.sum(w * x * y), {"key": hk.next_rng_key()}

        return hk.value_and_grad(loss, argnums=(0, 1), has_aux=True)(x, y)

    t = hk.transform_with_state(f)
    params, state = t.init(KEY, 2.0, 3.0)
    ((value, aux), (gx, gy)), new_state = t.apply(params, state, KEY, 2.0, 3.0)
    assert (value, gx, gy) == (6.0, 3.0, 2.0)
    assert_trees_equal(aux["key"], keys_of(KEY, 1)[0])
    assert new_state["~"]["seen"] == 3.0

    def g(x):
        return hk.grad(lambda x: (x**2, hk.next_rng_key()), has_aux=True)(x)

    grads, key = hk.transform(g).apply({}, KEY, 3.0)
    assert grads == 6.0
    assert_trees_equal(key, keys_of(KEY, 1)[0])


def test_grad_of_a_function_with_remat_equals_without():
    def f(x, use_remat):
        counter = Counter()
        fn = hk.remat(counter) if use_remat else counter
        return hk.grad(lambda x: jnp.sum(fn(x) ** 2))(x)

    with_remat = init_and_apply(lambda x: f(x, True), XS[3])
    without = init_and_apply(lambda x: f(x, False), XS[3])
    assert_trees_close(with_remat, without)
    jaxpr = jax.make_jaxpr(hk.transform_with_state(lambda x: f(x, True)).apply)(
        with_remat[0], with_remat[1], None, XS[3]
    )
    assert "checkpoint" in str(jaxpr) or "remat" in str(jaxpr)


def test_remat_static_argnums_policy_and_keys():
    def body(x, power, scale=1.0):
        assert isinstance(power, int)  # static: not traced
        return (x * hk.get_parameter("w", [], init=jnp.ones)) ** power * scale, hk.next_rng_key()

    def f(x):
        a = hk.remat(body, static_argnums=1)(x, 3)
        b = hk.remat(body, static_argnums=(1,), policy=jax.checkpoint_policies.nothing_saveable)(
            x, 2, scale=2.0
        )
        return a, b, hk.next_rng_key()

    t = hk.transform(f)
    params = t.init(KEY, 2.0)
    (a, ka), (b, kb), after = t.apply(params, KEY, 2.0)
    assert (a, b) == (8.0, 8.0)
    assert_trees_equal(jnp.stack([ka, kb, after]), keys_of(KEY, 3))


def test_remat_sets_state():
    def f(x):
        counter = Counter()
        return hk.remat(counter)(x)

    assert_trees_close(init_and_apply(f, XS[3]), init_and_apply(lambda x: Counter()(x), XS[3]))


def test_eval_shape_discards_parameters_state_and_keys():
    def f(x):
        def g(x):
            hk.set_state("s", x)
            w = hk.get_parameter("w", [], init=jnp.ones) if hk.running_init() else 1.0
            return (x @ jnp.ones([3, 2])) * w, hk.next_rng_key()

        shapes = hk.eval_shape(g, jax.ShapeDtypeStruct(x.shape, x.dtype))
        return shapes, hk.next_rng_key()

    t = hk.transform_with_state(f)
    params, state = t.init(KEY, jnp.ones([4, 3]))
    assert params == {} and state == {}
    (shapes, key), _ = t.apply({}, {}, KEY, jnp.ones([4, 3]))
    assert shapes[0].shape == (4, 2) and shapes[1].shape == (2,)
    assert_trees_equal(key, keys_of(KEY, 1)[0])  # the sequence did not move


# vmap.


def test_vmap_split_rng_false_broadcasts_the_key():
    def f(x):
        keys = hk.vmap(lambda _: (hk.next_rng_key(), hk.next_rng_key()), split_rng=False)(x)
        return keys, hk.next_rng_key()

    (k1, k2), after = hk.transform(f).apply({}, KEY, jnp.zeros(3))
    expected = keys_of(KEY, 3)
    assert_trees_equal(k1, jnp.stack([expected[0]] * 3))
    assert_trees_equal(k2, jnp.stack([expected[1]] * 3))
    assert_trees_equal(after, expected[2])


@pytest.mark.parametrize("jit", [False, True])
def test_vmap_split_rng_true_gives_each_element_its_own_sequence(jit):
    def f(x):
        keys = hk.vmap(lambda _: (hk.next_rng_key(), hk.next_rng_key()), split_rng=True)(x)
        return keys, hk.next_rng_key()

    apply = hk.transform(f).apply
    (k1, k2), after = (jax.jit(apply) if jit else apply)({}, KEY, jnp.zeros(3))
    # As dm-haiku: one key per element from the sequence (one split into
    # 3 + 1 keys), each element drawing from a sequence started at its key.
    seq = hk.PRNGSequence(KEY)
    seq.reserve(3)
    element_keys = [next(seq) for _ in range(3)]
    for i, element_key in enumerate(element_keys):
        assert_trees_equal(jnp.stack([k1[i], k2[i]]), keys_of(element_key, 2))
    assert_trees_equal(after, next(seq))
    assert len({tuple(np.asarray(k)) for k in k1}) == 3


def test_vmap_split_rng_without_a_key_is_fine_when_nothing_is_drawn():
    f = hk.transform(lambda x: hk.vmap(lambda v: v * 2, split_rng=True)(x))
    assert_trees_equal(f.apply({}, None, jnp.ones(2)), jnp.full(2, 2.0))


def test_vmap_in_axes_forms():
    def f(x, y):
        w = hk.get_parameter("w", [3], init=jnp.ones)

        def body(a, b, c=0.0):
            return a * w + b["v"] + c

        return {
            "int": hk.vmap(body, 0, split_rng=False)(x, {"v": x}),
            "none": hk.vmap(body, (0, None), split_rng=False)(x, {"v": y}),
            "list": hk.vmap(body, [1, None], out_axes=1, split_rng=False)(x.T, {"v": y}),
            "nested": hk.vmap(body, (0, {"v": 1}), split_rng=False)(x, {"v": x.T}),
            "kwargs": hk.vmap(body, (0, None), split_rng=True)(x, {"v": y}, c=x),
            "axis_size": hk.vmap(lambda: w, in_axes=(), axis_size=2, split_rng=True)(),
        }

    x, y = XS, XS[0]
    out = hk.transform(f).apply({"~": {"w": jnp.full([3], 2.0)}}, KEY, x, y)
    assert_trees_equal(out["int"], x * 2 + x)
    assert_trees_equal(out["none"], x * 2 + y)
    assert_trees_equal(out["list"], (x * 2 + y).T)
    assert_trees_equal(out["nested"], x * 2 + x)
    assert_trees_equal(out["kwargs"], x * 2 + y + x)
    assert out["axis_size"].shape == (2, 3)


def test_vmap_split_rng_needs_a_mapped_argument_or_axis_size():
    f = hk.transform(lambda x: hk.vmap(lambda v: v, in_axes=None, split_rng=True)(x))
    with pytest.raises(ValueError, match="axis_size"):
        f.apply({}, KEY, 1.0)


def test_vmap_state_shared_along_the_axis():
    def f(x):
        def g(v):
            hk.set_state("mean", jax.lax.pmean(v, "batch"))
            return v

        return hk.vmap(g, axis_name="batch", split_rng=False)(x)

    _, state = hk.transform_with_state(f).apply({}, {}, None, XS)
    assert_trees_close(state["~"]["mean"], jnp.mean(XS, axis=0))

    def batched(x):
        return hk.vmap(lambda v: hk.set_state("last", v), split_rng=False)(x)

    with pytest.raises(ValueError, match=r"hk.vmap: .*\['~/last'\]"):
        hk.transform_with_state(batched).apply({}, {}, None, XS)


def test_vmap_split_rng_at_init_creating_parameters_raises():
    def f(x):
        init = hk.initializers.RandomNormal()
        return hk.vmap(lambda v: v * hk.get_parameter("w", [], init=init), split_rng=True)(x)

    with pytest.raises(ValueError, match="split_rng=True at init"):
        hk.transform(f).init(KEY, jnp.ones(2))

    def ok(x):  # the documented recipe
        w = lambda v: v * hk.get_parameter("w", [], init=jnp.ones)  # noqa: E731
        hk.next_rng_key()
        return hk.vmap(w, split_rng=not hk.running_init())(x)

    t = hk.transform(ok)
    assert_trees_equal(t.apply(t.init(KEY, jnp.ones(2)), KEY, jnp.ones(2)), jnp.ones(2))


# Nesting.


def test_scan_inside_cond():
    def f(xs):
        counter = Counter()
        if hk.running_init():
            counter(xs[0])
        return hk.cond(
            jnp.sum(xs) > 0,
            lambda xs: hk.scan(lambda c, x: (counter(c + x), c), jnp.zeros([3]), xs)[0],
            lambda xs: xs[0],
            xs,
        )

    params, state, out, new_state = init_and_apply(f, XS + 1)
    assert new_state["counter"]["count"] == state["counter"]["count"] + 4
    _, loop_state, loop_out, _ = init_and_apply(lambda xs: _loop_model(xs)[0], XS + 1)
    assert_trees_close(out, loop_out)
    _, state, out, unchanged = init_and_apply(f, XS - 2)
    assert_trees_equal(out, XS[0] - 2)
    assert_trees_equal(unchanged, state)


def test_vmap_inside_scan_and_cond_inside_scan():
    def f(xs):
        w = hk.get_parameter("w", [3], init=jnp.ones)

        def step(c, x):
            doubled = hk.vmap(lambda v: v * w, split_rng=False)(jnp.stack([x, x]))
            y = hk.cond(x[0] > 0, lambda v: v + 1, lambda v: v - 1, doubled[0])
            return c + y, hk.next_rng_key()

        return hk.scan(step, jnp.zeros([3]), xs)

    t = hk.transform(f)
    params = t.init(KEY, XS)
    carry, keys = t.apply(params, KEY, XS)
    want = sum(x + (1 if x[0] > 0 else -1) for x in XS)
    assert_trees_close(carry, want)
    assert_trees_equal(keys, keys_of(KEY, 4))


def test_grad_inside_scan_inside_vmap():
    def f(xs):
        def per_example(xs):
            def step(c, x):
                g = hk.grad(lambda v: jnp.sum(v * hk.get_parameter("w", [3], init=jnp.ones)))(x)
                return c + g, g

            return hk.scan(step, jnp.zeros([3]), xs)

        return hk.vmap(per_example, split_rng=False)(jnp.stack([xs, -xs]))

    t = hk.transform(f)
    params = {"~": {"w": jnp.array([1.0, 2.0, 3.0])}}
    carry, grads = t.apply(params, None, XS)
    assert_trees_close(carry, jnp.tile(params["~"]["w"] * 4, (2, 1)))
    assert grads.shape == (2, 4, 3)
    assert list(t.init(None, XS)["~"]) == ["w"]


# Module naming inside wrappers (dm-haiku's behaviour).


@pytest.mark.parametrize(
    "wrap",
    [
        lambda m, x: hk.grad(m)(x),
        lambda m, x: hk.vmap(m, split_rng=False)(jnp.stack([x, x]))[0],
        lambda m, x: hk.cond(x > 0, m, m, x),
        lambda m, x: (hk.eval_shape(m, x), x)[1],
    ],
    ids=["grad", "vmap", "cond", "eval_shape"],
)
def test_module_names_taken_inside_a_wrapper_are_free_again_after_it(wrap):
    names = []

    class M(hk.Module):
        def __call__(self, x):
            names.append(self.module_name)
            return x * hk.get_parameter("w", [], init=jnp.ones)

    def f(x):
        M()(x)
        wrap(lambda x: M()(x), x)
        return M()(x)

    hk.transform(f).init(None, 1.0)
    assert names[0] == "m" and set(names[1:]) == {"m_1"}


def test_remat_modules_take_names():
    def f(x):
        hk.remat(lambda x: Counter()(x))(x)
        return Counter()(x)

    params, *_ = init_and_apply(f, XS[0])
    assert list(params) == ["counter", "counter_1"]


# Reserved keys: control flow carries exactly one.


@pytest.mark.parametrize(
    "wrap",
    [
        lambda: hk.cond(True, hk.next_rng_key, hk.next_rng_key),
        lambda: hk.scan(lambda c, _: (c, hk.next_rng_key()), 0, None, length=1)[1][0],
        lambda: hk.fori_loop(0, 1, lambda i, k: hk.next_rng_key(), jnp.zeros([2], jnp.uint32)),
    ],
    ids=["cond", "scan", "fori_loop"],
)
def test_control_flow_keeps_one_reserved_key(wrap):
    def f():
        hk.reserve_rng_keys(3)
        inside = wrap()
        return inside, hk.next_rng_key(), hk.next_rng_key()

    seq = hk.PRNGSequence(KEY)
    seq.reserve(3)
    first, _, _ = (next(seq) for _ in range(3))  # the 2nd and 3rd are dropped
    inside, a, b = hk.transform(f).apply({}, KEY)
    assert_trees_equal(inside, first)
    assert_trees_equal(jnp.stack([a, b]), keys_of(seq.internal_state[0], 2))


# Parameters are closed over, not carried.


def test_scan_jaxpr_equals_a_hand_written_scan():
    class Dense(hk.Module):
        def __call__(self, x):
            w = hk.get_parameter("w", [x.shape[-1], 3], init=hk.initializers.RandomNormal())
            b = hk.get_parameter("b", [3], init=jnp.zeros)
            return jnp.tanh(x @ w + b)

    def model(xs):
        dense = Dense()
        return hk.scan(lambda c, x: (dense(c + x), c), jnp.zeros([3]), xs)

    def by_hand(params, xs):
        p = params["dense"]
        step = lambda c, x: (jnp.tanh((c + x) @ p["w"] + p["b"]), c)  # noqa: E731
        return jax.lax.scan(step, jnp.zeros([3]), xs)

    f = hk.without_apply_rng(hk.transform(model))
    params = f.init(KEY, XS)
    assert str(jax.make_jaxpr(f.apply)(params, XS)) == str(jax.make_jaxpr(by_hand)(params, XS))


def test_cond_jaxpr_equals_a_hand_written_cond():
    def model(x):
        w = hk.get_parameter("w", [3, 3], init=hk.initializers.RandomNormal())
        return hk.cond(x[0] > 0, lambda x: jnp.tanh(x @ w), lambda x: x, x)

    def by_hand(params, x):
        w = params["~"]["w"]
        return jax.lax.cond(x[0] > 0, lambda x: jnp.tanh(x @ w), lambda x: x, x)

    f = hk.without_apply_rng(hk.transform(model))
    params = f.init(KEY, XS[0])
    assert str(jax.make_jaxpr(f.apply)(params, XS[0])) == str(jax.make_jaxpr(by_hand)(params, XS[0]))


def test_parameters_are_not_in_the_scan_carry_or_the_cond_outputs():
    shape = (7, 5)  # a shape only the parameter has

    def model(x):
        w = lambda: hk.get_parameter("w", shape, init=jnp.ones)  # noqa: E731
        n = hk.get_state("n", [], init=jnp.zeros)
        hk.scan(lambda c, _: (c + jnp.sum(w()), None), 0.0, None, length=3)
        return hk.cond(x > 0, lambda: (hk.set_state("n", n + 1), jnp.sum(w()))[1], lambda: 0.0)

    t = hk.transform_with_state(model)
    params, state = t.init(None, 1.0)
    jaxpr = jax.make_jaxpr(t.apply)(params, state, KEY, 1.0).jaxpr
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "scan":
            # The parameter goes in once, as a constant of the loop: were it
            # carried, the loop would return it too. (Read from the inputs and
            # outputs: JAX 0.12's scan has no num_consts/num_carry params.)
            assert [v.aval.shape for v in eqn.invars].count(shape) == 1
            assert all(v.aval.shape != shape for v in eqn.outvars)
        if eqn.primitive.name == "cond":
            assert all(v.aval.shape != shape for v in eqn.outvars)
    assert {e.primitive.name for e in jaxpr.eqns} >= {"scan", "cond"}


# Misuse.


WRAPPERS = {
    "cond": lambda: hk.cond(True, lambda: 1, lambda: 2),
    "switch": lambda: hk.switch(0, [lambda: 1]),
    "scan": lambda: hk.scan(lambda c, x: (c, x), 0, jnp.ones(2)),
    "map": lambda: hk.map(lambda x: x, jnp.ones(2)),
    "fori_loop": lambda: hk.fori_loop(0, 2, lambda i, x: x, 0),
    "while_loop": lambda: hk.while_loop(lambda x: x < 2, lambda x: x + 1, 0),
    "grad": lambda: hk.grad(lambda x: x)(1.0),
    "value_and_grad": lambda: hk.value_and_grad(lambda x: x)(1.0),
    "vmap": lambda: hk.vmap(lambda x: x, split_rng=False)(jnp.ones(2)),
    "remat": lambda: hk.remat(lambda x: x)(1.0),
    "eval_shape": lambda: hk.eval_shape(lambda x: x, 1.0),
}


def _dm_haiku_outside(caller: str, jax_name: str, parens: str = r"\(\)") -> str:
    return (rf"^hk\.{caller}\(\) should not be used outside of hk\.transform{parens}\. "
            rf"Use {jax_name}\(\) instead\.")


# dm-haiku 0.0.17's words start each message (hk.map and hk.value_and_grad say
# what hk.scan and hk.grad say there); ours name the function actually called.
OUTSIDE_MESSAGES = {
    "cond": _dm_haiku_outside("cond", r"jax\.cond") + "$",
    "switch": _dm_haiku_outside("switch", r"jax\.switch") + "$",
    "scan": _dm_haiku_outside("scan", r"jax\.lax\.scan") + "$",
    "map": _dm_haiku_outside("scan", r"jax\.lax\.scan") + r" \(Here hk\.map: use jax\.lax\.map\.\)$",
    "fori_loop": _dm_haiku_outside("fori_loop", r"jax\.lax\.fori_loop") + "$",
    "while_loop": r"^`hk\.params_frozen` must be used as part of an `hk\.transform` "
    r"\(hk\.while_loop was called outside one: use jax\.lax\.while_loop there\)\.$",
    "grad": _dm_haiku_outside("grad", r"jax\.grad") + "$",
    "value_and_grad": _dm_haiku_outside("grad", r"jax\.grad") + r" .*hk\.value_and_grad",
    "vmap": r"^`hk\.vmap` must be used as part of an `hk.transform`",
    "remat": _dm_haiku_outside("remat", r"jax\.remat", parens="") + "$",
    "eval_shape": _dm_haiku_outside("eval_shape", r"jax\.eval_shape") + "$",
}


@pytest.mark.parametrize("name", list(WRAPPERS))
def test_wrappers_outside_a_transform_raise(name):
    with pytest.raises(ValueError, match=OUTSIDE_MESSAGES[name]):
        WRAPPERS[name]()


@pytest.mark.parametrize("name", list(WRAPPERS))
def test_wrappers_inside_a_transform_need_no_key(name):
    hk.transform(lambda: WRAPPERS[name]()).apply({}, None)


def test_vmap_split_rng_is_required():
    with pytest.raises(TypeError):
        hk.vmap(lambda x: x)  # type: ignore[call-arg]


# hk.experimental.check_jax_usage: the wrappers allow side effects inside.


SIDE_EFFECTS = {
    "cond": lambda f, x: hk.cond(x[0] > 0, f, f, x),
    "switch": lambda f, x: hk.switch(1, [f, f], x),
    "scan": lambda f, x: hk.scan(lambda c, x: (f(c + x), c), x, jnp.stack([x, x]))[0],
    "map": lambda f, x: hk.map(f, jnp.stack([x, x]))[0],
    "fori_loop": lambda f, x: hk.fori_loop(0, 2, lambda i, v: f(v), x),
    "while_loop": lambda f, x: hk.while_loop(lambda c: c[0] < 2, lambda c: (c[0] + 1, f(c[1])), (0, x))[1],
    "grad": lambda f, x: hk.grad(lambda x: jnp.sum(f(x)))(x),
    "value_and_grad": lambda f, x: hk.value_and_grad(lambda x: jnp.sum(f(x)))(x)[1],
    "vmap": lambda f, x: hk.vmap(f, split_rng=False)(jnp.stack([x, x]))[0],
    "remat": lambda f, x: hk.remat(f)(x),
    "eval_shape": lambda f, x: (hk.eval_shape(f, x), x)[1],
    "scan_in_cond": lambda f, x: hk.cond(
        x[0] > 0, lambda x: hk.scan(lambda c, _: (f(c), None), x, None, length=2)[0], f, x
    ),
}


def test_wrappers_pass_check_jax_usage():
    def f(x):
        def side_effects(v):
            hk.set_state("s", hk.get_state("s", [], init=jnp.zeros) + 1)
            w = hk.get_parameter("w", [], init=jnp.ones)
            return v * w + jax.random.uniform(hk.next_rng_key())

        side_effects(x)  # (while_loop and eval_shape create nothing)
        return {name: wrap(side_effects, x) for name, wrap in SIDE_EFFECTS.items()}

    t = hk.transform_with_state(f)
    with hk.config.context(check_jax_usage=True):
        params, state = jax.jit(t.init)(KEY, XS[0])
        jax.jit(t.apply)(params, state, KEY, XS[0])
        with pytest.raises(hk.JaxUsageError):  # the raw JAX function does not
            hk.transform(lambda x: jax.lax.cond(True, lambda: hk.next_rng_key(), lambda: x)).apply(
                {}, KEY, jnp.zeros([2], jnp.uint32)
            )
