"""Independent references for the convolution tests (NumPy, float64) and helpers.

The tests run with ``--import-mode=importlib``, so sibling modules are not
importable by name: test modules load this file by path.
"""

from __future__ import annotations

import itertools

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np


def np_init(seed: int, scale: float = 1.0):
    """A deterministic initializer made with NumPy (no RNG compilation)."""

    def init(shape, dtype):
        values = np.random.default_rng(seed).standard_normal(shape) * scale
        return jnp.asarray(values.astype(np.dtype(dtype)))

    return init


def x_of(shape, seed=0):
    return jnp.asarray(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


def same_pads(sizes, kernel, stride, rate):
    pads = []
    for i, k, s, r in zip(sizes, kernel, stride, rate):
        eff = (k - 1) * r + 1
        out = -(-i // s)
        total = max((out - 1) * s + eff - i, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def np_conv(x, w, stride, pads, rate, groups=1):
    """Channels-last N-d convolution in float64: x [N, *S, C], w [*K, C // groups, O]."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    n = x.ndim - 2
    kernel = w.shape[:n]
    x = np.pad(x, [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)])
    eff = [(k - 1) * r + 1 for k, r in zip(kernel, rate)]
    out_sizes = [(x.shape[1 + d] - eff[d]) // stride[d] + 1 for d in range(n)]
    cin, cout = x.shape[-1] // groups, w.shape[-1] // groups
    out = np.zeros((x.shape[0], *out_sizes, w.shape[-1]))
    for offset in itertools.product(*[range(k) for k in kernel]):
        index = (slice(None),) + tuple(
            slice(o * r, o * r + (size - 1) * s + 1, s)
            for o, r, s, size in zip(offset, rate, stride, out_sizes)
        )
        patch = x[index]
        for g in range(groups):
            out[..., g * cout:(g + 1) * cout] += (
                patch[..., g * cin:(g + 1) * cin] @ w[offset][:, g * cout:(g + 1) * cout]
            )
    return out


def to_last(x, channel_index):
    return np.moveaxis(np.asarray(x), 1, -1) if channel_index == 1 else np.asarray(x)


def to_first(x, channel_index):
    return np.moveaxis(x, -1, 1) if channel_index == 1 else x


def run(forward, x):
    """``(params, output)`` of ``hk.transform(forward)`` on ``x``.

    Both are jitted: for these small programs one compilation each costs less
    than eager mode's op-by-op compilations.
    """
    transformed = hk.transform(forward)
    params = jax.jit(transformed.init)(None, x)  # deterministic initializers: no key needed
    return params, jax.jit(transformed.apply)(params, None, x)


def flat(params):
    return {f"{m}/{n}": v for m, d in params.items() for n, v in d.items()}



def np_conv_transpose(x, w, stride, pads):
    """Channels-last transposed convolution: the stride-dilated input, padded with
    ``pads`` (negative pads crop), correlated with ``w`` [*K, O, I]."""
    x = np.asarray(x, np.float64)
    n = x.ndim - 2
    dilated_shape = [x.shape[0]] + [(s - 1) * d + 1 for s, d in zip(x.shape[1:-1], stride)]
    dilated = np.zeros(dilated_shape + [x.shape[-1]])
    dilated[(slice(None),) + tuple(slice(None, None, d) for d in stride)] = x
    crop = tuple(slice(max(-lo, 0), dilated.shape[1 + i] - max(-hi, 0))
                 for i, (lo, hi) in enumerate(pads))
    dilated = dilated[(slice(None),) + crop]
    positive = [(max(lo, 0), max(hi, 0)) for lo, hi in pads]
    return np_conv(dilated, np.swapaxes(np.asarray(w), -1, -2), (1,) * n, positive, (1,) * n)
