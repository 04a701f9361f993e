"""Every public name of dm-haiku 0.0.17 is a public name of ours, in its order.

dm-haiku's ``__all__`` of each namespace is read live from dm-haiku on this
machine (``tests/scenarios/public_names_scenarios.py``). Each of its names must
resolve here and be in our ``__all__``; we may list more (``hk.testing``'s
conformance kit, ...). A namespace that one distribution fills lists dm-haiku's
names in dm-haiku's order, since code iterates ``__all__`` (dm-haiku's own
doctest runner stops at the first name it skips). ``haiku`` and
``haiku.experimental`` are filled by several distributions, in plugin load
order, so only their names are compared there.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from haiku_oracle import load_module

scenarios = load_module(Path(__file__).parent / "scenarios" / "public_names_scenarios.py")
SHARED_NAMESPACES = ("haiku", "haiku.experimental")


def _dm_haiku_all(dm_haiku, namespace: str) -> list[str]:
    entries = dm_haiku.theirs(scenarios, namespace)
    return [e["value"] for e in entries if e["kind"] == "json"]


@pytest.mark.parametrize("namespace", scenarios.NAMESPACES)
def test_every_dm_haiku_name_is_ours_in_dm_haikus_order(namespace, dm_haiku):
    theirs = _dm_haiku_all(dm_haiku, namespace)
    ours = scenarios.SCENARIOS[namespace]()
    module = importlib.import_module(namespace)
    missing = [name for name in theirs if name not in ours]
    assert not missing, f"{namespace}.__all__ lacks dm-haiku's {missing}"
    for name in theirs:
        getattr(module, name)
    if namespace not in SHARED_NAMESPACES:
        assert [name for name in ours if name in theirs] == theirs


def test_dm_haiku_aliases_under_experimental_are_the_same_objects():
    import haiku as hk

    for name in ("current_name", "force_name", "name_scope", "name_like", "DO_NOT_STORE",
                 "get_params", "get_current_state", "get_initial_state", "custom_creator",
                 "custom_getter", "GetterContext", "intercept_methods", "MethodContext",
                 "maybe_get_rng_sequence_state", "replace_rng_sequence_state", "lift",
                 "layer_stack", "to_dot"):
        assert getattr(hk.experimental, name) is getattr(hk, name), name
    assert hk.experimental.ParamContext is hk.GetterContext
