"""Oracle-parity scenarios of the core runtime, run by both dm-haiku and haiku.

Public ``hk`` API only (plus ``jax``/``numpy``), so the very same code runs
under our haiku in the tests and, live on the same machine, under dm-haiku
0.0.17 (through the ``dm_haiku`` fixture of ``tests/oracle``):
``tests/test_core_oracle_parity.py`` runs :data:`CORE_SCENARIOS` and the
repository's ``tests/test_core_nets_oracle_parity.py`` runs
:data:`NETS_SCENARIOS`. The other scenario modules of this folder reuse the
building blocks below.

Each scenario is a function of no arguments returning a tree (dicts, lists,
tuples) whose leaves are arrays, PRNG keys or JSON values; dict order is
kept, so the comparison also pins the order in which parameters and state
are created.

* :data:`CORE_SCENARIOS` need only haiku-core.
* :data:`NETS_SCENARIOS` also use ``hk.Linear`` and ``hk.Bias``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Optional

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

CORE_SCENARIOS: dict[str, Callable[[], Any]] = {}
NETS_SCENARIOS: dict[str, Callable[[], Any]] = {}


def core(fn):
    CORE_SCENARIOS[fn.__name__] = fn
    return fn


def nets(fn):
    NETS_SCENARIOS[fn.__name__] = fn
    return fn


def shapes(tree: Any) -> Any:
    """``{module: {name: [shape, dtype]}}`` of a params/state tree, as JSON."""
    return {
        m: {k: [list(np.shape(v)), str(np.asarray(v).dtype)] for k, v in b.items()}
        for m, b in tree.items()
    }


# Building blocks: plain modules with random initializers drawn from
# hk.next_rng_key (so the numbers depend on the RNG scheme, not on
# hk.initializers).


def normal(stddev: float = 1.0) -> Callable[[Any, Any], jax.Array]:
    def init(shape, dtype):
        return (stddev * jax.random.normal(hk.next_rng_key(), shape, jnp.float32)).astype(dtype)

    return init


def uniform(lo: float = -1.0, hi: float = 1.0) -> Callable[[Any, Any], jax.Array]:
    def init(shape, dtype):
        return jax.random.uniform(hk.next_rng_key(), shape, dtype, lo, hi)

    return init


class Dense(hk.Module):
    """``x @ w + b``: ``w`` normal, ``b`` uniform."""

    def __init__(self, size: int, name: Optional[str] = None):
        super().__init__(name=name)
        self.size = size

    def __call__(self, x):
        w = hk.get_parameter("w", [x.shape[-1], self.size], x.dtype, init=normal(0.5))
        b = hk.get_parameter("b", [self.size], x.dtype, init=uniform(-0.1, 0.1))
        return x @ w + b


class Scale(hk.Module):
    def __call__(self, x):
        return x * hk.get_parameter("scale", [x.shape[-1]], x.dtype, init=uniform(0.5, 1.5))


class Block(hk.Module):
    """Submodules from __init__, __call__, another method and name_like."""

    def __init__(self, width: int, name: Optional[str] = None):
        super().__init__(name=name)
        self.width = width
        self.proj = Dense(width)

    def __call__(self, x):
        h = jnp.tanh(self.proj(x))
        h = Dense(self.width)(h)
        h = self.gate(h)
        h = self.refine(h)
        return h + Scale()(h)

    def gate(self, x):
        return x * jax.nn.sigmoid(Dense(x.shape[-1], name="gate_proj")(x))

    @hk.name_like("__call__")
    def refine(self, x):
        return Dense(self.width, name="refine")(x)


class Tower(hk.Module):
    def __call__(self, x):
        for _ in range(2):
            x = Block(3)(x)
        with hk.name_scope("head"):
            x = Dense(3)(x)
            bias = hk.get_parameter("bias", [3], init=normal(0.1))
        with hk.name_scope("head"):
            x = Dense(3)(x)
        return x + bias + self.aux(x)

    def aux(self, x):
        return Dense(3, name="aux_proj")(x)


@dataclasses.dataclass
class DataScale(hk.Module):
    size: int
    offset: float = 0.0
    name: Optional[str] = None

    def __call__(self, x):
        return x * hk.get_parameter("s", [self.size], init=uniform()) + self.offset


def _biased(x):
    return x + hk.get_parameter("b", [x.shape[-1]], init=normal())


Biased = hk.to_module(_biased)


def _nested_forward(x):
    y = Tower()(x)
    with hk.name_scope("outer/inner"):
        y = Dense(3)(y)
    shared = Dense(3, name="shared")
    y = shared(y)
    y = Dense(3, name=hk.force_name(shared.module_name))(y)
    y = Biased()(y) + Biased(name="biased_7")(y) + Biased()(y)
    y = DataScale(3, offset=0.5)(y)
    return Tower(name="tower_3")(x) + y


X = np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(4, 3)


@core
def nested_modules():
    """Nested modules, name scopes, non-__call__ methods, force_name, to_module."""
    f = hk.transform(_nested_forward)
    params = f.init(jax.random.PRNGKey(42), X)
    out = f.apply(params, None, X)
    return {"params": params, "out": out, "shapes": shapes(params)}


@core
def jit_int_seed():
    """jax.jit of init (an int seed, traced) and apply."""
    f = hk.transform(lambda x: Block(3)(x))
    params = jax.jit(f.init)(42, X)
    return {"params": params, "out": jax.jit(f.apply)(params, None, X)}


class Counter(hk.Module):
    def __call__(self):
        n = hk.get_state("n", [], jnp.int32, init=jnp.zeros)
        hk.set_state("n", n + 1)
        return n


class Ema(hk.Module):
    def __init__(self, decay: float, name: Optional[str] = None):
        super().__init__(name=name)
        self.decay = decay
        self.counter = Counter()

    def __call__(self, x):
        self.counter()
        avg = hk.get_state("avg", x.shape, x.dtype, init=jnp.zeros)
        avg = self.decay * avg + (1 - self.decay) * x
        hk.set_state("avg", avg)
        return avg


class Noisy(hk.Module):
    """Stateful and random: a noise mask drawn in every call."""

    def __call__(self, x):
        x = Dense(3)(x)
        keep = jax.random.bernoulli(hk.next_rng_key(), 0.7, x.shape)
        x = jnp.where(keep, x / 0.7, 0.0)
        with hk.name_scope("stats"):
            total = hk.get_state("total", [], init=jnp.zeros)
            hk.set_state("total", total + jnp.sum(x))
            hk.set_state("last", x)
        return Ema(0.9)(x) + Ema(0.5, name="fast")(x)


def _stateful_forward(x):
    out = Noisy()(x)
    top = hk.get_state("calls", [], jnp.int32, init=jnp.ones)
    hk.set_state("calls", top * 2)
    return out


@core
def stateful():
    """State: initial vs current values, several apply steps, random state."""
    f = hk.transform_with_state(_stateful_forward)
    params, state = f.init(jax.random.PRNGKey(1), X)
    steps = []
    current = state
    for step in range(3):
        out, current = f.apply(params, current, jax.random.PRNGKey(100 + step), X)
        steps.append({"out": out, "state": current})
    return {"params": params, "initial_state": state, "steps": steps}


def _rng_draws():
    out = {}
    out["first"] = hk.next_rng_key()
    out["keys3"] = hk.next_rng_keys(3)
    hk.reserve_rng_keys(4)
    out["reserved"] = [hk.next_rng_key() for _ in range(5)]
    out["keys2_after_reserve"] = hk.next_rng_keys(2)
    hk.reserve_rng_keys(2)
    out["keys3_with_reserved"] = hk.next_rng_keys(3)
    with hk.with_rng(jax.random.PRNGKey(11)):
        out["with_rng"] = [hk.next_rng_key(), hk.next_rng_key()]
        out["with_rng_keys"] = hk.next_rng_keys(2)
        with hk.with_rng(jax.random.PRNGKey(12)):
            out["with_rng_nested"] = hk.next_rng_key()
        out["with_rng_after_nested"] = hk.next_rng_key()
    out["maybe"] = hk.maybe_next_rng_key()
    state = hk.maybe_get_rng_sequence_state()
    out["before_replace"] = [hk.next_rng_key() for _ in range(2)]
    hk.replace_rng_sequence_state(state)
    out["after_replace"] = [hk.next_rng_key() for _ in range(2)]
    out["uniform"] = jax.random.uniform(hk.next_rng_key(), [3])
    out["normal"] = jax.random.normal(hk.next_rng_key(), [2, 2])
    out["param"] = hk.get_parameter("w", [2, 2], init=normal())
    return out


def _rng_runs(key, jit=False):
    f = hk.transform(_rng_draws)
    params = f.init(key)
    out = {"init_params": params, "apply": f.apply(params, key)}
    if jit:
        out["apply_jit"] = jax.jit(f.apply)(params, key)
    return out


@core
def rng_raw_key():
    """The key splitting scheme: next_rng_key(s), reserve, with_rng, state."""
    return _rng_runs(jax.random.PRNGKey(7), jit=True)


@core
def rng_typed_key():
    return _rng_runs(jax.random.key(7))


@core
def rng_int_seed():
    f = hk.transform(_rng_draws)
    params = f.init(7)
    return {"init_params": params, "apply": f.apply(params, 7)}


@core
def rng_reserve_size():
    with hk.config.context(rng_reserve_size=3):
        f = hk.transform(lambda: [hk.next_rng_key() for _ in range(7)] + [hk.next_rng_keys(2)])
        return f.apply({}, jax.random.PRNGKey(3))


@core
def prng_sequence():
    out = {}
    for label, seed in [("int", 5), ("raw", jax.random.PRNGKey(5)), ("typed", jax.random.key(5))]:
        seq = hk.PRNGSequence(seed)
        keys = [next(seq), next(seq)]
        seq.reserve(3)
        keys += [next(seq) for _ in range(4)]
        out[label] = keys
    return out


def _multi():
    encoder = Dense(2, name="encoder")
    decoder = Dense(3, name="decoder")
    counter = Counter()

    def init(x):
        counter()
        return decoder(encoder(x))

    def roundtrip(x):
        counter()
        return decoder(encoder(x))

    return init, {"encode": encoder, "decode": decoder, "both": (roundtrip, counter)}


@core
def multi_transform():
    f = hk.multi_transform_with_state(_multi)
    params, state = f.init(jax.random.PRNGKey(9), X)
    z, state1 = f.apply["encode"](params, state, None, X)
    y, state2 = f.apply["decode"](params, state1, None, z)
    r, state3 = f.apply["both"][0](params, state2, None, X)
    n, state4 = f.apply["both"][1](params, state3, None)
    g = hk.multi_transform(lambda: (lambda x: Dense(2, name="encoder")(x), ()))
    return {
        "params": params,
        "state": state,
        "z": z,
        "y": y,
        "r": r,
        "n": n,
        "states": [state1, state2, state3, state4],
        "stateless_params": g.init(jax.random.PRNGKey(9), X),
    }


@core
def interception():
    """Creators, getters, setters and method interceptors change the numbers."""
    log: list[Any] = []

    def double_init(next_creator, shape, dtype, init, context):
        log.append(["creator", context.full_name, list(context.original_shape)])
        return next_creator(shape, dtype, lambda s, d: 2 * init(s, d))

    def skip_scale(next_creator, shape, dtype, init, context):
        if context.name == "scale":
            return hk.DO_NOT_STORE
        return next_creator(shape, dtype, init)

    def provide_scale(next_getter, value, context):
        if value is hk.DO_NOT_STORE:
            value = jnp.full(context.original_shape, 3.0, context.original_dtype)
        return next_getter(value)

    def bf16(next_getter, value, context):
        log.append(["getter", context.full_name])
        return next_getter(value.astype(jnp.bfloat16))

    def clip_setter(next_setter, value, context):
        log.append(["setter", context.full_name])
        return next_setter(jnp.clip(value, -0.5, 0.5))

    def interceptor(next_fun, args, kwargs, context):
        log.append(
            [
                "method",
                getattr(context.module, "module_name", None),
                context.method_name,
                context.orig_class.__name__,
            ]
        )
        return next_fun(*args, **kwargs)

    def forward(x):
        with hk.custom_creator(double_init), hk.custom_creator(skip_scale):
            with hk.custom_getter(provide_scale), hk.custom_getter(bf16, state=True):
                with hk.custom_setter(clip_setter), hk.intercept_methods(interceptor):
                    y = Block(3)(x.astype(jnp.bfloat16))
                    hk.set_state("y", y.astype(jnp.float32))
                    return y, hk.get_state("y")

    f = hk.transform_with_state(forward)
    params, state = f.init(jax.random.PRNGKey(5), X)
    init_log = list(log)
    log.clear()
    out, new_state = f.apply(params, state, None, X)
    return {
        "params": params,
        "state": state,
        "out": out,
        "new_state": new_state,
        "init_log": init_log,
        "apply_log": log,
    }


@core
def module_names():
    """Names of modules made in many ways (JSON only)."""
    names: list[Any] = []

    class Leaf(hk.Module):
        def __call__(self):
            return hk.get_parameter("w", [], init=jnp.ones)

    class Parent(hk.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.a = Leaf()
            self.b = Leaf(name="leaf_5")

        def __call__(self):
            names.append([Leaf().module_name, Leaf().module_name, self.a.module_name])
            self.other()
            self.a()
            return hk.current_name()

        def other(self):
            with hk.name_scope("scope"):
                names.append([hk.current_name(), Leaf().module_name])

    class MLP(hk.Module):
        pass

    class Conv2DTranspose(hk.Module):
        pass

    def forward():
        names.append([Parent()(), Parent(name="p")(), Parent(name="p")()])
        names.append([MLP().module_name, Conv2DTranspose().module_name, MLP().module_name])
        names.append([Leaf(name=n).module_name for n in ["x_3", "x", "x_01", "x", "x_0"]])
        with hk.name_scope("a/b"):
            names.append([hk.current_name(), Leaf().module_name])
        with hk.name_scope("a/b"):
            names.append([hk.current_name()])
        names.append([DataScale(2).module_name, DataScale(2, name="ds").module_name])
        return list(hk.get_params())

    params = hk.transform(forward).init(None)
    return {"names": names, "params": list(params)}


@core
def dtypes():
    """Parameters and state of several dtypes, drawn from the RNG."""

    def forward():
        out = {}
        for dtype in ["float32", "bfloat16", "float16"]:
            out[dtype] = hk.get_parameter(f"p_{dtype}", [3, 2], jnp.dtype(dtype), init=normal(0.3))
        out["int32"] = hk.get_parameter(
            "p_int32",
            [4],
            jnp.int32,
            init=lambda s, d: jax.random.randint(hk.next_rng_key(), s, 0, 100, d),
        )
        out["state"] = hk.get_state("s", [2], jnp.bfloat16, init=uniform())
        return out

    f = hk.transform_with_state(forward)
    params, state = f.init(jax.random.PRNGKey(0))
    return {"params": params, "state": state, "apply": f.apply(params, state, None)}


# Scenarios using haiku-nets' Linear and Bias.


class MLP(hk.Module):
    def __init__(self, sizes, name=None):
        super().__init__(name=name)
        self.layers = [hk.Linear(s) for s in sizes]

    def __call__(self, x):
        for layer in self.layers[:-1]:
            x = jax.nn.relu(layer(x))
        return self.layers[-1](x)


def _linear_forward(x):
    y = MLP([5, 4, 3])(x)
    y = hk.Linear(3, with_bias=False, name="no_bias")(y)
    with hk.name_scope("head"):
        y = hk.Linear(2, b_init=uniform())(y)
        y = hk.Bias()(y)
    y = hk.Bias(b_init=normal(), bias_dims=[-1])(y)
    return hk.Linear(2)(y) + hk.Linear(2)(y)


@nets
def linear_layers():
    """Several hk.Linear/hk.Bias layers with the default initializers."""
    f = hk.transform(_linear_forward)
    params = f.init(jax.random.PRNGKey(42), X)
    return {
        "params": params,
        "shapes": shapes(params),
        "out": f.apply(params, None, X),
        "out_jit": jax.jit(f.apply)(params, None, X),
        "typed_key_params": f.init(jax.random.key(42), X),
    }


@nets
def linear_multi_transform():
    def make():
        encoder = hk.Linear(2, name="encoder")
        decoder = hk.Linear(3, name="decoder")
        return (lambda x: decoder(encoder(x))), (encoder, decoder)

    f = hk.multi_transform(make)
    params = f.init(jax.random.PRNGKey(3), X)
    encode, decode = f.apply
    z = encode(params, None, X)
    return {"params": params, "z": z, "y": decode(params, None, z)}


@nets
def linear_bf16():
    f = hk.transform(lambda x: hk.Linear(4)(x.astype(jnp.bfloat16)))
    params = f.init(jax.random.PRNGKey(0), X)
    return {"params": params, "out": f.apply(params, None, X)}
