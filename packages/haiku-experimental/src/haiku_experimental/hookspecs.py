"""Hooks through which plugins extend haiku-experimental's tools.

A haiku plugin (the module named by a ``haiku`` entry point, see
:mod:`haiku.plugins`) may implement these next to
``haiku_register_exports``. haiku-experimental's plugin adds these
specifications through ``haiku_add_hookspecs`` when it registers, so plugins
implementing them may load before or after it; the hooks of every loaded
plugin are called each time ``tabulate`` or ``make_model_info`` runs (so a
plugin registered by hand with :func:`haiku.plugins.register` counts at once).

Two plugins defining one column name or one primitive is an error naming
both.

A plugin that works without haiku-experimental installed marks its
implementations ``@hookimpl(optionalhook=True)``: where no plugin specifies
a hook, a plugin implementing it without that mark fails to load.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from haiku.plugins import hookspec

__all__ = ["ExperimentalHookSpecs"]


class ExperimentalHookSpecs:
    """The hooks of haiku-experimental (implement them with ``haiku.plugins.hookimpl``)."""

    @hookspec
    def haiku_experimental_tabulate_columns(self) -> Mapping[str, tuple[str, Callable[..., Any]]]:
        """Adds columns to :func:`haiku.experimental.tabulate`.

        Returns:
          ``{name: (header, cell)}``. ``name`` is what users pass in
          ``columns=``; it must not be a built-in column. ``cell(invocation)``
          receives a :class:`haiku.experimental.MethodInvocation` and returns
          the cell (converted with ``str``).

        Example, in a plugin module:

        >>> from haiku.plugins import hookimpl
        >>> @hookimpl
        ... def haiku_experimental_tabulate_columns():
        ...   return {"state_size": ("State count", lambda inv: sum(
        ...       s.size for s in inv.module_details.state.values()))}

        With it loaded, ``hk.experimental.tabulate(f, columns=("module",
        "state_size"))`` shows a "State count" column.
        """
        raise NotImplementedError  # a specification: plugins implement it

    @hookspec
    def haiku_experimental_flop_estimators(self) -> Mapping[str, Callable[[Any], int]]:
        """Adds FLOP estimators to :mod:`haiku.experimental.jaxpr_info`.

        They are used by ``hk.experimental.jaxpr_info.estimate_flops`` (pass
        it to ``make_model_info`` as ``compute_flops``) in place of the
        built-in estimate for their primitives.

        Returns:
          ``{primitive_name: estimator}``; ``estimator(eqn)`` receives a
          ``jax.extend.core.JaxprEqn`` of that primitive and returns its FLOPs.

        Example, in a plugin module (counting ``exp`` as 10 FLOPs an element):

        >>> import math
        >>> from haiku.plugins import hookimpl
        >>> @hookimpl
        ... def haiku_experimental_flop_estimators():
        ...   return {"exp": lambda eqn: 10 * math.prod(eqn.outvars[0].aval.shape)}
        """
        raise NotImplementedError  # a specification: plugins implement it
