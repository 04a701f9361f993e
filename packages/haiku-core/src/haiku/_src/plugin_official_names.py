"""Which official distribution provides each public haiku name: the install hints.

This is the only thing haiku-core knows about the official plugins, and it is
only read to explain a miss: when ``hk.Linear`` is not registered, it tells
the user that haiku-nets provides it and how to install it
(``pip install "haiku[nets]"``).

It must live in core because the hint is needed exactly when the plugin is
*not* installed (or not loaded), so the plugin cannot supply it. Everything
else lives with its owner: each distribution registers its names from its own
table (``EXPORTS`` in its ``_plugin.py``) and ships the public modules type
checkers read. A plugin may add a name in its own release without touching
this table; until the table lists it, a miss of the new name is a plain
``AttributeError`` instead of an install hint. The names follow the sections
of the dm-haiku API reference.
"""

from __future__ import annotations

import dataclasses
import functools
import re


@dataclasses.dataclass(frozen=True)
class Distribution:
    """An official haiku distribution."""

    name: str  # e.g. "haiku-nets"
    package: str  # its import package, e.g. "haiku_nets"
    extra: str | None  # the extra of the "haiku" meta-distribution, e.g. "nets"

    @property
    def install(self) -> str:
        """The command that installs this distribution."""
        if self.extra is None:
            return f"pip install -U {self.name}"
        return f'pip install "haiku[{self.extra}]"'

    @property
    def upgrade(self) -> str:
        """The command that upgrades this distribution."""
        if self.extra is None:
            return f"pip install -U {self.name}"
        return f'pip install -U "haiku[{self.extra}]"'


CORE = Distribution("haiku-core", "haiku", None)
NETS = Distribution("haiku-nets", "haiku_nets", "nets")
RNN = Distribution("haiku-rnn", "haiku_rnn", "rnn")
FLAX = Distribution("haiku-flax", "haiku_flax", "flax")
EXPERIMENTAL = Distribution("haiku-experimental", "haiku_experimental", "experimental")

