"""haiku-core's own plugin: registers the core names like any other plugin.

It is always loaded first, whatever ``HAIKU_DISABLE_PLUGIN_AUTOLOAD`` or
``HAIKU_PLUGINS`` say. :data:`EXPORTS` is haiku-core's one table of public
names, registered like every distribution's (``registry.add_table``). To add
a core name, add a row to it (and list it in ``plugin_official_names``, the
install hints) and to the namespace's ``.pyi`` stub; its module is imported
the first time the name is used. Nothing here may import the targets.
"""

from __future__ import annotations

from haiku.plugins import exports_from as _from
from haiku.plugins import hookimpl

HAIKU_PLUGIN_API_VERSION = 1


NAMESPACES: tuple[tuple[str, str], ...] = (
    ("haiku.initializers", "Initializers for Haiku parameters."),
    ("haiku.data_structures", "Functions to manipulate parameter and state trees."),
    ("haiku.config", "Global configuration of Haiku."),
    ("haiku.testing", "Utilities for testing code that uses Haiku."),
    ("haiku.experimental", "Experimental Haiku features; their API may change."),
    ("haiku.mixed_precision", "Automatic mixed precision for Haiku modules."),
    ("haiku.experimental.partitioning",
     "Sharding parameters and activations over a device mesh: rules, logical axis names."),
)
"""``(namespace, docstring)`` of each namespace haiku-core owns."""

_LIFT_NAMES = (
    "lift",
    "lift_with_state",
    "transparent_lift",
    "transparent_lift_with_state",
    "LiftWithStateUpdater",
)
_LAYER_STACK_NAMES = ("layer_stack", "LayerStackTransparencyMapping")

