"""hk.experimental.partitioning on one device: rules, logical names, errors.

The shardings themselves (per-device shards, constraints in a compiled
program, numbers equal to the one-device run) are checked on 8 host devices
by test_partitioning_devices.py.
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import AbstractMesh, PartitionSpec as P

import haiku as hk

partitioning = hk.experimental.partitioning

MESH = AbstractMesh((2, 4), ("data", "model"))


def spec_tree_equal(got, want):
    """Trees of PartitionSpec equal key by key (PartitionSpec is compared with ==)."""
    assert jax.tree.structure(got, is_leaf=lambda x: isinstance(x, P)) == jax.tree.structure(
        want, is_leaf=lambda x: isinstance(x, P))
    for (path, a), b in zip(jax.tree_util.tree_flatten_with_path(got)[0], jax.tree.leaves(want)):
        assert a == b, (jax.tree_util.keystr(path), a, b)


def mlp(x):
    """Two dense layers written with core API only."""
    for i, size in enumerate((8, 4)):
        with hk.name_scope(f"linear_{i}"):
            w = hk.get_parameter("w", [x.shape[-1], size], init=hk.initializers.RandomNormal())
            b = hk.get_parameter("b", [size], init=jnp.zeros)
        x = jax.nn.relu(x @ w + b)
    return x


def abstract_mlp_params():
    f = hk.transform(mlp)
    return jax.eval_shape(f.init, jax.random.PRNGKey(0), jnp.ones([2, 4]))


# match_rules


def test_match_rules_first_matching_rule_wins_on_module_name_paths():
    params = abstract_mlp_params()
    assert all(isinstance(v, jax.ShapeDtypeStruct) for v in jax.tree.leaves(params))
    rules = [(r"linear_0/w$", P(None, "model")), (r"linear_\d/w$", P("model", None)),
             (r"/b$", None)]
    spec_tree_equal(partitioning.match_rules(rules, params), {
        "linear_0": {"w": P(None, "model"), "b": P()},
        "linear_1": {"w": P("model", None), "b": P()},
    })


def test_match_rules_accepts_a_compiled_pattern_and_searches_part_of_the_path():
    params = {"encoder/~/linear": {"w": jnp.ones([4, 8])}}
    specs = partitioning.match_rules([(re.compile("linear"), P("data"))], params)
    assert specs["encoder/~/linear"]["w"] == P("data")


def test_match_rules_names_every_unmatched_parameter():
    params = abstract_mlp_params()
    with pytest.raises(ValueError) as info:
        partitioning.match_rules([(r"/w$", P())], params)
    assert str(info.value) == (
        "No partitioning rule matches 2 parameter(s): 'linear_0/b', 'linear_1/b'. Add a rule "
        "for each (rules match the 'module/name' path with re.search), or pass "
        "default=PartitionSpec() to replicate the parameters no rule matches.")


def test_match_rules_default_covers_unmatched_parameters():
    specs = partitioning.match_rules([(r"/w$", P("data"))], abstract_mlp_params(), default=P())
    spec_tree_equal(specs, {"linear_0": {"b": P(), "w": P("data")},
                            "linear_1": {"b": P(), "w": P("data")}})


def test_match_rules_works_on_state_and_optimizer_state_trees():
    params = {"linear": {"w": jnp.ones([4, 8])}}
    # An optax-like state: a namedtuple holding parameter-shaped trees and a count.
    import collections

    AdamState = collections.namedtuple("AdamState", "count mu nu")
    opt_state = (AdamState(jnp.zeros([]), params, params),)
    specs = partitioning.match_rules([(r"linear/w$", P("data", "model"))], opt_state,
                                     default=P())
    assert specs[0].count == P()
    assert specs[0].mu["linear"]["w"] == P("data", "model")
    assert specs[0].nu["linear"]["w"] == P("data", "model")


def test_match_rules_with_a_mesh_rejects_unknown_mesh_axes():
    with pytest.raises(ValueError) as info:
        partitioning.match_rules([(r"/w$", P("tensor"))], abstract_mlp_params(), mesh=MESH)
    assert str(info.value) == (
        "The rule '/w$' -> PartitionSpec('tensor') names mesh axis 'tensor', but the mesh has "
        "axes ('data', 'model'): use one of those (or None to replicate).")


def test_match_rules_with_a_mesh_rejects_indivisible_dimensions():
    # linear_1/w is [8, 4]; 'model' has 4 devices, 'data' 2: (data, model) over dim 1
    # is 8 devices for 4 columns.
    rules = [(r"linear_1/w$", P(None, ("data", "model")))]
    with pytest.raises(ValueError) as info:
        partitioning.match_rules(rules, abstract_mlp_params(), default=P(), mesh=MESH)
    assert str(info.value) == (
        "Parameter 'linear_1/w' of shape (8, 4): dimension 1 (size 4) is not divisible by mesh "
        "axis ('data', 'model') of size 8 (spec PartitionSpec(None, ('data', 'model'))); pick a "
        "size divisible by 8, or shard that dimension over other axes.")


def test_match_rules_rejects_a_spec_longer_than_the_rank():
    with pytest.raises(ValueError) as info:
        partitioning.match_rules([(r"/b$", P("data", None))], abstract_mlp_params(), default=P())
    assert str(info.value) == (
        "Parameter 'linear_0/b' of shape (8,) (rank 1) got the partition spec "
        "PartitionSpec('data', None) with 2 entries: give at most one entry per dimension.")


def test_match_rules_rejects_a_mesh_axis_used_twice():
    with pytest.raises(ValueError, match="uses mesh axis 'data' for dimensions 0 and 1"):
        partitioning.match_rules([(r"/w$", P("data", "data"))], abstract_mlp_params(),
                                 default=P())


def test_match_rules_rejects_malformed_rules():
    with pytest.raises(TypeError, match=r"rules as \(regex, PartitionSpec\) pairs"):
        partitioning.match_rules([r"/w$"], abstract_mlp_params())
    with pytest.raises(TypeError, match=r"The rule for '/w\$' gives \('data',\)"):
        partitioning.match_rules([(r"/w$", ("data",))], abstract_mlp_params())


def test_check_specs_and_named_shardings_name_the_parameter():
    shapes = {"linear": {"w": jax.ShapeDtypeStruct((6, 4), jnp.float32)}}
    partitioning.check_specs({"linear": {"w": P(None, "model")}}, shapes, MESH)
    with pytest.raises(ValueError, match=r"Parameter 'linear/w' of shape \(6, 4\): dimension 0"
                                         r" \(size 6\) is not divisible by mesh axis 'model' of "
                                         r"size 4"):
        partitioning.check_specs({"linear": {"w": P("model")}}, shapes, MESH)
    # A spec may stand for a whole subtree (a prefix, as jax.jit's shardings).
    partitioning.check_specs({"linear": P("data")}, shapes, MESH)


# Logical axis names


def named_block(x):
    w = hk.get_parameter("w", [x.shape[-1], 8],
                         init=partitioning.with_logical_axes(jnp.ones, ("embed", "mlp")))
    b = hk.get_parameter("b", [8], init=partitioning.with_logical_axes(jnp.zeros, ("mlp",)))
    return x @ w + b


def test_with_logical_axes_initialises_as_the_wrapped_initializer():
    init = hk.initializers.RandomNormal(0.5)
    wrapped = partitioning.with_logical_axes(init, ("embed", None))
    f = hk.transform(lambda: hk.get_parameter("w", [3, 5], init=wrapped))
    g = hk.transform(lambda: hk.get_parameter("w", [3, 5], init=init))
    key = jax.random.PRNGKey(1)
    np.testing.assert_array_equal(f.init(key)["~"]["w"], g.init(key)["~"]["w"])
    assert wrapped.names == ("embed", None) and wrapped.init is init
    # Wrapping again replaces the names, it does not nest.
    assert partitioning.with_logical_axes(wrapped, ("a", "b")).init is init


def test_get_logical_axes_reads_names_abstractly():
    # The input is a ShapeDtypeStruct: nothing concrete could be computed from it.
    def f(x):
        w = hk.get_parameter("w0", [4, 6], init=partitioning.with_logical_axes(
            jnp.ones, ("embed", "mlp")))
        return named_block(x @ w)

    names = partitioning.get_logical_axes(hk.transform(f).init, jax.random.PRNGKey(0),
                                          jax.ShapeDtypeStruct((2, 4), jnp.float32))
    spec_tree_equal(names, {"~": {"w0": P("embed", "mlp"), "w": P("embed", "mlp"),
                                  "b": P("mlp")}})


def test_get_logical_axes_unnamed_parameters_and_state():
    def f(x):
        hk.set_state("count", jnp.zeros([], jnp.int32))
        s = hk.get_state("ema", [8], init=partitioning.with_logical_axes(jnp.zeros, ("mlp",)))
        return named_block(x) + s + hk.get_parameter("plain", [8], init=jnp.zeros)

    f = hk.transform_with_state(f)
    params, state = partitioning.get_logical_axes(f.init, None, jnp.ones([2, 4]))
    spec_tree_equal(params, {"~": {"w": P("embed", "mlp"), "b": P("mlp"), "plain": P()}})
    spec_tree_equal(state, {"~": {"count": P(), "ema": P("mlp")}})


def test_layer_stack_parameters_get_a_leading_layers_axis():
    def f(x):
        x = hk.layer_stack(3, name="blocks")(named_block)(x[..., :8])
        with partitioning.layers_axis("stages"):
            x = hk.layer_stack(2, name="other")(named_block)(x)
        with partitioning.layers_axis(None):
            x = hk.layer_stack(2, name="unnamed")(named_block)(x)
        return x

    f = hk.transform(f)
    x = jnp.ones([2, 8])
    params = jax.eval_shape(f.init, None, x)
    assert params["blocks/~"]["w"].shape == (3, 8, 8)
    names = partitioning.get_logical_axes(f.init, None, x)
    spec_tree_equal(names, {
        "blocks/~": {"w": P("layers", "embed", "mlp"), "b": P("layers", "mlp")},
        "other/~": {"w": P("stages", "embed", "mlp"), "b": P("stages", "mlp")},
        "unnamed/~": {"w": P(None, "embed", "mlp"), "b": P(None, "mlp")},
    })


def test_nested_layer_stacks_name_both_leading_axes():
    def f(x):
        with partitioning.layers_axis("outer"):
            def stage(x):
                with partitioning.layers_axis("inner"):
                    return hk.layer_stack(3, name="inner")(named_block)(x)
            return hk.layer_stack(2, name="outer")(stage)(x)

    f = hk.transform(f)
    names = partitioning.get_logical_axes(f.init, None, jnp.ones([2, 8]))
    assert jax.eval_shape(f.init, None, jnp.ones([2, 8]))["outer/inner/~"]["w"].shape == (
        2, 3, 8, 8)
    spec_tree_equal(names, {"outer/inner/~": {"w": P("outer", "inner", "embed", "mlp"),
                                                "b": P("outer", "inner", "mlp")}})


def test_lifted_vmap_leading_axes_unnamed_unless_stacked_axis():
    member = hk.transform(named_block)

    def ensemble(x, named):
        keys = jax.random.split(hk.next_rng_key(), 4)
        lifted = hk.lift(jax.vmap(member.init, (0, None)), name="ensemble")
        if named:
            with partitioning.stacked_axis("members"):
                return lifted(keys, x)
        return lifted(keys, x)

    key, x = jax.random.PRNGKey(0), jnp.ones([1, 4])
    for named, lead in ((True, "members"), (False, None)):
        f = hk.transform(lambda x: ensemble(x, named))
        names = partitioning.get_logical_axes(f.init, key, x)
        spec_tree_equal(names, {"ensemble/~": {"w": P(lead, "embed", "mlp"),
                                               "b": P(lead, "mlp")}})


def test_hk_vmap_parameters_are_shared_and_keep_their_names():
    f = hk.transform(lambda x: hk.vmap(named_block, split_rng=False)(x))
    names = partitioning.get_logical_axes(f.init, None, jnp.ones([3, 2, 4]))
    spec_tree_equal(names, {"~": {"w": P("embed", "mlp"), "b": P("mlp")}})


def test_names_whose_count_differs_from_the_rank_are_an_error():
    bad = partitioning.with_logical_axes(jnp.ones, ("embed",))
    f = hk.transform(lambda: hk.get_parameter("w", [4, 8], init=bad))
    with pytest.raises(ValueError) as info:
        partitioning.get_logical_axes(f.init, None)
    assert str(info.value) == (
        "Parameter '~/w' has shape (4, 8) (rank 2) but 1 logical axis names ('embed',): give one "
        "name (or None) per dimension.")
    # Without get_logical_axes the initializer itself refuses.
    with pytest.raises(ValueError, match=r"A parameter initialised by with_logical_axes\(.*\) "
                                         r"has shape \(4, 8\) \(rank 2\) but 1 logical axis"):
        f.init(None)


def test_with_logical_axes_rejects_bad_names():
    with pytest.raises(TypeError, match="takes a sequence of logical axis names"):
        partitioning.with_logical_axes(jnp.ones, "embed")
    with pytest.raises(TypeError, match="logical axis names are str or None, got 3"):
        partitioning.with_logical_axes(jnp.ones, ("embed", 3))
    with pytest.raises(TypeError, match="takes an initializer, got 'ones'"):
        partitioning.with_logical_axes("ones", ("embed",))
    with pytest.raises(TypeError, match="takes a logical axis name"):
        with partitioning.layers_axis(0):
            pass


# axis_rules and logical_to_mesh


def test_logical_to_mesh_under_axis_rules():
    names = {"w": P("layers", "embed", "mlp"), "x": P("batch", None, "embed")}
    with partitioning.axis_rules([("batch", "data"), ("embed", "data"), ("mlp", "model"),
                                  ("layers", None)]):
        specs = partitioning.logical_to_mesh(names)
    # "embed" falls back to replicated where "batch" already took "data".
    spec_tree_equal(specs, {"w": P(None, "data", "model"), "x": P("data", None, None)})


def test_logical_to_mesh_tries_rules_of_one_name_in_order():
    rules = [("batch", "data"), ("embed", "data"), ("embed", "model"), ("heads", ("data", "model"))]
    assert partitioning.logical_to_mesh(P("embed", "batch"), rules) == P("data", None)
    assert partitioning.logical_to_mesh(P("batch", "embed"), rules) == P("data", "model")
    assert partitioning.logical_to_mesh(P("heads"), rules) == P(("data", "model"))


def test_innermost_axis_rules_apply_and_rules_are_restored():
    with partitioning.axis_rules([("mlp", "model")]):
        with partitioning.axis_rules([("mlp", "data")]):
            assert partitioning.logical_to_mesh(P("mlp")) == P("data")
        assert partitioning.logical_to_mesh(P("mlp")) == P("model")
    with pytest.raises(ValueError) as info:
        partitioning.logical_to_mesh(P("mlp"))
    assert str(info.value) == (
        "logical_to_mesh needs logical axis rules: call it inside `with axis_rules([...]):` or "
        "pass rules=[(logical name, mesh axes), ...].")


def test_unknown_logical_name_is_an_error_naming_it():
    with pytest.raises(ValueError) as info:
        partitioning.logical_to_mesh(P("embed", "vocab"), [("embed", None), ("mlp", "model")])
    assert str(info.value) == (
        "Logical axis 'vocab' (in PartitionSpec('embed', 'vocab')) has no rule; the rules name "
        "['embed', 'mlp']. Add ('vocab', <mesh axis>) to shard it, or ('vocab', None) to "
        "replicate it.")


def test_axis_rules_check_mesh_axes_and_rule_types():
    with pytest.raises(ValueError) as info:
        with partitioning.axis_rules([("mlp", "tensor")], mesh=MESH):
            pass
    assert str(info.value) == (
        "The rule ('mlp', 'tensor') names mesh axis 'tensor', but the mesh has axes "
        "('data', 'model'): use one of those (or None to replicate).")
    with pytest.raises(TypeError, match=r"axis_rules takes \(logical name, mesh axes\) pairs"):
        with partitioning.axis_rules(["mlp"]):
            pass
    with pytest.raises(TypeError, match="The rule for logical axis 'mlp' gives 3"):
        with partitioning.axis_rules([("mlp", 3)]):
            pass


# constrain


def test_constrain_is_the_identity_without_rules_or_mesh():
    x = jnp.ones([2, 3])
    assert partitioning.constrain(x, ("batch", "embed")) is x
    with partitioning.axis_rules([("batch", "data"), ("embed", None)]):  # rules, no mesh
        assert partitioning.constrain(x, ("batch", "embed")) is x
    f = hk.transform(lambda x: partitioning.constrain(x, ("batch", None)) * 2)
    np.testing.assert_array_equal(f.apply({}, None, x), 2 * x)


def test_constrain_checks_the_rank_even_as_a_no_op():
    with pytest.raises(ValueError) as info:
        partitioning.constrain(jnp.ones([2, 3]), ("batch",))
    assert str(info.value) == (
        "constrain: the array has shape (2, 3) (rank 2) but 1 logical axis names ('batch',): "
        "give one name (or None) per dimension.")
