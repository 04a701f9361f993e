"""Registers what haiku-rnn provides with haiku's plugin system."""

from haiku.plugins import hookimpl

HAIKU_PLUGIN_API_VERSION = 1


@hookimpl
def haiku_register_exports(registry):
    """Adds this distribution's public names to the haiku namespaces."""
    for module, names in (
        ("rnn_core", ("RNNCore",)),
        ("unroll", ("dynamic_unroll", "static_unroll")),
        ("expand_apply", ("expand_apply",)),
        ("vanilla_rnn", ("VanillaRNN",)),
        ("lstm", ("LSTM", "LSTMState")),
        ("gru", ("GRU",)),
        ("deep_rnn", ("DeepRNN", "deep_rnn_with_skip_connections")),
        ("reset_core", ("ResetCore",)),
        ("identity_core", ("IdentityCore",)),
        ("conv_lstm", ("Conv1DLSTM", "Conv2DLSTM", "Conv3DLSTM")),
    ):
        for name in names:
            registry.add("haiku", name, f"haiku_rnn._src.{module}:{name}")


@hookimpl
def haiku_conformance_examples():
    """This distribution's modules as conformance-kit examples (see haiku_rnn._conformance)."""
    from haiku_rnn import _conformance

    return _conformance.examples()
