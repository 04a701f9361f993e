"""A catalogue of misuse: each row is a mistake, the exception it raises and
fragments of its message, which name the module, the argument or parameter
and the shapes involved.

Public ``hk`` API only: ``tests/test_misuse_catalogue.py`` runs every mistake
under our haiku, and ``SCENARIOS`` runs them under dm-haiku 0.0.17 too (the
oracle), each returning the exception's type name and message. Rows run
eagerly on tiny inputs (no compilation beyond single ops).
"""

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
]


def _raised(mistake):
    """What ``mistake`` raised, as JSON: ``{"type": ..., "message": ...}`` (or ``None``)."""
    try:
        mistake()
    except Exception as error:  # noqa: BLE001 - recorded, not handled
        return {"type": type(error).__name__, "message": str(error)}
    return {"type": None, "message": None}


SCENARIOS = {row[0]: (lambda mistake=row[1]: _raised(mistake)) for row in CATALOGUE}
