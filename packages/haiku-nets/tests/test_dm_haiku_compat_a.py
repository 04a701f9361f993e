"""Behaviour that dm-haiku 0.0.17's own tests (and side-by-side runs) expect of
Bias, Reshape, hk.pad, Embed, the moving averages, MultiHeadAttention and the
ResNet blocks: dm-haiku's exception types, its wording first in each message
(our context after it), public attributes and the defaults it fills in."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import haiku as hk

KEY = jax.random.PRNGKey(0)


def init(fn, *args):
    return hk.transform_with_state(fn).init(KEY, *args)


def run(fn):
    """``fn()``'s result when run inside ``init`` of a transform with state."""
    results = []
    hk.transform_with_state(lambda: results.append(fn())).init(KEY)
    return results[0]


def random(*shape, seed=0):
    return np.asarray(np.random.RandomState(seed).randn(*shape), np.float32)


# Bias -----------------------------------------------------------------------


def test_bias_output_size_mismatch_starts_with_dm_haiku_wording():
    with pytest.raises(ValueError, match=r"^Input shape must be [(]-1, 4[)] not \(2, 2, 2\) "
                                         r"\(bias: output_size=\(4,\)"):
        init(lambda x: hk.Bias(output_size=(4,))(x), jnp.ones([2, 2, 2]))


def test_bias_dims_out_of_range():
    with pytest.raises(ValueError, match=r"^Dimension 5 \(bias_dims=\(1, 5\)\) out of range for "
                                         r"input of rank 3\. \(bias: inputs of shape \(1, 2, 3\)"):
        init(lambda x: hk.Bias(bias_dims=[1, 5])(x), jnp.ones([1, 2, 3]))


@pytest.mark.parametrize("bias_dims", [[0], [-3], [2, 0]])
def test_bias_over_the_batch_axis_is_refused(bias_dims):
    with pytest.raises(ValueError, match=r"^Cannot apply bias across the minibatch dimension\. "
                                         r"\(bias: "):
        init(lambda x: hk.Bias(bias_dims=bias_dims)(x), jnp.ones([2, 1, 3]))


def test_bias_needs_a_batch_axis():
    with pytest.raises(ValueError, match=r"^Input .* must have rank >= 2 \(bias: .*got shape "
                                         r"\(3,\)\)"):
        init(lambda x: hk.Bias()(x), jnp.ones([3]))


@pytest.mark.parametrize("shape,bias_dims,bias_shape", [
    ((2, 1, 3), [1, 2], (3,)),      # leading size-1 axes of the bias are dropped
    ((2, 1, 3), [1], ()),           # a bias over size-1 axes only is a scalar
    ((2, 1, 3), [-5], ()),          # negative axes wrap as in dm-haiku (-5 % 3 == 1)
    ((2, 4, 3), [1], (4, 1)),
    ((2, 1, 3), None, (1, 3)),
])
def test_bias_shape_matches_dm_haiku(shape, bias_dims, bias_shape):
    x = random(*shape)
    b_init = lambda s, d: jnp.asarray(random(*s, seed=1), d)  # noqa: E731
    f = hk.transform(lambda x: hk.Bias(bias_dims=bias_dims, b_init=b_init)(x))
    params = f.init(None, x)
    assert params["bias"]["b"].shape == bias_shape
    expected = x + random(*bias_shape, seed=1)  # NumPy broadcasting from the right
    np.testing.assert_allclose(f.apply(params, None, x), expected, rtol=1e-6)


# Reshape --------------------------------------------------------------------


@pytest.mark.parametrize("make", [lambda: hk.Flatten(preserve_dims=0),
                                  lambda: hk.Reshape((-1,), preserve_dims=0)])
def test_zero_preserve_dims_message(make):
    with pytest.raises(ValueError, match=r"^Argument preserve_dims should be non-zero\."):
        hk.transform(make).apply({}, None)


@pytest.mark.parametrize("output_shape", [[7, "string"], [7.0], [2, None]])
def test_reshape_output_shape_must_hold_integers(output_shape):
    def f():
        return hk.Reshape(output_shape=output_shape)(np.ones([1, 2, 3]))

    with pytest.raises(TypeError, match=r"^Shapes must be 1D sequences of concrete values of "
                                        r"integer type, got .* \(reshape: "):
        hk.transform(f).init(None)


