"""Registers the sample plugin's names with haiku's plugin system."""

from haiku.plugins import hookimpl

HAIKU_PLUGIN_API_VERSION = 1


@hookimpl
def haiku_register_exports(registry):
    """Adds ``haiku.contrib.ScaleByParameter`` and ``haiku.initializers.HalfOnes``."""
    # A new namespace, created by this plugin.
    registry.add(
        "haiku.contrib",
        "ScaleByParameter",
        "haiku_contrib_sample._src.scale:ScaleByParameter",
    )
    # A new name in a namespace that haiku-core owns.
    registry.add(
        "haiku.initializers",
        "HalfOnes",
        "haiku_contrib_sample._src.initializers:HalfOnes",
    )


@hookimpl
def haiku_conformance_examples():
    """This distribution's modules as conformance-kit examples (see haiku_contrib_sample._conformance)."""
    from haiku_contrib_sample import _conformance

    return _conformance.examples()
