"""Comparing our entries with dm-haiku's: bit for bit unless a test says why not.

>>> import numpy as np
>>> from haiku_oracle.encoding import flatten
>>> ours = flatten({"w": np.float32([1.0, 2.0])})
>>> differences(ours, flatten({"w": np.float32([1.0, 2.0])}))
[]
>>> differences(ours, flatten({"w": np.float32([1.0, 2.5])}))
['w: values differ (bit-exact comparison): 1 of 2 elements, max abs diff 0.5 at index (1,) (ours 2.0, dm-haiku 2.5)']
>>> nudged = flatten({"w": np.nextafter(np.float32([1.0, 2.0]), np.float32(3))})
>>> differences(ours, nudged, ulps={"w": 2})
[]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from haiku_oracle.encoding import Entry, decode, entry_path, same_json

_MAX_LISTED = 30


def _value_difference(where: str, ours: Entry, theirs: Entry, ulps: float | None) -> str | None:
    """Why two array entries of one dtype and shape differ, or ``None`` if they may.

    With ``ulps``, floats may differ by that many units in the last place of
    the largest magnitude dm-haiku's array holds (rounding that the order of a
    sum decides); otherwise every bit must agree.
    """
    mine, want = decode(ours), decode(theirs)
    a, b = mine.astype(np.float64), want.astype(np.float64)
    with np.errstate(invalid="ignore"):
        diff = np.where(np.isnan(a) & np.isnan(b), 0.0, np.abs(a - b))
    if ulps is not None:
        scale = float(np.nanmax(np.abs(b), initial=0.0))
        bound = ulps * float(np.spacing(np.asarray(scale, want.dtype)))
        if not np.any(np.isnan(diff)) and float(np.max(diff, initial=0.0)) <= bound:
            return None
        rule = f"more than {ulps} ulp of {scale:g}"
    else:
        rule = "bit-exact comparison"
    itemsize = mine.dtype.itemsize
    unequal = np.any(ours["data"].reshape(-1, itemsize) != theirs["data"].reshape(-1, itemsize),
                     axis=1)
    worst = np.unravel_index(int(np.argmax(np.where(np.isnan(diff), np.inf, diff))), mine.shape)
    index = tuple(int(i) for i in worst)
    return (f"{where}: values differ ({rule}): {int(np.count_nonzero(unequal))} of {mine.size} "
            f"elements, max abs diff {diff[worst]:g} at index {index} "
            f"(ours {float(a[worst])!r}, dm-haiku {float(b[worst])!r})")


def differences(ours: Sequence[Entry], theirs: Sequence[Entry], *,
                ulps: Mapping[str, float] | None = None) -> list[str]:
    """What differs between our entries and dm-haiku's, one line per difference.

    Paths must agree in order; then each entry must have the same kind,
    dtype, shape (and PRNG implementation) and the same bytes. ``ulps`` maps
    entry paths (as :func:`~haiku_oracle.encoding.entry_path` writes them) to
    the units in the last place by which those values may differ; a test
    that passes one says why in a comment.
    """
    ulps = ulps or {}
    problems: list[str] = []
    our_paths = [entry_path(e) for e in ours]
    their_paths = [entry_path(e) for e in theirs]
    if our_paths != their_paths:
        missing = [p for p in their_paths if p not in our_paths]
        extra = [p for p in our_paths if p not in their_paths]
        problems.append(f"entries differ: dm-haiku's missing here {missing[:8]}, ours only "
                        f"{extra[:8]}" if missing or extra else
                        f"entries in another order: ours {our_paths[:8]}, dm-haiku's "
                        f"{their_paths[:8]}")
    by_path = {entry_path(e): e for e in ours}
    for want in theirs:
        where = entry_path(want)
        got = by_path.get(where)
        if got is None:
            continue
        if got["kind"] != want["kind"]:
            problems.append(
                f"{where}: ours is of kind {got['kind']}, dm-haiku's of kind {want['kind']}")
            continue
        if want["kind"] == "json":
            if not same_json(got["value"], want["value"]):
                problems.append(f"{where}: ours {got['value']!r}, dm-haiku {want['value']!r}")
            continue
        fields = [f for f in ("container", "dtype", "impl", "shape") if f in want or f in got]
        if any(got.get(f) != want.get(f) for f in fields):
            problems.append(f"{where}: ours " + " ".join(str(got.get(f)) for f in fields)
                            + ", dm-haiku " + " ".join(str(want.get(f)) for f in fields))
            continue
        if want["kind"] == "empty" or got["data"].tobytes() == want["data"].tobytes():
            continue
        if want["kind"] == "key":
            problems.append(f"{where}: PRNG key bits differ")
            continue
        problem = _value_difference(where, got, want, ulps.get(where))
        if problem:
            problems.append(problem)
    if len(problems) > _MAX_LISTED:
        problems = problems[:_MAX_LISTED] + [f"... and {len(problems) - _MAX_LISTED} more"]
    return problems
