"""Checkpoints: params and state round-trip through ``numpy.savez`` and orbax,
and trees written by dm-haiku 0.0.17 load into our models with the same outputs
(computed live by dm-haiku from the same checkpoints on this machine).

The ``numpy.savez`` recipe (no helper in the API, as in dm-haiku: a params
tree is a two-level mapping of arrays, so three lines do it, and keeping it a
recipe adds no name that dm-haiku lacks)::

    flat = {f"{module}/{name}": np.asarray(v)
            for module, bundle in params.items() for name, v in bundle.items()}
    np.savez(path, **flat)

    params = {}
    with np.load(path, allow_pickle=False) as data:  # never unpickle
        for key in data.files:
            module, _, name = key.rpartition("/")   # module names hold "/", names do not
            params.setdefault(module, {})[name] = jnp.asarray(data[key])

Module and parameter order survive (``np.savez`` keeps insertion order), and
so do dtypes (bfloat16 included, through a view as uint16 below).
"""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from haiku_oracle import load_module

import haiku as hk

SCENARIOS_DIR = Path(__file__).resolve().parent / "scenarios"
models = load_module(SCENARIOS_DIR / "checkpoint_models.py")
scenarios = load_module(SCENARIOS_DIR / "checkpoint_scenarios.py")
MODELS, load_npz, save_npz = models.MODELS, models.load_npz, models.save_npz


# -- the recipe (save_npz/load_npz in scenarios/checkpoint_models.py) --------------------


def assert_same_tree(actual, expected, ordered=True):
    order = list if ordered else sorted
    assert order(actual) == order(expected)
    for module in expected:
        assert order(actual[module]) == order(expected[module]), module
        for name, value in expected[module].items():
            got = actual[module][name]
            assert got.dtype == value.dtype and got.shape == value.shape, (module, name)
            np.testing.assert_array_equal(np.asarray(got), np.asarray(value))


@pytest.fixture(scope="module")
def conv_bn():
    f = hk.transform_with_state(MODELS["conv_bn"][0])
    x = np.random.default_rng(1).normal(size=MODELS["conv_bn"][1]).astype(np.float32)
    params, state = f.init(jax.random.PRNGKey(3), x, True)
    # One training step moves BatchNorm's moving averages away from their init.
    _, state = f.apply(params, state, None, x, True)
    return f, x, params, state


def test_numpy_savez_round_trip(tmp_path, conv_bn):
    f, x, params, state = conv_bn
    save_npz(tmp_path / "params.npz", params)
    save_npz(tmp_path / "state.npz", state)
    loaded_params = load_npz(tmp_path / "params.npz")
    loaded_state = load_npz(tmp_path / "state.npz")
    assert_same_tree(loaded_params, params)
    assert_same_tree(loaded_state, state)
    assert "conv2_d" in loaded_params and "batch_norm/~/mean_ema" in loaded_state
    expected = f.apply(params, state, None, x, False)
    actual = f.apply(loaded_params, loaded_state, None, x, False)
    jax.tree_util.tree_map(np.testing.assert_array_equal, actual, expected)


def test_numpy_savez_keeps_bfloat16_and_integer_dtypes(tmp_path):
    tree = {"a/~/b": {"w": jnp.arange(6, dtype=jnp.bfloat16).reshape(2, 3) / 3,
                      "counter": jnp.array(7, jnp.int32)},
            "c": {"scale": jnp.ones([], jnp.float16)}}
    save_npz(tmp_path / "t.npz", tree)
    assert_same_tree(load_npz(tmp_path / "t.npz"), tree)


def test_numpy_checkpoints_are_never_unpickled(tmp_path):
    # An object array needs pickle: loading it the recipe's way refuses.
    np.savez(tmp_path / "evil.npz", **{"m/w": np.array([object()], dtype=object)})
    with pytest.raises(ValueError, match="allow_pickle=False"):
        load_npz(tmp_path / "evil.npz")


def test_orbax_round_trip(tmp_path, conv_bn):
    import orbax.checkpoint as ocp  # an integration test dependency (noxfile)

    f, x, params, state = conv_bn
    with ocp.StandardCheckpointer() as checkpointer:
        checkpointer.save(tmp_path / "ckpt", {"params": params, "state": state})
        checkpointer.wait_until_finished()
        # Restoring against an abstract target gives back the same structure and dtypes.
        target = jax.eval_shape(lambda: {"params": params, "state": state})
        restored = checkpointer.restore(tmp_path / "ckpt", target)
    # Orbax gives dicts back with sorted keys; apply does not depend on the order.
    assert_same_tree(restored["params"], params, ordered=False)
    assert_same_tree(restored["state"], state, ordered=False)
    expected = f.apply(params, state, None, x, False)
    actual = f.apply(restored["params"], restored["state"], None, x, False)
    jax.tree_util.tree_map(np.testing.assert_array_equal, actual, expected)


# -- dm-haiku checkpoints -------------------------------------------------------------


@pytest.mark.parametrize("model", sorted(MODELS))
def test_dm_haiku_checkpoint_loads_and_gives_the_same_outputs(model, dm_haiku):
    fn, shape = MODELS[model]
    f = hk.transform_with_state(fn)
    x, params, state = scenarios.read_checkpoint(model)
    assert x.shape == shape
    # Our init creates exactly the tree dm-haiku wrote: names, order, shapes, dtypes.
    our_params, our_state = jax.eval_shape(lambda x: f.init(jax.random.PRNGKey(0), x, True), x)
    assert hk.testing.describe_tree(our_params, our_state) == hk.testing.describe_tree(
        params, state)
    assert [list(b) for b in our_params.values()] == [list(b) for b in params.values()]
    # Outputs (training and test mode) and the new state, bit for bit with dm-haiku's
    # from the same checkpoint on this machine.
    dm_haiku.assert_matches(scenarios, model)


# -- security -------------------------------------------------------------------------

UNPICKLERS = {"pickle", "_pickle", "cPickle", "dill", "cloudpickle", "joblib", "marshal", "shelve"}


def _library_sources():
    root = Path(__file__).resolve().parent.parent
    return sorted((root / "packages").glob("*/src/**/*.py")) + sorted(
        (root / "tests" / "sample_plugin" / "src").glob("**/*.py"))


def test_library_never_unpickles():
    """No library module imports an unpickler or calls numpy.load (which may unpickle)."""
    import ast

    sources = _library_sources()
    assert len(sources) > 50
    offenders = []
    for path in sources:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [(node.module or "").split(".")[0]]
            elif isinstance(node, ast.Attribute) and node.attr == "load" and isinstance(
                    node.value, ast.Name) and node.value.id in ("np", "numpy"):
                names = ["numpy.load"]
            else:
                continue
            offenders += [f"{path.name}:{node.lineno} {n}" for n in names
                          if n in UNPICKLERS or n == "numpy.load"]
    assert offenders == []
