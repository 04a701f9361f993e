"""Writes dm_haiku_checkpoints.npz: params/state trained a little by dm-haiku 0.0.17.

Run it with the oracle's interpreter, the one with dm-haiku 0.0.17 (a test
venv prints it: ``python -c "import haiku_oracle; print(haiku_oracle.oracle_python()[0])"``).
For each model of ``MODELS`` (``tests/scenarios/checkpoint_models.py``) it
initialises, takes two SGD steps (so the values are not the initialisers';
BatchNorm's moving averages move), and stores the trees as plain arrays --
``<model>/params/<module>/<name>``, ``<model>/state/<module>/<name>`` -- with
the input. No outputs: they depend on the CPU, so the tests compute them live
under both libraries (``tests/scenarios/checkpoint_scenarios.py``, whose
``CHECKPOINTS_SHA256`` must then be set to the digest printed here). No
pickles: ``np.load(..., allow_pickle=False)`` reads it.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scenarios"))
from checkpoint_models import MODELS  # noqa: E402


def main():
    assert hk.__version__ == "0.0.17", f"run this with dm-haiku 0.0.17, not {hk.__version__}"
    arrays = {}
    for name, (fn, shape) in MODELS.items():
        f = hk.transform_with_state(fn)
        x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
        params, state = f.init(jax.random.PRNGKey(0), x, True)

        def loss(params, state):
            out, state = f.apply(params, state, None, x, True)
            return jnp.mean(out**2), state

        for _ in range(2):
            grads, state = jax.grad(loss, has_aux=True)(params, state)
            params = jax.tree_util.tree_map(lambda p, g: p - 0.1 * g, params, grads)
        for kind, tree in (("params", params), ("state", state)):
            for module, bundle in tree.items():
                for pname, value in bundle.items():
                    arrays[f"{name}/{kind}/{module}/{pname}"] = np.asarray(value)
        arrays[f"{name}/input"] = x
    path = Path(__file__).with_name("dm_haiku_checkpoints.npz")
    np.savez(path, **arrays)
    print(f"wrote {path} ({len(arrays)} arrays), sha256 "
          f"{hashlib.sha256(path.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    main()
