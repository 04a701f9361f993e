"""haiku-rnn's cores as conformance-kit examples (``haiku_conformance_examples``).

Each core runs over a tiny sequence with ``hk.dynamic_unroll`` (or
``hk.static_unroll``), from its ``initial_state``; the conformance kit
(:func:`haiku.testing.check_module`) checks it under jit, vmap, grad, remat,
eval_shape, a bfloat16 policy and identity interceptors, and compares its
parameter tree with ``tests/golden/conformance/<name>.json``.

>>> examples = {e.name: e for e in examples()}
>>> examples["LSTM"].check(checks=["determinism"]).passed
('determinism',)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np

import haiku as hk

T, B = 3, 2  # time steps, batch size


def _x(*shape: int) -> np.ndarray:
    """Uniform float32 in [-1, 1): deterministic tiny inputs."""
    return np.random.default_rng(sum(shape)).uniform(-1.0, 1.0, shape).astype(np.float32)


def _unrolled(make_core: Callable[[], Any], unroll: Callable[..., Any] | None = None):
    """A factory unrolling ``make_core()`` over ``xs`` (time-major) from its initial state."""
    unroll = unroll or hk.dynamic_unroll

    def fn(xs):
        core = make_core()
        return unroll(core, xs, core.initial_state(xs.shape[1]))

    return fn


def examples() -> list[hk.testing.ModuleExample]:
    """One :class:`haiku.testing.ModuleExample` per haiku-rnn core.

    Returns:
      The examples (the conformance kit checks them; see the module doc).
    """
    E = hk.testing.ModuleExample
    xs = _x(T, B, 2)

    def reset_fn(xs, resets):
        core = hk.ResetCore(hk.LSTM(3))
        return hk.dynamic_unroll(core, (xs, resets), core.initial_state(xs.shape[1]))

    resets = np.array([[False, False], [True, False], [False, True]])
    return [
        E("VanillaRNN", _unrolled(lambda: hk.VanillaRNN(3)), (xs,), (hk.VanillaRNN,)),
        E("LSTM", _unrolled(lambda: hk.LSTM(3)), (xs,), (hk.LSTM,)),
        E("LSTM_static_unroll", _unrolled(lambda: hk.LSTM(3), hk.static_unroll), (xs,),
          (hk.LSTM,)),
        E("GRU", _unrolled(lambda: hk.GRU(3)), (xs,), (hk.GRU,)),
        E("DeepRNN",
          _unrolled(lambda: hk.DeepRNN([hk.LSTM(3), jax.nn.relu, hk.GRU(2)])), (xs,),
          (hk.DeepRNN,)),
        E("deep_rnn_with_skip_connections",
          _unrolled(lambda: hk.deep_rnn_with_skip_connections([hk.LSTM(2), hk.VanillaRNN(2)])),
          (xs,), (hk.DeepRNN,)),
        E("ResetCore", reset_fn, (xs, resets), (hk.ResetCore,)),
        E("IdentityCore", _unrolled(lambda: hk.IdentityCore()), (xs,), (hk.IdentityCore,)),
        E("Conv1DLSTM", _unrolled(lambda: hk.Conv1DLSTM((4,), 2, 3)), (_x(2, 1, 4, 2),),
          (hk.Conv1DLSTM,), rtol=1e-4, atol=1e-4),
        E("Conv2DLSTM", _unrolled(lambda: hk.Conv2DLSTM((3, 3), 2, 3)), (_x(2, 1, 3, 3, 2),),
          (hk.Conv2DLSTM,), rtol=1e-4, atol=1e-4),
        E("Conv3DLSTM", _unrolled(lambda: hk.Conv3DLSTM((2, 2, 2), 2, 2)),
          (_x(2, 1, 2, 2, 2, 2),), (hk.Conv3DLSTM,), rtol=1e-4, atol=1e-4),
    ]
