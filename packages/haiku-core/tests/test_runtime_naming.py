"""Module naming: class names, numbering, scopes, name_like, transparent, repr.

Every expectation here was checked against dm-haiku 0.0.17 (black box).
Only small hand-written modules are used (no haiku-nets).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import pytest

import haiku as hk
from haiku._src import base


@pytest.fixture(autouse=True)
def _no_frame_left_behind():
    yield
    assert base._FRAMES.get() == ()


class Leaf(hk.Module):
    """One scalar parameter ``w``."""

    def __call__(self, x=0.0):
        return x + hk.get_parameter("w", [], init=jnp.ones)


class Foo(Leaf):
    pass


def collect(fn):
    """Runs ``fn`` inside ``hk.transform(...).init`` and returns its result."""
    out = []
    hk.transform(lambda: out.append(fn())).init(None)
    return out[0]


def init_params(fn, *args):
    return hk.transform(fn).init(None, *args)


# Class name -> module name.


@pytest.mark.parametrize(
    "class_name, expected",
    [
        ("MLP", "mlp"),
        ("Conv2DTranspose", "conv2_d_transpose"),
        ("ResNet50", "res_net50"),
        ("LSTMCore", "lstm_core"),
        ("HTTPServer", "http_server"),
        ("ABC", "abc"),
        ("Foo1Bar", "foo1_bar"),
        ("A", "a"),
        ("MyModule2D", "my_module2_d"),
        ("BatchNorm", "batch_norm"),
        ("ConvND", "conv_nd"),
        ("Conv1D", "conv1_d"),
        ("VectorQuantizerEMA", "vector_quantizer_ema"),
        ("Foo_Bar", "foo__bar"),
        ("fooBar", "foo_bar"),
        ("X2Y", "x2_y"),
        ("IDKind", "id_kind"),
    ],
)
def test_class_name_to_snake_case(class_name, expected):
    cls = type(class_name, (hk.Module,), {})
    assert collect(lambda: cls().module_name) == expected


def test_name_and_module_name():
    class Outer(hk.Module):
        def __call__(self):
            inner = Leaf()
            return inner.name, inner.module_name

    assert collect(lambda: Outer()()) == ("leaf", "outer/leaf")
    assert collect(lambda: Outer(name="o").name) == "o"


# Numbering.


def _names(spec):
    """Module names of ``Foo(name=n)`` for each ``n``; errors as strings."""

    def fn():
        out = []
        for name in spec:
            try:
                out.append(Foo(name=name).module_name)
            except ValueError as e:
                out.append(f"ValueError: {e}")
        return out

    return collect(fn)


@pytest.mark.parametrize(
    "spec, expected",
    [
        ([None, None, None], ["foo", "foo_1", "foo_2"]),
        (["foo_3", None, None], ["foo_3", "foo_4", "foo_5"]),
        ([None, "foo_3", None, None], ["foo", "foo_3", "foo_4", "foo_5"]),
        (["foo", "foo"], ["foo", "foo_1"]),
        (["foo_1", "foo"], ["foo_1", "foo_2"]),
        (["foo", "foo_1"], ["foo", "foo_1"]),
        ([None, "foo_0"], ["foo", "foo_0"]),
        (["foo_0", "foo"], ["foo_0", "foo_1"]),
        (["bar_2", "bar", "bar", "bar"], ["bar_2", "bar_3", "bar_4", "bar_5"]),
        (["foo_bar_2", "foo_bar"], ["foo_bar_2", "foo_bar_3"]),
        # A number with a leading zero is part of the name, not a number.
        (["foo_01", None, None], ["foo_01", "foo", "foo_1"]),
        (["foo_01", "foo_1"], ["foo_01", "foo_1"]),
        (["foo_00", None], ["foo_00", "foo"]),
        (["foo_", None], ["foo_", "foo"]),
        (["_1", None], ["_1", "foo"]),
    ],
)
def test_explicit_and_automatic_numbering(spec, expected):
    assert _names(spec) == expected


def test_explicit_number_taken_twice_is_not_unique():
    assert _names(["foo_1", "foo_1"]) == [
        "foo_1",
        "ValueError: Module name 'foo_1' is not unique.",
    ]


@pytest.mark.parametrize("bad", ["1abc", "a/b", "a-b", "", "a b"])
def test_invalid_module_names(bad):
    msg = _names([bad])[0]
    assert msg.startswith("ValueError: ")
    assert repr(bad) in msg and "not a valid module name" in msg


def test_numbering_is_per_enclosing_method_call():
    class Parent(hk.Module):
        def __call__(self):
            return [Foo().module_name, Foo().module_name]

    def fn():
        p = Parent()
        q = Parent()
        return p(), p(), q()

    first, again, other = collect(fn)
    assert first == ["parent/foo", "parent/foo_1"]
    # A second call of the same method starts counting afresh: same names.
    assert again == first
    assert other == ["parent_1/foo", "parent_1/foo_1"]


def test_modules_created_in_call_are_reused_across_calls():
    class Parent(hk.Module):
        def __call__(self, x):
            return Leaf()(x) + Leaf()(x)

    def fn(x):
        p = Parent()
        return p(x) + p(x) + p(x)

    f = hk.transform(fn)
    params = f.init(None, 1.0)
    assert list(params) == ["parent/leaf", "parent/leaf_1"]
    assert f.apply(params, None, 1.0) == 12.0
    params = {"parent/leaf": {"w": jnp.array(2.0)}, "parent/leaf_1": {"w": jnp.array(3.0)}}
    # Each of the three calls reads the same two parameters.
    assert f.apply(params, None, 0.0) == 15.0


def test_same_instance_called_twice_shares_params():
    def fn():
        leaf = Leaf()
        return leaf(1.0) + leaf(2.0)

    params = init_params(fn)
    assert params == {"leaf": {"w": jnp.ones([])}}


# parent/child, parent/~/child, parent/~method/child.


class Parent(hk.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.a = Leaf()
        self.b = Leaf()

    def __call__(self):
        return self.a() + self.b() + Leaf()() + Leaf()() + self.helper() + self._priv()

    def helper(self):
        return Leaf()() + Leaf()()

    def _priv(self):
        return Leaf()()

    @property
    def prop(self):
        return Leaf()()

    @hk.transparent
    def see_through(self):
        return Leaf()() + hk.get_parameter("t", [], init=jnp.ones)

    @hk.name_like("__call__")
    def like_call(self):
        return Leaf()()

    @hk.name_like("helper")
    def like_helper(self):
        return Leaf()()

    @hk.name_like("decode")
    def like_missing_method(self):
        return Leaf()()


def test_parent_child_names_by_creating_method():
    def fn():
        p = Parent()
        p()
        p.prop  # noqa: B018 - a property is a method call too.

    assert list(init_params(fn)) == [
        "parent/~/leaf",
        "parent/~/leaf_1",
        "parent/leaf",
        "parent/leaf_1",
        "parent/~helper/leaf",
        "parent/~helper/leaf_1",
        "parent/~_priv/leaf",
        "parent/~prop/leaf",
    ]


def test_transparent_method_names_like_its_caller():
    params = init_params(lambda: Parent().see_through())
    assert list(params) == ["leaf", "~"]
    assert list(params["~"]) == ["t"]

    class Outer(hk.Module):
        def __call__(self):
            return Parent(name="p").see_through()

    params = init_params(lambda: Outer()())
    assert list(params) == ["outer/leaf", "outer"]


def test_name_like():
    def fn():
        p = Parent()
        p.like_call()
        p.like_helper()
        p.like_missing_method()

    assert list(init_params(fn)) == [
        "parent/leaf",
        "parent/~helper/leaf",
        "parent/~decode/leaf",
    ]


def test_name_like_shares_unnamed_submodules_across_methods():
    class Autoencoder(hk.Module):
        @hk.name_like("__call__")
        def encode(self, x):
            return Leaf()(x)

        @hk.name_like("__call__")
        def decode(self, z):
            return Leaf()(z)

        def __call__(self, x):
            return self.decode(self.encode(x))

    f = hk.transform(lambda x: Autoencoder()(x))
    params = f.init(None, 0.0)
    # Numbering restarts in each method call: both are "autoencoder/leaf".
    assert list(params) == ["autoencoder/leaf"]
    assert f.apply({"autoencoder/leaf": {"w": jnp.array(5.0)}}, None, 0.0) == 10.0


def test_to_module_names():
    def bias_fn(x):
        return x + hk.get_parameter("b", [], init=jnp.zeros)

    Bias = hk.to_module(bias_fn)

    def fn():
        return [Bias().module_name, Bias(name="b2").module_name, Bias().module_name]

    assert collect(fn) == ["bias_fn", "b2", "bias_fn_1"]
    assert issubclass(Bias, hk.Module)

    def net(x, y):
        b = Bias(name="my_bias")
        return b(x) * b(y)

    f = hk.transform(net)
    params = f.init(None, 1.0, 2.0)
    assert list(params) == ["my_bias"]
    assert f.apply({"my_bias": {"b": jnp.array(1.0)}}, None, 1.0, 2.0) == 6.0


# name_scope.


def test_name_scope_top_level_nested_and_repeated():
    def fn():
        out = {}
        with hk.name_scope("a/b"):
            out["ab"] = hk.current_name()
            Leaf()()
        with hk.name_scope("a/b"):
            out["ab2"] = hk.current_name()
        with hk.name_scope("a"):
            out["a"] = hk.current_name()
        with hk.name_scope("outer"):
            with hk.name_scope("inner"):
                out["nested"] = hk.current_name()
                out["nested_leaf"] = Leaf().module_name
        with hk.name_scope("outer"):
            out["outer_again"] = hk.current_name()
        with hk.name_scope("s"):
            hk.get_parameter("w", [], init=jnp.zeros)
        with hk.name_scope("s"):
            hk.get_parameter("w", [], init=jnp.zeros)
        out["after"] = hk.current_name()
        out["params"] = list(hk.get_params())
        return out

    out = collect(fn)
    assert out == {
        "ab": "a/b",
        "ab2": "a_1/b",
        "a": "a_2",
        "nested": "outer/inner",
        "nested_leaf": "outer/inner/leaf",
        "outer_again": "outer_1",
        "after": "~",
        "params": ["a/b/leaf", "s", "s_1"],
    }


def test_name_scope_inside_module_methods():
    class Mod(hk.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            with hk.name_scope("init_scope"):
                self.scope_name = hk.current_name()
                self.leaf = Leaf()

        def __call__(self):
            with hk.name_scope("call_scope"):
                current = hk.current_name()
                hk.get_parameter("p", [], init=jnp.zeros)
                Leaf()()
            with hk.name_scope("call_scope"):
                Leaf()()
            self.leaf()
            return current

    def fn():
        mod = Mod()
        return mod.scope_name, mod(), list(hk.get_params())

    scope_name, current, params = collect(fn)
    assert scope_name == "mod/~/init_scope"
    assert current == "mod/call_scope"
    assert params == [
        "mod/call_scope",
        "mod/call_scope/leaf",
        "mod/call_scope_1/leaf",
        "mod/~/init_scope/leaf",
    ]


def test_name_scope_method_name_and_module_clash():
    def fn():
        with hk.name_scope("x", method_name="foo"):
            a = Leaf().module_name
        with hk.name_scope("x", method_name="__init__"):
            b = Leaf().module_name
        with hk.name_scope("foo"):
            pass
        # A name scope takes a module name: the next Foo is numbered.
        c = Foo().module_name
        return a, b, c

    assert collect(fn) == ("x/~foo/leaf", "x_1/~/leaf", "foo_1")


@pytest.mark.parametrize("bad", ["a b", "a//b", "1a"])
def test_name_scope_rejects_invalid_names(bad):
    def fn():
        with hk.name_scope(bad):
            pass

    with pytest.raises(ValueError, match="not a valid"):
        hk.transform(fn).init(None)


def test_name_scope_is_closed_by_an_exception():
    def fn():
        try:
            with hk.name_scope("s"):
                raise KeyError("inside")
        except KeyError:
            pass
        return hk.current_name()

    assert collect(fn) == "~"


# force_name.


def test_force_name_shares_parameters():
    def fn():
        mod0 = Leaf()
        mod1 = Leaf(name=hk.force_name(mod0.module_name))
        assert mod1.module_name == mod0.module_name
        return mod0(1.0) + mod1(2.0)

    f = hk.transform(fn)
    params = f.init(None)
    assert list(params) == ["leaf"]
    assert f.apply({"leaf": {"w": jnp.array(10.0)}}, None) == 23.0


def test_force_name_ignores_enclosing_modules_and_scopes():
    class Outer(hk.Module):
        def __call__(self):
            with hk.name_scope("scope"):
                forced = Leaf(name=hk.force_name("forced/x"))
                forced()
                return forced.module_name, forced.name

    def fn():
        names = Outer()()
        return names, list(hk.get_params())

    (module_name, name), params = collect(fn)
    assert module_name == "forced/x"
    assert name == "x"
    assert params == ["forced/x"]


def test_force_name_twice_is_a_singleton():
    def fn():
        a = Leaf(name=hk.force_name("shared"))
        b = Leaf(name=hk.force_name("shared"))
        return a.module_name, b.module_name

    assert collect(fn) == ("shared", "shared")


# Dataclass modules.


@dataclasses.dataclass
class Scale(hk.Module):
    size: int
    scale: float = 1.0
    name: str | None = None

    def __call__(self, x):
        return x * hk.get_parameter("w", [self.size], init=jnp.ones) * self.scale


@dataclasses.dataclass
class Holder(hk.Module):
    size: int = 2
    name: str | None = None

    def __post_init__(self):
        super().__post_init__()
        self.inner = Scale(self.size, name="inner")

    def __call__(self, x):
        return self.inner(x)


def test_dataclass_modules():
    def fn():
        a = Scale(3)
        b = Scale(3, scale=2.0, name="custom")
        c = Scale(3)
        h = Holder()
        a(1.0), b(1.0), c(1.0), h(1.0)
        return [m.module_name for m in (a, b, c, h, h.inner)], [repr(a), repr(b), repr(h)]

    names, reprs = collect(fn)
    assert names == ["scale", "custom", "scale_1", "holder", "holder/~/inner"]
    assert reprs == ["Scale(size=3)", "Scale(size=3, scale=2.0, name='custom')", "Holder()"]
    params = init_params(lambda: Holder(size=4)(1.0))
    assert list(params) == ["holder/~/inner"]
    assert params["holder/~/inner"]["w"].shape == (4,)


def test_dataclass_module_fields_and_equality_are_dataclass_ones():
    def fn():
        s = Scale(3, scale=0.5)
        return dataclasses.asdict(s), s.name

    fields, name = collect(fn)
    assert fields == {"size": 3, "scale": 0.5, "name": "scale"}
    assert name == "scale"


# params_dict / state_dict.


def test_params_dict_and_state_dict():
    class Inner(hk.Module):
        def __call__(self):
            hk.get_parameter("q", [1], init=jnp.zeros)
            hk.set_state("t", jnp.ones([]))

    class Plain(hk.Module):
        def __call__(self):
            hk.set_state("s", jnp.zeros([2]))
            hk.get_parameter("p", [3], init=jnp.zeros)
            Inner()()
            return self.params_dict(), self.state_dict()

    class Sibling(hk.Module):
        def __call__(self):
            return hk.get_parameter("z", [], init=jnp.zeros)

    def fn():
        # A module whose name starts like another's is not its child.
        Sibling(name="plain_extra")()
        plain = Plain()
        during = plain()
        return during, plain.params_dict(), plain.state_dict()

    out = []
    hk.transform_with_state(lambda: out.append(fn())).init(None)
    (params_during, state_during), params_after, state_after = out[0]
    shapes = jax.tree_util.tree_map(jnp.shape, params_after)
    assert list(params_after) == ["plain/p", "plain/inner/q"]
    assert shapes == {"plain/p": (3,), "plain/inner/q": (1,)}
    assert list(state_after) == ["plain/s", "plain/inner/t"]
    assert jax.tree_util.tree_map(jnp.shape, params_during) == shapes
    assert list(state_during) == ["plain/s", "plain/inner/t"]


# Automatic __repr__.


class Plain(hk.Module):
    def __init__(self, a, b=2, *, c="x", name=None):
        super().__init__(name=name)


class NoRepr(hk.Module):
    AUTO_REPR = False


class OwnRepr(hk.Module):
    def __repr__(self):
        return "OWN"


def test_auto_repr():
    def fn():
        return [
            repr(Plain(1)),
            repr(Plain(1, 3, c="y", name="pp")),
            repr(Plain(1, 2)),
            repr(Plain(a=1, b=2)),
            # Keyword-only arguments that were passed show, even at their default.
            repr(Plain(1, 2, c="x")),
            repr(Plain(1, name=None)),
            repr(Plain(a=jnp.ones(2))),
            repr(OwnRepr()),
            repr(NoRepr()),
        ]

    reprs = collect(fn)
    assert reprs[:-1] == [
        "Plain(a=1)",
        "Plain(a=1, b=3, c='y', name='pp')",
        "Plain(a=1)",
        "Plain(a=1)",
        "Plain(a=1, c='x')",
        "Plain(a=1, name=None)",
        "Plain(a=Array([1., 1.], dtype=float32))",
        "OWN",
    ]
    assert reprs[-1].startswith("<") and "NoRepr object at" in reprs[-1]


def test_auto_repr_over_80_characters_puts_one_argument_per_line():
    # Each expected text was printed by dm-haiku 0.0.17 for the same calls.
    def fn():
        return [
            repr(Plain("x" * 69)),  # 80 characters: still one line
            repr(Plain("x" * 70)),
            repr(Plain(Plain("y" * 90), b={"k2": "w" * 40, "k": "v" * 40})),
            repr(Plain("word " * 20, c=["z" * 50] * 2)),
        ]

    one_line, two_lines, nested, wrapped = collect(fn)
    assert one_line == f"Plain(a='{'x' * 69}')"
    assert two_lines == f"Plain(\n    a='{'x' * 70}',\n)"
    # Nested reprs are aligned after "a="; the multi-line form uses
    # pprint.pformat, which sorts dicts and wraps long containers and strings.
    assert nested == (
        "Plain(\n"
        "    a=Plain(\n"
        f"          a='{'y' * 90}',\n"
        "      ),\n"
        f"    b={{'k': '{'v' * 40}',\n"
        f"       'k2': '{'w' * 40}'}},\n"
        ")"
    )
    assert wrapped == (
        "Plain(\n"
        f"    a=('{'word ' * 15}'\n"
        f"       '{'word ' * 5}'),\n"
        f"    c=['{'z' * 50}',\n"
        f"       '{'z' * 50}'],\n"
        ")"
    )


def test_module_auto_repr_switches():
    def repr_plain():
        return collect(lambda: repr(Plain(1)))

    try:
        assert hk.experimental.module_auto_repr(False) is True
        assert "Plain object at" in repr_plain()
        assert hk.experimental.module_auto_repr(True) is False
        assert repr_plain() == "Plain(a=1)"
        hk.config.set(module_auto_repr=False)
        assert "Plain object at" in repr_plain()
        hk.config.set(module_auto_repr=True)
        assert repr_plain() == "Plain(a=1)"
        with hk.config.context(module_auto_repr=False):
            assert "Plain object at" in repr_plain()
        assert repr_plain() == "Plain(a=1)"
    finally:
        hk.config.set(module_auto_repr=True)


def test_current_name():
    class Mod(hk.Module):
        def __call__(self):
            return hk.current_name()

        def other(self):
            return hk.current_name()

    def fn():
        top = hk.current_name()
        mod = Mod()
        return top, mod(), mod.other()

    assert collect(fn) == ("~", "mod", "mod")


# hk.Deferred.


class Sized(hk.Module):
    def __call__(self, x):
        self.input_size = x.shape[-1]
        return x * hk.get_parameter("s", [x.shape[-1]], init=jnp.ones)

    def other(self, x):
        return x + 1


def test_deferred_builds_on_first_call():
    def fn(x):
        first = Sized()
        second = hk.Deferred(lambda: Sized(name=f"after_{first.input_size}"))
        with pytest.raises(AttributeError):
            second.input_size  # noqa: B018 - not built yet.
        y = second(first(x))
        assert second.input_size == 3
        assert isinstance(second.target, Sized)
        assert repr(second) == "Deferred(Sized(name='after_3'))"
        other = hk.Deferred(Sized, call_methods=("other",))
        assert other.other(1.0) == 2.0
        return y

    params = init_params(fn, jnp.ones([3]))
    assert list(params) == ["sized", "after_3"]


def test_deferred_target_is_named_where_the_deferred_was_constructed():
    class Holder(hk.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.later = hk.Deferred(Sized)

        def __call__(self, x):
            return self.later(x)

    class User(hk.Module):
        def __init__(self, deferred, name=None):
            super().__init__(name=name)
            self.deferred = deferred

        def __call__(self, x):
            Sized()(x)
            made_here = hk.Deferred(Sized)
            Sized()(x)
            return self.deferred(x) + made_here(x)

    def fn(x):
        Holder()(x)
        top = hk.Deferred(Sized)
        Sized()(x)
        return User(top)(x)

    # dm-haiku 0.0.17: a target is named in the module method call that was
    # running when the Deferred was made (numbering continues there if that
    # call is still running).
    assert list(init_params(fn, jnp.ones([3]))) == [
        "holder/~/sized",
        "sized",
        "user/sized",
        "user/sized_1",
        "sized_1",
        "user/sized_2",
    ]
