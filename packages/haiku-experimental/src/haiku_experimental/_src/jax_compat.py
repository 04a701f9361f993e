"""The one place haiku-experimental reads JAX's programs (``jax.extend.core``).

``hk.experimental.to_dot``, ``jaxpr_info`` and the FLOP estimates walk the
jaxprs JAX traces. JAX 0.11 merged ``ClosedJaxpr`` into ``Jaxpr`` (a
``Jaxpr`` holds its constants, and its legacy ``.jaxpr`` is itself), so code
naming ``ClosedJaxpr`` or reading ``.jaxpr.jaxpr`` breaks there. Everything
else here goes through these names, which read both forms (and, for JAX
0.6, name ``DropVar`` from where JAX defines it);
``tests/test_jax_forward_compat.py`` fails if another file imports
``jax.extend``, ``jax.core`` or ``jax._src``.

>>> w = jnp.arange(3.0)
>>> traced = jax.make_jaxpr(lambda x: jnp.sin(x) * w)(jnp.ones(3))
>>> [eqn.primitive.name for eqn in open_jaxpr(traced).eqns]
['sin', 'mul']
>>> [c.shape for c in jaxpr_consts(traced)]
[(3,)]
"""

from __future__ import annotations

from typing import Any

import jax.extend.core as jex

__all__ = ["JAXPR_TYPES", "DropVar", "Literal", "Var", "jaxpr_consts", "open_jaxpr"]

Literal = jex.Literal
Var = jex.Var
try:
    DropVar: type = jex.DropVar
except AttributeError:  # JAX 0.6 does not export it yet.
    from jax._src.core import DropVar

JAXPR_TYPES: tuple[type, ...] = tuple(dict.fromkeys(
    cls for cls in (getattr(jex, "ClosedJaxpr", None), jex.Jaxpr) if isinstance(cls, type)
))
"""The classes of JAX programs: ``ClosedJaxpr`` (before JAX 0.11; after, where it
remains, it is ``Jaxpr`` itself) and ``Jaxpr``."""


def open_jaxpr(jaxpr: Any) -> Any:
    """The program of ``jaxpr``: a ``ClosedJaxpr``'s ``.jaxpr``; a ``Jaxpr`` itself."""
    return getattr(jaxpr, "jaxpr", jaxpr)


def jaxpr_consts(jaxpr: Any) -> list[Any]:
    """The values of the constants ``jaxpr`` closes over (none for an open one)."""
    return list(getattr(jaxpr, "consts", ()))
