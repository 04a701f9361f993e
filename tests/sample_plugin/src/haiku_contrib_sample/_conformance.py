"""The sample plugin's module as a conformance-kit example.

>>> (example,) = examples()
>>> example.check(checks=["determinism", "interceptors"]).passed
('determinism', 'interceptors')
"""

from __future__ import annotations

import numpy as np

import haiku as hk
from haiku_contrib_sample._src.scale import ScaleByParameter


def examples() -> list[hk.testing.ModuleExample]:
    """:class:`ScaleByParameter` on a tiny batch, for :func:`haiku.testing.check_module`."""
    x = np.linspace(-1.0, 1.0, 6, dtype=np.float32).reshape(2, 3)
    return [
        hk.testing.ModuleExample(
            "ScaleByParameter", lambda x: ScaleByParameter()(x), (x,), (ScaleByParameter,)),
    ]
