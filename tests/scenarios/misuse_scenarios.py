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
]


def _raised(mistake):
    """What ``mistake`` raised, as JSON: ``{"type": ..., "message": ...}`` (or ``None``)."""
    try:
        mistake()
    except Exception as error:  # noqa: BLE001 - recorded, not handled
        return {"type": type(error).__name__, "message": str(error)}
    return {"type": None, "message": None}


SCENARIOS = {row[0]: (lambda mistake=row[1]: _raised(mistake)) for row in CATALOGUE}
