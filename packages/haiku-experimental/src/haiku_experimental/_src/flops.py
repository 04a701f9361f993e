"""A default FLOP estimate for the equations of a jaxpr.

Counted: matrix products (``dot_general``: 2 FLOPs per multiply-add),
convolutions (likewise), elementwise arithmetic and transcendental functions
(one FLOP per output element), reductions (one per input element), and the
bodies of ``scan`` (times its length), ``while`` (one iteration: the trip
count is not known) and ``cond``/``switch`` (the most expensive branch), and of
calls (``jit``, ``custom_jvp``, ``remat``...). Data movement (reshape,
broadcast, transpose, gather, slicing, dtype conversion) costs nothing.

Plugins add estimators for more primitives (or replace these) through the
``haiku_experimental_flop_estimators`` hook.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from haiku_experimental._src import jax_compat

__all__ = ["ELEMENTWISE", "REDUCTIONS", "estimate_flops", "estimators"]

ELEMENTWISE = frozenset("""
    add sub mul div rem pow integer_pow max min neg sign floor ceil round abs
    exp exp2 log log1p expm1 tanh logistic sin cos tan asin acos atan atan2
    sinh cosh asinh acosh atanh sqrt rsqrt cbrt erf erfc erf_inv lgamma
    digamma square reciprocal select_n clamp nextafter is_finite not and or
    xor eq ne lt le gt ge shift_left shift_right_logical
    shift_right_arithmetic population_count imag real conj complex
""".split())

REDUCTIONS = frozenset("""
    reduce_sum reduce_max reduce_min reduce_prod reduce_and reduce_or
    reduce_xor argmax argmin cumsum cumprod cummax cummin cumlogsumexp
    reduce_precision
""".split())

Estimator = Callable[[Any], int]
"""Estimates the FLOPs of one equation (a ``jax.extend.core.JaxprEqn``)."""


def _size(aval: Any) -> int:
    return math.prod(getattr(aval, "shape", ()))


def _out_size(eqn: Any) -> int:
    return sum(_size(v.aval) for v in eqn.outvars)


def _dot_general(eqn: Any) -> int:
    (lhs_contract, _), _ = eqn.params["dimension_numbers"]
    lhs_shape = eqn.invars[0].aval.shape
    return 2 * _out_size(eqn) * math.prod(lhs_shape[d] for d in lhs_contract)


def _conv(eqn: Any) -> int:
    rhs_shape = eqn.invars[1].aval.shape
    out_features_dim = eqn.params["dimension_numbers"].rhs_spec[0]
    per_output = math.prod(rhs_shape) // max(rhs_shape[out_features_dim], 1)
    return 2 * _out_size(eqn) * per_output


def _jaxpr_flops(jaxpr: Any) -> int:
    inner = jax_compat.open_jaxpr(jaxpr)
    return sum(estimate_flops(e) for e in inner.eqns)


def _sub_jaxprs(eqn: Any) -> list[Any]:
    subs = []
    for value in eqn.params.values():
        if isinstance(value, jax_compat.JAXPR_TYPES):
            subs.append(value)
        elif isinstance(value, (tuple, list)):
            subs.extend(v for v in value if isinstance(v, jax_compat.JAXPR_TYPES))
    return subs


def _scan(eqn: Any) -> int:
    return eqn.params["length"] * _jaxpr_flops(eqn.params["jaxpr"])


def _cond(eqn: Any) -> int:
    return max((_jaxpr_flops(b) for b in eqn.params["branches"]), default=0)


def _calls(eqn: Any) -> int:
    return sum(_jaxpr_flops(s) for s in _sub_jaxprs(eqn))


BUILTIN: Mapping[str, Estimator] = {
    "dot_general": _dot_general,
    "conv_general_dilated": _conv,
    "scan": _scan,
    "cond": _cond,
    **{p: _out_size for p in ELEMENTWISE},
    **{p: (lambda eqn: sum(_size(v.aval) for v in eqn.invars)) for p in REDUCTIONS},
}


def estimators() -> dict[str, Estimator]:
    """The built-in estimators, overridden by those plugins register."""
    from haiku_experimental._src import extensions

    return {**BUILTIN, **extensions.plugin_flop_estimators()}


def estimate_flops(eqn: Any, expression: Any = None) -> int:
    """An estimate of the FLOPs ``eqn`` performs, a ``compute_flops`` for ``make_model_info``.

    >>> def f(x, w):
    ...   return jnp.tanh(x @ w)
    >>> jaxpr = jax.make_jaxpr(f)(jnp.ones([8, 4]), jnp.ones([4, 3])).jaxpr
    >>> [(e.primitive.name, estimate_flops(e)) for e in jaxpr.eqns]
    [('dot_general', 192), ('tanh', 24)]

    Args:
      eqn: A ``jax.extend.core.JaxprEqn``.
      expression: The :class:`~haiku.experimental.jaxpr_info.Expression`
        describing it (unused; part of the ``compute_flops`` signature).

    Returns:
      2 FLOPs per multiply-add of matrix products and convolutions, one per
      output element of elementwise operations, one per input element of
      reductions, the sum over the bodies of calls and control flow, else 0.
    """
    del expression
    estimator = estimators().get(eqn.primitive.name)
    if estimator is not None:
        return int(estimator(eqn))
    if _sub_jaxprs(eqn):  # jit, custom_jvp/vjp, remat, while, ...
        return _calls(eqn)
    return 0
