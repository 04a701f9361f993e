"""What the sample plugin adds to haiku-experimental's tools.

- a ``tabulate`` column, ``"param_bytes"`` (header "Param bytes"): the bytes
  of the parameters a module call uses (its own and its submodules');
- a FLOP estimator for ``sort``, a primitive the built-in estimate leaves
  out: ``n * ceil(log2(n))`` comparisons for each sorted row of ``n`` values.

>>> import math
>>> import jax
>>> x = jax.numpy.ones([3, 8])
>>> sort = jax.make_jaxpr(lambda x: jax.lax.sort(x, dimension=1))(x).eqns[0]
>>> sort.primitive.name, sort_flops(sort) == 3 * 8 * math.ceil(math.log2(8))
('sort', True)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def param_bytes(invocation: Any) -> int:
    """The bytes of the parameters of ``invocation``'s module (a ``MethodInvocation``)."""
    return sum(
        math.prod(spec.shape) * np.dtype(spec.dtype).itemsize
        for spec in invocation.module_details.params.values()
    )


def sort_flops(eqn: Any) -> int:
    """Comparisons of a ``sort`` equation: ``n * ceil(log2(n))`` per row of ``n``."""
    shape = eqn.invars[0].aval.shape
    n = shape[eqn.params["dimension"]] if shape else 1
    if n < 2:
        return 0
    rows = math.prod(shape) // n
    return rows * n * math.ceil(math.log2(n))
