"""Registers what haiku-rnn provides with haiku's plugin system."""

from haiku.plugins import hookimpl

HAIKU_PLUGIN_API_VERSION = 1


@hookimpl
def haiku_register_exports(registry):
    """Adds this distribution's public names to the haiku namespaces."""
    # e.g. registry.add("haiku", "Name", "haiku_rnn._src.module:Name")
