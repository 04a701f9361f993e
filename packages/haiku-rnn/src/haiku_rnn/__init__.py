"""haiku-rnn: Recurrent cores for haiku: RNNCore, LSTM, GRU, VanillaRNN, DeepRNN, ResetCore, ConvLSTMs, and the static/dynamic unroll helpers.

Users do not import this package directly: its names appear in the ``haiku``
namespaces (``import haiku as hk``) through the plugin entry point ``rnn =
"haiku_rnn._plugin"`` in the ``haiku`` group. Its public names are listed once,
in ``EXPORTS`` of ``haiku_rnn/_plugin.py``; the public modules ``haiku_rnn.hk``
(``hk.LSTM``, ...) import the same objects (for type checkers, and for direct
imports), generated from that table by ``nox -s stubs``.
"""

from haiku_rnn._version import __version__

__all__ = ["__version__"]
