"""haiku-rnn: Recurrent cores for haiku: RNNCore, LSTM, GRU, VanillaRNN, DeepRNN, ResetCore, ConvLSTMs, and the static/dynamic unroll helpers.

Users do not import this package directly: its names appear in the ``haiku``
namespaces (``import haiku as hk``) through the plugin entry point
``rnn = "haiku_rnn._plugin"`` in the ``haiku`` group.
"""

from haiku_rnn._version import __version__

__all__ = ["__version__"]
