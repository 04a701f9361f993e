"""haiku-flax: Flax interoperability for haiku: `hk.experimental.flax` (Module, lift, flatten_flax_to_haiku).

Users do not import this package directly: its names appear in the ``haiku``
namespaces (``import haiku as hk``) through the plugin entry point ``flax =
"haiku_flax._plugin"`` in the ``haiku`` group. Its public names are listed
once, in ``EXPORTS`` of ``haiku_flax/_plugin.py``; the public modules
``haiku_flax.hk_experimental_flax`` (``hk.experimental.flax``) import the same
objects (for type checkers, and for direct imports), generated from that table
by ``nox -s stubs``.
"""

from haiku_flax._version import __version__

__all__ = ["__version__"]
