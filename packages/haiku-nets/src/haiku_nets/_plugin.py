"""Registers what haiku-nets provides with haiku's plugin system."""

from haiku.plugins import hookimpl

HAIKU_PLUGIN_API_VERSION = 1


@hookimpl
def haiku_register_exports(registry):
    """Adds this distribution's public names to the haiku namespaces."""
    for name in ("Linear", "Bias"):
        registry.add("haiku", name, f"haiku_nets._src.linear:{name}")
    for module, names in (
        ("pool", ("avg_pool", "AvgPool", "max_pool", "MaxPool")),
        ("dropout", ("dropout",)),
        ("sequential", ("Sequential",)),
        ("attention", ("MultiHeadAttention",)),
        ("reshape", ("Reshape", "Flatten")),
        ("batch_apply", ("BatchApply",)),
        ("embed", ("Embed", "EmbedLookupStyle")),
    ):
        for name in names:
            registry.add("haiku", name, f"haiku_nets._src.{module}:{name}")
