"""haiku-flax: Flax interoperability for haiku: `hk.experimental.flax` (Module, lift, flatten_flax_to_haiku).

Users do not import this package directly: its names appear in the ``haiku``
namespaces (``import haiku as hk``) through the plugin entry point
``flax = "haiku_flax._plugin"`` in the ``haiku`` group.
"""

from haiku_flax._version import __version__

__all__ = ["__version__"]
