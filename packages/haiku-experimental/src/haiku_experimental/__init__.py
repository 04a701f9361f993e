"""haiku-experimental: Introspection tools for haiku: to_dot, abstract_to_dot, tabulate, eval_summary and jaxpr_info.

Users do not import this package directly: its names appear in the ``haiku``
namespaces (``import haiku as hk``) through the plugin entry point
``experimental = "haiku_experimental._plugin"`` in the ``haiku`` group. Its
public names are listed once, in ``EXPORTS`` of
``haiku_experimental/_plugin.py``; the public modules ``haiku_experimental.hk``
(``hk.to_dot``), ``haiku_experimental.hk_experimental`` and
``haiku_experimental.hk_experimental_jaxpr_info`` import the same objects (for
type checkers, and for direct imports), generated from that table by ``nox -s
stubs``.
"""

from haiku_experimental._version import __version__

__all__ = ["__version__"]
