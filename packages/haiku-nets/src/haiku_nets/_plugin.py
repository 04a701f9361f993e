"""Registers what haiku-nets provides with haiku's plugin system."""

from haiku.plugins import hookimpl

HAIKU_PLUGIN_API_VERSION = 1


@hookimpl
def haiku_register_exports(registry):
    """Adds this distribution's public names to the haiku namespaces."""
    for name in ("Linear", "Bias"):
        registry.add("haiku", name, f"haiku_nets._src.linear:{name}")
    for module, names in (
        ("pool", ("avg_pool", "AvgPool", "max_pool", "MaxPool")),
        ("dropout", ("dropout",)),
        ("sequential", ("Sequential",)),
        ("attention", ("MultiHeadAttention",)),
        ("reshape", ("Reshape", "Flatten")),
        ("batch_apply", ("BatchApply",)),
        ("embed", ("Embed", "EmbedLookupStyle")),
    ):
        for name in names:
            registry.add("haiku", name, f"haiku_nets._src.{module}:{name}")
    # Convolutions and hk.pad.
    for module, names in (
        ("conv", ("ConvND", "Conv1D", "Conv2D", "Conv3D")),
        ("conv_transpose",
         ("ConvNDTranspose", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")),
        ("depthwise_conv",
         ("DepthwiseConv1D", "DepthwiseConv2D", "DepthwiseConv3D", "SeparableDepthwiseConv2D")),
        ("data_format", ("get_channel_index",)),
    ):
        for name in names:
            registry.add("haiku", name, f"haiku_nets._src.{module}:{name}")
    # Moving averages.
    for name in ("ExponentialMovingAverage", "EMAParamsTree"):
        registry.add("haiku", name, f"haiku_nets._src.moving_averages:{name}")
    for name in ("SpectralNorm", "SNParamsTree"):
        registry.add("haiku", name, f"haiku_nets._src.spectral_norm:{name}")
    # Normalization.
    registry.add("haiku", "BatchNorm", "haiku_nets._src.batch_norm:BatchNorm")
    for module, names in (
        ("layer_norm", ("LayerNorm", "InstanceNorm")),
        ("group_norm", ("GroupNorm",)),
        ("rms_norm", ("RMSNorm",)),
    ):
        for name in names:
            registry.add("haiku", name, f"haiku_nets._src.{module}:{name}")
    registry.add_namespace("haiku.pad", "Padding functions for convolutions (hk.pad.same, ...).")
    for name in ("PadFn", "causal", "create", "create_from_padfn", "create_from_tuple", "full",
                 "is_padfn", "reverse_causal", "same", "valid"):
        registry.add("haiku.pad", name, f"haiku_nets._src.pad:{name}")
    registry.add_namespace("haiku.nets", "Full networks (hk.nets.MLP, hk.nets.ResNet50, ...).")
    for module, names in (
        ("resnet", ("ResNet", "ResNet18", "ResNet34", "ResNet50", "ResNet101", "ResNet152",
                    "ResNet200")),
        ("mlp", ("MLP",)),
        ("mobilenet", ("MobileNetV1",)),
        ("vector_quantizer", ("VectorQuantizer", "VectorQuantizerEMA")),
    ):
        for name in names:
            registry.add("haiku.nets", name, f"haiku_nets._src.{module}:{name}")


@hookimpl
def haiku_conformance_examples():
    """This distribution's modules as conformance-kit examples (see haiku_nets._conformance)."""
    from haiku_nets import _conformance

    return _conformance.examples()
