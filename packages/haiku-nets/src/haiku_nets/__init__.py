"""haiku-nets: Neural network layers for haiku: Linear, convolutions, normalisation, attention, pooling, and `hk.nets` (MLP, ResNet, MobileNetV1, VectorQuantizer).

Users do not import this package directly: its names appear in the ``haiku``
namespaces (``import haiku as hk``) through the plugin entry point ``nets =
"haiku_nets._plugin"`` in the ``haiku`` group. Its public names are listed
once, in ``EXPORTS`` of ``haiku_nets/_plugin.py``; the public modules
``haiku_nets.hk`` (``hk.Linear``, ...), ``haiku_nets.hk_nets`` and
``haiku_nets.hk_pad`` import the same objects (for type checkers, and for
direct imports), generated from that table by ``nox -s stubs``.
"""

from haiku_nets._version import __version__

__all__ = ["__version__"]
