"""haiku.extend: the public API plugins build on."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest

import haiku as hk
import haiku.extend


class Inner(hk.Module):
    def __call__(self):
        return [(c.module.module_name, type(c.module).__name__, c.method_name)
                for c in haiku.extend.module_stack()]


class Outer(hk.Module):
    def __call__(self):
        with hk.name_scope("scope"):
            return Inner()()

    def encode(self):
        return Inner()()


def test_module_stack_lists_running_methods_outermost_first():
    stack = hk.transform(lambda: Outer()()).apply({}, None)
    assert stack == [
        ("outer", "Outer", "__call__"),
        ("outer/scope", "NameScopeModule", "__call__"),
        ("outer/scope/inner", "Inner", "__call__"),
    ]
    stack = hk.transform(lambda: Outer().encode()).apply({}, None)
    assert stack == [("outer", "Outer", "encode"), ("outer/~encode/inner", "Inner", "__call__")]
    assert hk.transform(lambda: haiku.extend.module_stack()).apply({}, None) == ()


def test_module_stack_outside_a_transform_names_the_caller():
    with pytest.raises(ValueError, match=r"^`my_tool` must be used as part of an `hk.transform`.$"):
        haiku.extend.module_stack("my_tool")


def test_module_call_is_a_named_pair():
    call = haiku.extend.ModuleCall(module="m", method_name="__call__")
    assert tuple(call) == ("m", "__call__")


def test_substitute_runs_only_under_fast_eval_shape():
    calls = []

    def cheap(x):
        calls.append("cheap")
        return x

    @haiku.extend.substitute_in_fast_eval_shape(cheap)
    def noisy(x):
        calls.append("real")
        return x + jax.random.normal(jax.random.PRNGKey(0), x.shape)

    # The substitute keeps bfloat16 where the real function promotes to float32:
    # the shape comes from the substitute alone.
    out = hk.experimental.fast_eval_shape(noisy, jnp.ones([3], jnp.bfloat16))
    assert (out.shape, out.dtype, calls) == ((3,), jnp.bfloat16, ["cheap"])
    assert noisy(jnp.ones([3], jnp.bfloat16)).dtype == jnp.float32
    assert calls == ["cheap", "real"]


def test_extend_is_a_reserved_real_module():
    assert hk.extend is haiku.extend
    assert "extend" in dir(hk)
    assert dir(haiku.extend) == sorted(
        {*haiku.extend.__all__, *(n for n in vars(haiku.extend) if n.startswith("__"))})
