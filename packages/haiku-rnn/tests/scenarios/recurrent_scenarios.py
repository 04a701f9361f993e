"""Scenarios for the oracle parity of haiku-rnn's recurrent cores and unrolls.

Each scenario is a function of no arguments written against the public ``hk``
API only, so the very same code runs under our haiku and, live on the same
machine, under dm-haiku 0.0.17 (``test_recurrent_oracle_parity.py``, through
the ``haiku_oracle`` harness). It returns a flat ``{name: value}`` dict:
arrays (parameters, outputs, states), or JSON values (parameter order,
shapes, module names).

Inputs come from ``np.random.RandomState`` (stable across NumPy versions);
parameters from ``init`` with fixed PRNG keys. Every scenario inits and
applies without ``jax.jit`` (the parity of jitted code is the same XLA ops).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

T, B, F = 3, 2, 3  # time steps, batch, features of the sequences


def randn(seed: int, *shape: int, dtype=np.float32) -> np.ndarray:
    return np.random.RandomState(seed).randn(*shape).astype(dtype)


def run(f: Callable[..., Any], *args: Any, seed: int = 0) -> dict:
    """Inits and applies ``f``: parameters, their order, and every output leaf."""
    transformed = hk.transform(f)
    params = transformed.init(jax.random.PRNGKey(seed), *args)
    out = transformed.apply(params, None, *args)
    result: dict[str, Any] = {"param_order": [f"{m}/{n}" for m, b in params.items() for n in b]}
    for module, bundle in params.items():
        for name, value in bundle.items():
            result[f"params/{module}/{name}"] = value
    leaves, treedef = jax.tree_util.tree_flatten(out)
    result["out_structure"] = str(treedef).replace("haiku._src.recurrent.", "")
    for i, leaf in enumerate(leaves):
        result[f"out/{i}"] = leaf
    return result


CORES: dict[str, Callable[[], Any]] = {
    "vanilla": lambda: hk.VanillaRNN(4),
    "vanilla_single_bias": lambda: hk.VanillaRNN(4, double_bias=False),
    "lstm": lambda: hk.LSTM(4),
    "gru": lambda: hk.GRU(4),
    "gru_inits": lambda: hk.GRU(
        4,
        w_i_init=hk.initializers.RandomNormal(0.5),
        w_h_init=hk.initializers.Orthogonal(),
        b_init=hk.initializers.RandomUniform(-0.5, 0.5),
    ),
    "deep": lambda: hk.DeepRNN([hk.LSTM(4), jax.nn.relu, hk.GRU(3), hk.VanillaRNN(2)]),
    "deep_skip": lambda: hk.deep_rnn_with_skip_connections([hk.LSTM(4), hk.GRU(3)]),
    "deep_named": lambda: hk.DeepRNN([hk.LSTM(2), hk.Linear(3)], name="stack"),
    "reset_lstm": lambda: hk.ResetCore(hk.LSTM(4)),
    "identity": lambda: hk.IdentityCore(),
}

RESETS = np.array([[0, 0], [1, 0], [0, 1]], dtype=bool)  # [T, B]


def _sequence(core_name: str, time_major: bool) -> Any:
    xs = randn(7, T, B, F)
    if core_name.startswith("reset"):
        xs = (xs, RESETS)
    if not time_major:
        xs = jax.tree_util.tree_map(lambda x: np.swapaxes(x, 0, 1), xs)
    return xs


def _unroll_scenario(core_name: str, unroll: str, time_major: bool = True,
                     reverse: bool = False, return_all_states: bool = False):
    def scenario():
        def f(xs):
            core = CORES[core_name]()
            state = core.initial_state(B)
            if unroll == "static":
                return hk.static_unroll(core, xs, state, time_major=time_major)
            return hk.dynamic_unroll(core, xs, state, time_major=time_major, reverse=reverse,
                                     return_all_states=return_all_states)
        return run(f, _sequence(core_name, time_major))
    return scenario


def _one_step_scenario(core_name: str, batch: int | None):
    def scenario():
        def f(x):
            core = CORES[core_name]()
            return core(x, core.initial_state(batch))
        x = randn(11, F) if batch is None else randn(11, batch, F)
        return run(f, x, seed=3)
    return scenario


CONV_CASES = {
    # name: (constructor, input shape incl. batch, state batch)
    "conv1d": (lambda: hk.Conv1DLSTM((5,), 3, 3), (2, 5, 2), 2),
    "conv2d": (lambda: hk.Conv2DLSTM((4, 3), 2, (3, 2)), (2, 4, 3, 2), 2),
    "conv3d": (lambda: hk.Conv3DLSTM((3, 2, 3), 2, 2), (1, 3, 2, 3, 2), 1),
    "conv1d_unbatched": (lambda: hk.Conv1DLSTM((5,), 2, 2), (5, 2), None),
}


def _conv_scenario(case: str):
    make, shape, batch = CONV_CASES[case]

    def scenario():
        def f(xs):
            core = make()
            state = core.initial_state(batch)
            return hk.static_unroll(core, xs, state), core.initial_state(None)
        return run(f, randn(5, 2, *shape), seed=1)
    return scenario


def initial_states():
    """Initial states (zeros; their shapes and dtypes) with and without a batch size."""
    def f():
        result = {}
        for name, make in CORES.items():
            for batch in (None, 3):
                state = make().initial_state(batch)
                result[f"{name}/{batch}"] = str(jax.tree_util.tree_map(
                    lambda x: f"{jnp.asarray(x).dtype}{list(jnp.shape(x))}", state))
        for name, (make, _, _) in CONV_CASES.items():
            state = make().initial_state(2)
            result[name] = str(jax.tree_util.tree_map(lambda x: list(x.shape), state))
        return result
    result = hk.transform(f).apply({}, None)
    return {k: v.replace("haiku._src.recurrent.", "") for k, v in result.items()}


def module_names():
    def f():
        names = {}
        for name, make in CORES.items():
            names[name] = make().module_name
        for name, (make, _, _) in CONV_CASES.items():
            names[name] = make().module_name
        return names
    return hk.transform(f).apply({}, None)


def lstm_bf16():
    """bfloat16 inputs with the default float32 state."""
    def f(xs):
        core = hk.LSTM(3)
        return hk.dynamic_unroll(core, xs, core.initial_state(B))
    return run(f, randn(2, T, B, F, dtype=jnp.bfloat16))


def gru_bf16():
    def f(x):
        core = hk.GRU(3)
        state = jax.tree_util.tree_map(lambda s: s.astype(jnp.bfloat16), core.initial_state(B))
        return core(x, state)
    return run(f, randn(2, B, F, dtype=jnp.bfloat16))


def reset_per_entry():
    """A should_reset nest matching the LSTM state: reset the cell only, per example."""
    def f(xs, resets):
        core = hk.ResetCore(hk.LSTM(4))
        state = core.initial_state(B)
        for t in range(T):
            should_reset = hk.LSTMState(hidden=jnp.zeros([B], bool), cell=resets[t])
            state = jax.tree_util.tree_map(lambda s: s + 0.5, state)
            _, state = core((xs[t], should_reset), state)
        return state
    return run(f, randn(7, T, B, F), RESETS)


def expand_apply():
    def f(x):
        out0 = hk.expand_apply(hk.BatchApply(hk.Linear(2)))(x)
        out1 = hk.expand_apply(lambda t: t * 2, axis=-1)(x)
        return out0, out1
    return run(f, randn(4, B, F))


def unroll_with_scan_unroll():
    def f(xs):
        core = hk.GRU(4)
        return hk.dynamic_unroll(core, xs, core.initial_state(B), unroll=2)
    return run(f, _sequence("gru", True))


SCENARIOS: dict[str, Callable[[], dict]] = {}
for _core in CORES:
    SCENARIOS[f"{_core}_dynamic"] = _unroll_scenario(_core, "dynamic")
    SCENARIOS[f"{_core}_static"] = _unroll_scenario(_core, "static")
for _core in ("lstm", "gru", "reset_lstm", "deep"):
    SCENARIOS[f"{_core}_dynamic_batch_major"] = _unroll_scenario(_core, "dynamic", time_major=False)
    SCENARIOS[f"{_core}_static_batch_major"] = _unroll_scenario(_core, "static", time_major=False)
    SCENARIOS[f"{_core}_dynamic_reverse"] = _unroll_scenario(_core, "dynamic", reverse=True)
    SCENARIOS[f"{_core}_dynamic_all_states"] = _unroll_scenario(
        _core, "dynamic", return_all_states=True)
SCENARIOS["lstm_dynamic_all_states_batch_major"] = _unroll_scenario(
    "lstm", "dynamic", time_major=False, return_all_states=True)
for _core in ("vanilla", "lstm", "gru"):
    SCENARIOS[f"{_core}_one_step_unbatched"] = _one_step_scenario(_core, None)
for _case in CONV_CASES:
    SCENARIOS[f"{_case}_lstm"] = _conv_scenario(_case)
SCENARIOS["initial_states"] = initial_states
SCENARIOS["module_names"] = module_names
SCENARIOS["lstm_bf16"] = lstm_bf16
SCENARIOS["gru_bf16"] = gru_bf16
SCENARIOS["reset_per_entry"] = reset_per_entry
SCENARIOS["expand_apply"] = expand_apply
SCENARIOS["unroll_with_scan_unroll"] = unroll_with_scan_unroll

