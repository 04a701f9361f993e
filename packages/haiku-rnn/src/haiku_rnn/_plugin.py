"""Registers what haiku-rnn provides with haiku's plugin system."""

from haiku.plugins import exports_from, hookimpl

HAIKU_PLUGIN_API_VERSION = 1

NAMESPACES: tuple[tuple[str, str], ...] = ()
EXPORTS: tuple[tuple[str, str, str], ...] = (
    *exports_from("haiku", "haiku_rnn._src.rnn_core", "RNNCore"),
    *exports_from("haiku", "haiku_rnn._src.unroll", "dynamic_unroll", "static_unroll"),
    *exports_from("haiku", "haiku_rnn._src.expand_apply", "expand_apply"),
    *exports_from("haiku", "haiku_rnn._src.vanilla_rnn", "VanillaRNN"),
    *exports_from("haiku", "haiku_rnn._src.lstm", "LSTM", "LSTMState"),
    *exports_from("haiku", "haiku_rnn._src.gru", "GRU"),
    *exports_from("haiku", "haiku_rnn._src.deep_rnn", "DeepRNN", "deep_rnn_with_skip_connections"),
    *exports_from("haiku", "haiku_rnn._src.reset_core", "ResetCore"),
    *exports_from("haiku", "haiku_rnn._src.identity_core", "IdentityCore"),
    *exports_from("haiku", "haiku_rnn._src.conv_lstm", "Conv1DLSTM", "Conv2DLSTM", "Conv3DLSTM"),
)
"""``(namespace, name, target)`` of each public name: the one list to edit.

After editing, run ``nox -s stubs`` to regenerate the public export modules.
"""


@hookimpl
def haiku_register_exports(registry):
    """Adds this distribution's namespaces and names (:data:`EXPORTS`)."""
    registry.add_table(EXPORTS, namespaces=NAMESPACES)


@hookimpl
def haiku_conformance_examples():
    """This distribution's modules as conformance-kit examples (see haiku_rnn._conformance)."""
    from haiku_rnn import _conformance

    return _conformance.examples()
