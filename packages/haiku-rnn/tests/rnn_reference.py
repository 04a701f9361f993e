"""Float64 NumPy implementations of the recurrent cells' equations.

Written from the equations in the API reference (Zaremba et al. 2014 for the
LSTM, Chung et al. 2014 for the GRU, Shi et al. 2015 for the convolutional
LSTM), independently of the code under test. Gate columns are ordered as
documented: ``i, g, f, o`` for the LSTMs and ``z, r, a`` for the GRU.
"""

from __future__ import annotations

import itertools

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def f64(x):
    return np.asarray(x, dtype=np.float64)


def vanilla_step(x, h, w_i, b_i, w_h, b_h=None):
    pre = f64(x) @ f64(w_i) + f64(b_i) + f64(h) @ f64(w_h)
    if b_h is not None:
        pre = pre + f64(b_h)
    h = np.maximum(pre, 0.0)
    return h, h


def _lstm_from_gates(gates, c):
    i, g, f, o = np.split(gates, 4, axis=-1)
    c = sigmoid(f + 1.0) * f64(c) + sigmoid(i) * np.tanh(g)
    h = sigmoid(o) * np.tanh(c)
    return h, (h, c)


def lstm_step(x, state, w, b):
    """``w`` is ``[F + H, 4H]``: rows for the inputs, then for the hidden state."""
    h, c = state
    n_in = np.shape(x)[-1]
    w = f64(w)
    gates = f64(x) @ w[:n_in] + f64(h) @ w[n_in:] + f64(b)
    return _lstm_from_gates(gates, c)


def gru_step(x, h, w_i, w_h, b):
    x, h, w_i, w_h, b = map(f64, (x, h, w_i, w_h, b))
    H = h.shape[-1]
    w_iz, w_ir, w_ia = np.split(w_i, 3, axis=1)
    w_hz, w_hr, w_ha = np.split(w_h, 3, axis=1)
    b_z, b_r, b_a = np.split(b, 3)
    z = sigmoid(x @ w_iz + h @ w_hz + b_z)
    r = sigmoid(x @ w_ir + h @ w_hr + b_r)
    a = np.tanh(x @ w_ia + (r * h) @ w_ha + b_a)
    assert a.shape[-1] == H
    h = (1 - z) * h + z * a
    return h, h


def conv_same(x, w, b):
    """Channels-last N-d cross-correlation, stride 1, SAME padding, batched input.

    ``x``: ``[B, *spatial, C]``; ``w``: ``[*kernel, C, O]``; ``b``: ``[O]``.
    """
    x, w, b = f64(x), f64(w), f64(b)
    kernel = w.shape[:-2]
    spatial = x.shape[1:-1]
    pads = [((k - 1) // 2, k - 1 - (k - 1) // 2) for k in kernel]
    xp = np.pad(x, [(0, 0), *pads, (0, 0)])
    out = np.zeros((x.shape[0], *spatial, w.shape[-1]))
    for offset in itertools.product(*(range(k) for k in kernel)):
        window = tuple(slice(o, o + s) for o, s in zip(offset, spatial))
        out += xp[(slice(None), *window, slice(None))] @ w[offset]
    return out + b


def conv_lstm_step(x, state, w_x, b_x, w_h, b_h):
    h, c = state
    gates = conv_same(x, w_x, b_x) + conv_same(h, w_h, b_h)
    return _lstm_from_gates(gates, c)
