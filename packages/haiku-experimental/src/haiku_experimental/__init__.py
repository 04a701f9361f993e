"""haiku-experimental: Introspection tools for haiku: to_dot, abstract_to_dot, tabulate, eval_summary and jaxpr_info.

Users do not import this package directly: its names appear in the ``haiku``
namespaces (``import haiku as hk``) through the plugin entry point
``experimental = "haiku_experimental._plugin"`` in the ``haiku`` group.
"""

from haiku_experimental._version import __version__

__all__ = ["__version__"]
