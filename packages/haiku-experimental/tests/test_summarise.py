"""eval_summary and tabulate against dm-haiku 0.0.17 run live, and their own checks.

The scenarios (``scenarios/summary_scenarios.py``) run here under our haiku
and, on this same machine, under dm-haiku 0.0.17 (the ``dm_haiku`` fixture of
``tests/oracle``): every table must be the same text, every summary the same
records.
"""

from __future__ import annotations

import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from haiku_oracle import differences, flatten, load_module

import haiku as hk

sc = load_module(pathlib.Path(__file__).parent / "scenarios" / "summary_scenarios.py")
FUNCTIONS = sc.FUNCTIONS


@pytest.mark.parametrize("label", list(sc.TABLES))
def test_tabulate_matches_dm_haiku(label, dm_haiku):
    dm_haiku.assert_matches(sc, label, registry="TABLES")


def _same_name_scopes(entries):
    """The entries of a summary with the known difference of name scopes taken out.

    dm-haiku calls the module of a name scope NameScopeModule, and counts in
    its params those of modules created elsewhere but called in the scope
    (tower/~/dense_2); ours counts the parameters under the scope's name. So a
    name scope in a call stack is named NameScopeModule on both sides and
    keeps only the parameters under tower/head/.
    """
    scopes = {tuple(e["path"][:3]) for e in entries
              if e["path"][1:2] == ["call_stack"] and e["path"][3:] == ["class"]
              and e["value"] in ("NameScope", "NameScopeModule")}
    kept = []
    for entry in entries:
        path = entry["path"]
        if tuple(path[:3]) in scopes:
            if path[3:] == ["class"]:
                entry = {**entry, "value": "NameScopeModule"}
            elif path[3] == "params" and not path[4].startswith("tower/head/"):
                continue
        kept.append(entry)
    return kept


@pytest.mark.parametrize("name", list(sc.SUMMARIES))
def test_eval_summary_matches_dm_haiku(name, dm_haiku):
    ours = _same_name_scopes(flatten(sc.SUMMARIES[name]()))
    theirs = _same_name_scopes(dm_haiku.theirs(sc, name, registry="SUMMARIES"))
    assert differences(ours, theirs) == []


def test_param_count_and_bytes_agree_with_tree_size_and_tree_bytes():
    f, args = FUNCTIONS["counter"]
    tf = hk.transform_with_state(f)
    params, _ = jax.eval_shape(tf.init, jax.random.PRNGKey(0), *args())
    table = hk.experimental.tabulate(
        tf, columns=("module", "params_size"), filters=(), tabulate_kwargs={"tablefmt": "plain"}
    )(*args())
    for inv in hk.experimental.eval_summary(tf)(*args()):
        name = inv.module_details.module.module_name
        owned = hk.data_structures.filter(
            lambda m, n, v, name=name: m == name or m.startswith(name + "/"), params
        )
        specs = inv.module_details.params
        assert sum(s.size for s in specs.values()) == hk.data_structures.tree_size(owned)
        assert sum(s.nbytes for s in specs.values()) == hk.data_structures.tree_bytes(owned)
        assert f"{hk.data_structures.tree_size(owned):,}" in table
    # Counter's own bf16 w[2,3] takes 2 bytes an element (12 bytes), its
    # submodule's f32 w[4,2] and b[2] 32 + 8 bytes.
    counter = [i for i in hk.experimental.eval_summary(tf)(*args())
               if i.module_details.module.module_name == "counter"][0]
    assert sum(s.nbytes for s in counter.module_details.params.values()) == 12 + 32 + 8


def test_records_are_frozen_and_compare_by_value():
    spec = hk.experimental.ArraySpec([2, 3], np.float32)
    assert spec == hk.experimental.ArraySpec((2, 3), jnp.float32)
    assert hash(spec) == hash(hk.experimental.ArraySpec((2, 3), "float32"))
    assert spec.shape == (2, 3) and spec.dtype == np.dtype("float32") and spec.size == 6
    assert repr(spec) == str(spec) == "f32[2,3]"
    assert repr(hk.experimental.ArraySpec((), jnp.bfloat16)) == "bf16[]"
    assert repr(hk.experimental.ArraySpec((1,), jnp.uint8)) == "u8[1]"
    assert repr(hk.experimental.ArraySpec((1,), jnp.bool_)) == "bool[1]"
    assert repr(hk.experimental.ArraySpec((4,), jnp.complex64)) == "c64[4]"
    key = hk.experimental.ArraySpec.from_array(jax.random.split(jax.random.key(0), 3))
    assert repr(key) == "key<fry>[3]" and key.nbytes == 3 * 8  # two uint32 a key
    with pytest.raises(AttributeError):
        spec.shape = (1,)
    with pytest.raises(TypeError, match="shape must be a sequence of ints"):
        hk.experimental.ArraySpec(3, jnp.float32)


def test_call_stack_and_context():
    f, args = FUNCTIONS["counter"]
    invocations = hk.experimental.eval_summary(f)(*args())
    by_name = {(i.module_details.module.module_name, i.module_details.method_name): i
               for i in invocations}
    inner = by_name[("counter/~encode/dense", "__call__")]
    assert [(d.module.module_name, d.method_name) for d in inner.call_stack] == [
        ("counter/~encode/dense", "__call__"), ("counter", "encode")]
    assert isinstance(inner.context, hk.MethodContext)
    assert inner.context.module is inner.module_details.module
    assert inner.call_stack[0] == inner.module_details


def test_abstract_inputs_and_static_arguments():
    def f(x, activate):
        y = hk.to_module(lambda x: x * hk.get_parameter("s", [], init=jnp.ones))(name="scale")(x)
        return jax.nn.relu(y) if activate else y

    [inv] = hk.experimental.eval_summary(f)(jax.ShapeDtypeStruct((3, 2), jnp.float16), True)
    assert inv.args_spec == (hk.experimental.ArraySpec((3, 2), jnp.float16),)
    # A Python value stays a Python value (f may branch on it).
    table = hk.experimental.tabulate(f, columns=("module", "input"))(np.zeros([1]), False)
    assert "f32[1]" in table or "f64[1]" in table


def test_invalid_columns_and_filters():
    f, _ = FUNCTIONS["tower"]
    with pytest.raises(ValueError, match=r"Invalid column\(s\) \['bogus'\], valid columns \['module'"):
        hk.experimental.tabulate(f, columns=("module", "bogus"))
    with pytest.raises(ValueError, match=r"Invalid filter\(s\) \['nope'\], valid filters"):
        hk.experimental.tabulate(f, filters=("nope",))
    with pytest.raises(ValueError, match="did you mean \\('module',\\)"):
        hk.experimental.tabulate(f, columns="module")
    with pytest.raises(TypeError, match="multi_transform"):
        hk.experimental.eval_summary(hk.multi_transform(lambda: ((), ())))


def test_tabulate_kwargs_reach_the_tabulate_package():
    f, args = FUNCTIONS["tower"]
    table = hk.experimental.tabulate(
        f, columns=("module", "params_size"), tabulate_kwargs={"tablefmt": "tsv", "showindex": True}
    )(*args())
    first = table.splitlines()[1].split("\t")
    assert [c.strip() for c in first] == ["0", "tower (Tower)", "71"]
    with pytest.raises(TypeError, match="colalign"):
        hk.experimental.tabulate(f, tabulate_kwargs={"colalign": ["left"] * 7})(*args())
