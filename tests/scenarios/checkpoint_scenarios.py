"""Scenarios: the models of ``checkpoint_models.py`` run from dm-haiku's checkpoints.

``tests/golden/dm_haiku_checkpoints.npz`` holds, for each model, an input and
the params and state that dm-haiku 0.0.17 wrote after two SGD steps
(``tests/golden/make_dm_haiku_checkpoints.py``). The file holds no outputs:
they depend on the CPU that computes them. Instead each scenario of
:data:`SCENARIOS` loads a checkpoint and applies its model in training mode
(output and new state) and in test mode (eager and jitted), written against
the public ``hk`` API only: ``tests/test_checkpoints.py`` runs it under our
haiku and, live on the same machine, under dm-haiku 0.0.17 (through the
``haiku_oracle`` harness), and the results must agree bit for bit.
"""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

from .checkpoint_models import MODELS

HERE = Path(__file__).resolve().parent
CHECKPOINTS = HERE.parent / "golden" / "dm_haiku_checkpoints.npz"
# dm-haiku's results are cached under a digest of this folder's Python files,
# not of the checkpoints: a new checkpoint file must come with a new digest here.
CHECKPOINTS_SHA256 = "ce4526d147bca276a67812c6b33258a9a5cd4bef89ec5a5edafe0e5a16db1b1d"


def read_checkpoint(model: str) -> tuple[jax.Array, dict, dict]:
    """The input, params and state dm-haiku wrote for ``model``, in the file's order."""
    data = CHECKPOINTS.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != CHECKPOINTS_SHA256:
        raise ValueError(f"{CHECKPOINTS.name} has sha256 {digest}: set CHECKPOINTS_SHA256 in "
                         f"{Path(__file__).name} to it")
    trees: dict[str, dict[str, dict[str, jax.Array]]] = {"params": {}, "state": {}}
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        x = jnp.asarray(archive[f"{model}/input"])
        for key in archive.files:
            owner, _, rest = key.partition("/")
            kind, _, path = rest.partition("/")
            if owner == model and kind in trees:
                module, _, name = path.rpartition("/")
                trees[kind].setdefault(module, {})[name] = jnp.asarray(archive[key])
    return x, trees["params"], trees["state"]


def run_checkpoint(model: str) -> dict[str, Any]:
    """Outputs of ``model`` from its checkpoint: training mode (and new state), test mode."""
    fn, _ = MODELS[model]
    f = hk.transform_with_state(fn)
    x, params, state = read_checkpoint(model)
    train_out, train_state = f.apply(params, state, None, x, True)
    test_out, _ = f.apply(params, state, None, x, False)
    jit_test_out, _ = jax.jit(f.apply, static_argnums=4)(params, state, None, x, False)
    return {"train": {"out": train_out, "state": train_state},
            "test": {"out": test_out, "jit_out": jit_test_out}}


SCENARIOS: dict[str, Callable[[], dict[str, Any]]] = {
    model: functools.partial(run_checkpoint, model) for model in MODELS
}
