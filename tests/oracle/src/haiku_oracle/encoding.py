"""Results of a scenario as an ordered list of entries, and their files.

Both sides use this module: the oracle worker (in dm-haiku's venv) and the
tests (in ours). It imports only numpy at module level, and jax only to
recognise typed PRNG keys, so it is the same code in both venvs.

A scenario returns a tree of dicts, lists and tuples whose leaves are
arrays, PRNG keys or JSON scalars. :func:`flatten` turns it into entries, in
tree order (dict order is kept, so the order in which parameters and state
were created is compared too):

>>> import numpy as np
>>> entries = flatten({"params": {"w": np.zeros([2], np.float32)}, "steps": (3,)})
>>> [(entry_path(e), e["kind"]) for e in entries]
[('params/w', 'array'), ('steps/(0)', 'json')]
>>> entries[0]["dtype"], entries[0]["shape"], entries[0]["data"].tobytes()
('float32', [2], b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00')
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

Entry = dict[str, Any]

# Written into every results file: a file of another format is never read.
FORMAT = 2


def _typed_key_parts(leaf: Any) -> tuple[str, list[int], np.ndarray] | None:
    """``(impl, shape, key_data)`` of a typed PRNG key array, else ``None``."""
    dtype = getattr(leaf, "dtype", None)
    jax = sys.modules.get("jax")  # A typed key exists only once jax is imported.
    if dtype is None or jax is None or not jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
        return None
    return str(jax.random.key_impl(leaf)), list(leaf.shape), np.asarray(jax.random.key_data(leaf))


def _raw_bytes(array: np.ndarray) -> np.ndarray:
    return np.frombuffer(np.ascontiguousarray(array).tobytes(), np.uint8)


def flatten(tree: Any, path: tuple[str, ...] = ()) -> list[Entry]:
    """The leaves of ``tree`` in order, each as an entry.

    An entry has a ``path`` (a list of components: a mapping key as it is,
    ``"[i]"`` for a list item, ``"(i)"`` for a tuple item) and a ``kind``:

    * ``"json"``: ``value`` is the leaf (``None``, a bool, int, float or str);
    * ``"array"``: ``dtype``, ``shape`` and ``data``, the raw bytes as uint8
      (so comparisons are bit for bit in every dtype, bfloat16 included);
    * ``"key"``: a typed PRNG key: ``impl``, ``shape`` and ``data`` (the bytes
      of its ``key_data``);
    * ``"empty"``: an empty ``container`` (``"mapping"``, ``"list"`` or
      ``"tuple"``), so that ``{}`` and ``[]`` are entries too.
    """
    entry: Entry = {"path": list(path)}
    if isinstance(tree, (Mapping, list, tuple)) and not tree:
        container = ("mapping" if isinstance(tree, Mapping)
                     else "list" if isinstance(tree, list) else "tuple")
        entry.update(kind="empty", container=container)
        return [entry]
    if isinstance(tree, Mapping):
        return [e for k, v in tree.items() for e in flatten(v, (*path, str(k)))]
    if isinstance(tree, (list, tuple)):
        pattern = "[{}]" if isinstance(tree, list) else "({})"
        return [e for i, v in enumerate(tree) for e in flatten(v, (*path, pattern.format(i)))]
    if tree is None or isinstance(tree, (bool, int, float, str)):
        entry.update(kind="json", value=tree)
        return [entry]
    key = _typed_key_parts(tree)
    if key is not None:
        impl, shape, data = key
        entry.update(kind="key", impl=impl, shape=shape, data=_raw_bytes(data))
        return [entry]
    array = np.asarray(tree)
    entry.update(kind="array", dtype=str(array.dtype), shape=list(array.shape),
                 data=_raw_bytes(array))
    return [entry]


def entry_path(entry: Entry) -> str:
    """The entry's path as one string, components joined by ``/``."""
    return "/".join(entry["path"])


def decode(entry: Entry) -> np.ndarray:
    """The array an ``"array"`` entry holds, with its dtype and shape.

    bfloat16 and the other ml_dtypes types are found through numpy, which
    knows them once jax (or ml_dtypes) is imported.
    """
    if entry["kind"] != "array":
        raise ValueError(f"{entry_path(entry)} is a {entry['kind']} entry, not an array")
    import ml_dtypes  # noqa: F401  (registers bfloat16 & co. with numpy)

    return np.frombuffer(entry["data"].tobytes(), np.dtype(entry["dtype"])).reshape(entry["shape"])


def same_json(a: Any, b: Any) -> bool:
    """JSON scalars equal in value and type; NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def save(path: Path, results: Mapping[str, list[Entry] | str]) -> None:
    """Writes ``{scenario: entries, or the error it raised}`` to one ``.npz``.

    The entries without their bytes go into a JSON document stored in the
    archive; the bytes of each scenario are concatenated into one array.
    """
    document: dict[str, Any] = {"format": FORMAT, "scenarios": {}}
    blobs: dict[str, np.ndarray] = {}
    for name, result in results.items():
        if isinstance(result, str):
            document["scenarios"][name] = {"error": result}
            continue
        entries, chunks, offset = [], [], 0
        for entry in result:
            entry = dict(entry)
            data = entry.pop("data", None)
            if data is not None:
                entry.update(offset=offset, nbytes=int(data.size))
                offset += int(data.size)
                chunks.append(data)
            entries.append(entry)
        document["scenarios"][name] = {"entries": entries}
        blobs[f"blob/{name}"] = np.concatenate(chunks) if chunks else np.zeros([0], np.uint8)
    text = json.dumps(document).encode()
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, __document__=np.frombuffer(text, np.uint8), **blobs)
    tmp.replace(path)


def load(path: Path) -> dict[str, list[Entry] | str]:
    """Reads what :func:`save` wrote: entries with their bytes, or error texts."""
    with np.load(path) as archive:
        document = json.loads(archive["__document__"].tobytes())
        if document.get("format") != FORMAT:
            raise ValueError(f"{path}: results of format {document.get('format')}, not {FORMAT}")
        results: dict[str, list[Entry] | str] = {}
        for name, result in document["scenarios"].items():
            if "error" in result:
                results[name] = result["error"]
                continue
            blob = archive[f"blob/{name}"]
            entries = []
            for entry in result["entries"]:
                if "offset" in entry:
                    start = entry.pop("offset")
                    entry["data"] = blob[start : start + entry.pop("nbytes")]
                entries.append(entry)
            results[name] = entries
    return results
