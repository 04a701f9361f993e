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
    # dm-haiku 0.0.17 has it under hk.experimental too.
    registry.add("haiku.experimental", "to_dot", "haiku_experimental._src.dot:to_dot")
    registry.add_namespace(
        "haiku.experimental.jaxpr_info",
        "FLOPs, parameters and state of each module of a function, from its jaxpr.",
    )
    for name, module in (
        ("as_html", "jaxpr_info_html"),
        ("as_html_page", "jaxpr_info_html"),
        ("css", "jaxpr_info_html"),
        ("Expression", "jaxpr_info"),
        ("format_module", "jaxpr_info"),
        ("js", "jaxpr_info_html"),
        ("make_model_info", "jaxpr_info"),
        ("Module", "jaxpr_info"),
        ("estimate_flops", "flops"),
    ):
        registry.add(
            "haiku.experimental.jaxpr_info", name, f"haiku_experimental._src.{module}:{name}"
        )
