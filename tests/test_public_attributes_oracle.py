"""Every official module has dm-haiku 0.0.17's public attributes, with the same values.

``tests/scenarios/attributes_scenarios.py`` builds each module, records its
public instance attributes after ``__init__`` and after one call, and runs
under our haiku and, on this machine, under dm-haiku. Each attribute dm-haiku
sets must be set here too, and hold the same value (numbers, strings, shapes
and tuples compared exactly; arrays by shape and dtype; submodules by name;
callables as callables). We may set more.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from haiku_oracle import flatten, load_module

scenarios = load_module(Path(__file__).parent / "scenarios" / "attributes_scenarios.py")


def _attributes(entries) -> dict[str, dict[str, list]]:
    """``{phase: {attribute: [leaf, ...]}}`` from a scenario's entries."""
    out: dict[str, dict[str, list]] = {"init": {}, "call": {}}
    for entry in entries:
        if len(entry["path"]) < 2:  # A phase with no public attributes.
            continue
        phase, name = entry["path"][:2]
        leaf = entry.get("value", entry.get("container"))
        out[phase].setdefault(name, []).append((entry["path"][2:], leaf))
    return out


@pytest.mark.parametrize("module", list(scenarios.SCENARIOS))
def test_public_attributes_match_dm_haiku(module, dm_haiku):
    theirs = _attributes(dm_haiku.theirs(scenarios, module))
    ours = _attributes(flatten(scenarios.SCENARIOS[module]()))
    for phase in ("init", "call"):
        missing = sorted(set(theirs[phase]) - set(ours[phase]))
        assert not missing, f"{module} lacks dm-haiku's {missing} after {phase}"
        for name, value in theirs[phase].items():
            assert ours[phase][name] == value, (phase, name)


def test_every_module_of_the_scenarios_is_built():
    # A module whose scenario breaks would compare nothing: each records both moments.
    for name, scenario in scenarios.SCENARIOS.items():
        attributes = scenario()
        assert set(attributes) == {"init", "call"}, name
