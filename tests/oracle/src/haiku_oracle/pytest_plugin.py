"""The pytest plugin: the session-wide ``dm_haiku`` fixture.

Registered through the ``pytest11`` entry point, so every test session that
installs haiku-oracle has it::

    scenarios = haiku_oracle.load_module(Path(__file__).parent / "golden" / "norms_scenarios.py")

    @pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
    def test_scenario_matches_dm_haiku(name, dm_haiku):
        dm_haiku.assert_matches(scenarios, name)

Tests that use the fixture are marked ``oracle``, so ``pytest -m oracle``
selects every parity test (the ``portability`` nox session does).
"""

from __future__ import annotations

import pytest

from haiku_oracle.runner import Oracle


@pytest.fixture(scope="session")
def dm_haiku() -> Oracle:
    """dm-haiku 0.0.17 on this machine; its venv is built on first use."""
    return Oracle.from_environment()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "oracle: compares with dm-haiku 0.0.17 run on this machine")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "dm_haiku" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.oracle)
