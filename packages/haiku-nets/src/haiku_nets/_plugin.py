"""Registers what haiku-nets provides with haiku's plugin system."""

from haiku.plugins import exports_from, hookimpl

HAIKU_PLUGIN_API_VERSION = 1

NAMESPACES: tuple[tuple[str, str], ...] = (
    ("haiku.pad", "Padding functions for convolutions (hk.pad.same, ...)."),
    ("haiku.nets", "Full networks (hk.nets.MLP, hk.nets.ResNet50, ...)."),
)
EXPORTS: tuple[tuple[str, str, str], ...] = (
    *exports_from("haiku", "haiku_nets._src.linear", "Linear", "Bias"),
    *exports_from("haiku", "haiku_nets._src.pool", "avg_pool", "AvgPool", "max_pool", "MaxPool"),
    *exports_from("haiku", "haiku_nets._src.dropout", "dropout"),
    *exports_from("haiku", "haiku_nets._src.sequential", "Sequential"),
    *exports_from("haiku", "haiku_nets._src.attention", "MultiHeadAttention"),
    *exports_from("haiku", "haiku_nets._src.reshape", "Reshape", "Flatten"),
    *exports_from("haiku", "haiku_nets._src.batch_apply", "BatchApply"),
    *exports_from("haiku", "haiku_nets._src.embed", "Embed", "EmbedLookupStyle"),
    *exports_from("haiku", "haiku_nets._src.conv", "ConvND", "Conv1D", "Conv2D", "Conv3D"),
    *exports_from(
        "haiku",
        "haiku_nets._src.conv_transpose",
        "ConvNDTranspose",
        "Conv1DTranspose",
        "Conv2DTranspose",
        "Conv3DTranspose",
    ),
    *exports_from(
        "haiku",
        "haiku_nets._src.depthwise_conv",
        "DepthwiseConv1D",
        "DepthwiseConv2D",
        "DepthwiseConv3D",
        "SeparableDepthwiseConv2D",
    ),
    *exports_from("haiku", "haiku_nets._src.data_format", "get_channel_index"),
    *exports_from(
        "haiku",
        "haiku_nets._src.moving_averages",
        "ExponentialMovingAverage",
        "EMAParamsTree",
    ),
    *exports_from("haiku", "haiku_nets._src.spectral_norm", "SpectralNorm", "SNParamsTree"),
    *exports_from("haiku", "haiku_nets._src.batch_norm", "BatchNorm"),
    *exports_from("haiku", "haiku_nets._src.layer_norm", "LayerNorm", "InstanceNorm"),
    *exports_from("haiku", "haiku_nets._src.group_norm", "GroupNorm"),
    *exports_from("haiku", "haiku_nets._src.rms_norm", "RMSNorm"),
    *exports_from(
        "haiku.pad",
        "haiku_nets._src.pad",
        "PadFn",
        "causal",
        "create",
        "create_from_padfn",
        "create_from_tuple",
        "full",
        "is_padfn",
        "reverse_causal",
        "same",
        "valid",
    ),
    *exports_from(
        "haiku.nets",
        "haiku_nets._src.resnet",
        "ResNet",
        "ResNet18",
        "ResNet34",
        "ResNet50",
        "ResNet101",
        "ResNet152",
        "ResNet200",
    ),
    *exports_from("haiku.nets", "haiku_nets._src.mlp", "MLP"),
    *exports_from("haiku.nets", "haiku_nets._src.mobilenet", "MobileNetV1"),
    *exports_from(
        "haiku.nets",
        "haiku_nets._src.vector_quantizer",
        "VectorQuantizer",
        "VectorQuantizerEMA",
    ),
)
"""``(namespace, name, target)`` of each public name: the one list to edit.

After editing, run ``nox -s stubs`` to regenerate the public export modules.
"""


@hookimpl
def haiku_register_exports(registry):
    """Adds this distribution's namespaces and names (:data:`EXPORTS`)."""
    registry.add_table(EXPORTS, namespaces=NAMESPACES)


@hookimpl
def haiku_conformance_examples():
    """This distribution's modules as conformance-kit examples (see haiku_nets._conformance)."""
    from haiku_nets import _conformance

    return _conformance.examples()
