"""Registers what haiku-experimental provides with haiku's plugin system."""

from haiku.plugins import hookimpl

HAIKU_PLUGIN_API_VERSION = 1

_EXPERIMENTAL = (
    ("eval_summary", "eval_summary"),
    ("tabulate", "tabulate"),
    ("ArraySpec", "records"),
    ("MethodInvocation", "records"),
    ("ModuleDetails", "records"),
    ("abstract_to_dot", "dot"),
)


@hookimpl
def haiku_register_exports(registry):
    """Adds this distribution's public names to the haiku namespaces."""
    for name, module in _EXPERIMENTAL:
        registry.add("haiku.experimental", name, f"haiku_experimental._src.{module}:{name}")
    registry.add("haiku", "to_dot", "haiku_experimental._src.dot:to_dot")
