"""A catalogue of misuse: each row is a mistake, the exception it raises and
fragments of its message, which name the module, the argument or parameter
and the shapes involved.

Public ``hk`` API only: ``tests/test_misuse_catalogue.py`` runs every mistake
under our haiku, and ``SCENARIOS`` runs them under dm-haiku 0.0.17 too (the
oracle), each returning the exception's type name and message. Rows run
eagerly on tiny inputs (no compilation beyond single ops).
"""

import warnings

import jax
import jax.numpy as jnp

import haiku as hk

K = jax.random.PRNGKey(0)


def init(fn, *args):
    return hk.transform_with_state(fn).init(K, *args)


def apply_with_init_of(fn, init_args, apply_args, params_of=None):
    """Inits ``params_of or fn`` on ``init_args``, then applies ``fn`` on ``apply_args``."""
    f = hk.transform_with_state(fn)
    params, state = hk.transform_with_state(params_of or fn).init(K, *init_args)
    return f.apply(params, state, None, *apply_args)


def ones(*shape, dtype=jnp.float32):
    return jnp.ones(shape, dtype)


def twice(module, first, second):
    """Calls the same ``module`` on ``first``, then on ``second``."""
    module(first)
    return module(second)


def without_deprecation_warnings(fn):
    """Runs ``fn`` with DeprecationWarnings ignored (the error, not the warning, is checked)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return fn()


class NoSuperInit(hk.Module):
    """A module whose constructor never calls ``super().__init__()``."""

    def __init__(self):
        pass


class ParameterBeforeSuper(hk.Module):
    """A module that makes a parameter before ``super().__init__()``."""

    def __init__(self):
        hk.get_parameter("w", [], init=jnp.zeros)
        super().__init__()


class SubmoduleBeforeSuper(hk.Module):
    """A module that makes a submodule before ``super().__init__()``."""

    def __init__(self):
        hk.Linear(1)
        super().__init__()


def name_scope_used(times, nested):
    """Enters one ``hk.name_scope`` ``times`` times, one after the other or nested."""
    scope = hk.name_scope("scope")
    if nested:
        with scope, scope:
            pass
    else:
        for _ in range(times):
            with scope:
                pass


def lift_with_state_of(fn, use_updater):
    """Lifts the init of ``fn`` with state; calls ``use_updater`` on its updater."""
    lifted, updater = hk.lift_with_state(hk.transform_with_state(fn).init)
    lifted(None)
    use_updater(updater)


def lift_with_state_of_stateless():
    lifted, _ = hk.lift_with_state(hk.transform(lambda: hk.get_parameter(
        "w", [], init=jnp.zeros)).init)
    lifted(None)


def layer_stack_of(layer, *args, num_layers=2, **kwargs):
    return init(lambda: hk.layer_stack(num_layers, **kwargs)(layer)(*args))


def variadic_layer(*x):
    return x


def frozen(mutate):
    """Applies ``mutate`` to an immutable params mapping."""
    mutate(hk.data_structures.to_immutable_dict({"a": {"w": 1}}))


def set_item(mapping):
    mapping["a"] = 2


def set_attribute(mapping):
    mapping.foo = 2


def tabulate_linear(**kwargs):
    return hk.experimental.tabulate(hk.transform(lambda x: hk.Linear(1)(x)), **kwargs)(
        ones(1, 1))


def state():
    """Makes one scalar state."""
    return hk.get_state("s", [], init=jnp.zeros)


CATALOGUE = [
    # (id, mistake, exception type, message fragments)
    # -- wrong input rank / channels ------------------------------------------------
    ("Linear scalar input", lambda: init(lambda x: hk.Linear(2)(x), ones()),
     ValueError, ["linear:", "must not be scalar", "shape ()"]),
    ("Conv2D rank-1 input", lambda: init(lambda x: hk.Conv2D(2, 3)(x), ones(4)),
     ValueError, ["Input to ConvND needs to have rank in [3, 4], but input has shape (4,).",
                  "(conv2_d:", "batched inputs of rank 4 or unbatched ones of rank 3"]),
    ("Conv2D channels changed after init",
     lambda: apply_with_init_of(lambda x: hk.Conv2D(2, 3)(x), [ones(1, 4, 4, 2)],
                                [ones(1, 4, 4, 3)]),
     ValueError, ["'conv2_d/w'", "(3, 3, 2, 2)", "shape=(3, 3, 3, 2)"]),
    ("DepthwiseConv2D channels changed after init",
     lambda: apply_with_init_of(lambda x: hk.DepthwiseConv2D(2, 3)(x), [ones(1, 4, 4, 2)],
                                [ones(1, 4, 4, 3)]),
     ValueError, ["'depthwise_conv2_d/w'", "(3, 3, 1, 4)", "shape=(3, 3, 1, 6)"]),
    ("Linear input size changed after init",
     lambda: apply_with_init_of(lambda x: hk.Linear(2)(x), [ones(1, 3)], [ones(1, 4)]),
     ValueError, ["'linear/w'", "(3, 2)", "[4, 2]"]),
    ("MultiHeadAttention key/value length mismatch",
     lambda: init(lambda q, k, v: hk.MultiHeadAttention(2, 3, w_init=hk.initializers.Constant(0.1))(
                      q, k, v),
                  ones(3, 4), ones(4, 5), ones(3, 5)),
     ValueError, ["multi_head_attention:", "key (4, 5)", "value (3, 5)"]),
    ("LSTM state of the wrong size",
     lambda: init(lambda x: hk.LSTM(3)(x, hk.LSTMState(jnp.zeros([2, 4]), jnp.zeros([2, 4]))),
                  ones(2, 2)),
     TypeError, ["lstm:", "must have shape (2, 3)", "inputs of shape (2, 2)", "(2, 4)"]),
    ("Conv2DLSTM input of another spatial shape",
     lambda: init(lambda x: hk.Conv2DLSTM((3, 3), 2, 3)(
         x, hk.Conv2DLSTM((3, 3), 2, 3).initial_state(1)), ones(1, 4, 4, 2)),
     TypeError, ["conv2_dlstm:", "(1, 4, 4, 2)", "(1, 3, 3, 2)"]),
    ("SpectralNorm input of another width after init",
     lambda: apply_with_init_of(lambda x: hk.SpectralNorm()(x), [ones(3, 4)], [ones(3, 5)]),
     TypeError, ["spectral_norm:", "u0 has shape (1, 4)", "(3, 5)", "(1, 5)"]),
    ("GroupNorm channels not divisible by groups",
     lambda: init(lambda x: hk.GroupNorm(3)(x), ones(1, 2, 2, 4)),
     ValueError, ["group_norm:", "channels=4, groups=3", "(1, 2, 2, 4)"]),
    ("Reshape to an incompatible size",
     lambda: init(lambda x: hk.Reshape((5,))(x), ones(2, 3, 4)),
     TypeError, ["reshape:", "(3, 4) (size 12)", "(2, 3, 4)", "to (5,)"]),
    ("LSTM rank-3 input",
     lambda: init(lambda x: hk.LSTM(3)(x, hk.LSTM(3).initial_state(2)), ones(2, 2, 2)),
     ValueError, ["LSTM input must be rank-1 or rank-2.", "lstm:", "(2, 2, 2)"]),
    ("GRU state of the wrong size",
     lambda: init(lambda x: hk.GRU(3)(x, jnp.zeros([2, 4])), ones(2, 2)),
     TypeError, ["gru:", "must have shape (2, 3)", "(2, 4)"]),
    ("DeepRNN state of another length",
     lambda: init(lambda x: hk.DeepRNN([hk.GRU(2), hk.GRU(2)])(x, (jnp.zeros([1, 2]),)),
                  ones(1, 2)),
     IndexError, ["deep_rnn:", "one entry per RNNCore layer (2), got 1"]),
    ("dynamic_unroll of a scalar sequence",
     lambda: init(lambda x: hk.dynamic_unroll(hk.GRU(2), x, jnp.zeros([2])), ones()),
     IndexError, ["dynamic_unroll:", "needs a time axis"]),
    ("static_unroll of zero steps",
     lambda: init(lambda x: hk.static_unroll(hk.GRU(2), x, jnp.zeros([1, 2])), ones(0, 1, 2)),
     TypeError, ["static_unroll:", "zero time steps"]),
    ("dynamic_unroll of entries with different lengths",
     lambda: init(lambda x, y: hk.dynamic_unroll(
         hk.DeepRNN([lambda v: v["a"] + v["b"]]), {"a": x, "b": y}, ()), ones(3, 2), ones(4, 2)),
     ValueError, ["dynamic_unroll:", "disagree on the number of time steps", "(3, 2)", "(4, 2)"]),
    ("dynamic_unroll batch-major of a rank-1 sequence",
     lambda: init(lambda x: hk.dynamic_unroll(hk.IdentityCore(), x, (), time_major=False),
                  ones(3)),
     IndexError, ["dynamic_unroll:", "time_major=False", "[(3,)]"]),
    ("dynamic_unroll of an empty sequence",
     lambda: init(lambda: hk.dynamic_unroll(hk.IdentityCore(), {}, ())),
     IndexError, ["dynamic_unroll:", "no arrays"]),
    ("ResetCore signal of the wrong shape",
     lambda: init(lambda x: hk.ResetCore(hk.GRU(2))((x, jnp.zeros([3], bool)), jnp.zeros([2, 2])),
                  ones(2, 2)),
     ValueError, ["should_reset signal shape (3,) is not compatible with state shape (2, 2)",
                  "reset_core:"]),
    ("expand_apply along axis 1", lambda: hk.expand_apply(lambda x: x, axis=1),
     ValueError, ["expand_apply currently only supports axis=0 or axis=-1", "axis=1"]),
    # -- params and state that do not fit -------------------------------------------
    ("params of another model",
     lambda: apply_with_init_of(lambda x: hk.Linear(2)(x), [ones(1, 3)], [ones(1, 3)],
                                params_of=lambda x: hk.nets.MLP([2])(x)),
     ValueError, ["parameter 'w' for module 'linear'", "have no 'linear/w'"]),
    ("params that are not a mapping",
     lambda: hk.transform(lambda x: hk.Linear(2)(x)).apply([1, 2], None, ones(1, 3)),
     TypeError, ["params argument does not appear valid", "<class 'list'>"]),
    ("state read in apply without init",
     lambda: hk.transform_with_state(lambda: hk.get_state("s")).apply({}, {}, None),
     ValueError, ["No value for 's' in '~', perhaps set an init function?", "pass `init`"]),
    # -- dtypes -----------------------------------------------------------------------
    ("Embed with float ids", lambda: init(lambda x: hk.Embed(5, 3)(x), ones(2)),
     ValueError, ["hk.Embed's __call__ method must take an array of integer dtype", "float32",
                  "(embed: ids of shape (2,))"]),
    # -- rng --------------------------------------------------------------------------
    ("dropout without a key",
     lambda: hk.transform(lambda x: hk.dropout(hk.next_rng_key(), 0.5, x)).apply(
         {}, None, ones(2)),
     ValueError,
     ["non-None PRNGKey", "`hk.next_rng_key` was called"]),
    ("MLP dropout without rng", lambda: init(lambda x: hk.nets.MLP([2])(x, dropout_rate=0.5),
                                             ones(2, 3)),
     ValueError, ["When using dropout an rng key must be passed"]),
    ("apply with an array for the key",
     lambda: hk.transform(lambda x: x + jax.random.uniform(hk.next_rng_key())).apply(
         {}, jnp.ones([3]), ones(2)),
     ValueError, ["Apply must be called with an RNG as the second argument",
                  "[1. 1. 1.]"]),
    # -- state outside transform_with_state -----------------------------------------------
    ("set_state under hk.transform",
     lambda: hk.transform(lambda: hk.set_state("s", 1.0)).init(K),
     ValueError, ["hk.transform_with_state", "(State found for ['~'].)"]),
    ("set_state outside any transform", lambda: hk.set_state("s", 1.0),
     ValueError, ["hk.set_state", "hk.transform"]),
    # -- invalid constructor arguments ------------------------------------------------------
    ("Conv2D unknown padding",
     lambda: init(lambda x: hk.Conv2D(2, 3, padding="BOGUS")(x), ones(1, 4, 4, 2)),
     RuntimeError, ["conv2_d:", "padding must be", "'BOGUS'"]),
    ("Conv2DTranspose unknown padding",
     lambda: init(lambda x: hk.Conv2DTranspose(2, 3, padding="BOGUS")(x), ones(1, 4, 4, 2)),
     RuntimeError, ["conv2_d_transpose:", "'BOGUS'"]),
    ("MaxPool unknown padding",
     lambda: init(lambda x: hk.MaxPool(2, 2, "BOGUS")(x), ones(1, 4, 4, 2)),
     ValueError, ["Invalid padding 'BOGUS', must be 'SAME' or 'VALID'.", "(max_pool)"]),
    ("ConvND with zero spatial dims",
     lambda: init(lambda x: hk.ConvND(0, 2, 3)(x), ones(1, 4, 2)),
     ValueError, ["We only support convolution operations for `num_spatial_dims` greater than 0, "
                  "received num_spatial_dims=0.", "(conv_nd)"]),
    ("Reshape with two -1", lambda: init(lambda x: hk.Reshape((-1, -1))(x), ones(2, 3, 4)),
     ValueError, ["-1 can only occur once in `output_shape`.", "(reshape:", "(-1, -1)"]),
    ("BatchNorm scale_init without create_scale",
     lambda: init(lambda x: hk.BatchNorm(False, True, 0.9, scale_init=jnp.ones)(x, True),
                  ones(2, 3)),
     ValueError, ["Cannot set `scale_init` if `create_scale=False`.", "(batch_norm)"]),
    ("LayerNorm scale_init without create_scale",
     lambda: init(lambda x: hk.LayerNorm(-1, False, True, scale_init=jnp.ones)(x), ones(2, 3)),
     ValueError, ["Cannot set `scale_init` if `create_scale=False`.", "(layer_norm)"]),
    ("Embed without sizes", lambda: init(lambda x: hk.Embed()(x), ones(2, dtype=jnp.int32)),
     ValueError, ["hk.Embed must be supplied either with an initial `embedding_matrix`",
                  "(embed:", "vocab_size=None, embed_dim=None"]),
    ("Embed unknown lookup style",
     lambda: init(lambda x: hk.Embed(5, 3, lookup_style="BOGUS")(x), ones(2, dtype=jnp.int32)),
     AttributeError, ["BOGUS (embed:", "'BOGUS'", "'ARRAY_INDEX', 'ONE_HOT'"]),
    ("BatchApply num_dims 0",
     lambda: init(lambda x: hk.BatchApply(hk.Linear(2), num_dims=0)(x), ones(2, 3, 4)),
     TypeError, ["BatchApply:", "num_dims must be at least 1, got 0"]),
    ("dropout rate above 1",
     lambda: hk.transform(lambda x: hk.dropout(hk.next_rng_key(), 1.5, x)).apply(
         {}, K, ones(2)),
     ValueError, ["rate must be in [0, 1).", "(dropout: got 1.5.)"]),
    ("ExponentialMovingAverage negative warmup",
     lambda: init(lambda x: hk.ExponentialMovingAverage(0.9, warmup_length=-1)(x), ones(2)),
     ValueError, ["`warmup_length` is -1, but should be non-negative.",
                  "(exponential_moving_average)"]),
    ("Linear negative output size", lambda: init(lambda x: hk.Linear(-1)(x), ones(1, 2)),
     TypeError, ["hk.get_parameter", "'linear/w'", "[2, -1]", "non-negative integer"]),
    ("Linear fractional output size", lambda: init(lambda x: hk.Linear(2.5)(x), ones(1, 2)),
     TypeError, ["'linear/w'", "[2, 2.5]", "non-negative integer"]),
    ("get_state negative shape",
     lambda: init(lambda: hk.get_state("count", [-3], init=jnp.zeros)),
     TypeError, ["hk.get_state", "'~/count'", "[-3]"]),
    ("SpectralNorm zero steps", lambda: init(lambda x: hk.SpectralNorm(n_steps=0)(x), ones(3, 2)),
     ValueError, ["spectral_norm:", "`n_steps` is 0"]),
    # -- haiku-nets: pooling ----------------------------------------------------------------
    ("MaxPool window of more entries than input axes",
     lambda: init(lambda x: hk.MaxPool((1, 2, 2, 1, 1), 1, "VALID")(x), ones(1, 4, 4, 2)),
     AssertionError, ["max_pool", "(1, 2, 2, 1, 1)", "(1, 4, 4, 2)"]),
    ("avg_pool channel axis beyond the input",
     lambda: hk.avg_pool(ones(1, 4, 4, 2), 2, 2, "VALID", channel_axis=5),
     ValueError, ["Invalid channel axis 5 for (1, 4, 4, 2)", "avg_pool"]),
    ("MaxPool zero window", lambda: init(lambda x: hk.MaxPool(0, 1, "VALID")(x), ones(1, 4, 4, 2)),
     TypeError, ["max_pool", "window_shape (1, 0, 0, 1)", "positive"]),
    # -- haiku-nets: normalization --------------------------------------------------------------
    ("GroupNorm rank changed after init",
     lambda: init(lambda x, y: twice(hk.GroupNorm(2), x, y), ones(1, 2, 2, 4), ones(1, 2, 4)),
     ValueError, ["The rank of the inputs cannot change between calls", "rank=4", "rank=3",
                  "group_norm:", "(1, 2, 4)"]),
    ("GroupNorm scale at call time with create_scale",
     lambda: init(lambda x: hk.GroupNorm(2)(x, scale=jnp.ones([4])), ones(1, 2, 2, 4)),
     ValueError, ["Cannot pass `scale` at call time if `create_scale=True`.", "(group_norm)"]),
    ("LayerNorm offset_init without create_offset",
     lambda: init(lambda x: hk.LayerNorm(-1, True, False, offset_init=jnp.zeros)(x), ones(2, 3)),
     ValueError, ["Cannot set `offset_init` if `create_offset=False`.", "(layer_norm)"]),
    ("LayerNorm axis of another type",
     lambda: init(lambda x: hk.LayerNorm("a", True, True)(x), ones(2, 3)),
     ValueError, ["`axis` should be an int, slice or iterable of ints.", "layer_norm"]),
    ("LayerNorm axis out of range",
     lambda: init(lambda x: hk.LayerNorm(3, True, True)(x), ones(2, 3)),
     ValueError, ["layer_norm:", "(3,)", "(2, 3)"]),
    ("LayerNorm offset at call time with create_offset",
     lambda: init(lambda x: hk.LayerNorm(-1, False, True)(x, offset=jnp.zeros([3])), ones(2, 3)),
     ValueError, ["Cannot pass `offset` at call time if `create_offset=True`.", "(layer_norm)"]),
    ("LayerNorm scalar input", lambda: init(lambda x: hk.LayerNorm(-1, True, True)(x), ones()),
     ValueError, ["layer_norm:", "shape ()"]),
    ("RMSNorm scale_init without create_scale",
     lambda: init(lambda x: hk.RMSNorm(-1, create_scale=False, scale_init=jnp.ones)(x),
                  ones(2, 3)),
     ValueError, ["Cannot set `scale_init` if `create_scale=False`.", "(rms_norm)"]),
    ("RMSNorm scalar input", lambda: init(lambda x: hk.RMSNorm(-1)(x), ones()),
     ValueError, ["rms_norm:", "shape ()"]),
    ("BatchNorm index groups without cross-replica axis",
     lambda: init(lambda x: hk.BatchNorm(True, True, 0.9,
                                         cross_replica_axis_index_groups=[[0]])(x, True),
                  ones(2, 3)),
     ValueError, ["`cross_replica_axis` name must be specifiedif", "(batch_norm:"]),
    ("BatchNorm axis out of range",
     lambda: init(lambda x: hk.BatchNorm(True, True, 0.9, axis=[5])(x, True), ones(2, 3)),
     IndexError, ["batch_norm:", "(5,)", "(2, 3)"]),
    ("RMSNorm axis out of range", lambda: init(lambda x: hk.RMSNorm(2)(x), ones(2, 3)),
     IndexError, ["rms_norm:", "(2,)", "(2, 3)"]),
    # -- haiku-nets: convolutions -------------------------------------------------------------
    ("Conv2D zero feature groups",
     lambda: init(lambda x: hk.Conv2D(2, 3, feature_group_count=0)(x), ones(1, 4, 4, 2)),
     ValueError, ["conv2_d:", "feature_group_count must be >= 1, got 0"]),
    ("Conv2D input channels not a multiple of feature groups",
     lambda: init(lambda x: hk.Conv2D(2, 3, feature_group_count=2)(x), ones(1, 4, 4, 3)),
     ValueError, ["Inputs channels 3 should be a multiple of feature_group_count 2",
                  "conv2_d:", "(1, 4, 4, 3)"]),
    ("Conv2D output channels not a multiple of feature groups",
     lambda: init(lambda x: hk.Conv2D(3, 3, feature_group_count=2)(x), ones(1, 4, 4, 2)),
     ValueError, ["conv2_d:", "output_channels=3", "feature_group_count=2"]),
    ("Conv2D kernel shape of three entries",
     lambda: init(lambda x: hk.Conv2D(2, (3, 3, 3))(x), ones(1, 4, 4, 2)),
     TypeError, ["kernel_shape must be a scalar or sequence of length 1 or sequence of length 2.",
                 "(3, 3, 3)"]),
    ("Conv2D padding that is not a pair",
     lambda: init(lambda x: hk.Conv2D(2, 3, padding=[(1,), (1,)])(x), ones(1, 4, 4, 2)),
     ValueError, ["conv2_d:", "padding", "(1,)"]),
    ("Conv2D empty padding",
     lambda: init(lambda x: hk.Conv2D(2, 3, padding=[])(x), ones(1, 4, 4, 2)),
     IndexError, ["conv2_d:", "padding is empty"]),
    ("Conv2DTranspose output shape the input cannot give",
     lambda: init(lambda x: hk.Conv2DTranspose(2, 3, stride=2, output_shape=(12, 12))(x),
                  ones(1, 4, 4, 2)),
     ValueError, ["The expected input size with the current set of input parameters is 6 which "
                  "doesn't match the actual input size 4.", "conv2_d_transpose:"]),
    ("Conv2DTranspose output shape with explicit padding",
     lambda: init(lambda x: hk.Conv2DTranspose(2, 3, output_shape=(4, 4),
                                               padding=[(1, 1), (1, 1)])(x), ones(1, 4, 4, 2)),
     ValueError, ["When specifying `output_shape`, ensure that paddding is 'VALID' or 'SAME'.",
                  "conv2_d_transpose:"]),
    ("ConvNDTranspose with zero spatial dims",
     lambda: init(lambda x: hk.ConvNDTranspose(0, 2, 3)(x), ones(1, 4, 2)),
     ValueError, ["We only support convolution operations for `num_spatial_dims` greater than 0, "
                  "received num_spatial_dims=0.", "(conv_nd_transpose)"]),
    # -- haiku-nets: other modules ----------------------------------------------------------------
    ("MLP b_init without bias",
     lambda: init(lambda x: hk.nets.MLP([2], with_bias=False, b_init=jnp.zeros)(x), ones(1, 2)),
     ValueError, ["When with_bias=False b_init must not be set."]),
    ("MLP rng without dropout",
     lambda: init(lambda x: hk.nets.MLP([2])(x, rng=K), ones(1, 2)),
     ValueError, ["RNG should only be passed when using dropout."]),
    ("MLP reversed before it is called",
     lambda: init(lambda x: hk.nets.MLP([2]).reverse()(x), ones(1, 2)),
     ValueError, ["You cannot reverse an MLP until it has been called."]),
    ("MobileNetV1 strides and channels of other lengths",
     lambda: init(lambda x: hk.nets.MobileNetV1(strides=(1, 2), channels=(8,))(x, True),
                  ones(1, 8, 8, 3)),
     ValueError, ["`strides` and `channels` must have the same length.", "mobile_net_v1:"]),
    ("ResNet blocks_per_group of three entries",
     lambda: init(lambda x: hk.nets.ResNet((1, 1, 1), 10)(x, True), ones(1, 8, 8, 3)),
     ValueError, ["`blocks_per_group` must be of length 4 not 3", "res_net:", "(1, 1, 1)"]),
    ("ResNet use_projection of two entries",
     lambda: init(lambda x: hk.nets.ResNet((1, 1, 1, 1), 10, use_projection=(True, True))(
         x, True), ones(1, 8, 8, 3)),
     IndexError, ["res_net:", "(True, True)"]),
    ("MultiHeadAttention both w_init and w_init_scale",
     lambda: without_deprecation_warnings(lambda: init(
         lambda x: hk.MultiHeadAttention(2, 3, w_init_scale=1.0, w_init=jnp.ones)(x, x, x),
         ones(3, 4))),
     ValueError, ["Please provide only `w_init`, not `w_init_scale`.", "multi_head_attention:"]),
    ("MultiHeadAttention without w_init",
     lambda: init(lambda x: hk.MultiHeadAttention(2, 3)(x, x, x), ones(3, 4)),
     ValueError, ["Please provide a weight initializer: `w_init`.", "multi_head_attention:"]),
    ("MultiHeadAttention mask of another rank",
     lambda: init(lambda x: hk.MultiHeadAttention(2, 3, w_init=jnp.ones)(
         x, x, x, mask=jnp.ones([3, 3])), ones(3, 4)),
     ValueError, ["Mask dimensionality 2 must match logits dimensionality 3.",
                  "multi_head_attention:", "(3, 3)", "(2, 3, 3)"]),
    ("MultiHeadAttention rank-1 query",
     lambda: init(lambda x, y: hk.MultiHeadAttention(2, 3, w_init=jnp.ones)(x, y, y),
                  ones(4), ones(3, 4)),
     ValueError, ["multi_head_attention:", "query", "shape (4,)"]),
    ("ExponentialMovingAverage warmup with zero debiasing",
     lambda: init(lambda x: hk.ExponentialMovingAverage(0.9, zero_debias=True,
                                                        warmup_length=2)(x), ones(2)),
     ValueError, ["Zero debiasing does not make sense when warming up the value of the average",
                  "(exponential_moving_average: warmup_length=2.)"]),
    ("ExponentialMovingAverage value of another shape after init",
     lambda: apply_with_init_of(lambda x: hk.ExponentialMovingAverage(0.9)(x), [ones(2)],
                                [ones(3)]),
     TypeError, ["exponential_moving_average:", "(3,)", "(2,)"]),
    ("EMAParamsTree of a non-mapping",
     lambda: init(lambda: hk.EMAParamsTree(0.9)([1.0])),
     AttributeError, ["'list' object has no attribute 'items'", "ema_params_tree"]),
    ("VectorQuantizerEMA decay above 1",
     lambda: init(lambda x: hk.nets.VectorQuantizerEMA(2, 3, 0.25, 1.5)(x, is_training=True),
                  ones(1, 2)),
     ValueError, ["decay must be in range [0, 1]", "vector_quantizer_ema: got 1.5"]),
    ("VectorQuantizer inputs of another width",
     lambda: init(lambda x: hk.nets.VectorQuantizer(2, 3, 0.25)(x, is_training=True),
                  ones(1, 3)),
     TypeError, ["vector_quantizer:", "embedding_dim=2", "(1, 3)"]),
    ("Reshape preserve_dims 0",
     lambda: init(lambda x: hk.Reshape((-1,), preserve_dims=0)(x), ones(2, 3)),
     ValueError, ["Argument preserve_dims should be non-zero.", "(reshape:"]),
    ("Reshape to a float size",
     lambda: init(lambda x: hk.Reshape((2.5,))(x), ones(2, 3)),
     TypeError, ["reshape:", "(2.5,)"]),
    ("Reshape to a negative size",
     lambda: init(lambda x: hk.Reshape((-2,))(x), ones(2, 3)),
     TypeError, ["reshape:", "(-2,)"]),
    ("dropout broadcast dimension beyond the input",
     lambda: hk.dropout(K, 0.5, ones(2, 3), broadcast_dims=(3,)),
     ValueError, ["Broadcast dimension does not exist. Got dimension 3 for shape [2, 3].",
                  "dropout:"]),
    ("dropout broadcast dimension equal to the rank",
     lambda: hk.dropout(K, 0.5, ones(2, 3), broadcast_dims=(2,)),
     IndexError, ["dropout:", "broadcast dimension 2", "[2, 3]"]),
    ("Embed lookup style of another type",
     lambda: init(lambda x: hk.Embed(5, 3, lookup_style=3)(x), ones(2, dtype=jnp.int32)),
     NotImplementedError, ["3 is not supported by hk.Embed.", "(embed:"]),
    ("Embed rank-1 embedding matrix",
     lambda: init(lambda x: hk.Embed(embedding_matrix=jnp.ones([5]))(x),
                  ones(2, dtype=jnp.int32)),
     IndexError, ["embed:", "shape (5,)"]),
    ("Embed rank-3 embedding matrix",
     lambda: init(lambda x: hk.Embed(embedding_matrix=jnp.ones([5, 3, 2]))(x),
                  ones(2, dtype=jnp.int32)),
     ValueError, ["'embed/embeddings' with retrieved shape (5, 3, 2)", "(embed:",
                  "got shape (5, 3, 2)"]),
    ("Embed vocab size that disagrees with the matrix",
     lambda: init(lambda x: hk.Embed(4, embedding_matrix=jnp.ones([5, 3]))(x),
                  ones(2, dtype=jnp.int32)),
     ValueError, ["An `embedding_matrix` was supplied but the `vocab_size` of 4 was not "
                  "consistent with its shape (5, 3).", "(embed:"]),
    # -- haiku-core: modules and names ---------------------------------------------------
    ("Module constructed outside any transform", lambda: hk.Linear(2),
     ValueError, ["All `hk.Module`s must be initialized inside an `hk.transform`.",
                  "(tried to construct Linear)"]),
    ("Module without its super constructor", lambda: init(NoSuperInit),
     ValueError, ["without calling the super constructor is not supported",
                  "super(NoSuperInit, self).__init__()"]),
    ("get_parameter before the super constructor", lambda: init(ParameterBeforeSuper),
     ValueError, ["The super constructor must be called before you create parameters or "
                  "submodules.", "`hk.get_parameter`", "ParameterBeforeSuper"]),
    ("submodule before the super constructor", lambda: init(SubmoduleBeforeSuper),
     ValueError, ["The super constructor must be called before you create parameters or "
                  "submodules.", "SubmoduleBeforeSuper"]),
    ("Module name with a slash", lambda: init(lambda: hk.Linear(2, name="a/b")),
     ValueError, ["'a/b' is not a valid module name (must be a valid Python identifier)"]),
    ("Module name of another type", lambda: init(lambda: hk.Linear(2, name=3)),
     ValueError, ["3 is not a valid module name"]),
    ("to_module of a lambda", lambda: init(lambda: hk.to_module(lambda x: x)()),
     ValueError, ["'<lambda>' is not a valid module name", "pass `name=`"]),
    ("name_scope outside any transform", lambda: hk.name_scope("a"),
     ValueError, ["`hk.name_scope` must be used as part of an `hk.transform`"]),
    ("name_scope with a leading slash", lambda: init(lambda: hk.name_scope("/a")),
     ValueError, ["Name scopes must not start with /", "'/a'"]),
    ("name_scope reused", lambda: init(lambda: name_scope_used(2, nested=False)),
     ValueError, ["name_scope is not reusable", "make a new `hk.name_scope(...)`"]),
    ("name_scope re-entered", lambda: init(lambda: name_scope_used(2, nested=True)),
     ValueError, ["name_scope is not reentrant", "already active"]),
    ("force_name of an empty string", lambda: init(lambda: hk.force_name("")),
     ValueError, ["hk.force_name needs a non-empty string, got ''."]),
    ("Deferred attribute the module lacks",
     lambda: init(lambda: hk.Deferred(lambda: hk.Linear(1)).bogus),
     AttributeError, ["'Deferred' object has no attribute 'bogus'", "('__call__',)"]),
    # -- haiku-core: parameters, state and keys -------------------------------------------
    ("get_parameter outside any transform",
     lambda: hk.get_parameter("w", [], init=jnp.zeros),
     ValueError, ["`hk.get_parameter` must be used as part of an `hk.transform`"]),
    ("get_parameter without init", lambda: init(lambda: hk.get_parameter("w", [])),
     ValueError, ["Initializer must be specified.", "'~/w' is a new parameter"]),
    ("get_parameter of another shape",
     lambda: init(lambda: (hk.get_parameter("w", [2], init=jnp.zeros),
                           hk.get_parameter("w", [3], init=jnp.zeros))),
     ValueError, ["'~/w' with retrieved shape (2,) does not match shape=[3]"]),
    ("get_state without init", lambda: init(lambda: hk.get_state("s")),
     ValueError, ["No value for 's' in '~', perhaps set an init function?"]),
    ("get_state init without shape", lambda: init(lambda: hk.get_state("s", init=jnp.zeros)),
     ValueError, ["Must provide shape and dtype to initialize 's' in '~'.", "pass `shape`"]),
    ("running_init outside any transform", lambda: hk.running_init(),
     ValueError, ["`hk.running_init` must be used as part of an `hk.transform`"]),
    ("DO_NOT_STORE shape", lambda: hk.DO_NOT_STORE.shape,
     ValueError, ["DO_NOT_STORE does not have a shape."]),
    ("next_rng_key outside any transform", lambda: hk.next_rng_key(),
     ValueError, ["`hk.next_rng_key` must be used as part of an `hk.transform`"]),
    ("maybe_next_rng_key outside any transform", lambda: hk.maybe_next_rng_key(),
     ValueError, ["`hk.maybe_next_rng_key` must be used as part of an `hk.transform`"]),
    ("with_rng outside any transform", lambda: hk.with_rng(K).__enter__(),
     ValueError, ["`hk.with_rng` must be used as part of an `hk.transform`"]),
    ("next_rng_key without a key", lambda: hk.transform(lambda: hk.next_rng_key()).init(None),
     ValueError, ["You must pass a non-None PRNGKey to init and/or apply",
                  "(`hk.next_rng_key` was called.)"]),
    ("init with a string for the key", lambda: hk.transform(lambda: 1).init("key"),
     ValueError, ["Init must be called with an RNG as the first argument", "<class 'str'>"]),
    ("PRNGSequence of a string", lambda: hk.PRNGSequence("abc"),
     ValueError, ["The provided key is not a JAX PRNGKey but a <class 'str'>:\nabc"]),
    ("PRNGSequence of a key of the wrong shape",
     lambda: hk.PRNGSequence(jnp.zeros([3], jnp.uint32)),
     ValueError, ["expected=(shape=(2,), dtype=uint32), actual=(shape=(3,), dtype=uint32)"]),
    # -- haiku-core: transforms -----------------------------------------------------------
    ("transform of a jitted function", lambda: hk.transform(jax.jit(lambda: 1)),
     ValueError, ["A common error with Haiku is to pass an already jit",
                  "(A jitted function was given to hk.transform.)"]),
    ("transform with apply_rng", lambda: hk.transform(lambda: 1, apply_rng=False),
     ValueError, ["The apply_rng argument has been removed"]),
    ("without_apply_rng of a plain function", lambda: hk.without_apply_rng(lambda: 1),
     ValueError, ["Must be called with the result of `hk.transformed`", "<class 'function'>"]),
    ("vmap without split_rng", lambda: init(lambda: hk.vmap(lambda x: x)(ones(2))),
     TypeError, ["Haiku now requires the split_rng argument to be passed to hk.vmap."]),
    ("cond with operand and positional operands",
     lambda: init(lambda: hk.cond(True, lambda x: x, lambda x: x, 1, operand=1)),
     ValueError, ["When the operand keyword argument is used you cannot also pass operands "
                  "positionally. Got operand=1 and *operands=(1,)", "hk.cond"]),
    ("lift outside any transform", lambda: hk.lift(hk.transform(lambda: 1).init),
     ValueError, ["`hk.lift` must be used as part of an `hk.transform`"]),
    ("lift of a stateful init",
     lambda: init(lambda: hk.lift(hk.transform_with_state(state).init)(None)),
     ValueError, ["For stateful lifted functions use `hk.lift_with_state`"]),
    ("lift_with_state of a stateless init", lambda: init(lift_with_state_of_stateless),
     ValueError, ["hk.lift_with_state expects `init_fn` to return `(params, state)`"]),
    ("LiftWithStateUpdater used twice",
     lambda: init(lambda: lift_with_state_of(
         state, lambda u: (u.ignore_update(), u.ignore_update()))),
     ValueError, ["State updater must only be used once."]),
    ("LiftWithStateUpdater left unused", lambda: init(lambda: lift_with_state_of(
        state, lambda u: None)),
     ValueError, ["LiftWithStateUpdater (from `lift_with_state`) must be used"]),
    ("layer_stack of a function with *args", lambda: layer_stack_of(variadic_layer, ones(2)),
     ValueError, ["should not have any `varargs` (that is *args) argument.",
                  "positionalarguments", "`variadic_layer` takes *args"]),
    ("layer_stack per-layer input of another length",
     lambda: layer_stack_of(lambda x, y: (x, y), ones(2), ones(3, 2),
                            with_per_layer_inputs=True),
     AssertionError, ["3 != 2", "leading axis of size 2", "(3, 2)"]),
    ("layer_stack per-layer output that is not a pair",
     lambda: layer_stack_of(lambda x, y: x, ones(2), ones(2, 2), with_per_layer_inputs=True),
     TypeError, ["must return a pair `(carry, per_layer_output)`"]),
    ("layer_stack of negative num_layers",
     lambda: layer_stack_of(lambda x: x, ones(2), num_layers=-1),
     ValueError, ["num_layers must be non-negative, got -1."]),
    ("layer_stack transparent without a map",
     lambda: layer_stack_of(lambda x: x, ones(2), transparent=True),
     ValueError, ["transparency_map must be provided with transparent=True."]),
    # -- haiku-core: data structures, initializers, functions, config ----------------------
    ("partition_n index out of range",
     lambda: hk.data_structures.partition_n(lambda m, n, v: 5, {"a": {"w": ones(1)}}, 2),
     AssertionError, ["5 must be in range [0, 2)"]),
    ("partition_n index of another type",
     lambda: hk.data_structures.partition_n(lambda m, n, v: "x", {"a": {"w": ones(1)}}, 2),
     TypeError, ["partition_n's fn must return an int", "'x'", "a.w"]),
    ("merge of duplicates of another shape",
     lambda: hk.data_structures.merge({"a": {"w": ones(1)}}, {"a": {"w": ones(2)}},
                                      check_duplicates=True),
     ValueError, ["Duplicate array found with different shape/dtype for a.w: f32[1] vs f32[2]."]),
    ("FlatMap item assignment", lambda: frozen(set_item),
     TypeError, ["'FlatMap' object does not support item assignment"]),
    ("FlatMap attribute assignment", lambda: frozen(set_attribute),
     AttributeError, ["'FlatMap' object has no attribute 'foo'", "immutable"]),
    ("tree_size of strings", lambda: hk.data_structures.tree_size({"a": {"w": "s"}}),
     TypeError, ["tree_size expects a pytree of arrays", "type str"]),
    ("VarianceScaling negative scale", lambda: hk.initializers.VarianceScaling(-1.0),
     ValueError, ["`scale` must be a positive float."]),
    ("VarianceScaling unknown mode", lambda: hk.initializers.VarianceScaling(mode="x"),
     ValueError, ["Invalid `mode` argument: 'x'", "'fan_avg'"]),
    ("VarianceScaling unknown distribution",
     lambda: hk.initializers.VarianceScaling(distribution="x"),
     ValueError, ["Invalid `distribution` argument: 'x'", "'uniform'"]),
    ("Orthogonal of a 1-D shape", lambda: hk.initializers.Orthogonal()([3], jnp.float32),
     ValueError, ["Orthogonal initializer requires at least a 2D shape."]),
    ("Orthogonal axis out of range",
     lambda: hk.initializers.Orthogonal(axis=3)([2, 2], jnp.float32),
     IndexError, ["axis 3 is out of bounds for array of dimension 2"]),
    ("Identity of a 1-D shape", lambda: hk.initializers.Identity()([3], jnp.float32),
     ValueError, ["Identity initializer requires at least a 2D shape."]),
    ("RandomNormal of an int dtype",
     lambda: init(lambda: hk.get_parameter("w", [2], jnp.int32,
                                           init=hk.initializers.RandomNormal())),
     ValueError, ["dtype argument to `normal` must be a float or complex dtype, got", "int32"]),
    ("multinomial of scalar logits", lambda: hk.multinomial(K, jnp.ones([]), 2),
     IndexError, ["multinomial needs logits with at least one dimension", "shape ()"]),
    ("config.set of an unknown option", lambda: hk.config.set(bogus=True),
     TypeError, ["set() got an unexpected keyword argument 'bogus'"]),
    ("config.context of an unknown option", lambda: hk.config.context(bogus=True),
     TypeError, ["context() got an unexpected keyword argument 'bogus'"]),
    # -- haiku-experimental -------------------------------------------------------------------
    ("tabulate of an unknown column", lambda: tabulate_linear(columns=("bogus",)),
     ValueError, ["Invalid column(s) ['bogus'], valid columns ['module', 'config',"]),
    ("tabulate columns given as a string", lambda: tabulate_linear(columns="module"),
     ValueError, ["Invalid column(s) ['m', 'o', 'd', 'u', 'l', 'e']",
                  "did you mean ('module',)?"]),
    ("tabulate of an unknown filter", lambda: tabulate_linear(filters=("bogus",)),
     ValueError, ["Invalid filter(s) ['bogus'], valid filters ['has_output', 'has_params']"]),
    ("eval_summary of a number", lambda: hk.experimental.eval_summary(3)(ones(1)),
     TypeError, ["eval_summary expects a function", "got int: 3"]),
    ("to_dot of a number", lambda: hk.experimental.to_dot(3)(ones(1)),
     TypeError, ["hk.to_dot expects a function, got int: 3"]),
    ("make_model_info of a number",
     lambda: hk.experimental.jaxpr_info.make_model_info(3)(ones(1)),
     TypeError, ["make_model_info expects a function, got int: 3"]),
]


def _raised(mistake):
    """What ``mistake`` raised, as JSON: its type, the names of every class it is
    an instance of (an ``except`` for any of them catches it) and its message;
    ``None`` for each if nothing was raised."""
    try:
        mistake()
    except Exception as error:  # noqa: BLE001 - recorded, not handled
        return {"type": type(error).__name__,
                "types": [cls.__name__ for cls in type(error).__mro__],
                "message": str(error)}
    return {"type": None, "types": None, "message": None}


SCENARIOS = {row[0]: (lambda mistake=row[1]: _raised(mistake)) for row in CATALOGUE}