def test_reshape_accepts_numpy_integers():
    x = random(2, 3, 4)
    out = hk.transform(lambda x: hk.Reshape([np.int64(4), -1])(x)).apply({}, None, x)
    np.testing.assert_array_equal(out, x.reshape(2, 4, 3))


# hk.pad ---------------------------------------------------------------------


@pytest.mark.parametrize("kernel,rate,name", [(2, (2, 2), "rate"), (3, (4, 4, 4, 4), "rate"),
                                              ((2, 2), 3, "kernel"), ((4, 4, 4, 4), 3, "kernel")])
def test_pad_kernel_and_rate_lengths(kernel, rate, name):
    with pytest.raises(TypeError, match=rf"^{name} must be a scalar or sequence of length 1 or "
                                        r"sequence of length 3\. \(got "):
        hk.pad.create_from_padfn(hk.pad.full, kernel, rate, 3)


def test_pad_padfn_sequence_length():
    with pytest.raises(TypeError, match=r"^padding must be a scalar or sequence of length 1 or "
                                        r"sequence of length 3\."):
        hk.pad.create_from_padfn([hk.pad.same, hk.pad.full], 3, 1, 3)


def test_pad_tuple_sequence_length():
    with pytest.raises(TypeError, match=r"^Padding \[\(1, 1\), \(2, 20\)\] must be a "
                                        r"Tuple\[int, int\] or sequence of length 1 or sequence "
                                        r"of length 3\."):
        hk.pad.create_from_tuple([(1, 1), (2, 20)], 3)


@pytest.mark.parametrize("padding", [(), []])
def test_pad_tuple_must_not_be_empty(padding):
    with pytest.raises(AssertionError, match=r"^Padding must not be empty\."):
        hk.pad.create_from_tuple(padding, 2)


def test_pad_values_unchanged():
    assert hk.pad.create_from_padfn((hk.pad.causal, hk.pad.full), 3, (1, 1), 2) == (
        (2, 0), (2, 2))
    # effective kernel (4 - 1) * 3 + 1 = 10: "same" pads 4 before, 5 after.
    assert hk.pad.create_from_padfn(hk.pad.same, 4, 3, 2) == ((4, 5), (4, 5))
    assert hk.pad.create_from_tuple([(1, 1), (2, 20)], 2) == ((1, 1), (2, 20))


# Embed ----------------------------------------------------------------------

MATRIX = random(5, 3)
IDS = np.array([4, 0, 2, 2, 1, 3, 0, 4], np.int32)


def test_embed_lookup_style_is_checked_when_called():
    def f():
        embed = hk.Embed(embedding_matrix=MATRIX, lookup_style="FOO")  # no error yet
        return embed(IDS)

    with pytest.raises(AttributeError, match=r"^FOO \(embed: invalid lookup_style 'FOO'; use "
                                             r"one of 'ARRAY_INDEX', 'ONE_HOT'"):
        init(f)


def test_embed_lookup_style_of_another_type():
    with pytest.raises(NotImplementedError, match=r"^3 is not supported by hk\.Embed\. "):
        init(lambda: hk.Embed(embedding_matrix=MATRIX)(IDS, lookup_style=3))


@pytest.mark.parametrize("style", ["ARRAY_INDEX", "ONE_HOT"])
@pytest.mark.parametrize("numpy_params", [False, True])
def test_embed_with_closed_over_params_under_jit(style, numpy_params):
    f = hk.transform(lambda ids: hk.Embed(embedding_matrix=MATRIX, lookup_style=style)(ids))
    params = f.init(None, IDS)
    if numpy_params:
        params = jax.device_get(params)
    out = jax.jit(lambda ids: f.apply(params, None, ids))(IDS)
    np.testing.assert_allclose(out, MATRIX[IDS], rtol=1e-6)


def test_embed_matrix_of_rank_1():
    with pytest.raises(IndexError, match=r"^tuple index out of range \(embed: `embedding_matrix` "
                                         r"must be a \[vocab_size, embed_dim\] matrix, got shape "
                                         r"\(5,\)"):
        init(lambda: hk.Embed(embedding_matrix=np.ones([5])))


def test_embed_constructor_messages():
    with pytest.raises(ValueError, match=r"^hk.Embed must be supplied either with an initial "
                                         r"`embedding_matrix` or with `embed_dim` and "
                                         r"`vocab_size`\. \(embed: got vocab_size=3"):
        init(lambda: hk.Embed(vocab_size=3))
    with pytest.raises(ValueError, match=r"^An `embedding_matrix` was supplied but the "
                                         r"`embed_dim` of 4 was not consistent with its shape "
                                         r"\(5, 3\)\. \(embed: "):
        init(lambda: hk.Embed(embedding_matrix=MATRIX, embed_dim=4))


