"""Convolution scenarios for the oracle parity of haiku-nets, run by both libraries.

Each case is plain data: a module class of the public ``hk`` namespace, its
constructor arguments and an input shape. Arguments that are not plain data
are spelled as strings and decoded by :func:`decode`:

* ``"pad:NAME"`` -> ``hk.pad.NAME``;
* ``"init:NAME:ARG"`` -> ``hk.initializers.NAME(ARG)``;
* ``"ramp:SCALE"`` -> :func:`ramp`: fixed values made with NumPy. Most cases
  use ramps for ``w_init`` and ``b_init``: an RNG initializer costs a
  compilation per shape, which would dominate these tests. The few cases of
  the ``default_init`` group keep the default initializers, to check their
  fan-in;
* ``"mask:SHAPE"`` (e.g. ``"mask:3,3,2,4"``) -> a fixed 0/1 array of that shape.

Cases come in groups (:data:`GROUPS`). :func:`run_group` builds every module
of a group in one ``hk.transform`` (so the default module names are numbered,
``conv2_d``, ``conv2_d_1``, ...), initialises it with
``jax.random.PRNGKey(seed)`` and applies it, both under ``jax.jit`` (but the
``default_init`` group's init), giving the parameters and one output per
case: two compilations per group. :data:`SCENARIOS` is the registry of the
``haiku_oracle`` harness, one scenario per group:
``tests/test_conv_oracle_parity.py`` runs each under our haiku and, live on
the same machine, under dm-haiku 0.0.17.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

RN = "init:RandomNormal:1.0"
DEFAULT: dict = {"ramp": False}  # Default initializers: checks their fan-in.


def case(name, cls, args=(), kwargs=None, shape=(2, 7, 3), dtype="float32", call=None,
         ramp=True):
    """A case; ``ramp`` sets ``w_init`` and ``b_init`` to ramps unless given."""
    kwargs = dict(kwargs or {})
    if ramp:
        kwargs.setdefault("w_init", "ramp:0.5")
        kwargs.setdefault("b_init", "ramp:1.0")
    return dict(name=name, cls=cls, args=list(args), kwargs=kwargs, shape=list(shape),
                dtype=dtype, call=call or {})


CONV = [
    # Data formats, strides, rates and every padding form.
    case("conv1d_same", "Conv1D", (4, 3), {}),
    case("conv1d_valid_stride", "Conv1D", (4, 3), {"stride": 2, "padding": "VALID"},
         shape=(2, 9, 3)),
    case("conv1d_ncw", "Conv1D", (4, 2), {"data_format": "NCW"}, shape=(2, 3, 8)),
    case("conv1d_causal", "Conv1D", (2, 3), {"padding": "pad:causal", "rate": 2}),
    case("conv1d_pairs", "Conv1D", (2, 3), {"padding": [(2, 1)]}),
    case("conv1d_unbatched", "Conv1D", (2, 3), {}, shape=(7, 3)),
    case("conv2d_same", "Conv2D", (4, 3), {}, shape=(2, 6, 5, 3)),
    case("conv2d_nchw", "Conv2D", (4, (3, 2)), {"data_format": "NCHW", "stride": (2, 1)},
         shape=(2, 3, 7, 6)),
    case("conv2d_valid_rate", "Conv2D", (3, 3), {"padding": "VALID", "rate": (2, 1)},
         shape=(1, 9, 8, 2)),
    case("conv2d_pairs", "Conv2D", (3, 3), {"padding": [(1, 2), (0, 3)], "stride": 2},
         shape=(1, 8, 7, 2)),
    case("conv2d_single_pair", "Conv2D", (3, 3), {"padding": (1, 2)}, shape=(1, 6, 6, 2)),
    case("conv2d_padfns", "Conv2D", (3, 3),
         {"padding": ["pad:causal", "pad:reverse_causal"], "rate": (1, 2)}, shape=(1, 7, 8, 2)),
    case("conv2d_padfn_full", "Conv2D", (3, 2), {"padding": "pad:full", "stride": 3},
         shape=(1, 7, 8, 2)),
    case("conv2d_groups", "Conv2D", (6, 3), {"feature_group_count": 3}, shape=(2, 5, 5, 6)),
    case("conv2d_mask", "Conv2D", (4, 3), {"mask": "mask:3,3,2,4"}, shape=(1, 5, 5, 2)),
    case("conv2d_no_bias", "Conv2D", (4, 1), {"with_bias": False}, shape=(1, 4, 4, 3)),
    case("conv2d_w_init", "Conv2D", (4, 3), {"w_init": "ramp:-0.3"},
         shape=(1, 4, 4, 3)),
    case("conv2d_unbatched_nchw", "Conv2D", (4, 3), {"data_format": "NCHW"}, shape=(3, 5, 5)),
    case("conv2d_precision", "Conv2D", (4, 3), {}, shape=(1, 5, 5, 3),
         call={"precision": "HIGHEST"}),
    case("conv2d_bf16", "Conv2D", (4, 3), {}, shape=(1, 5, 5, 3), dtype="bfloat16"),
    case("conv3d_same", "Conv3D", (4, 2), {}, shape=(1, 4, 5, 3, 2)),
    case("conv3d_ncdhw", "Conv3D", (4, (1, 2, 3)), {"data_format": "NCDHW", "stride": (1, 2, 1)},
         shape=(1, 2, 4, 5, 6)),
    case("convnd_channels_first", "ConvND", (2, 4, 3), {"data_format": "channels_first"},
         shape=(2, 3, 5, 5)),
    case("convnd_n_c", "ConvND", (1, 4, 3), {"data_format": "N...C"}, shape=(2, 6, 3)),
]

CONV_TRANSPOSE = [
    case("conv1d_t_same", "Conv1DTranspose", (4, 3), {"stride": 2}),
    case("conv1d_t_valid", "Conv1DTranspose", (4, 3), {"stride": 2, "padding": "VALID"}),
    case("conv1d_t_k2s3", "Conv1DTranspose", (2, 2), {"stride": 3, "padding": "VALID"}),
    case("conv1d_t_ncw", "Conv1DTranspose", (4, 2), {"data_format": "NCW"}, shape=(2, 3, 6)),
    case("conv2d_t_same", "Conv2DTranspose", (4, 3), {"stride": 2}, shape=(2, 4, 5, 3)),
    case("conv2d_t_pairs", "Conv2DTranspose", (4, 3), {"stride": 2, "padding": [(1, 1), (2, 0)]},
         shape=(1, 4, 5, 3)),
    case("conv2d_t_nchw", "Conv2DTranspose", (4, (3, 2)), {"stride": (1, 2), "data_format": "NCHW"},
         shape=(1, 3, 4, 5)),
    case("conv2d_t_mask", "Conv2DTranspose", (4, 3), {"mask": "mask:3,3,4,2"}, shape=(1, 4, 4, 2)),
    case("conv2d_t_unbatched", "Conv2DTranspose", (4, 3), {"stride": 2}, shape=(4, 4, 2)),
    case("conv3d_t", "Conv3DTranspose", (2, 2), {"stride": 2}, shape=(1, 2, 3, 2, 2)),
    case("convnd_t_channels_first", "ConvNDTranspose", (2, 3, 3),
         {"stride": 2, "data_format": "channels_first"}, shape=(1, 2, 4, 4)),
    case("conv2d_t_out", "Conv2DTranspose", (3, 3), {"stride": 2, "output_shape": (7, 8)},
         shape=(1, 4, 4, 2)),
    case("conv2d_t_out_nchw", "Conv2DTranspose", (3, 3),
         {"stride": 2, "output_shape": (9, 8), "padding": "VALID", "data_format": "NCHW"},
         shape=(1, 2, 4, 3)),
]


def _output_shape_cases() -> list[dict]:
    """Every output size that SAME and VALID allow, for a few kernels and strides."""
    cases = []
    for k, s, i in [(3, 2, 4), (4, 2, 4), (3, 3, 3), (5, 3, 3), (2, 1, 5), (1, 2, 4)]:
        for pad in ("SAME", "VALID"):
            if pad == "SAME":
                outs = [o for o in range(1, 20) if -(-o // s) == i]
            else:
                outs = [o for o in range(k, 25) if -(-(o - k + 1) // s) == i]
            for o in outs:
                cases.append(case(f"conv1d_t_out_{pad}_k{k}s{s}i{i}o{o}", "Conv1DTranspose",
                                  (2, k), {"stride": s, "padding": pad, "output_shape": o},
                                  shape=(1, i, 2)))
    return cases


DEPTHWISE = [
    case("dw1d", "DepthwiseConv1D", (2, 3), {}, shape=(2, 7, 3)),
    case("dw1d_ncw_no_bias", "DepthwiseConv1D", (2, 3), {"data_format": "NCW", "with_bias": False},
         shape=(2, 3, 7)),
    case("dw2d", "DepthwiseConv2D", (2, 3), {}, shape=(2, 5, 6, 3)),
    case("dw2d_nchw", "DepthwiseConv2D", (3, (3, 2)), {"data_format": "NCHW", "stride": 2},
         shape=(1, 2, 7, 6)),
    case("dw2d_valid_rate", "DepthwiseConv2D", (1, 3), {"padding": "VALID", "rate": 2},
         shape=(1, 9, 9, 2)),
    case("dw2d_pairs", "DepthwiseConv2D", (1, 3), {"padding": [(0, 2), (1, 0)]},
         shape=(1, 5, 5, 2)),
    case("dw2d_channels_first", "DepthwiseConv2D", (2, 3), {"data_format": "channels_first"},
         shape=(1, 2, 5, 5)),
    case("dw3d", "DepthwiseConv3D", (2, 2), {"stride": (1, 2, 1)}, shape=(1, 3, 4, 3, 2)),
    case("dw3d_ncdhw_no_bias", "DepthwiseConv3D", (2, 2),
         {"data_format": "NCDHW", "with_bias": False}, shape=(1, 2, 3, 4, 3)),
    case("sep2d", "SeparableDepthwiseConv2D", (2, 3), {}, shape=(2, 6, 6, 3)),
    case("sep2d_stride_valid", "SeparableDepthwiseConv2D", (1, (3, 2)),
         {"stride": (2, 3), "padding": "VALID"}, shape=(1, 8, 9, 2)),
    case("sep2d_nchw", "SeparableDepthwiseConv2D", (2, 3),
         {"data_format": "NCHW", "w_init": "ramp:0.25", "b_init": "ramp:-2.0"},
         shape=(1, 2, 5, 5)),
    case("sep2d_pairs", "SeparableDepthwiseConv2D", (1, 3), {"padding": [(1, 1), (2, 0)]},
         shape=(1, 5, 5, 2)),
]

# The default initializers (truncated normal with stddev 1 / sqrt(fan_in) for
# the weights, zeros for the bias): each family's fan-in and the order of RNG
# draws. Run eagerly, where each RNG program compiles once per shape (about two
# CPU seconds each), so the cases share weight shapes: three in all.
DEFAULT_INIT = [
    case("conv2d_groups_default", "Conv2D", (6, 3), {"feature_group_count": 3},
         shape=(2, 5, 5, 6), **DEFAULT),  # w: (3, 3, 2, 6)
    case("conv2d_t_default", "Conv2DTranspose", (2, 3), {"stride": 2}, shape=(1, 3, 3, 6),
         **DEFAULT),  # w: (3, 3, 2, 6)
    case("dw2d_default", "DepthwiseConv2D", (2, (3, 1)), {}, shape=(2, 5, 6, 3),
         **DEFAULT),  # w: (3, 1, 1, 6)
    case("sep2d_default", "SeparableDepthwiseConv2D", (2, 3), {}, shape=(2, 6, 6, 3),
         **DEFAULT),  # w: (3, 1, 1, 6) and (1, 3, 1, 6)
]

GROUPS: dict[str, tuple[int, list[dict]]] = {
    # name: (seed, cases)
    "default_init": (42, DEFAULT_INIT),
    "conv": (0, CONV),
    "conv_transpose": (1, CONV_TRANSPOSE),
    "output_shape": (2, _output_shape_cases()),
    "depthwise": (3, DEPTHWISE),
}


def ramp(scale: float):
    """An initializer of fixed, varied values (no RNG)."""

    def init(shape, dtype):
        values = np.cos(np.arange(int(np.prod(shape)), dtype=np.float64) * 0.61 + 0.3) * scale
        return jnp.asarray(np.asarray(values.reshape(shape), dtype=jnp.dtype(dtype)))

    return init


def decode(value: Any) -> Any:
    """Turns the string spellings of pad functions, initializers and masks into objects."""
    if isinstance(value, str) and value.startswith("ramp:"):
        return ramp(float(value[5:]))
    if isinstance(value, str) and value.startswith("pad:"):
        return getattr(hk.pad, value[4:])
    if isinstance(value, str) and value.startswith("init:"):
        _, name, arg = value.split(":")
        return getattr(hk.initializers, name)(float(arg))
    if isinstance(value, str) and value.startswith("mask:"):
        shape = tuple(int(d) for d in value[5:].split(","))
        return jnp.asarray((np.arange(np.prod(shape)).reshape(shape) % 3 != 1).astype(np.float32))
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, tuple):
        return tuple(decode(v) for v in value)
    return value


def make_input(shape, dtype: str) -> jax.Array:
    size = int(np.prod(shape))
    x = np.sin(np.arange(size, dtype=np.float64) * 0.37 + 0.1).reshape(shape)
    return jnp.asarray(np.asarray(x, dtype=jnp.dtype(dtype)))


def build(c: dict):
    """The module of case ``c`` and the keyword arguments of its call."""
    kwargs = {k: decode(v) for k, v in c["kwargs"].items()}
    call = dict(c["call"])
    if "precision" in call:
        call["precision"] = getattr(jax.lax.Precision, call["precision"])
    return getattr(hk, c["cls"])(*decode(c["args"]), **kwargs), call


def run_group(name: str) -> tuple[dict, list[jax.Array]]:
    """``(params, outputs)`` of group ``name`` under the installed ``haiku``."""
    seed, cases = GROUPS[name]

    def forward(xs):
        outs = []
        for c, x in zip(cases, xs):
            module, call = build(c)
            outs.append(module(x, **call))
        return outs

    f = hk.transform(forward)
    xs = [make_input(c["shape"], c["dtype"]) for c in cases]
    init = f.init if name == "default_init" else jax.jit(f.init)
    params = init(jax.random.PRNGKey(seed), xs)
    outs = jax.jit(f.apply)(params, None, xs)
    return params, outs


def _group_scenario(name: str) -> Callable[[], dict]:
    def scenario():
        params, outs = run_group(name)
        _, cases = GROUPS[name]
        return {"params": params, "outs": {c["name"]: out for c, out in zip(cases, outs)}}

    return scenario


# One scenario per group: its parameters (names, creation order, shapes,
# dtypes, values) and every case's output, by case name.
SCENARIOS: dict[str, Callable[[], dict]] = {name: _group_scenario(name) for name in GROUPS}