EXPORTS: tuple[tuple[str, str, str], ...] = (
    *_from(
        "haiku",
        "haiku._src.transform",
        "transform",
        "transform_with_state",
        "multi_transform",
        "multi_transform_with_state",
        "without_apply_rng",
        "without_state",
        "with_empty_state",
        "running_init",
        "Transformed",
        "TransformedWithState",
        "MultiTransformed",
        "MultiTransformedWithState",
    ),
    *_from(
        "haiku",
        "haiku._src.module",
        "Module",
        "to_module",
        "transparent",
        "name_like",
        "ModuleProtocol",
        "SupportsCall",
    ),
    *_from("haiku", "haiku._src.naming", "name_scope", "current_name", "force_name"),
    *_from(
        "haiku",
        "haiku._src.base",
        "get_parameter",
        "get_state",
        "set_state",
        "DO_NOT_STORE",
        "get_params",
        "get_current_state",
        "get_initial_state",
    ),
    *_from(
        "haiku",
        "haiku._src.random_keys",
        "next_rng_key",
        "next_rng_keys",
        "maybe_next_rng_key",
        "reserve_rng_keys",
        "with_rng",
        "maybe_get_rng_sequence_state",
        "replace_rng_sequence_state",
    ),
    *_from("haiku", "haiku._src.rng", "PRNGSequence"),
    *_from(
        "haiku",
        "haiku._src.interception",
        "custom_creator",
        "custom_getter",
        "custom_setter",
        "GetterContext",
        "SetterContext",
        "intercept_methods",
        "MethodContext",
    ),
    *_from("haiku", "haiku._src.typing", "Params", "State", "MutableParams", "MutableState"),
    *_from("haiku", "haiku._src.deferred", "Deferred"),
    *_from(
        "haiku",
        "haiku._src.control_flow",
        "cond",
        "switch",
        "scan",
        "fori_loop",
        "while_loop",
        "map",
    ),
    *_from(
        "haiku",
        "haiku._src.stateful_transforms",
        "grad",
        "value_and_grad",
        "vmap",
        "remat",
        "eval_shape",
    ),
    *_from("haiku", "haiku._src.functions", "one_hot", "multinomial"),
    *_from("haiku", "haiku._src.lift", *_LIFT_NAMES),
    *_from("haiku", "haiku._src.layer_stack", *_LAYER_STACK_NAMES),
    *_from(
        "haiku.initializers",
        "haiku._src.initializers",
        "Constant",
        "Orthogonal",
        "Identity",
        "Initializer",
        "RandomNormal",
        "RandomUniform",
        "TruncatedNormal",
        "UniformScaling",
        "VarianceScaling",
    ),
    *_from(
        "haiku.data_structures",
        "haiku._src.data_structures",
        "is_subset",
        "filter",
        "map",
        "merge",
        "partition",
        "partition_n",
        "to_haiku_dict",
        "to_mutable_dict",
        "to_immutable_dict",
        "traverse",
        "tree_bytes",
        "tree_size",
    ),
    *_from("haiku.config", "haiku._src.config", "context", "set"),
    *_from("haiku.testing", "haiku._src.testing", "transform_and_run"),
    *_from(
        "haiku.testing",
        "haiku._src.conformance",
        "check_module",
        "ModuleExample",
        "ConformanceReport",
        "ConformanceError",
        "CONFORMANCE_CHECKS",
        "conformance_examples",
        "describe_tree",
    ),
    *_from(
        "haiku.mixed_precision",
        "haiku._src.mixed_precision",
        "clear_policy",
        "current_policy",
        "get_policy",
        "push_policy",
        "set_policy",
    ),
    *_from(
        "haiku.experimental",
        "haiku._src.config",
        "module_auto_repr",
        "rng_reserve_size",
        "check_jax_usage",
    ),
    *_from("haiku.experimental", "haiku._src.optimize_rng", "optimize_rng_use"),
    *_from("haiku.experimental", "haiku._src.fast_eval", "fast_eval_shape"),
    *_from("haiku.experimental", "haiku._src.shard_map", "shard_map"),
    *_from("haiku", "haiku._src.jax_usage", "JaxUsageError"),
    # dm-haiku 0.0.17 also exposes these under hk.experimental (the same objects
    # as hk.X; ParamContext is GetterContext's older name).
    *_from("haiku.experimental", "haiku._src.lift", *_LIFT_NAMES),
    *_from("haiku.experimental", "haiku._src.layer_stack", *_LAYER_STACK_NAMES),
    *_from("haiku.experimental", "haiku._src.naming", "current_name", "force_name", "name_scope"),
    *_from("haiku.experimental", "haiku._src.module", "name_like"),
    *_from(
        "haiku.experimental",
        "haiku._src.base",
        "DO_NOT_STORE",
        "get_params",
        "get_current_state",
        "get_initial_state",
    ),
    *_from(
        "haiku.experimental",
        "haiku._src.random_keys",
        "maybe_get_rng_sequence_state",
        "replace_rng_sequence_state",
    ),
    *_from(
        "haiku.experimental",
        "haiku._src.interception",
        "custom_creator",
        "custom_getter",
        "GetterContext",
        "intercept_methods",
        "MethodContext",
    ),
    ("haiku.experimental", "ParamContext", "haiku._src.interception:GetterContext"),
    *_from(
        "haiku.experimental.partitioning",
        "haiku._src.partition_specs",
        "match_rules",
        "check_specs",
        "named_shardings",
        "sharded_init",
    ),
    *_from(
        "haiku.experimental.partitioning",
        "haiku._src.logical_axes",
        "with_logical_axes",
        "LogicalAxesInit",
        "get_logical_axes",
        "axis_rules",
        "logical_to_mesh",
        "constrain",
    ),
    *_from("haiku.experimental.partitioning", "haiku._src.stacked_axes", "layers_axis",
           "stacked_axis"),
)
"""``(namespace, name, target)`` of each name haiku-core registers."""


@hookimpl
def haiku_register_exports(registry):
    """Registers haiku-core's namespaces and names."""
    registry.add_table(EXPORTS, namespaces=NAMESPACES)
