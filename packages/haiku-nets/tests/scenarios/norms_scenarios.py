"""Scenarios for the oracle parity of the normalisation modules of haiku-nets.

``BatchNorm``, ``LayerNorm``, ``InstanceNorm``, ``GroupNorm`` and ``RMSNorm``.
Each scenario is a function of no arguments written against the public ``hk``
API only, so the very same code runs under our haiku and, live on the same
machine, under dm-haiku 0.0.17 (``test_norms_oracle_parity.py``, through the
``haiku_oracle`` harness).
It returns a flat ``{name: value}`` dict of arrays (parameters, state,
outputs, gradients) and JSON values (the order of parameter and state keys).

Inputs come from ``np.random.RandomState``; parameters from ``init`` with
fixed PRNG keys.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np


def randn(seed: int, *shape: int, dtype: Any = np.float32, loc: float = 0.5,
          scale: float = 2.0) -> np.ndarray:
    x = np.random.RandomState(seed).randn(*shape) * scale + loc
    return x.astype(np.float32).astype(dtype)


def _flat(prefix: str, tree: dict, result: dict) -> None:
    for module, bundle in tree.items():
        for name, value in bundle.items():
            result[f"{prefix}/{module}/{name}"] = value
    result[f"{prefix}_order"] = [f"{m}/{n}" for m, b in tree.items() for n in b]


def _outputs(prefix: str, out: Any, result: dict) -> None:
    for i, leaf in enumerate(jax.tree_util.tree_leaves(out)):
        result[f"{prefix}/{i}"] = leaf


def run(f: Callable[..., Any], *args: Any, seed: int = 0, jit: bool = False) -> dict:
    """Inits and applies a stateless ``f``: parameters and outputs."""
    transformed = hk.transform(f)
    params = transformed.init(jax.random.PRNGKey(seed), *args)
    apply = jax.jit(transformed.apply) if jit else transformed.apply
    result: dict[str, Any] = {}
    _flat("params", params, result)
    _outputs("out", apply(params, None, *args), result)
    return result


def run_batch_norm(make: Callable[[], Any], x: np.ndarray, steps: int = 3, seed: int = 0,
                   call_kwargs: dict | None = None, jit: bool = False) -> dict:
    """Init in training mode, ``steps`` training updates, then test mode (EMA and local)."""
    call_kwargs = call_kwargs or {}

    def f(x, is_training, test_local_stats=False):
        return make()(x, is_training, test_local_stats, **call_kwargs)

    transformed = hk.transform_with_state(f)
    params, state = transformed.init(jax.random.PRNGKey(seed), x, True)
    apply = transformed.apply
    if jit:
        apply = jax.jit(apply, static_argnums=(4, 5))
    result: dict[str, Any] = {}
    _flat("params", params, result)
    _flat("state0", state, result)
    for step in range(steps):
        out, state = apply(params, state, None, x * (step + 1) - step, True, False)
        result[f"train{step}"] = out
        _flat(f"state{step + 1}", state, result)
    out, test_state = apply(params, state, None, x, False, False)
    result["test"] = out
    _flat("test_state", test_state, result)
    out, _ = apply(params, state, None, x, False, True)
    result["test_local"] = out
    return result


def grads(f: Callable[..., Any], x: np.ndarray, seed: int = 0) -> dict:
    """Gradients of ``sum(out * w)`` with respect to the parameters and the input."""
    transformed = hk.transform_with_state(f)
    params, state = transformed.init(jax.random.PRNGKey(seed), x)
    weights = randn(99, *np.shape(transformed.apply(params, state, None, x)[0]))

    def loss(params, x):
        return jnp.sum(transformed.apply(params, state, None, x)[0] * weights)

    g_params, g_x = jax.jit(jax.grad(loss, argnums=(0, 1)))(params, x)
    result: dict[str, Any] = {}
    _flat("grad_params", g_params, result)
    result["grad_x"] = g_x
    return result


def _const(value: float):
    return hk.initializers.Constant(value)


def _rand_init(mean: float):
    return hk.initializers.RandomNormal(stddev=0.5, mean=mean)


# BatchNorm --------------------------------------------------------------------

BATCH_NORM_CASES: dict[str, tuple[tuple[int, ...], dict, dict]] = {
    # name: (input shape, constructor kwargs, call kwargs)
    "default": ((4, 3, 5), {}, {}),
    "rank2": ((6, 4), {}, {}),
    "channels_first": ((4, 3, 5), dict(data_format="channels_first"), {}),
    "nc_spatial": ((3, 4, 2, 3), dict(data_format="NC..."), {}),
    "nhwc": ((3, 2, 3, 4), dict(data_format="NHWC"), {}),
    "axis_0_2": ((4, 3, 5), dict(axis=[0, 2]), {}),
    "axis_negative": ((4, 3, 5), dict(axis=[-1], data_format="channels_first"), {}),
    "no_scale_offset": ((4, 3, 5), dict(create_scale=False, create_offset=False), {}),
    "random_inits": ((4, 3, 5), dict(scale_init=_rand_init(1.0), offset_init=_rand_init(0.0)), {}),
    "eps_decay": ((4, 3, 5), dict(eps=0.3, decay_rate=0.5), {}),
    "external": ((4, 3, 5), dict(create_scale=False, create_offset=False),
                 dict(scale=randn(7, 5, loc=1.0, scale=0.3), offset=randn(8, 3, 1))),
    "only_scale": ((4, 3, 5), dict(create_offset=False), dict(offset=randn(9, 5))),
}


def _batch_norm_scenario(case: str, dtype: Any, jit: bool = False):
    shape, kwargs, call_kwargs = BATCH_NORM_CASES[case]

    def scenario():
        kw = dict(create_scale=True, create_offset=True, decay_rate=0.9)
        kw.update(kwargs)
        x = randn(len(case), *shape, dtype=dtype)
        call = {k: np.asarray(v).astype(dtype) for k, v in call_kwargs.items()}
        return run_batch_norm(lambda: hk.BatchNorm(**kw), x, call_kwargs=call, jit=jit)

    return scenario


def batch_norm_vmap_cross_replica():
    """Statistics averaged over a vmapped axis named in ``cross_replica_axis``."""
    x = randn(11, 4, 3, 5)

    def f(x):
        return hk.BatchNorm(True, True, 0.9, cross_replica_axis="i")(x, True)

    transformed = hk.transform_with_state(f)
    params, state = jax.vmap(transformed.init, (None, 0), axis_name="i")(None, x)
    apply = jax.vmap(transformed.apply, (0, 0, None, 0), axis_name="i")
    result: dict[str, Any] = {}
    _flat("params", params, result)
    _flat("state0", state, result)
    for step in range(2):
        out, state = apply(params, state, None, x * (step + 1))
        result[f"train{step}"] = out
        _flat(f"state{step + 1}", state, result)
    return result


def batch_norm_grads():
    return grads(lambda x: hk.BatchNorm(True, True, 0.9)(x, True), randn(12, 4, 3))


# LayerNorm / InstanceNorm --------------------------------------------------------

LAYER_NORM_CASES: dict[str, tuple[tuple[int, ...], dict]] = {
    "last": ((2, 3, 5), dict(axis=-1)),
    "last_param_last": ((2, 3, 5), dict(axis=-1, param_axis=-1)),
    "axis_1": ((2, 3, 5), dict(axis=1)),
    "axis_1_param_1": ((2, 3, 4, 5), dict(axis=1, param_axis=1)),
    "axes_1_2": ((2, 3, 4, 5), dict(axis=[1, 2], param_axis=[1, 2])),
    "slice": ((2, 3, 4, 5), dict(axis=slice(1, None), param_axis=slice(1, None))),
    "slice_default_param": ((2, 3, 4, 5), dict(axis=slice(1, None))),
    "param_first_last": ((2, 3, 4, 5), dict(axis=-1, param_axis=[0, 3])),
    "param_empty": ((2, 3, 5), dict(axis=-1, param_axis=[])),
    "param_last_two": ((2, 3, 4, 5), dict(axis=(-2, -1), param_axis=(-2, -1))),
    "fast_variance": ((2, 3, 5), dict(axis=-1, use_fast_variance=True)),
    "fast_variance_axes": ((2, 3, 4, 5), dict(axis=[1, 3], use_fast_variance=True)),
    "no_scale": ((2, 3, 5), dict(axis=-1, create_scale=False)),
    "no_offset": ((2, 3, 5), dict(axis=-1, create_offset=False)),
    "neither": ((2, 3, 5), dict(axis=-1, create_scale=False, create_offset=False)),
    "random_inits": ((2, 3, 5), dict(axis=-1, scale_init=_rand_init(1.0),
                                     offset_init=_rand_init(0.0))),
    "eps": ((2, 3, 5), dict(axis=-1, eps=0.5)),
    "rank1": ((6,), dict(axis=0)),
}


def _layer_norm_scenario(case: str, dtype: Any, jit: bool = False):
    shape, kwargs = LAYER_NORM_CASES[case]

    def scenario():
        kw = dict(create_scale=True, create_offset=True)
        kw.update(kwargs)
        x = randn(len(case) + 100, *shape, dtype=dtype)
        return run(lambda x: hk.LayerNorm(**kw)(x), x, jit=jit)

    return scenario


def layer_norm_external():
    x = randn(13, 2, 3, 5)
    scale, offset = randn(14, 5, loc=1.0), randn(15, 3, 1)
    result = run(lambda x: hk.LayerNorm(-1, False, False)(x, scale, offset), x)
    result.update({f"fast_{k}": v for k, v in run(
        lambda x: hk.LayerNorm(-1, False, False, use_fast_variance=True)(x, scale), x).items()})
    return result


def layer_norm_grads():
    result = grads(lambda x: hk.LayerNorm(-1, True, True)(x), randn(16, 3, 4))
    fast = grads(lambda x: hk.LayerNorm(-1, True, True, use_fast_variance=True)(x),
                 randn(16, 3, 4))
    result.update({f"fast_{k}": v for k, v in fast.items()})
    return result


INSTANCE_NORM_CASES: dict[str, tuple[tuple[int, ...], dict]] = {
    "channels_last": ((2, 3, 4, 5), {}),
    "channels_first": ((2, 5, 3, 4), dict(data_format="channels_first")),
    "nchw": ((2, 5, 3, 4), dict(data_format="NCHW")),
    "rank3": ((2, 6, 3), {}),
    "rank3_first": ((2, 3, 6), dict(data_format="NC...")),
    "no_scale_offset": ((2, 3, 4, 5), dict(create_scale=False, create_offset=False)),
    "random_inits": ((2, 3, 4, 5), dict(scale_init=_rand_init(1.0), offset_init=_rand_init(0.0),
                                        eps=0.1)),
}


def _instance_norm_scenario(case: str, dtype: Any):
    shape, kwargs = INSTANCE_NORM_CASES[case]

    def scenario():
        kw = dict(create_scale=True, create_offset=True)
        kw.update(kwargs)
        x = randn(len(case) + 200, *shape, dtype=dtype)
        return run(lambda x: hk.InstanceNorm(**kw)(x), x)

    return scenario


# GroupNorm ---------------------------------------------------------------------------

GROUP_NORM_CASES: dict[str, tuple[tuple[int, ...], dict]] = {
    "default": ((2, 3, 4, 6), dict(groups=2)),
    "one_group": ((2, 3, 4, 6), dict(groups=1)),
    "group_per_channel": ((2, 3, 4, 6), dict(groups=6)),
    "rank2": ((3, 8), dict(groups=4)),
    "rank3_time": ((2, 5, 3, 6), dict(groups=3, axis=slice(2, None))),
    "axis_spatial": ((2, 3, 4, 6), dict(groups=2, axis=[1, 2])),
    "axis_channel": ((2, 3, 4, 6), dict(groups=2, axis=3)),
    "axis_last": ((2, 3, 4, 6), dict(groups=2, axis=-1)),
    "axis_batch": ((2, 3, 4, 6), dict(groups=2, axis=0)),
    "axis_0_3": ((2, 3, 4, 6), dict(groups=3, axis=[0, 3])),
    "channels_first": ((2, 6, 3, 4), dict(groups=2, data_format="channels_first")),
    "nchw_axis_1_3": ((2, 6, 3, 4), dict(groups=3, data_format="NCHW", axis=[1, 3])),
    "channels_first_slice": ((2, 6, 3, 4), dict(groups=2, data_format="channels_first",
                                                axis=slice(0, 2))),
    "channels_first_rank3": ((2, 6, 5), dict(groups=2, data_format="NC...")),
    "no_scale_offset": ((2, 3, 4, 6), dict(groups=2, create_scale=False, create_offset=False)),
    "random_inits": ((2, 3, 4, 6), dict(groups=2, scale_init=_rand_init(1.0),
                                        offset_init=_rand_init(0.0), eps=0.2)),
}


def _group_norm_scenario(case: str, dtype: Any, jit: bool = False):
    shape, kwargs = GROUP_NORM_CASES[case]

    def scenario():
        x = randn(len(case) + 300, *shape, dtype=dtype)
        return run(lambda x: hk.GroupNorm(**kwargs)(x), x, jit=jit)

    return scenario


def group_norm_external():
    x = randn(17, 2, 3, 6)
    scale, offset = randn(18, 6, loc=1.0), randn(19, 3, 1)
    return run(lambda x: hk.GroupNorm(3, create_scale=False, create_offset=False)(
        x, scale, offset), x)


def group_norm_grads():
    return grads(lambda x: hk.GroupNorm(2)(x), randn(20, 2, 3, 4))


# RMSNorm -------------------------------------------------------------------------------

RMS_NORM_CASES: dict[str, tuple[tuple[int, ...], dict]] = {
    "last": ((2, 3, 5), dict(axis=-1)),
    "axes": ((2, 3, 4, 5), dict(axis=[1, 2], param_axis=[1, 2])),
    "slice": ((2, 3, 4, 5), dict(axis=slice(1, None))),
    "param_1": ((2, 3, 4, 5), dict(axis=-1, param_axis=1)),
    "no_scale": ((2, 3, 5), dict(axis=-1, create_scale=False)),
    "random_init": ((2, 3, 5), dict(axis=-1, scale_init=_rand_init(1.0), eps=0.1)),
}


def _rms_norm_scenario(case: str, dtype: Any, jit: bool = False):
    shape, kwargs = RMS_NORM_CASES[case]

    def scenario():
        x = randn(len(case) + 400, *shape, dtype=dtype)
        return run(lambda x: hk.RMSNorm(**kwargs)(x), x, jit=jit)

    return scenario


def rms_norm_grads():
    return grads(lambda x: hk.RMSNorm(-1)(x), randn(21, 3, 4))


# Mixed precision ----------------------------------------------------------------------

def mixed_precision():
    """A bf16 compute policy (f32 params and output) on every normaliser."""
    import jmp

    policy = jmp.get_policy("params=float32,compute=bfloat16,output=float32")
    classes = [hk.BatchNorm, hk.LayerNorm, hk.InstanceNorm, hk.GroupNorm, hk.RMSNorm]
    x = randn(22, 2, 3, 4)

    def f(x, is_training):
        return {
            "batch": hk.BatchNorm(True, True, 0.9)(x, is_training),
            "layer": hk.LayerNorm(-1, True, True, scale_init=_rand_init(1.0))(x),
            "instance": hk.InstanceNorm(True, True)(x),
            "group": hk.GroupNorm(2)(x),
            "rms": hk.RMSNorm(-1, scale_init=_rand_init(1.0))(x),
        }

    for cls in classes:
        hk.mixed_precision.set_policy(cls, policy)
    try:
        transformed = hk.transform_with_state(f)
        params, state = transformed.init(jax.random.PRNGKey(0), x, True)
        result: dict[str, Any] = {}
        _flat("params", params, result)
        _flat("state0", state, result)
        out, state = transformed.apply(params, state, None, x, True)
        _outputs("train", out, result)
        _flat("state1", state, result)
        out, _ = transformed.apply(params, state, None, x, False)
        _outputs("test", out, result)
    finally:
        for cls in classes:
            hk.mixed_precision.clear_policy(cls)
    return result


# Every case runs in float32; these also run in bfloat16 (a subset keeps the
# test fast while covering each module, data format and formula).
BFLOAT16_CASES = {
    "batch_norm": ("default", "channels_first", "axis_negative", "external", "random_inits"),
    "layer_norm": ("last", "axes_1_2", "param_first_last", "fast_variance", "fast_variance_axes",
                   "random_inits"),
    "instance_norm": ("channels_last", "channels_first"),
    "group_norm": ("default", "channels_first", "axis_spatial", "random_inits"),
    "rms_norm": ("last", "axes", "random_init"),
}

SCENARIOS: dict[str, Callable[[], dict]] = {}
for _module, _cases, _make in (
    ("batch_norm", BATCH_NORM_CASES, _batch_norm_scenario),
    ("layer_norm", LAYER_NORM_CASES, _layer_norm_scenario),
    ("instance_norm", INSTANCE_NORM_CASES, _instance_norm_scenario),
    ("group_norm", GROUP_NORM_CASES, _group_norm_scenario),
    ("rms_norm", RMS_NORM_CASES, _rms_norm_scenario),
):
    for _case in _cases:
        SCENARIOS[f"{_module}_{_case}_float32"] = _make(_case, "float32")
    for _case in BFLOAT16_CASES[_module]:
        SCENARIOS[f"{_module}_{_case}_bfloat16"] = _make(_case, "bfloat16")
SCENARIOS["batch_norm_default_float32_jit"] = _batch_norm_scenario("default", "float32", jit=True)
SCENARIOS["layer_norm_axes_1_2_float32_jit"] = _layer_norm_scenario("axes_1_2", "float32", jit=True)
SCENARIOS["group_norm_default_float32_jit"] = _group_norm_scenario("default", "float32", jit=True)
SCENARIOS["rms_norm_last_bfloat16_jit"] = _rms_norm_scenario("last", "bfloat16", jit=True)
SCENARIOS["batch_norm_vmap_cross_replica"] = batch_norm_vmap_cross_replica
SCENARIOS["batch_norm_grads"] = batch_norm_grads
SCENARIOS["layer_norm_external"] = layer_norm_external
SCENARIOS["layer_norm_grads"] = layer_norm_grads
SCENARIOS["group_norm_external"] = group_norm_external
SCENARIOS["group_norm_grads"] = group_norm_grads
SCENARIOS["rms_norm_grads"] = rms_norm_grads
SCENARIOS["mixed_precision"] = mixed_precision

