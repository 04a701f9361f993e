"""haiku-nets: Neural network layers for haiku: Linear, convolutions, normalisation, attention, pooling, and `hk.nets` (MLP, ResNet, MobileNetV1, VectorQuantizer).

Users do not import this package directly: its names appear in the ``haiku``
namespaces (``import haiku as hk``) through the plugin entry point
``nets = "haiku_nets._plugin"`` in the ``haiku`` group.
"""

from haiku_nets._version import __version__

__all__ = ["__version__"]
