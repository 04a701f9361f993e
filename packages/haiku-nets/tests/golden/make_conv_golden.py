"""Writes ``conv_golden.{json,npz}`` by running ``conv_scenarios.py`` under dm-haiku.

Run it with the oracle venv (dm-haiku 0.0.17), from any folder::

    /work/.venv-oracle/bin/python packages/haiku-nets/tests/golden/make_conv_golden.py

The JSON keeps, per group, the parameters in creation order (module, name,
shape, dtype) and each case's output shape and dtype; the npz keeps the
values (as float32: every dtype used here converts to it exactly).
"""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE))

import conv_scenarios  # noqa: E402


def main() -> None:
    import haiku as hk

    assert hk.__version__ == "0.0.17", f"run this under dm-haiku 0.0.17, not {hk.__version__}"
    meta: dict = {}
    blobs: dict[str, np.ndarray] = {}
    for group, (_, cases) in conv_scenarios.GROUPS.items():
        params, outs = conv_scenarios.run_group(group)
        entry: dict = {"params": [], "outs": {}}
        for module, values in params.items():
            for name, value in values.items():
                entry["params"].append([module, name, list(value.shape), str(value.dtype)])
                blobs[f"{group}|{module}/{name}"] = np.asarray(value, np.float32)
        for c, out in zip(cases, outs):
            entry["outs"][c["name"]] = [list(out.shape), str(out.dtype)]
            blobs[f"{group}|out|{c['name']}"] = np.asarray(out, np.float32)
        meta[group] = entry
    (HERE / "conv_golden.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    np.savez_compressed(HERE / "conv_golden.npz", **blobs)
    print(f"wrote {len(meta)} groups")


if __name__ == "__main__":
    main()
