"""Registers what haiku-flax provides with haiku's plugin system."""

from haiku.plugins import hookimpl

HAIKU_PLUGIN_API_VERSION = 1


@hookimpl
def haiku_register_exports(registry):
    """Adds ``hk.experimental.flax`` (Module, lift, flatten_flax_to_haiku)."""
    registry.add_namespace(
        "haiku.experimental.flax",
        "Flax interop: run Haiku inside Flax (Module) and Flax inside Haiku (lift).",
    )
    for module, name in (
        ("flatten", "flatten_flax_to_haiku"),
        ("module", "Module"),
        ("lift", "lift"),
    ):
        registry.add("haiku.experimental.flax", name, f"haiku_flax._src.{module}:{name}")


@hookimpl
def haiku_conformance_examples():
    """Lifted Flax modules as conformance-kit examples (see haiku_flax._conformance)."""
    from haiku_flax import _conformance

    return _conformance.examples()
