"""Writes a pickle of dm-haiku ``FlatMap`` objects (a legacy checkpoint).

Run it with the *oracle* interpreter, the one that has dm-haiku 0.0.17
installed (never install dm-haiku into the development venv)::

    /work/.venv-oracle/bin/python packages/haiku-core/tests/golden/make_data_structures_golden.py

It writes ``flatmap_checkpoint.pkl`` next to this script: a pickled ``dict``
holding ``hk.data_structures.to_immutable_dict`` outputs (with NumPy arrays,
nested and empty ones). dm-haiku pickles a ``FlatMap`` as a call of
``haiku._src.data_structures.FlatMapping`` on a plain dict;
``test_data_structures.py`` checks that our package loads the file, as a
``dict`` by default and as ``FlatMap`` under ``restore_flatmap=True``.
"""

from __future__ import annotations

import pathlib
import pickle
import sys

import haiku as hk  # dm-haiku 0.0.17, the oracle.
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent


def main() -> int:
    params = {
        "linear": {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.zeros(3, np.float32)},
        "conv/~/norm": {"scale": np.ones([4], np.float16)},
    }
    checkpoint = {
        "params": hk.data_structures.to_immutable_dict(params),
        "empty": hk.data_structures.to_immutable_dict({}),
        "step": 7,
    }
    with open(HERE / "flatmap_checkpoint.pkl", "wb") as f:
        pickle.dump(checkpoint, f, protocol=4)
    print(f"wrote flatmap_checkpoint.pkl (dm-haiku {hk.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
