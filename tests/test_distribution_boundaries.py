"""No distribution names another distribution's private ``_src`` modules.

Each distribution may change its ``_src`` in any release; what others use is
public: ``haiku.plugins`` and ``haiku.extend`` of haiku-core, and each
plugin's public export modules. Checked over every shipped source and stub
file, imports and strings alike (``"haiku._src.naming"`` counts too).
"""

from __future__ import annotations

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).parent.parent
SOURCES = sorted([*ROOT.glob("packages/*/src/*"), *ROOT.glob("tests/sample_plugin/src/*")])
PRIVATE = re.compile(r"\b(haiku(?:_\w+)?)\._src\b")


def _private_references(package: pathlib.Path, root: pathlib.Path = ROOT) -> list[str]:
    found = []
    for path in sorted([*package.rglob("*.py"), *package.rglob("*.pyi")]):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for match in PRIVATE.finditer(line):
                if match.group(1) != package.name:
                    found.append(f"{path.relative_to(root)}:{number}: {match.group(0)}")
    return found


def test_every_distribution_is_checked():
    assert {p.name for p in SOURCES} == {
        "haiku", "haiku_nets", "haiku_rnn", "haiku_flax", "haiku_experimental",
        "haiku_contrib_sample",
    }


@pytest.mark.parametrize("package", SOURCES, ids=lambda p: p.name)
def test_no_private_module_of_another_distribution_is_named(package):
    assert _private_references(package) == []


def test_the_check_sees_imports_and_strings(tmp_path):
    package = tmp_path / "haiku_demo"
    package.mkdir()
    (package / "a.py").write_text(
        "from haiku._src import base\n"
        "import haiku_demo._src.own\n"
        'KIND = "haiku._src.naming"\n'
    )
    (package / "b.pyi").write_text("from haiku_nets._src.linear import Linear as Linear\n")
    assert _private_references(package, tmp_path) == [
        "haiku_demo/a.py:1: haiku._src",
        "haiku_demo/a.py:3: haiku._src",
        "haiku_demo/b.pyi:1: haiku_nets._src",
    ]
