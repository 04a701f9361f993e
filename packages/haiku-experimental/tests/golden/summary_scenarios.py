"""Scenarios of the tabulate/eval_summary goldens, shared by the generator and the tests.

Only haiku-core APIs are used (no hk.Linear), so the same code runs under
dm-haiku 0.0.17 (the oracle) and under haiku-core + haiku-experimental.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def make_modules(hk):
    """Module classes written against the given ``hk`` module."""

    class Dense(hk.Module):
        def __init__(self, output_size, with_bias=True, name=None):
            super().__init__(name=name)
            self.output_size = output_size
            self.with_bias = with_bias

        def __call__(self, x):
            w = hk.get_parameter("w", [x.shape[-1], self.output_size], init=jnp.ones)
            out = x @ w
            if self.with_bias:
                out = out + hk.get_parameter("b", [self.output_size], init=jnp.zeros)
            return out

    class Tower(hk.Module):
        def __init__(self, sizes, name=None):
            super().__init__(name=name)
            self.sizes = sizes
            self.layers = [Dense(s, name=f"dense_{i}") for i, s in enumerate(sizes)]

        def __call__(self, x):
            for layer in self.layers[:-1]:
                x = jax.nn.relu(layer(x))
            with hk.name_scope("head"):
                return self.layers[-1](x) + Dense(self.sizes[-1], with_bias=False)(x)

    class Counter(hk.Module):
        def __call__(self, x, y=None, *, scale=1.0):
            w = hk.get_parameter("w", [x.shape[-1], 3], jnp.bfloat16, init=jnp.ones)
            count = hk.get_state("count", [], jnp.int32, init=jnp.zeros)
            hk.set_state("count", count + 1)
            return {"out": x @ w.astype(x.dtype) * scale, "pair": (x, 3)}

        def log(self, x):
            del x
            return None

        def encode(self, x):
            return Dense(2)(x)

    class Blob(hk.Module):
        def __init__(self, n, name=None):
            super().__init__(name=name)
            self.n = n

        def __call__(self, x):
            return x + hk.get_parameter("p", [self.n], jnp.int8, init=jnp.zeros).sum()

    return Dense, Tower, Counter, Blob


def make_functions(hk):
    """name -> (function, args builder) of every scenario."""
    Dense, Tower, Counter, Blob = make_modules(hk)

    def tower(x):
        return Tower([5, 4, 3])(x)

    def counter(x):
        c = Counter()
        c.log(x)
        mid = c.encode(x)
        return c(mid, y=2, scale=jnp.ones([3])), Dense(1, name="side")(x)

    def blobs(x):
        for n in (0, 999, 1000, 1_000_000, 3_000_000_000):
            x = Blob(n)(x)
        return x

    def no_modules(x):
        return x * 2

    return {
        "tower": (tower, lambda: (jnp.ones([2, 3]),)),
        "counter": (counter, lambda: (jnp.ones([2, 4]),)),
        "blobs": (blobs, lambda: (jax.ShapeDtypeStruct((), jnp.float32),)),
        "no_modules": (no_modules, lambda: (jnp.ones([2]),)),
    }


# (label, scenario, wrap, tabulate keyword arguments). ``wrap`` says what
# tabulate is given: the raw function, hk.transform(f), hk.transform_with_state(f),
# or the init/apply functions of hk.transform_with_state(f).
TABLES = [
    ("tower_default", "tower", "transform", {}),
    ("tower_raw", "tower", "raw", {}),
    ("tower_no_filters", "tower", "transform", {"filters": ()}),
    ("tower_has_params", "tower", "transform", {"filters": ("has_params",)}),
    ("tower_both_filters", "tower", "raw", {"filters": ("has_output", "has_params")}),
    ("tower_columns", "tower", "raw", {"columns": ("output", "module", "params_size")}),
    ("tower_github", "tower", "raw", {"tabulate_kwargs": {"tablefmt": "github"}}),
    ("tower_simple", "tower", "raw", {"tabulate_kwargs": {}}),
    ("tower_html", "tower", "raw", {"columns": ("module", "params_bytes"),
                                    "tabulate_kwargs": {"tablefmt": "html"}}),
    ("counter_default", "counter", "transform_with_state", {}),
    ("counter_no_filters", "counter", "transform_with_state", {"filters": ()}),
    ("counter_init", "counter", "init", {"filters": ()}),
    ("counter_apply", "counter", "apply", {"columns": ("module", "input", "output")}),
    ("blobs_bytes", "blobs", "raw", {"columns": ("module", "params_size", "params_bytes")}),
    ("no_modules", "no_modules", "raw", {}),
    ("no_columns", "tower", "raw", {"columns": ()}),
]

SUMMARIES = ["tower", "counter", "blobs", "no_modules"]


def wrap(hk, f, how):
    if how == "raw":
        return f
    if how == "transform":
        return hk.transform(f)
    tf = hk.transform_with_state(f)
    if how == "transform_with_state":
        return tf
    return getattr(tf, how)


def describe_details(d):
    return {
        "module_name": d.module.module_name,
        "class": type(d.module).__name__,
        "method_name": d.method_name,
        "params": {k: repr(v) for k, v in d.params.items()},
        "state": {k: repr(v) for k, v in d.state.items()},
    }


def describe_invocation(i):
    """A JSON-able view of a MethodInvocation (no object addresses)."""
    return {
        "details": describe_details(i.module_details),
        "args_spec": repr(i.args_spec),
        "kwargs_spec": repr(i.kwargs_spec),
        "output_spec": repr(i.output_spec),
        "context": [i.context.method_name, i.context.orig_class.__name__],
        "call_stack": [describe_details(d) for d in i.call_stack],
    }
