"""Hooks through which plugins extend haiku-experimental's tools.

A haiku plugin (the module named by a ``haiku`` entry point, see
:mod:`haiku.plugins`) may implement these next to
``haiku_register_exports``; haiku-experimental adds these specifications to
haiku's plugin manager the first time it needs them, and calls the hooks of
every loaded plugin each time ``tabulate`` or ``make_model_info`` runs (so a
plugin registered by hand with :func:`haiku.plugins.register` counts at once).

Two plugins defining one column name or one primitive is an error naming
both.

Mark implementations ``@hookimpl(optionalhook=True)``: haiku loads plugins
before haiku-experimental adds these specifications (and a plugin may be
installed without haiku-experimental), and an implementation of a hook with
no specification fails the plugin's registration unless it is optional.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from haiku.plugins import hookspec

__all__ = ["ExperimentalHookSpecs", "install"]


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
        >>> @hookimpl(optionalhook=True)
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
        >>> @hookimpl(optionalhook=True)
        ... def haiku_experimental_flop_estimators():
        ...   return {"exp": lambda eqn: 10 * math.prod(eqn.outvars[0].aval.shape)}
        """
        raise NotImplementedError  # a specification: plugins implement it


def install(pm: Any) -> None:
    """Adds :class:`ExperimentalHookSpecs` to the plugin manager ``pm`` (once)."""
    hook = getattr(pm.hook, "haiku_experimental_tabulate_columns", None)
    if hook is None or getattr(hook, "spec", None) is None:
        pm.add_hookspecs(ExperimentalHookSpecs)
