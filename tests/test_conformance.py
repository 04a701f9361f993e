"""The conformance kit over every module of every installed plugin.

Each plugin registers its modules with the ``haiku_conformance_examples``
hook; every example must pass every check of ``hk.testing.CONFORMANCE_CHECKS``
it does not declare not applicable, and its params/state tree must match the
golden file in its distribution's tests (rewrite them with
``HAIKU_CONFORMANCE_UPDATE_GOLDEN=1``).
"""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path

import pytest

import haiku as hk
import haiku.plugins

ROOT = Path(__file__).resolve().parent.parent
GOLDEN_DIRS = {
    "nets": ROOT / "packages" / "haiku-nets" / "tests" / "golden" / "conformance",
    "rnn": ROOT / "packages" / "haiku-rnn" / "tests" / "golden" / "conformance",
    "flax": ROOT / "packages" / "haiku-flax" / "tests" / "golden" / "conformance",
    "contrib-sample": ROOT / "tests" / "sample_plugin" / "tests" / "golden" / "conformance",
}
# Module classes with no example of their own, and why.
NOT_EXAMPLED = {
    "haiku.RNNCore": "abstract base class of the cores",
    **{f"haiku.nets.ResNet{n}": "ResNet with a fixed full-size configuration; ResNet is "
       "checked on a tiny one" for n in (18, 34, 50, 101, 152, 200)},
}

EXAMPLES = hk.testing.conformance_examples()


def test_every_official_plugin_and_the_sample_plugin_register_examples():
    assert {e.plugin for e in EXAMPLES} >= set(GOLDEN_DIRS)
    assert len(EXAMPLES) >= 45


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"{e.plugin}:{e.name}")
def test_module_conforms(example):
    report = example.check(GOLDEN_DIRS[example.plugin])
    assert set(report.passed) | set(report.not_applicable) == set(hk.testing.CONFORMANCE_CHECKS)
    assert report.not_run == {}


@pytest.mark.parametrize("plugin", sorted(GOLDEN_DIRS))
def test_every_module_class_has_an_example(plugin):
    (info,) = [p for p in haiku.plugins.list_plugins() if p.name == plugin]
    names = {e.name for e in EXAMPLES if e.plugin == plugin}
    missing = []
    for qualname in info.exports:
        namespace, _, name = qualname.rpartition(".")
        obj = getattr(importlib.import_module(namespace), name)
        if not (inspect.isclass(obj) and issubclass(obj, hk.Module)):
            continue
        if qualname in NOT_EXAMPLED:
            continue
        if name not in names and not any(n.startswith(f"{name}_") for n in names):
            missing.append(qualname)
    assert missing == []


@pytest.mark.parametrize("plugin", sorted(GOLDEN_DIRS))
def test_no_stale_golden_files(plugin):
    names = {e.name for e in EXAMPLES if e.plugin == plugin}
    files = {p.stem for p in GOLDEN_DIRS[plugin].glob("*.json")}
    assert files == names


def test_golden_files_hold_dm_haiku_trees():
    """A few goldens against the trees dm-haiku 0.0.17 creates for the same modules.

    ``golden/conformance_oracle_trees.json`` (``golden/make_conformance_oracle_trees.py``
    wrote it under dm-haiku) holds no computed numbers, only module and parameter
    names, their order, shapes and dtypes, which no CPU changes: it is as valid
    on every machine as on the one that wrote it, and so are the per-plugin
    golden trees it is compared with.
    """
    oracle = json.loads((ROOT / "tests" / "golden" / "conformance_oracle_trees.json").read_text())
    assert len(oracle) >= 8
    for key, tree in oracle.items():
        plugin, name = key.split(":")
        golden = json.loads((GOLDEN_DIRS[plugin] / f"{name}.json").read_text())
        for section in ("params", "state"):
            assert [(m, list(b.items())) for m, b in golden[section].items()] == [
                (m, list(b.items())) for m, b in tree[section].items()], (key, section)