# Moving averages ------------------------------------------------------------


@pytest.mark.parametrize("legacy", [True, False])
def test_ema_initialize(legacy):
    def f():
        ema = hk.ExponentialMovingAverage(0.99)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ema.initialize(jnp.ones([2], jnp.bfloat16) if legacy else [2])
        before = ema.average
        ema(jnp.array([100.0, 50.0]))
        ema.initialize([2])  # the state exists: a no-op
        return before, ema.average, caught

    before, after, caught = run(f)
    assert before.shape == (2,) and not before.any()
    assert before.dtype == (jnp.bfloat16 if legacy else jnp.float32)
    # One debiased update: the average is the value itself.
    np.testing.assert_allclose(np.asarray(after, np.float32), [100.0, 50.0], rtol=1e-2)
    deprecations = [w for w in caught if w.category is DeprecationWarning]
    if legacy:
        (warning,) = deprecations
        assert str(warning.message).startswith(
            "Passing a value into initialize instead of a shape/dtype is deprecated.")
    else:
        assert not deprecations


def test_ema_public_attributes():
    def f():
        ema = hk.ExponentialMovingAverage(0.5, zero_debias=False, warmup_length=3)
        tree = hk.EMAParamsTree(0.25, zero_debias=False, warmup_length=2, ignore_regex=".*/b")
        return ((ema.decay, ema.zero_debias, ema.warmup_length),
                (tree.decay, tree.zero_debias, tree.warmup_length, tree.ignore_regex))

    assert run(f) == ((0.5, False, 3), (0.25, False, 2, ".*/b"))


def test_ema_constructor_messages():
    with pytest.raises(ValueError, match=r"^`warmup_length` is -2, but should be non-negative\."):
        init(lambda: hk.ExponentialMovingAverage(0.9, warmup_length=-2))
    with pytest.raises(ValueError, match=r"^Zero debiasing does not make sense when warming up the "
                                         r"value of the average to an initial value\. Set "
                                         r"zero_debias=False if setting warmup_length to a "
                                         r"non-zero value\. \(exponential_moving_average: "
                                         r"warmup_length=2\.\)"):
        init(lambda: hk.ExponentialMovingAverage(0.9, warmup_length=2))


# MultiHeadAttention ---------------------------------------------------------

VS = hk.initializers.VarianceScaling(1.0)


def test_attention_w_init_messages():
    def both():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            hk.MultiHeadAttention(2, 3, w_init_scale=1.0, w_init=VS)

    with pytest.raises(ValueError, match=r"^Please provide only `w_init`, not `w_init_scale`\."):
        init(both)
    with pytest.raises(ValueError, match=r"^Please provide a weight initializer: `w_init`\. "
                                         r"`w_init` will become mandatory once `w_init_scale` is "
                                         r"fully deprecated\."):
        init(lambda: hk.MultiHeadAttention(2, 3))
    with pytest.warns(DeprecationWarning, match=r"^w_init_scale is deprecated; please pass an "
                                                r"explicit weight initialiser instead\."):
        init(lambda: hk.MultiHeadAttention(2, 3, w_init_scale=1.0))


def test_attention_mask_rank_message():
    x = jnp.ones([4, 3])
    with pytest.raises(ValueError, match=r"^Mask dimensionality 2 must match logits "
                                         r"dimensionality 3\. \(multi_head_attention: "):
        init(lambda x: hk.MultiHeadAttention(2, 3, w_init=VS)(x, x, x, mask=jnp.ones([4, 4])), x)


def test_attention_key_and_value_leading_axes_broadcast():
    query, key, value = random(3, 4, 5), random(1, 6, 5, seed=1), random(3, 6, 5, seed=2)

    def f(q, k, v):
        return hk.MultiHeadAttention(2, 3, w_init=VS)(q, k, v)

    f = hk.transform(f)
    params = f.init(KEY, query, key, value)
    out = f.apply(params, None, query, key, value)
    expected = f.apply(params, None, query, np.broadcast_to(key, (3, 6, 5)), value)
    assert out.shape == (3, 4, 6)
    # Two programs (a broadcast key, a full one): XLA may order the sums
    # differently (JAX 0.12's does, by a few ulps).
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


