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


# haiku-experimental's hooks. haiku-experimental specifies them when it
# registers, whatever the load order; they are optional only because this
# plugin does not depend on haiku-experimental and must load without it.
@hookimpl(optionalhook=True)
def haiku_experimental_tabulate_columns():
    """A "Param bytes" column for ``hk.experimental.tabulate`` (``columns=(..., "param_bytes")``)."""
    from haiku_contrib_sample._src import experimental_hooks

    return {"param_bytes": ("Param bytes", experimental_hooks.param_bytes)}


@hookimpl(optionalhook=True)
def haiku_experimental_flop_estimators():
    """A FLOP estimate for ``sort``, which haiku-experimental does not estimate."""
    from haiku_contrib_sample._src import experimental_hooks

    return {"sort": experimental_hooks.sort_flops}
