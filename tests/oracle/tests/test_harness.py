"""The oracle harness itself: encoding, comparison, and dm-haiku really running."""

from __future__ import annotations

import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from haiku_oracle import differences, entry_path, flatten, load, load_module, save
from haiku_oracle.runner import Oracle, steering_environment


def test_flatten_keeps_order_kinds_and_bytes():
    tree = {"b": {"w": jnp.arange(3, dtype=jnp.bfloat16)}, "a": [1, (2.5, None)],
            "key": jax.random.key(7), "raw_key": jax.random.PRNGKey(7), "state": {}, "out": ()}
    entries = flatten(tree)
    assert [entry_path(e) for e in entries] == ["b/w", "a/[0]", "a/[1]/(0)", "a/[1]/(1)", "key",
                                                "raw_key", "state", "out"]
    w, one, _, none, key, raw, state, out = entries
    assert (state["kind"], state["container"], out["container"]) == ("empty", "mapping", "tuple")
    assert (w["kind"], w["dtype"], w["shape"]) == ("array", "bfloat16", [3])
    assert w["data"].tobytes() == np.asarray(tree["b"]["w"]).tobytes()
    assert (one["kind"], one["value"], none["value"]) == ("json", 1, None)
    assert (key["kind"], key["impl"], key["shape"]) == ("key", "threefry2x32", [])
    assert key["data"].tobytes() == np.asarray(jax.random.key_data(tree["key"])).tobytes()
    assert (raw["kind"], raw["dtype"]) == ("array", "uint32")


def test_save_and_load_round_trip_entries_and_errors(tmp_path):
    results = {"ok": flatten({"x": np.float32([1, 2]), "n": 3}), "boom": "Traceback ...\nOops"}
    save(tmp_path / "r.npz", results)
    loaded = load(tmp_path / "r.npz")
    assert loaded["boom"] == "Traceback ...\nOops"
    assert differences(loaded["ok"], results["ok"]) == []
    assert [entry_path(e) for e in loaded["ok"]] == ["x", "n"]


@pytest.mark.parametrize(
    ("theirs", "expected"),
    [
        ({"x": np.float32([1, 3]), "n": 3},
         "x: values differ (bit-exact comparison): 1 of 2 elements, max abs diff 1 at index (1,)"),
        ({"x": np.float64([1, 2]), "n": 3}, "x: ours float32 [2], dm-haiku float64 [2]"),
        ({"x": np.float32([1, 2]), "n": 4}, "n: ours 3, dm-haiku 4"),
        ({"x": np.float32([1, 2]), "n": 3.0}, "n: ours 3, dm-haiku 3.0"),
        ({"n": 3, "x": np.float32([1, 2])}, "entries in another order"),
        ({"x": np.float32([1, 2])}, "entries differ: dm-haiku's missing here [], ours only ['n']"),
        ({"x": np.float32([1, 2]), "n": []}, "n: ours is of kind json, dm-haiku's of kind empty"),
        ({"x": {}, "n": 3}, "x: ours is of kind array, dm-haiku's of kind empty"),
    ],
)
def test_differences_names_what_differs(theirs, expected):
    problems = differences(flatten({"x": np.float32([1, 2]), "n": 3}), flatten(theirs))
    assert problems and problems[0].startswith(expected), problems


def test_empty_containers_compare_by_type():
    assert differences(flatten({"a": {}, "b": ()}), flatten({"a": {}, "b": ()})) == []
    assert differences(flatten({"a": {}}), flatten({"a": []})) == ["a: ours mapping, dm-haiku list"]


def test_nan_equals_nan_but_negative_zero_is_not_zero():
    assert differences(flatten([np.float32("nan"), float("nan")]),
                       flatten([np.float32("nan"), float("nan")])) == []
    assert differences(flatten(np.float32(0.0)), flatten(np.float32(-0.0)))


def test_ulps_bound_the_difference_by_the_largest_magnitude():
    theirs = np.float32([4.0, 0.5])
    one_ulp = np.float32([4.0 + np.spacing(np.float32(4.0)), 0.5])
    three_ulps = np.float32([4.0 + 3 * np.spacing(np.float32(4.0)), 0.5])
    assert differences(flatten({"g": one_ulp}), flatten({"g": theirs}), ulps={"g": 2}) == []
    (problem,) = differences(flatten({"g": three_ulps}), flatten({"g": theirs}), ulps={"g": 2})
    assert problem.startswith("g: values differ (more than 2 ulp of 4)")
    # Other entries stay bit-exact.
    assert differences(flatten({"h": one_ulp}), flatten({"h": theirs}), ulps={"g": 2})


SCENARIOS = '''
import haiku as hk
import jax
import jax.numpy as jnp

def linear():
    f = hk.transform(lambda x: hk.Linear(3)(x))
    x = jnp.ones([2, 4])
    params = f.init(jax.random.PRNGKey(1), x)
    return {"params": params, "out": f.apply(params, None, x)}

def version():
    return hk.__version__

def only_ours():
    return hk.this_name_is_in_neither_library

SCENARIOS = {"linear": linear, "version": version, "only_ours": only_ours}
'''


@pytest.fixture
def scenario_module(tmp_path):
    path = tmp_path / "probe_scenarios.py"
    path.write_text(textwrap.dedent(SCENARIOS))
    return load_module(path)


def test_dm_haiku_runs_in_its_own_venv(dm_haiku, scenario_module):
    (version,) = dm_haiku.theirs(scenario_module, "version")
    assert version["value"] == "0.0.17"
    assert dm_haiku.versions["dm_haiku"] == "0.0.17"
    assert dm_haiku.versions["jax"] == jax.__version__


def test_same_scenario_same_bits(dm_haiku, scenario_module):
    dm_haiku.assert_matches(scenario_module, "linear")


def test_a_difference_fails_with_both_values(dm_haiku, scenario_module):
    with pytest.raises(AssertionError, match=r"version: 1 differences.*\n.*dm-haiku '0.0.17'"):
        dm_haiku.assert_matches(scenario_module, "version")


def test_what_dm_haiku_raises_fails_the_test(dm_haiku, scenario_module):
    with pytest.raises(AssertionError, match="dm-haiku 0.0.17 raised running only_ours"
                                             r"(.|\n)*AttributeError"):
        dm_haiku.assert_matches(scenario_module, "only_ours")


def test_cache_key_follows_sources_and_cpu_settings(dm_haiku, scenario_module, monkeypatch,
                                                    tmp_path):
    oracle = Oracle(dm_haiku.python, dm_haiku.versions, tmp_path / "results")
    path = tmp_path / "probe_scenarios.py"
    monkeypatch.delenv("XLA_FLAGS", raising=False)  # The portability session sets it.
    key = oracle._key(path, "SCENARIOS")
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_max_isa=AVX")
    assert "XLA_FLAGS" in steering_environment()
    capped = oracle._key(path, "SCENARIOS")
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", str(tmp_path))  # Where, not what: same key.
    assert oracle._key(path, "SCENARIOS") == capped != key
    path.write_text(path.read_text() + "\n# edited\n")
    assert oracle._key(path, "SCENARIOS") != capped
