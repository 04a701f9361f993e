"""Scenarios of the Flax bridge, run under our haiku and, live, under dm-haiku 0.0.17.

Each scenario uses only the public API (``hk.experimental.flax`` and Flax) and
returns a flat dict of entries: JSON values (the key order of every tree, so
parameter names *and* their order are compared) and arrays (compared bit for
bit). ``test_flax_oracle_parity.py`` runs the same code under our haiku and,
on the same machine, under dm-haiku 0.0.17 (through the ``haiku_oracle``
harness), with the same Flax.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import flax
import flax.linen as nn
import haiku as hk
import jax
import jax.numpy as jnp
from haiku.experimental import flax as hkflax

SCENARIOS: dict[str, Callable[[], dict[str, Any]]] = {}
RNG = jax.random.PRNGKey(42)


def scenario(fn: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    SCENARIOS[fn.__name__] = fn
    return fn


def tree(prefix: str, value: Any) -> dict[str, Any]:
    """A nested mapping as entries: its key order (JSON) and each leaf."""

    def keys(node: Any) -> Any:
        if isinstance(node, Mapping):
            return [[str(k), keys(v)] for k, v in node.items()]
        return None

    out: dict[str, Any] = {f"{prefix}:keys": keys(value)}

    def leaves(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            for k, v in node.items():
                leaves(v, f"{path}/{k}")
        else:
            out[f"{prefix}:{path}"] = node

    leaves(value, "")
    return out


class WithState(nn.Module):
    """Dense + BatchNorm: params and a ``batch_stats`` collection."""

    @nn.compact
    def __call__(self, x, train):
        x = nn.Dense(3)(x)
        return nn.BatchNorm(use_running_average=not train, momentum=0.5)(x)


class Counter(nn.Module):
    """A module with a non-params collection and no params."""

    @nn.compact
    def __call__(self, x):
        count = self.variable("counter", "count", lambda: jnp.zeros((), jnp.int32))
        count.value += 1
        return x * count.value


@scenario
def lift_dense_then_linear():
    def f(x):
        y = hkflax.lift(nn.Dense(3), name="dense")(x)
        return hk.Linear(2)(jax.nn.relu(y))

    f = hk.transform(f)
    x = jnp.arange(4.0).reshape([2, 2])
    params = f.init(RNG, x)
    return {**tree("params", params), "out": f.apply(params, None, x)}


@scenario
def lift_stateful_in_name_scope():
    def f(x, train):
        with hk.name_scope("outer"):
            y = hkflax.lift(WithState(), name="ws")(x, train)
        return hk.Linear(1)(y)

    f = hk.transform_with_state(f)
    x = jnp.arange(6.0).reshape([3, 2])
    params, state = f.init(RNG, x, True)
    out_train, state_train = f.apply(params, state, None, x, True)
    out_eval, state_eval = f.apply(params, state_train, None, x, False)
    return {
        **tree("params", params),
        **tree("state", state),
        "out_train": out_train,
        **tree("state_train", state_train),
        "out_eval": out_eval,
        **tree("state_eval", state_eval),
    }


@scenario
def lift_naming():
    x = jnp.ones([1, 2])

    def two_lifts(x):
        a = hkflax.lift(nn.Dense(2), name="dense")(x)
        return a + hkflax.lift(nn.Dense(2), name="dense")(x)

    class Block(hk.Module):
        def __call__(self, x):
            return hkflax.lift(nn.Dense(2), name="dense")(x) + hk.Linear(2)(x)

    def reserved_at_lift(x):
        m = hkflax.lift(nn.Dense(2), name="dense")
        y = hk.Linear(2, name="dense")(x)
        m2 = hkflax.lift(nn.Dense(2), name="dense")
        return m2(m(y))

    def unused(x):
        hkflax.lift(nn.Dense(2), name="dense")
        return x

    out = {}
    for name, fn in [("two_lifts", two_lifts), ("block", lambda x: Block()(x)),
                     ("reserved_at_lift", reserved_at_lift), ("unused", unused)]:
        params = hk.transform(fn).init(RNG, x)
        out[f"{name}:keys"] = tree(name, params)[f"{name}:keys"]  # the names only
    return out


@scenario
def lift_called_twice():
    def f(x):
        m = hkflax.lift(nn.Dense(2), name="dense")
        return m(m(x)), hk.next_rng_key()

    f = hk.transform(f)
    x = jnp.arange(2.0).reshape([1, 2])
    params = f.init(RNG, x)
    out, key = f.apply(params, RNG, x)
    return {**tree("params", params), "out": out, "key_after": key}


@scenario
def lift_counter_state():
    def f(x):
        m = hkflax.lift(Counter(), name="c")
        return m(m(x))

    f = hk.transform_with_state(f)
    x = jnp.ones([1, 2])
    params, state = f.init(RNG, x)
    out, new_state = f.apply(params, state, None, x)
    return {**tree("params", params), **tree("state", state), "out": out,
            **tree("new_state", new_state)}


@scenario
def module_transform():
    f = hk.transform(lambda x: hk.Linear(1)(x))
    mod = hkflax.Module(f)
    x = jnp.ones([1, 1])
    variables = mod.init(RNG, x)
    created = hkflax.Module.create(hk.Linear, 1)
    created_vars = created.init(RNG, x)
    return {**tree("variables", variables), "out": mod.apply(variables, x),
            **tree("created", created_vars), "created_out": created.apply(created_vars, x)}


@scenario
def module_stateful():
    def f(x, is_training):
        x = hk.nets.MLP([4, 2])(x)
        x = hk.BatchNorm(True, True, 0.9)(x, is_training)
        count = hk.get_state("count", [], jnp.int32, init=jnp.zeros)
        hk.set_state("count", count + 1)
        return x, hk.maybe_next_rng_key()

    mod = hkflax.Module(hk.transform_with_state(f))
    x = jnp.arange(6.0).reshape([2, 3])
    variables = mod.init(RNG, x, True)
    (out, key), updated = mod.apply(variables, x, True, mutable=["state"])
    (out_eval, no_key), _ = mod.apply({**variables, **updated}, x, False, mutable=["state"])
    (_, apply_key), _ = mod.apply(variables, x, True, rngs={"apply": RNG}, mutable=["state"])
    return {
        **tree("variables", variables), "out": out, "key_is_none": key is None,
        **tree("updated", updated), "out_eval": out_eval,
        "no_key": no_key is None, "apply_key": apply_key,
    }


@scenario
def module_in_flax_parent():
    class Outer(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.Dense(3)(x)
            x = hkflax.Module.create(hk.Linear, 2)(x)
            shared = hkflax.Module.create(hk.Linear, 2, name="foo")
            return shared(shared(x))

    x = jnp.arange(6.0).reshape([2, 3])
    variables = Outer().init(RNG, x)
    return {**tree("variables", variables), "out": Outer().apply(variables, x)}


@scenario
def flatten():
    deep = {"a": {"b": {"c": {"w": jnp.ones(1)}, "x": jnp.ones(2)}, "y": jnp.ones(3),
                  "z": {"q": jnp.ones(4)}}, "w0": jnp.ones(5)}

    class Nested(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.Dense(3, name="z")(x)
            x = nn.BatchNorm(use_running_average=False)(x)
            return nn.Dense(2, name="a")(x)

    variables = Nested().init(RNG, jnp.ones([2, 4]))
    return {
        **tree("deep", hkflax.flatten_flax_to_haiku(deep)),
        **tree("params", hkflax.flatten_flax_to_haiku(variables["params"])),
        **tree("batch_stats", hkflax.flatten_flax_to_haiku(variables["batch_stats"])),
        "empty": repr(hkflax.flatten_flax_to_haiku({})),  # As {} it would flatten to no entry.
        "type": type(hkflax.flatten_flax_to_haiku(variables["params"])).__name__,
    }


@scenario
def versions():
    """The Flax version: dm-haiku's results count only if they come from the Flax ours uses."""
    return {"flax": flax.__version__}