# ResNet ---------------------------------------------------------------------


@pytest.mark.parametrize("block,bn_config,decay", [
    (hk.nets.ResNet.BlockV1, {}, 0.999),
    (hk.nets.ResNet.BlockV1, {"decay_rate": 0.9}, 0.9),
    (hk.nets.ResNet.BlockV2, {"decay_rate": 0.9}, 0.9),
])
def test_resnet_blocks_fill_in_bn_defaults(block, bn_config, decay):
    x = random(2, 4, 4, 3)

    def f(x):
        return block(channels=4, stride=1, use_projection=True, bn_config=bn_config,
                     bottleneck=False)(x, True, False)

    params, state = init(f, x)
    norms = [name for name in params if "batchnorm" in name]
    assert norms and all(set(params[name]) == {"offset", "scale"} for name in norms)
    # After one training step the debiased average is the batch statistic and
    # the hidden accumulator holds (1 - decay) of it.
    _, state = hk.transform_with_state(f).apply(params, state, None, x)
    ema = state[f"{block.__name__.lower().replace('v', '_v')}/~/batchnorm_1/~/var_ema"]
    np.testing.assert_allclose(ema["hidden"], (1 - decay) * ema["average"], rtol=1e-4)


def test_resnet_block_v2_needs_a_decay_rate():
    with pytest.raises(TypeError, match="decay_rate"):
        init(lambda: hk.nets.ResNet.BlockV2(4, 1, True, {}, False))


def test_resnet_use_projection_length():
    with pytest.raises(IndexError, match=r"^index out of range: `use_projection` needs an entry "
                                         r"for each of the 4 block groups \(res_net: "):
        init(lambda: hk.nets.ResNet([1, 1, 1, 1], 10, use_projection=[True]))
    # Like dm-haiku, extra entries are ignored.
    net = run(lambda: hk.nets.ResNet([1, 1, 1, 1], 10, use_projection=[True] * 5))
    assert len(net.block_groups) == 4


@pytest.mark.parametrize("argument", ["blocks_per_group", "channels_per_group", "strides"])
def test_resnet_group_lengths_message(argument):
    kwargs = {"blocks_per_group": [1, 1, 1, 1], argument: [1, 2]}
    with pytest.raises(ValueError, match=rf"^`{argument}` must be of length 4 not 2 \(res_net: "):
        init(lambda: hk.nets.ResNet(num_classes=10, **kwargs))


@pytest.mark.parametrize("module", [hk.EMAParamsTree, hk.SNParamsTree])
@pytest.mark.parametrize("tree,kind", [([jnp.ones(2)], "list"), ({"w": jnp.ones(2)}, "ArrayImpl"),
                                       ({"linear": None}, "NoneType")])
def test_params_tree_wrappers_reject_what_is_not_a_params_tree(module, tree, kind):
    with pytest.raises(AttributeError, match=rf"^'{kind}' object has no attribute 'items' "
                                             r"\(.*: expected a params tree"):
        init(lambda: module(0.9)(tree))


@pytest.mark.parametrize("as_input,error", [(jnp.asarray, TypeError), (np.asarray, ValueError)])
def test_reshape_incompatible_size_error_type_follows_the_input(as_input, error):
    # dm-haiku's jnp.reshape raises TypeError; a NumPy input is reshaped by NumPy: ValueError.
    with pytest.raises(error, match=r"^reshape: cannot reshape the trailing axes \(2, 3\) "
                                    r"\(size 6\) of the input of shape \(1, 2, 3\) to \(4,\)"):
        init(lambda x: hk.Reshape([4])(x), as_input(np.ones([1, 2, 3], np.float32)))


# Messages and dtypes dm-haiku's users see.


def test_get_channel_index_message_is_dm_haikus_verbatim():
    with pytest.raises(ValueError) as info:
        hk.get_channel_index("XYZ")
    assert str(info.value) == (
        "Unable to extract channel information from 'XYZ'. Valid data formats are spatial "
        "(e.g.`NCHW`), sequential (e.g. `BTHWD`), `channels_first` and `channels_last`).")


def test_linear_scalar_input_message():
    f = hk.transform(lambda x: hk.nets.MLP([3], name="head")(x))
    with pytest.raises(ValueError, match=r"^Input must not be scalar\. "
                       r"\(head/~/linear_0: Linear got shape \(\)\.\)$"):
        f.init(jax.random.PRNGKey(0), jnp.ones([]))