# distribution -> namespace -> names. A namespace listed here that is not
# listed by an earlier distribution is itself provided by this distribution
# (haiku.experimental is core's, haiku.experimental.jaxpr_info is not).
_TABLE: dict[Distribution, dict[str, str]] = {
    CORE: {
        "haiku": """
            transform transform_with_state multi_transform
            multi_transform_with_state without_apply_rng without_state
            with_empty_state running_init Transformed TransformedWithState
            MultiTransformed MultiTransformedWithState
            Module to_module transparent name_like ModuleProtocol SupportsCall
            name_scope current_name force_name
            get_parameter get_state set_state DO_NOT_STORE get_params
            get_current_state get_initial_state
            PRNGSequence next_rng_key next_rng_keys maybe_next_rng_key
            reserve_rng_keys with_rng maybe_get_rng_sequence_state
            replace_rng_sequence_state
            custom_creator custom_getter custom_setter GetterContext
            SetterContext intercept_methods MethodContext
            lift lift_with_state transparent_lift transparent_lift_with_state
            LiftWithStateUpdater
            layer_stack LayerStackTransparencyMapping
            cond switch scan fori_loop while_loop map
            grad value_and_grad vmap remat eval_shape
            Params State MutableParams MutableState
            Deferred multinomial one_hot JaxUsageError
            initializers data_structures config testing experimental
            mixed_precision
        """,
        "haiku.initializers": """
            Initializer Constant Identity Orthogonal RandomNormal RandomUniform
            TruncatedNormal VarianceScaling UniformScaling
        """,
        "haiku.data_structures": """
            filter is_subset map merge partition partition_n to_haiku_dict
            to_immutable_dict to_mutable_dict traverse tree_bytes tree_size
        """,
        "haiku.config": "context set",
        # check_module and its companions: haiku-core's conformance kit (not in dm-haiku).
        "haiku.testing": """
            transform_and_run check_module ModuleExample ConformanceReport
            ConformanceError CONFORMANCE_CHECKS conformance_examples describe_tree
        """,
        "haiku.mixed_precision": """
            set_policy current_policy get_policy clear_policy push_policy
        """,
        "haiku.experimental": """
            check_jax_usage optimize_rng_use module_auto_repr fast_eval_shape
            rng_reserve_size lift lift_with_state transparent_lift
            transparent_lift_with_state LiftWithStateUpdater layer_stack
            LayerStackTransparencyMapping current_name force_name name_scope
            name_like DO_NOT_STORE get_params get_current_state
            get_initial_state maybe_get_rng_sequence_state
            replace_rng_sequence_state custom_creator custom_getter
            GetterContext intercept_methods MethodContext ParamContext
            partitioning shard_map
        """,
        "haiku.experimental.partitioning": """
            match_rules check_specs named_shardings sharded_init with_logical_axes
            LogicalAxesInit get_logical_axes axis_rules logical_to_mesh constrain
            layers_axis stacked_axis
        """,
    },
    NETS: {
        "haiku": """
            Linear Bias avg_pool AvgPool max_pool MaxPool dropout Sequential
            ConvND Conv1D Conv2D Conv3D ConvNDTranspose Conv1DTranspose
            Conv2DTranspose Conv3DTranspose DepthwiseConv1D DepthwiseConv2D
            DepthwiseConv3D SeparableDepthwiseConv2D get_channel_index
            BatchNorm GroupNorm InstanceNorm LayerNorm RMSNorm SpectralNorm
            ExponentialMovingAverage SNParamsTree EMAParamsTree
            MultiHeadAttention Reshape Flatten BatchApply Embed EmbedLookupStyle
            nets pad
        """,
        "haiku.nets": """
            MLP MobileNetV1 ResNet ResNet18 ResNet34 ResNet50 ResNet101
            ResNet152 ResNet200 VectorQuantizer VectorQuantizerEMA
        """,
        "haiku.pad": """
            PadFn is_padfn create create_from_padfn create_from_tuple causal
            full reverse_causal same valid
        """,
    },
    RNN: {
        "haiku": """
            RNNCore dynamic_unroll static_unroll expand_apply VanillaRNN LSTM
            LSTMState GRU DeepRNN deep_rnn_with_skip_connections ResetCore
            IdentityCore Conv1DLSTM Conv2DLSTM Conv3DLSTM
        """,
    },
    FLAX: {
        "haiku.experimental": "flax",
        "haiku.experimental.flax": "Module lift flatten_flax_to_haiku",
    },
    EXPERIMENTAL: {
        "haiku": "to_dot",
        "haiku.experimental": """
            abstract_to_dot tabulate eval_summary ArraySpec MethodInvocation
            ModuleDetails jaxpr_info to_dot
        """,
        "haiku.experimental.jaxpr_info": """
            make_model_info as_html as_html_page css format_module js estimate_flops
            Expression Module
        """,
    },
}

DISTRIBUTIONS: tuple[Distribution, ...] = tuple(_TABLE)


@functools.cache
def _index() -> dict[str, Distribution]:
    index: dict[str, Distribution] = {}
    for dist, namespaces in _TABLE.items():
        for namespace, names in namespaces.items():
            for name in names.split():
                index.setdefault(f"{namespace}.{name}", dist)
    return index


def provider(qualname: str) -> Distribution | None:
    """The official distribution providing ``qualname``, if there is one.

    >>> provider("haiku.Linear").name
    'haiku-nets'
    >>> provider("haiku.experimental.flax.lift").install
    'pip install "haiku[flax]"'
    >>> provider("haiku.no_such_name") is None
    True
    """
    return _index().get(qualname)


def official_names() -> dict[str, Distribution]:
    """Every official qualified name and the distribution providing it."""
    return dict(_index())


def normalise(name: str) -> str:
    """PEP 503 normalisation of a distribution name: ``Haiku_Nets`` -> ``haiku-nets``."""
    return re.sub(r"[-_.]+", "-", name).lower()
