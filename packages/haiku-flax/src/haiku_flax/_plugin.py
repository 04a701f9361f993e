"""Registers what haiku-flax provides with haiku's plugin system."""

from haiku.plugins import exports_from, hookimpl

HAIKU_PLUGIN_API_VERSION = 1

NAMESPACES: tuple[tuple[str, str], ...] = (
    (
        "haiku.experimental.flax",
        "Flax interop: run Haiku inside Flax (Module) and Flax inside Haiku (lift).",
    ),
)
EXPORTS: tuple[tuple[str, str, str], ...] = (
    *exports_from("haiku.experimental.flax", "haiku_flax._src.flatten", "flatten_flax_to_haiku"),
    *exports_from("haiku.experimental.flax", "haiku_flax._src.module", "Module"),
    *exports_from("haiku.experimental.flax", "haiku_flax._src.lift", "lift"),
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
    """Lifted Flax modules as conformance-kit examples (see haiku_flax._conformance)."""
    from haiku_flax import _conformance

    return _conformance.examples()
