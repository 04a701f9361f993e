"""Each distribution's README (its page on the registry) says what works.

Its Python example runs and gives what its comments say, and its install
lines are the repository README's: the same wheel-building command, and an
extra the meta-distribution has.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import pytest
from packaging.requirements import Requirement

import haiku as hk

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTIONS = ["haiku-core", "haiku-nets", "haiku-rnn", "haiku-flax", "haiku-experimental"]


def _blocks(text: str, language: str) -> list[str]:
    """The fenced code blocks whose info string is ``language`` (``""``: none)."""
    blocks: list[tuple[str, list[str]]] = []
    open_block: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("```"):
            if open_block is None:
                open_block = []
                blocks.append((line[3:].strip(), open_block))
            else:
                open_block = None
        elif open_block is not None:
            open_block.append(line)
    return ["\n".join(lines) + "\n" for info, lines in blocks if info == language]


def _readme(distribution: str) -> str:
    return (ROOT / "packages" / distribution / "README.md").read_text()


def _tolist(tree):
    return jax.tree_util.tree_map(lambda a: a.tolist(), tree)


def _check_core(ns, out):
    assert _tolist(ns["params"]) == {"~": {"w": [2.0, 2.0, 2.0]}}
    assert ns["y"].tolist() == [2.0, 2.0, 2.0]


def _check_nets(ns, out):
    assert sorted(ns["params"]) == ["conv2_d", "mlp/~/linear_0", "mlp/~/linear_1"]
    assert ns["logits"].shape == (2, 10)


def _check_rnn(ns, out):
    assert ns["outputs"].shape == (10, 4, 16)
    assert sorted(ns["params"]) == ["gru", "lstm/linear"]


def _check_flax(ns, out):
    x = jnp.ones([2, 3])
    params = hk.transform(ns["f"]).init(jax.random.PRNGKey(0), x)
    shapes = jax.tree_util.tree_map(jnp.shape, params)
    assert shapes == {"dense/~": {"bias": (16,), "kernel": (3, 16)},
                      "linear": {"b": (1,), "w": (16, 1)}}
    variables = ns["mod"].init(jax.random.PRNGKey(0), x)
    assert jax.tree_util.tree_map(jnp.shape, variables) == {
        "params": {"linear": {"b": (1,), "w": (3, 1)}}}


def _check_experimental(ns, out):
    rows = [line for line in out.splitlines() if line.startswith("| mlp")]
    assert [row.split("|")[1].strip() for row in rows] == [
        "mlp (MLP)", "mlp/~/linear_0 (Linear)", "mlp/~/linear_1 (Linear)"]
    assert "w: f32[3,4]" in rows[1] and "w: f32[4,2]" in rows[2]


CHECKS = {
    "haiku-core": _check_core,
    "haiku-nets": _check_nets,
    "haiku-rnn": _check_rnn,
    "haiku-flax": _check_flax,
    "haiku-experimental": _check_experimental,
}


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_example_runs_as_its_comments_say(distribution, capsys):
    blocks = _blocks(_readme(distribution), "python")
    assert len(blocks) == 1, f"{distribution}/README.md: expected one python example"
    namespace: dict = {"__name__": f"readme_{distribution.replace('-', '_')}"}
    exec(compile(blocks[0], f"packages/{distribution}/README.md", "exec"), namespace)
    CHECKS[distribution](namespace, capsys.readouterr().out)


def _root_wheel_command() -> str:
    section = (ROOT / "README.md").read_text().split("\n## Install\n", 1)[1]
    return next(line for line in _blocks(section, "")[0].splitlines()
                if line.startswith("python -m pip wheel"))


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_install_lines_are_the_repository_readmes(distribution):
    with open(ROOT / "pyproject.toml", "rb") as f:
        extras = set(tomllib.load(f)["project"]["optional-dependencies"])
    lines = [line for block in _blocks(_readme(distribution), "") for line in block.splitlines()]
    assert lines[0] == _root_wheel_command()
    assert lines[1].startswith("pip install --find-links dist "), lines[1]
    requirement = Requirement(lines[1].split()[4].strip('"'))
    assert requirement.name == "haiku"
    assert requirement.extras <= extras, requirement.extras - extras
    own = distribution.removeprefix("haiku-")
    assert own in requirement.extras or distribution == "haiku-core", requirement
