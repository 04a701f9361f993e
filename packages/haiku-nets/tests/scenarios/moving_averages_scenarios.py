"""Scenarios for the oracle parity of the moving averages and spectral norms.

``ExponentialMovingAverage``, ``EMAParamsTree``, ``SpectralNorm`` and
``SNParamsTree``: each scenario is a function of no arguments written against
the public ``hk`` API only, so the very same code runs under our haiku and,
live on the same machine, under dm-haiku 0.0.17
(``test_moving_averages_oracle_parity.py``, through the ``haiku_oracle``
harness). It returns a flat ``{name: value}`` dict: arrays (state after
``init`` and after each ``apply`` step, outputs) or JSON values (the order of
the state entries).

Inputs come from ``np.random.RandomState`` (stable across NumPy versions);
the ``u0`` of the spectral norms from ``init`` with fixed PRNG keys.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np


def randn(seed: int, *shape: int, dtype: Any = np.float32) -> np.ndarray:
    return np.random.RandomState(seed).randn(*shape).astype(dtype)


def _record_state(result: dict, prefix: str, state: Any) -> None:
    result[f"{prefix}/state_order"] = [f"{m}/{n}" for m, b in state.items() for n in b]
    for module, bundle in state.items():
        for name, value in bundle.items():
            result[f"{prefix}/state/{module}/{name}"] = value


def _record_out(result: dict, prefix: str, out: Any) -> None:
    leaves, treedef = jax.tree_util.tree_flatten(out)
    if isinstance(out, dict):  # The params trees: keep their key order.
        result[f"{prefix}/out_keys"] = [[m, list(b)] for m, b in out.items()]
    for i, leaf in enumerate(leaves):
        result[f"{prefix}/out/{i}"] = leaf


def run_steps(
    f: Callable[..., Any],
    inputs: Sequence[Any],
    *,
    seed: int = 0,
    kwargs: Sequence[dict] | None = None,
    jit: bool = False,
) -> dict:
    """``init`` with ``inputs[0]``, then one ``apply`` per input.

    Records the state (names, order, values) after ``init`` and after each
    step, and each step's output. ``kwargs[i]`` are extra keyword arguments of
    call ``i`` (call 0 is ``init``).
    """
    kwargs = list(kwargs) if kwargs is not None else [{}] * (len(inputs) + 1)
    transformed = hk.transform_with_state(f)
    params, state = transformed.init(jax.random.PRNGKey(seed), inputs[0], **kwargs[0])
    result: dict[str, Any] = {}
    _record_state(result, "init", state)
    apply = transformed.apply
    if jit:
        apply = jax.jit(apply, static_argnames=tuple(
            sorted({k for kw in kwargs for k in kw})))
    for step, x in enumerate(inputs):
        out, state = apply(params, state, None, x, **kwargs[step + 1])
        _record_out(result, f"step{step}", out)
        _record_state(result, f"step{step}", state)
    return result


def _steps(seed: int, n: int, *shape: int, dtype: Any = np.float32, scale: float = 1.0):
    return [(randn(seed + i, *shape) * scale).astype(dtype) for i in range(n)]


# ExponentialMovingAverage ------------------------------------------------------

def _ema(decay, **ctor):
    def f(x, update_stats=True):
        return hk.ExponentialMovingAverage(decay, **ctor)(x, update_stats=update_stats)
    return f


def _ema_scenario(decay, dtype="float32", n=5, shape=(4,), jit=False, **ctor):
    def scenario():
        xs = _steps(10, n, *shape, dtype=jnp.dtype(dtype), scale=3.0)
        return run_steps(_ema(decay, **ctor), xs, jit=jit)
    return scenario


def ema_python_scalar():
    return run_steps(_ema(0.75), [1.5, -2.0, 4.25, 0.5])


def ema_int32():
    xs = [np.array([3, -7, 10], np.int32) * (i + 1) for i in range(3)]
    return run_steps(_ema(0.5), xs)


def ema_update_stats_false():
    """update_stats=False at init (no ``average`` yet), then mixed steps."""
    xs = _steps(20, 5, 3)
    flags = [False, True, False, True, False, True]
    return run_steps(_ema(0.6), xs, kwargs=[{"update_stats": u} for u in flags])


def ema_initialize():
    """``initialize`` before any call, reading ``.average`` around the update."""
    def f(x):
        ema = hk.ExponentialMovingAverage(0.9, name="ema")
        ema.initialize(x.shape, x.dtype)
        before = ema.average
        out = ema(x)
        return before, out, ema.average

    return run_steps(f, _steps(30, 3, 2, 3))


def ema_initialize_twice():
    def f(x):
        ema = hk.ExponentialMovingAverage(0.5)
        ema.initialize([3], jnp.bfloat16)
        ema.initialize([5], jnp.float32)  # Ignored: the state exists already.
        return ema.average

    return run_steps(f, [np.zeros(())])


def ema_two_modules():
    def f(x):
        a = hk.ExponentialMovingAverage(0.9)(x)
        b = hk.ExponentialMovingAverage(0.5, zero_debias=False, name="slow")(2 * x)
        c = hk.ExponentialMovingAverage(0.1)(x + 1)
        return a, b, c

    return run_steps(f, _steps(40, 3, 2))


def ema_mixed_precision():
    """A bf16 compute policy on the EMA: state and output dtypes follow it."""
    import jmp

    policy = jmp.get_policy("params=float32,compute=bfloat16,output=float32")
    hk.mixed_precision.set_policy(hk.ExponentialMovingAverage, policy)
    try:
        return run_steps(_ema(0.9), _steps(50, 3, 4))
    finally:
        hk.mixed_precision.clear_policy(hk.ExponentialMovingAverage)


# EMAParamsTree ------------------------------------------------------------------

class Block(hk.Module):
    """Creates its layers in ``__init__``: their names get a ``~`` (``block/~/linear``)."""

    def __init__(self, name=None):
        super().__init__(name=name)
        self.linear = hk.Linear(3)
        self.out_proj = hk.Linear(2, name="out_proj")

    def __call__(self, x):
        return self.out_proj(self.linear(x))


def _network(x):
    x = Block()(x)
    return hk.Conv1D(2, 2)(x[:, None, :])


def network_params(seed: int = 0) -> dict:
    """A params tree with nested names (``block/~/linear``) and a conv kernel."""
    return hk.transform(_network).init(jax.random.PRNGKey(seed), np.ones([1, 4], np.float32))


def _param_steps(n: int) -> list[dict]:
    base = network_params()
    return [jax.tree.map(lambda p, i=i: p + randn(60 + i, *p.shape), base) for i in range(n)]


def _ema_tree_scenario(decay, n=4, **kwargs):
    def scenario():
        def f(tree, update_stats=True):
            return hk.EMAParamsTree(decay, **kwargs)(tree, update_stats=update_stats)
        return run_steps(f, _param_steps(n))
    return scenario


def ema_tree_update_stats_false():
    def f(tree, update_stats=True):
        return hk.EMAParamsTree(0.8, ignore_regex=".*/b$")(tree, update_stats=update_stats)
    flags = [True, False, True, False]
    return run_steps(f, _param_steps(3), kwargs=[{"update_stats": u} for u in flags])


def ema_tree_odd_names():
    """Names with ``~`` and ``/`` in both the module and the parameter name."""
    tree = {"a~b": {"w": np.ones(2, np.float32)}, "x/~": {"w~": np.ones(1, np.float32)},
            "~/y/z": {"w": np.ones(1, np.float32)}, "m/~/n_1": {"k_0": np.ones(1, np.float32)}}
    return run_steps(lambda t: hk.EMAParamsTree(0.5)(t), [tree])


# SpectralNorm ---------------------------------------------------------------------

def _sn(eps=1e-4, n_steps=1):
    def f(x, update_stats=True):
        return hk.SpectralNorm(eps=eps, n_steps=n_steps)(x, update_stats=update_stats)
    return f


def _sn_scenario(shape, dtype="float32", n=4, jit=False, seed=0, **ctor):
    def scenario():
        xs = _steps(70, n, *shape, dtype=jnp.dtype(dtype))
        return run_steps(_sn(**ctor), xs, seed=seed, jit=jit)
    return scenario


def sn_update_stats_false():
    xs = _steps(80, 4, 3, 5)
    flags = [False, True, False, True, False]
    return run_steps(_sn(), xs, kwargs=[{"update_stats": u} for u in flags], seed=5)


def sn_slowly_changing():
    """The same matrix (plus small noise) every step: u0 converges."""
    base = randn(90, 4, 6)
    xs = [base + 1e-3 * randn(91 + i, 4, 6) for i in range(6)]
    return run_steps(_sn(), xs, seed=1)


def sn_mixed_precision():
    import jmp

    policy = jmp.get_policy("params=float32,compute=bfloat16,output=float32")
    hk.mixed_precision.set_policy(hk.SpectralNorm, policy)
    try:
        return run_steps(_sn(), _steps(100, 3, 3, 4), seed=2)
    finally:
        hk.mixed_precision.clear_policy(hk.SpectralNorm)


def _sn_tree_scenario(n=3, seed=0, **kwargs):
    def scenario():
        def f(tree, update_stats=True):
            return hk.SNParamsTree(**kwargs)(tree, update_stats=update_stats)
        return run_steps(f, _param_steps(n), seed=seed)
    return scenario


def sn_tree_odd_names():
    tree = {"a~b": {"w": np.ones((2, 2), np.float32)}, "x/~": {"w~": np.eye(2, dtype=np.float32)},
            "~/y/z": {"w": np.ones((1, 3), np.float32)}}
    return run_steps(lambda t: hk.SNParamsTree()(t), [tree], seed=3)


SCENARIOS: dict[str, Callable[[], dict]] = {
    "ema_debias": _ema_scenario(0.9),
    "ema_debias_2d_jit": _ema_scenario(0.99, shape=(2, 3), n=6, jit=True),
    "ema_no_debias": _ema_scenario(0.37, zero_debias=False),
    "ema_decay_zero": _ema_scenario(0.0, n=3),
    "ema_warmup_1": _ema_scenario(0.8, zero_debias=False, warmup_length=1),
    "ema_warmup_3": _ema_scenario(0.993, zero_debias=False, warmup_length=3, n=6),
    "ema_bf16": _ema_scenario(0.9, dtype="bfloat16"),
    "ema_bf16_no_debias": _ema_scenario(0.7, dtype="bfloat16", zero_debias=False),
    "ema_f16": _ema_scenario(0.9, dtype="float16"),
    "ema_python_scalar": ema_python_scalar,
    "ema_int32": ema_int32,
    "ema_update_stats_false": ema_update_stats_false,
    "ema_initialize": ema_initialize,
    "ema_initialize_twice": ema_initialize_twice,
    "ema_two_modules": ema_two_modules,
    "ema_mixed_precision": ema_mixed_precision,
    "ema_tree": _ema_tree_scenario(0.9),
    "ema_tree_ignore_bias": _ema_tree_scenario(0.5, ignore_regex=".*/b$"),
    "ema_tree_ignore_prefix": _ema_tree_scenario(0.5, ignore_regex="block"),
    "ema_tree_warmup_named": _ema_tree_scenario(
        0.6, zero_debias=False, warmup_length=2, name="averages"),
    "ema_tree_update_stats_false": ema_tree_update_stats_false,
    "ema_tree_odd_names": ema_tree_odd_names,
    "sn_5x3": _sn_scenario((5, 3)),
    "sn_3x5_jit": _sn_scenario((3, 5), jit=True, seed=4),
    "sn_rank3": _sn_scenario((2, 3, 4), seed=1),
    "sn_rank4_steps3": _sn_scenario((2, 2, 3, 2), n_steps=3, eps=1e-2, seed=2),
    "sn_1x1": _sn_scenario((1, 1), n=2),
    "sn_bf16": _sn_scenario((4, 3), dtype="bfloat16", seed=3),
    "sn_f16": _sn_scenario((4, 3), dtype="float16", n_steps=2, seed=3),
    "sn_update_stats_false": sn_update_stats_false,
    "sn_slowly_changing": sn_slowly_changing,
    "sn_mixed_precision": sn_mixed_precision,
    "sn_tree": _sn_tree_scenario(ignore_regex=".*/b$"),
    "sn_tree_named_steps2": _sn_tree_scenario(
        seed=7, n_steps=2, eps=1e-3, ignore_regex=".*/b$", name="sn"),
    "sn_tree_odd_names": sn_tree_odd_names,
}
