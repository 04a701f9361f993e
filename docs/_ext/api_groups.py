"""How the API reference groups the public names: the spec's groups, in its order.

Each page (``docs/api/PAGE.rst``, which holds its title and introduction)
is a list of sections ``(title, names)``, names relative to ``haiku``
(``"Linear"``, ``"nets.MLP"``, ``"experimental.jaxpr_info.as_html"``). This is only the order; the entries
are generated from the docstrings. A public name listed nowhere here still
gets an entry: under "More in ``<namespace>``" on the page ``CATCH_ALL``
gives its namespace (or the namespace's nearest listed parent), so a
distribution or plugin adding names needs no edit here.
"""

from __future__ import annotations

PAGES: dict[str, list[tuple[str, list[str]]]] = {
    "fundamentals": [
        ("Haiku transforms", ["transform", "transform_with_state", "multi_transform",
                              "multi_transform_with_state", "without_apply_rng", "without_state",
                              "with_empty_state"]),
        ("Modules, parameters and state", ["Module", "to_module", "get_parameter", "get_state",
                                           "set_state"]),
        ("Getters and interceptors", ["custom_creator", "custom_getter", "custom_setter",
                                      "GetterContext", "SetterContext", "intercept_methods",
                                      "MethodContext"]),
        ("Random numbers", ["PRNGSequence", "next_rng_key", "next_rng_keys", "maybe_next_rng_key",
                            "reserve_rng_keys", "with_rng", "maybe_get_rng_sequence_state",
                            "replace_rng_sequence_state"]),
        ("Type hints", ["LSTMState", "Params", "MutableParams", "State", "MutableState",
                        "Transformed", "TransformedWithState", "MultiTransformed",
                        "MultiTransformedWithState", "ModuleProtocol", "SupportsCall"]),
    ],
    "flax": [
        ("Haiku inside Flax", ["experimental.flax.Module", "experimental.flax.flatten_flax_to_haiku"]),
        ("Flax inside Haiku", ["experimental.flax.lift"]),
    ],
    "advanced": [
        ("Lifting", ["lift", "lift_with_state", "transparent_lift", "transparent_lift_with_state",
                     "LiftWithStateUpdater"]),
        ("Layer stack", ["layer_stack", "LayerStackTransparencyMapping"]),
        ("Naming", ["name_scope", "current_name", "DO_NOT_STORE", "get_params",
                    "get_current_state", "get_initial_state", "force_name", "name_like",
                    "transparent"]),
        ("Visualisation", ["to_dot"]),
    ],
    "modules": [
        ("Linear", ["Linear", "Bias"]),
        ("Pooling", ["avg_pool", "AvgPool", "max_pool", "MaxPool"]),
        ("Dropout", ["dropout"]),
        ("Combinator", ["Sequential"]),
        ("Convolutional", ["ConvND", "Conv1D", "Conv2D", "Conv3D", "ConvNDTranspose",
                           "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
                           "DepthwiseConv1D", "DepthwiseConv2D", "DepthwiseConv3D",
                           "SeparableDepthwiseConv2D", "get_channel_index"]),
        ("Normalization", ["BatchNorm", "GroupNorm", "InstanceNorm", "LayerNorm", "RMSNorm",
                           "SpectralNorm", "ExponentialMovingAverage", "SNParamsTree",
                           "EMAParamsTree"]),
        ("Recurrent", ["RNNCore", "dynamic_unroll", "static_unroll", "expand_apply",
                       "VanillaRNN", "LSTM", "GRU", "DeepRNN", "deep_rnn_with_skip_connections",
                       "ResetCore", "IdentityCore", "Conv1DLSTM", "Conv2DLSTM", "Conv3DLSTM"]),
        ("Attention", ["MultiHeadAttention"]),
        ("Batch", ["Reshape", "Flatten", "BatchApply"]),
        ("Embedding", ["Embed", "EmbedLookupStyle"]),
        ("Utilities", ["Deferred"]),
    ],
    "initializers": [
        ("Initializers", ["initializers.Initializer", "initializers.Constant",
                          "initializers.Identity", "initializers.Orthogonal",
                          "initializers.RandomNormal", "initializers.RandomUniform",
                          "initializers.TruncatedNormal", "initializers.VarianceScaling",
                          "initializers.UniformScaling"]),
    ],
    "pad": [
        ("Paddings", ["pad.PadFn", "pad.is_padfn", "pad.create", "pad.create_from_padfn",
                      "pad.create_from_tuple", "pad.causal", "pad.full", "pad.reverse_causal",
                      "pad.same", "pad.valid"]),
    ],
    "nets": [
        ("MLP", ["nets.MLP"]),
        ("MobileNet", ["nets.MobileNetV1"]),
        ("ResNet", ["nets.ResNet", "nets.ResNet18", "nets.ResNet34", "nets.ResNet50",
                    "nets.ResNet101", "nets.ResNet152", "nets.ResNet200"]),
        ("VectorQuantizer", ["nets.VectorQuantizer", "nets.VectorQuantizerEMA"]),
    ],
    "jax": [
        ("Control flow", ["cond", "fori_loop", "map", "scan", "switch", "while_loop"]),
        ("JAX transforms", ["eval_shape", "grad", "remat", "value_and_grad", "vmap"]),
    ],
    "mixed_precision": [
        ("Automatic mixed precision", ["mixed_precision.set_policy",
                                       "mixed_precision.current_policy",
                                       "mixed_precision.get_policy",
                                       "mixed_precision.clear_policy",
                                       "mixed_precision.push_policy"]),
    ],
    "experimental": [
        ("Graphviz visualisation", ["experimental.abstract_to_dot"]),
        ("Summarisation", ["experimental.tabulate", "experimental.eval_summary",
                           "experimental.ArraySpec", "experimental.MethodInvocation",
                           "experimental.ModuleDetails"]),
        ("Managing state", ["experimental.check_jax_usage"]),
        ("Optimizations", ["experimental.optimize_rng_use", "experimental.module_auto_repr",
                           "experimental.fast_eval_shape", "experimental.rng_reserve_size"]),
        ("jaxpr_info", ["experimental.jaxpr_info.make_model_info",
                        "experimental.jaxpr_info.as_html", "experimental.jaxpr_info.as_html_page",
                        "experimental.jaxpr_info.css", "experimental.jaxpr_info.format_module",
                        "experimental.jaxpr_info.js", "experimental.jaxpr_info.Expression",
                        "experimental.jaxpr_info.Module"]),
        ("Partitioning: rules for existing models",
         ["experimental.partitioning.match_rules", "experimental.partitioning.check_specs",
          "experimental.partitioning.named_shardings", "experimental.partitioning.sharded_init"]),
        ("Partitioning: logical axes in modules",
         ["experimental.partitioning.with_logical_axes",
          "experimental.partitioning.LogicalAxesInit",
          "experimental.partitioning.get_logical_axes", "experimental.partitioning.axis_rules",
          "experimental.partitioning.logical_to_mesh", "experimental.partitioning.constrain",
          "experimental.partitioning.layers_axis", "experimental.partitioning.stacked_axis"]),
        ("Partitioning: SPMD programs", ["experimental.shard_map"]),
    ],
    "config": [
        ("Configuration", ["config.context", "config.set"]),
    ],
    "utilities": [
        ("Data structures", ["data_structures.filter", "data_structures.is_subset",
                             "data_structures.map", "data_structures.merge",
                             "data_structures.partition", "data_structures.partition_n",
                             "data_structures.to_haiku_dict", "data_structures.to_immutable_dict",
                             "data_structures.to_mutable_dict", "data_structures.traverse",
                             "data_structures.tree_bytes", "data_structures.tree_size"]),
        ("Testing", ["testing.transform_and_run"]),
        ("Conditional computation", ["running_init"]),
        ("Functions", ["multinomial", "one_hot"]),
    ],
    "plugins": [
        ("What plugin code calls (haiku.extend)", ["extend.module_stack", "extend.ModuleCall",
                                                   "extend.substitute_in_fast_eval_shape"]),
    ],
}

# Namespace -> page for the names no section lists. A namespace missing here
# goes to its nearest listed parent's page.
CATCH_ALL = {
    "haiku": "modules",
    "haiku.experimental": "experimental",
    "haiku.experimental.flax": "flax",
    "haiku.initializers": "initializers",
    "haiku.pad": "pad",
    "haiku.nets": "nets",
    "haiku.mixed_precision": "mixed_precision",
    "haiku.config": "config",
    "haiku.data_structures": "utilities",
    "haiku.testing": "utilities",
    "haiku.plugins": "plugins",
    "haiku.extend": "plugins",
}
