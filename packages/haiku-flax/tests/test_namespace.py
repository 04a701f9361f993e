"""hk.experimental.flax is served by the haiku-flax plugin, lazily."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import haiku as hk
import haiku_flax._src.flatten
import haiku_flax._src.lift
import haiku_flax._src.module


def test_names_resolve_to_the_plugin_objects():
    from haiku.experimental import flax

    import haiku.experimental.flax as imported

    assert flax is imported is hk.experimental.flax
    assert flax.lift is haiku_flax._src.lift.lift
    assert flax.Module is haiku_flax._src.module.Module
    assert flax.flatten_flax_to_haiku is haiku_flax._src.flatten.flatten_flax_to_haiku
    assert "flax" in dir(hk.experimental)
    assert {"Module", "lift", "flatten_flax_to_haiku"} <= set(dir(flax))
    info = {p.name: p for p in hk.plugins.list_plugins()}["flax"]
    assert sorted(info.exports) == [
        "haiku.experimental.flax.Module",
        "haiku.experimental.flax.flatten_flax_to_haiku",
        "haiku.experimental.flax.lift",
    ]


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, env={**os.environ, **env}, timeout=120,
    )


def test_core_never_imports_flax_and_explains_a_missing_plugin():
    """``import haiku`` and core's own names never import flax; with haiku-flax
    not installed (its entry point hidden), the namespace says what to install."""
    result = _run(
        """
        import sys
        from importlib import metadata

        entry_points = metadata.entry_points
        metadata.entry_points = lambda **kw: metadata.EntryPoints(
            ep for ep in entry_points(**kw) if ep.value != "haiku_flax._plugin")

        import haiku as hk
        hk.transform(lambda: None)
        hk.experimental.check_jax_usage
        assert "flax" not in sys.modules and "haiku_flax" not in sys.modules, "flax imported"
        for get in (lambda: hk.experimental.flax, lambda: __import__("haiku.experimental.flax")):
            try:
                get()
            except (AttributeError, ImportError) as error:
                print(type(error).__name__, error)
            else:
                raise SystemExit("hk.experimental.flax resolved without its plugin")
        assert "flax" not in sys.modules
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2, lines
    for line in lines:
        assert 'provided by the haiku-flax distribution: pip install "haiku[flax]"' in line, line
