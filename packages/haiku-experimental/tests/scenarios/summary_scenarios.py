"""Scenarios of ``hk.experimental.tabulate`` and ``eval_summary``, for the oracle parity.

Only haiku-core APIs are used (no hk.Linear), so the same code runs under
haiku-core + haiku-experimental and, live on the same machine, under dm-haiku
0.0.17 (``test_summarise.py``, through the ``haiku_oracle`` harness). Two
registries of functions of no arguments: ``TABLES`` returns the text of a
table (and its type), ``SUMMARIES`` a JSON-able view of each ``MethodInvocation`` of
``eval_summary``. The tables print parameter counts and byte sizes, which
come from shapes and dtypes; running them live keeps the whole text compared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp


class Dense(hk.Module):
    """A linear layer of ones (and a bias of zeros) from haiku-core APIs alone."""

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
    """Dense layers, the last one called inside a name scope beside a second head."""

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
    """A bf16 parameter, a state, keyword arguments, a nested output and other methods."""

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
    """An int8 parameter of ``n`` elements (sizes that the tables print with separators)."""

    def __init__(self, n, name=None):
        super().__init__(name=name)
        self.n = n

    def __call__(self, x):
        return x + hk.get_parameter("p", [self.n], jnp.int8, init=jnp.zeros).sum()


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


# name -> (function, builder of its arguments).
FUNCTIONS: dict[str, tuple[Callable[..., Any], Callable[[], tuple]]] = {
    "tower": (tower, lambda: (jnp.ones([2, 3]),)),
    "counter": (counter, lambda: (jnp.ones([2, 4]),)),
    "blobs": (blobs, lambda: (jax.ShapeDtypeStruct((), jnp.float32),)),
    "no_modules": (no_modules, lambda: (jnp.ones([2]),)),
}


# (label, function, wrap, tabulate keyword arguments). ``wrap`` says what
# tabulate is given: the raw function, hk.transform(f), hk.transform_with_state(f),
# or the init/apply functions of hk.transform_with_state(f).
TABLE_CASES = [
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


def wrap(f, how):
    """What tabulate is given for ``how`` (see :data:`TABLE_CASES`)."""
    if how == "raw":
        return f
    if how == "transform":
        return hk.transform(f)
    tf = hk.transform_with_state(f)
    if how == "transform_with_state":
        return tf
    return getattr(tf, how)


def describe_details(d):
    """A JSON-able view of a ModuleDetails: names, class, method, specs of params and state."""
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


def _table(name: str, how: str, kwargs: dict) -> Callable[[], dict]:
    def scenario():
        f, args = FUNCTIONS[name]
        table = hk.experimental.tabulate(wrap(f, how), **kwargs)(*args())
        # The type on its own: an HTML table is tabulate's str subclass
        # JupyterHTMLStr, which the oracle's results (JSON) would not keep.
        return {"text": str(table), "type": type(table).__name__}
    return scenario


def _summary(name: str) -> Callable[[], list]:
    def scenario():
        f, args = FUNCTIONS[name]
        return [describe_invocation(i) for i in hk.experimental.eval_summary(f)(*args())]
    return scenario


TABLES: dict[str, Callable[[], dict]] = {
    label: _table(name, how, kwargs) for label, name, how, kwargs in TABLE_CASES}
SUMMARIES: dict[str, Callable[[], list]] = {
    name: _summary(name) for name in ("tower", "counter", "blobs", "no_modules")}
