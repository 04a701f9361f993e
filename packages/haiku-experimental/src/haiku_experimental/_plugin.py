"""Registers what haiku-experimental provides with haiku's plugin system."""

from haiku.plugins import exports_from, hookimpl

HAIKU_PLUGIN_API_VERSION = 1

NAMESPACES: tuple[tuple[str, str], ...] = (
    (
        "haiku.experimental.jaxpr_info",
        "FLOPs, parameters and state of each module of a function, from its jaxpr.",
    ),
)
EXPORTS: tuple[tuple[str, str, str], ...] = (
    *exports_from("haiku.experimental", "haiku_experimental._src.eval_summary", "eval_summary"),
    *exports_from("haiku.experimental", "haiku_experimental._src.tabulate", "tabulate"),
    *exports_from(
        "haiku.experimental",
        "haiku_experimental._src.records",
        "ArraySpec",
        "MethodInvocation",
        "ModuleDetails",
    ),
    *exports_from("haiku.experimental", "haiku_experimental._src.dot", "abstract_to_dot"),
    *exports_from("haiku", "haiku_experimental._src.dot", "to_dot"),
    *exports_from("haiku.experimental", "haiku_experimental._src.dot", "to_dot"),
    *exports_from(
        "haiku.experimental.jaxpr_info",
        "haiku_experimental._src.jaxpr_info_html",
        "as_html",
        "as_html_page",
        "css",
    ),
    *exports_from(
        "haiku.experimental.jaxpr_info",
        "haiku_experimental._src.jaxpr_info",
        "Expression",
        "format_module",
    ),
    *exports_from("haiku.experimental.jaxpr_info", "haiku_experimental._src.jaxpr_info_html", "js"),
    *exports_from(
        "haiku.experimental.jaxpr_info",
        "haiku_experimental._src.jaxpr_info",
        "make_model_info",
        "Module",
    ),
    *exports_from(
        "haiku.experimental.jaxpr_info",
        "haiku_experimental._src.flops",
        "estimate_flops",
    ),
)
"""``(namespace, name, target)`` of each public name: the one list to edit.

After editing, run ``nox -s stubs`` to regenerate the public export modules.
"""


@hookimpl
def haiku_register_exports(registry):
    """Adds this distribution's namespaces and names (:data:`EXPORTS`)."""
    registry.add_table(EXPORTS, namespaces=NAMESPACES)


@hookimpl
def haiku_add_hookspecs(plugin_manager):
    """Specifies the hooks of haiku-experimental's tools (see :mod:`haiku_experimental.hookspecs`)."""
    from haiku_experimental import hookspecs

    plugin_manager.add_hookspecs(hookspecs.ExperimentalHookSpecs)
