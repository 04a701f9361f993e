"""Flax modules lifted into Haiku as conformance-kit examples.

Registered through ``haiku_conformance_examples``: a lifted module must
behave like any Haiku module, so :func:`haiku.testing.check_module` runs
every check on a Linen ``Dense``, a Linen ``BatchNorm`` (its ``batch_stats``
become Haiku state) and an NNX ``Linear``, each lifted with
:func:`haiku.experimental.flax.lift`; all but ``interceptors`` (see
``_NOT_INTERCEPTED``). Their
golden trees are in ``tests/golden/conformance/<name>.json``.

>>> examples = {e.name: e for e in examples()}
>>> examples["lift_linen_Dense"].check(checks=["determinism"]).passed
('determinism',)
"""

from __future__ import annotations

import flax.linen as nn
import haiku as hk
import numpy as np
from flax import nnx

from haiku_flax._src.lift import LiftedFlaxModule, lift


def _x(*shape: int) -> np.ndarray:
    """Uniform float32 in [-1, 1): deterministic tiny inputs."""
    return np.random.default_rng(sum(shape)).uniform(-1.0, 1.0, shape).astype(np.float32)


def _linen_dense(x):
    return lift(nn.Dense(3), name="dense")(x)


def _linen_batch_norm(x):
    return lift(nn.BatchNorm(use_running_average=False, momentum=0.9), name="bn")(x)


def _nnx_linear(x):
    return lift(nnx.Linear(4, 3, rngs=nnx.Rngs(0)), name="linear")(x)


def examples() -> list[hk.testing.ModuleExample]:
    """One :class:`haiku.testing.ModuleExample` per lifted Flax module.

    Returns:
      The examples (the conformance kit checks them; see the module doc).
    """
    x = _x(2, 4)
    return [
        _example("lift_linen_Dense", _linen_dense, x),
        _example("lift_linen_BatchNorm", _linen_batch_norm, x),
        _example("lift_nnx_Linear", _nnx_linear, x),
    ]


def _example(name, fn, x) -> hk.testing.ModuleExample:
    return hk.testing.ModuleExample(
        name, fn, (x,), (LiftedFlaxModule,),
        not_applicable={"interceptors": _NOT_INTERCEPTED})


_NOT_INTERCEPTED = (
    "Flax variables enter Haiku through hk.transparent_lift_with_state, not "
    "hk.get_parameter/get_state, so custom creators and getters do not see them "
    "(as with dm-haiku 0.0.17's lift)"
)
