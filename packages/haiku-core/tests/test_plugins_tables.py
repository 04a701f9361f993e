"""haiku-core's own registration table and the table of official names."""

from __future__ import annotations

import pytest

from haiku._src import core_plugin
from haiku._src import plugin_official_names as official
from haiku.plugins import ExportRegistry


def _core_registry():
    registry = ExportRegistry("core")
    core_plugin.haiku_register_exports(registry)
    return registry


def test_core_plugin_declares_the_api_version():
    assert core_plugin.HAIKU_PLUGIN_API_VERSION == 1


def test_core_table_is_valid_and_has_no_duplicates():
    registry = _core_registry()
    qualnames = [e.qualname for e in registry.exports]
    assert len(qualnames) == len(set(qualnames))
    assert all(e.target.startswith("haiku._src.") for e in registry.exports)
    assert {d.namespace for d in registry.namespaces} == {
        "haiku.initializers",
        "haiku.data_structures",
        "haiku.config",
        "haiku.testing",
        "haiku.experimental",
        "haiku.mixed_precision",
        "haiku.experimental.partitioning",
    }
    assert all(d.doc for d in registry.namespaces)


def test_every_core_name_is_an_official_core_name():
    registry = _core_registry()
    names = [e.qualname for e in registry.exports]
    names += [d.namespace for d in registry.namespaces]
    for qualname in names:
        assert official.provider(qualname) is official.CORE, qualname


@pytest.mark.parametrize(
    "qualname, dist",
    [
        ("haiku.Linear", official.NETS),
        ("haiku.EmbedLookupStyle", official.NETS),
        ("haiku.nets.ResNet50", official.NETS),
        ("haiku.pad.causal", official.NETS),
        ("haiku.LSTMState", official.RNN),
        ("haiku.Conv3DLSTM", official.RNN),
        ("haiku.experimental.flax", official.FLAX),
        ("haiku.experimental.flax.flatten_flax_to_haiku", official.FLAX),
        ("haiku.to_dot", official.EXPERIMENTAL),
        ("haiku.experimental.jaxpr_info.as_html", official.EXPERIMENTAL),
        ("haiku.experimental", official.CORE),
        ("haiku.experimental.check_jax_usage", official.CORE),
        ("haiku.lift", official.CORE),
        ("haiku.mixed_precision.push_policy", official.CORE),
        ("haiku.map", official.CORE),
        ("haiku.data_structures.map", official.CORE),
    ],
)
def test_official_providers(qualname, dist):
    assert official.provider(qualname) is dist


def test_official_names_are_valid_qualified_names():
    names = official.official_names()
    assert len(names) > 200
    for qualname in names:
        namespace, _, name = qualname.rpartition(".")
        assert namespace.split(".")[0] == "haiku"
        assert name.isidentifier() and not name.startswith("_")


def test_install_lines():
    assert official.NETS.install == 'pip install "haiku[nets]"'
    assert official.RNN.upgrade == 'pip install -U "haiku[rnn]"'
    assert official.CORE.install == "pip install -U haiku-core"
    assert official.normalise("Haiku_Nets") == "haiku-nets"
    assert official.normalise("haiku.contrib--sample") == "haiku-contrib-sample"
