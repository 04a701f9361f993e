"""``hk.initializers``: bit parity with dm-haiku, distributions, shapes, errors.

The cases of ``scenarios/initializers_scenarios.py`` run here and, on this
same machine, under dm-haiku 0.0.17 (the ``dm_haiku`` fixture of
``tests/oracle``); every output, eager and jitted, must agree bit for bit.
"""

from __future__ import annotations

import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from haiku_oracle import differences, entry_path, flatten, load_module

import haiku as hk
from haiku._src import random_keys
from haiku._src import initializers as inits
from haiku._src.initializers import _compute_fans

scenarios = load_module(Path(__file__).parent / "scenarios" / "initializers_scenarios.py")
CASE_NAMES = [case[0] for case in scenarios.CASES]


def theirs_by_path(dm_haiku, name):
    """dm-haiku's entries of scenario ``name``, by path."""
    return {entry_path(e): e for e in dm_haiku.theirs(scenarios, name)}


@pytest.fixture
def fixed_key(monkeypatch):
    """Makes ``random_keys.next_rng_key`` hand out one given key, exactly once."""
    calls = []

    def install(key):
        def next_rng_key():
            calls.append(key)
            if len(calls) > 1:
                raise AssertionError("initializer drew more than one key")
            return key

        monkeypatch.setattr(random_keys, "next_rng_key", next_rng_key)
        return calls

    return install


def sample(init, shape, dtype=jnp.float32, seed=0):
    """Runs ``init`` as a parameter initializer inside ``hk.transform``."""

    def f():
        return hk.get_parameter("w", shape, dtype, init=init)

    return hk.transform(f).init(jax.random.PRNGKey(seed))["~"]["w"]


# Parity with dm-haiku.


@pytest.mark.parametrize("seed", range(len(CASE_NAMES)), ids=CASE_NAMES)
def test_matches_dm_haiku_with_the_same_key(seed, dm_haiku, fixed_key):
    """Our initializer alone, given the key dm-haiku's initializer received, draws the same."""
    case = scenarios.CASES[seed]
    name, _, _, shape, dtype = case
    calls = fixed_key(jax.random.split(jax.random.PRNGKey(seed))[1])
    out = scenarios.make(case)(shape, jnp.dtype(dtype))
    assert differences(flatten({"out": out}), [theirs_by_path(dm_haiku, name)["out"]]) == []
    deterministic = case[1] in ("Constant", "Identity")
    assert len(calls) == (0 if deterministic else 1)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_matches_dm_haiku_end_to_end_eager_and_jit(name, dm_haiku):
    """The same through our transform and ``with_rng``, eagerly and under jit."""
    dm_haiku.assert_matches(scenarios, name)


def test_dm_haiku_gives_initializers_the_first_key_of_with_rng(dm_haiku):
    # test_matches_dm_haiku_with_the_same_key hands split(PRNGKey(seed))[1] to
    # our initializers: the key dm-haiku's with_rng gives first.
    for seed, name in enumerate(CASE_NAMES):
        want = np.asarray(jax.random.split(jax.random.PRNGKey(seed))[1])
        assert differences(flatten({"key": want}), [theirs_by_path(dm_haiku, name)["key"]]) == []


@pytest.mark.parametrize(
    "init",
    [
        hk.initializers.RandomNormal(),
        hk.initializers.TruncatedNormal(),
        hk.initializers.VarianceScaling(),
        hk.initializers.Orthogonal(),
    ],
    ids=repr,
)
def test_typed_keys_give_the_same_numbers(init):
    def f(key):
        with hk.with_rng(key):
            return init([4, 4], jnp.float32)

    apply = hk.transform(f).apply
    raw = apply({}, None, jax.random.PRNGKey(3))
    typed = apply({}, None, jax.random.key(3))
    np.testing.assert_array_equal(raw, typed)


def test_default_linear_init_matches_dm_haiku_facts():
    # Linear's default: TruncatedNormal(1 / sqrt(fan_in)) drawn from the first
    # key of the transform's sequence.
    fan_in = 5
    w = sample(hk.initializers.TruncatedNormal(stddev=1 / np.sqrt(fan_in)), [fan_in, 3])
    key = jax.random.split(jax.random.PRNGKey(0))[1]
    want = jax.random.truncated_normal(key, -2.0, 2.0, (fan_in, 3)) * np.float32(1 / np.sqrt(5))
    np.testing.assert_array_equal(w, want)


# Distributions: statistics of large samples.

N = 200_000


def test_random_normal_statistics():
    x = np.asarray(sample(hk.initializers.RandomNormal(stddev=2.0, mean=1.0), [N]))
    assert abs(x.mean() - 1.0) < 0.02
    assert abs(x.std() - 2.0) < 0.02
    assert x.min() < -5 and x.max() > 7  # Not truncated.


def test_random_uniform_statistics():
    x = np.asarray(sample(hk.initializers.RandomUniform(minval=-3.0, maxval=5.0), [N]))
    assert x.min() >= -3.0 and x.max() < 5.0
    assert abs(x.mean() - 1.0) < 0.03
    assert abs(x.std() - 8 / math.sqrt(12)) < 0.02
    assert x.min() < -2.99 and x.max() > 4.99


def test_truncated_normal_statistics():
    x = np.asarray(sample(hk.initializers.TruncatedNormal(stddev=0.5, mean=1.0), [N]))
    assert x.min() >= 0.0 and x.max() <= 2.0
    assert abs(x.mean() - 1.0) < 0.01
    # A standard normal cut at +-2 has standard deviation 0.8796...
    assert abs(x.std() - 0.5 * 0.87962566) < 0.005


def test_truncated_normal_asymmetric_bounds():
    x = np.asarray(
        sample(hk.initializers.TruncatedNormal(stddev=2.0, mean=-1.0, lower=0.0, upper=1.0), [N])
    )
    assert x.min() >= -1.0 and x.max() <= 1.0

    # Mean of a standard normal truncated to [0, 1]: (phi(0) - phi(1)) / (Phi(1) - Phi(0)).
    def pdf(t):
        return math.exp(-t * t / 2) / math.sqrt(2 * math.pi)

    def cdf(t):
        return 0.5 * (1 + math.erf(t / math.sqrt(2)))

    z_mean = (pdf(0) - pdf(1)) / (cdf(1) - cdf(0))
    assert abs(x.mean() - (-1.0 + 2.0 * z_mean)) < 0.01


def test_truncated_normal_complex():
    x = np.asarray(
        sample(hk.initializers.TruncatedNormal(stddev=1.0, mean=1 + 2j), [N], jnp.complex64)
    )
    assert x.dtype == np.complex64
    for part, centre in ((x.real, 1.0), (x.imag, 2.0)):
        assert part.min() >= centre - 2 and part.max() <= centre + 2
        assert abs(part.mean() - centre) < 0.01
        assert abs(part.std() - 0.87962566) < 0.01
    assert abs(np.corrcoef(x.real, x.imag)[0, 1]) < 0.01  # Independent parts.


def _jaxprs(init, shape, dtype, reference):
    """Jaxprs (text) of ``init`` and of ``reference(next_rng_key)`` in a transform."""

    def ours(key):
        return hk.transform(lambda: init(shape, dtype)).init(key)

    def theirs(key):
        return hk.transform(lambda: reference(hk.next_rng_key)).init(key)

    key = jax.random.PRNGKey(0)
    return str(jax.make_jaxpr(ours)(key)), str(jax.make_jaxpr(theirs)(key))


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16, jnp.complex64])
@pytest.mark.parametrize("stddev, mean", [(0.5, 1.0), (np.float32(0.3), 0.0),
                                          (np.full([4, 3], 0.5, np.float32), 0.0),
                                          (0.5, np.arange(3, dtype=np.float32))])
def test_scale_and_shift_are_the_jnp_expressions(dtype, stddev, mean):
    # Scalars of the sample's dtype are bound with lax directly, the rest with
    # jnp; either way the program is ``stddev * z + mean`` / ``mean + stddev * z``.
    shape, real = (4, 3), jnp.finfo(dtype).dtype
    cast = jax.lax.convert_element_type

    def truncated(next_key):
        m, s = cast(mean, dtype), cast(stddev, real)
        z = jax.random.truncated_normal(
            next_key(), -2.0, 2.0, (2, *shape) if real != dtype else shape, real)
        if real != dtype:
            z = jax.lax.complex(z[0], z[1])
        return s * z + m

    def normal(next_key):
        m, s = cast(mean, dtype), cast(stddev, dtype)
        return m + s * jax.random.normal(next_key(), shape, dtype)

    for init, reference in ((hk.initializers.TruncatedNormal(stddev, mean), truncated),
                            (hk.initializers.RandomNormal(stddev, mean), normal)):
        ours, theirs = _jaxprs(init, shape, dtype, reference)
        assert ours == theirs, type(init).__name__


VS_SHAPE = [3, 3, 64, 128]  # fan_in = 576, fan_out = 1152.


@pytest.mark.parametrize("mode, n", [("fan_in", 576), ("fan_out", 1152), ("fan_avg", 864)])
@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "uniform"])
def test_variance_scaling_statistics(mode, n, distribution):
    scale = 2.0
    init = hk.initializers.VarianceScaling(scale, mode, distribution)
    x = np.asarray(sample(init, VS_SHAPE))
    target = math.sqrt(scale / n)
    assert abs(x.mean()) < 0.01 * target * 10
    assert abs(x.std() / target - 1) < 0.01
    if distribution == "truncated_normal":
        assert np.abs(x).max() <= 2 * target / 0.87962566 * (1 + 1e-6)
    elif distribution == "uniform":
        limit = math.sqrt(3 * scale / n)
        assert np.abs(x).max() <= limit
        assert np.abs(x).max() > 0.99 * limit


def test_variance_scaling_fan_in_axes_statistics():
    # Attention-like weight [model, heads, head_size]: fan in over the first axis.
    init = hk.initializers.VarianceScaling(1.0, "fan_in", "normal", fan_in_axes=[0])
    x = np.asarray(sample(init, [256, 8, 64]))
    assert abs(x.std() * math.sqrt(256) - 1) < 0.02


def test_uniform_scaling_statistics():
    x = np.asarray(sample(hk.initializers.UniformScaling(scale=2.0), [12, 5000]))
    limit = 2.0 * math.sqrt(3 / 12)
    assert np.abs(x).max() <= limit
    assert np.abs(x).max() > 0.999 * limit
    assert abs(x.std() - limit / math.sqrt(3)) < 0.01


# Orthogonal.


@pytest.mark.parametrize(
    "shape, axis",
    [
        ([4, 4], -1),
        ([3, 7], -1),
        ([7, 3], -1),
        ([2, 3, 8], -1),
        ([5, 2, 3], 0),
        ([2, 6, 3], 1),
        ([3, 5], 0),
        ([4, 2, 3], -2),
    ],
)
def test_orthogonal_is_orthonormal(shape, axis):
    scale = 1.5
    w = np.asarray(sample(hk.initializers.Orthogonal(scale=scale, axis=axis), shape))
    assert w.shape == tuple(shape)
    rows = np.moveaxis(w, axis, 0).reshape(shape[axis], -1) / scale
    n_rows, n_cols = rows.shape
    if n_rows <= n_cols:
        gram = rows @ rows.T  # Orthonormal rows.
    else:
        gram = rows.T @ rows  # Orthonormal columns.
    np.testing.assert_allclose(gram, np.eye(min(n_rows, n_cols)), atol=2e-6)


def test_orthogonal_complex_is_unitary():
    w = np.asarray(sample(hk.initializers.Orthogonal(), [5, 5], jnp.complex64))
    assert w.dtype == np.complex64
    np.testing.assert_allclose(w @ w.conj().T, np.eye(5), atol=2e-6)
    assert np.abs(w.imag).max() > 0.05


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
def test_orthogonal_low_precision_is_float32_cast(dtype):
    # dm-haiku cannot QR-decompose 16-bit floats; ours draws in float32 and casts.
    w16 = sample(hk.initializers.Orthogonal(), [6, 6], dtype)
    w32 = sample(hk.initializers.Orthogonal(), [6, 6], jnp.float32)
    assert w16.dtype == dtype
    np.testing.assert_array_equal(w16, w32.astype(dtype))


def test_orthogonal_haar_distribution():
    # With the sign correction, Q is Haar distributed: the mean of each entry is
    # 0 (without it, the diagonal would be biased).
    apply = hk.transform(lambda: hk.initializers.Orthogonal()([3, 3], jnp.float32)).apply
    keys = jax.random.split(jax.random.PRNGKey(1), 4000)
    qs = np.asarray(jax.vmap(lambda key: apply({}, key))(keys))
    assert np.abs(qs.mean(axis=0)).max() < 0.05
    np.testing.assert_allclose((qs**2).mean(axis=0), np.full((3, 3), 1 / 3), atol=0.03)


# Deterministic initializers.


def test_constant_scalar_and_array():
    init = hk.initializers.Constant(3)
    np.testing.assert_array_equal(init([2], jnp.int32), np.array([3, 3], np.int32))
    init = hk.initializers.Constant(jnp.arange(3.0))
    out = init([2, 3], jnp.float16)
    assert out.dtype == jnp.float16
    np.testing.assert_array_equal(out, np.array([[0, 1, 2], [0, 1, 2]], np.float16))
    assert hk.initializers.Constant(1.0)([], jnp.float32).shape == ()
    assert hk.initializers.Constant(2.7)([2], jnp.int32).tolist() == [2, 2]


def test_constant_does_not_broadcast_incompatible_shapes():
    with pytest.raises(ValueError):
        hk.initializers.Constant(jnp.arange(3.0))([2, 2], jnp.float32)


def test_identity():
    out = hk.initializers.Identity()([2, 3], jnp.float32)
    np.testing.assert_array_equal(out, np.eye(2, 3, dtype=np.float32))
    out = hk.initializers.Identity(gain=2.0)([4, 2, 2], jnp.float32)
    np.testing.assert_array_equal(out, np.broadcast_to(2 * np.eye(2), (4, 2, 2)))
    out = hk.initializers.Identity(gain=3)([2, 2], jnp.int32)
    assert out.dtype == jnp.int32 and out.tolist() == [[3, 0], [0, 3]]
    out = hk.initializers.Identity(gain=1j)([2, 2], jnp.complex64)
    np.testing.assert_array_equal(out, 1j * np.eye(2))


def test_deterministic_initializers_work_outside_transforms():
    hk.initializers.Constant(1.0)([2], jnp.float32)
    hk.initializers.Identity()([2, 2], jnp.float32)


@pytest.mark.parametrize(
    "init",
    [
        hk.initializers.RandomNormal(),
        hk.initializers.RandomUniform(),
        hk.initializers.TruncatedNormal(),
        hk.initializers.VarianceScaling(),
        hk.initializers.UniformScaling(),
        hk.initializers.Orthogonal(),
    ],
    ids=lambda i: type(i).__name__,
)
def test_random_initializers_need_a_transform(init):
    with pytest.raises(ValueError, match="must be used as part of an `hk.transform`"):
        init([2, 2], jnp.float32)


# Shapes and dtypes.


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16, jnp.float16])
@pytest.mark.parametrize(
    "init",
    [
        hk.initializers.RandomNormal(),
        hk.initializers.RandomUniform(),
        hk.initializers.TruncatedNormal(),
        hk.initializers.VarianceScaling(),
        hk.initializers.VarianceScaling(distribution="uniform"),
        hk.initializers.UniformScaling(),
        hk.initializers.Orthogonal(),
        hk.initializers.Constant(0.5),
        hk.initializers.Identity(),
    ],
    ids=repr,
)
def test_output_dtype_and_shape(init, dtype):
    for shape in ([3, 4], (2, 3, 4)):
        out = sample(init, shape, dtype)
        assert out.shape == tuple(shape)
        assert out.dtype == dtype


def test_shape_may_be_an_int_or_tuple():
    def f():
        return hk.initializers.RandomNormal()(3, jnp.float32)

    def g():
        return hk.initializers.VarianceScaling()((3, 4), jnp.float32)

    assert hk.transform(f).apply({}, jax.random.PRNGKey(0)).shape == (3,)
    assert hk.transform(g).apply({}, jax.random.PRNGKey(0)).shape == (3, 4)


def test_empty_shapes():
    for init in (hk.initializers.VarianceScaling(), hk.initializers.UniformScaling()):
        assert sample(init, [0, 4]).shape == (0, 4)
        assert sample(init, [4, 0]).shape == (4, 0)
    assert sample(hk.initializers.Orthogonal(), [0, 3]).shape == (0, 3)


def test_scalar_shapes():
    assert sample(hk.initializers.VarianceScaling(), []).shape == ()
    assert sample(hk.initializers.UniformScaling(), []).shape == ()
    assert sample(hk.initializers.TruncatedNormal(), []).shape == ()


# Fans.


@pytest.mark.parametrize(
    "shape, fan_in_axes, fans",
    [
        ([], None, (1, 1)),
        ([7], None, (7, 7)),
        ([7], [0], (7, 7)),  # fan_in_axes only applies from rank 3.
        ([3, 4], None, (3, 4)),
        ([3, 4], [1], (3, 4)),
        ([5, 3, 4], None, (15, 20)),
        ([3, 3, 4, 5], None, (36, 45)),
        ([2, 2, 2, 4, 6], None, (32, 48)),
        ([2, 3, 4], [0, 1], (6, 4)),
        ([2, 3, 4], [0, 2], (8, 3)),
        ([2, 3, 4], [1], (3, 8)),
        ([2, 3, 4], [], (1, 24)),
        # A negative axis counts for the fan in but is not removed from the
        # fan out (dm-haiku's behaviour, kept for identical numbers).
        ([2, 3, 4], [-1], (4, 24)),
    ],
)
def test_compute_fans(shape, fan_in_axes, fans):
    assert _compute_fans(shape, fan_in_axes) == fans


def test_variance_scaling_uses_at_least_one_unit():
    # fan 0 would divide by zero: n is max(1, fan).
    x = sample(hk.initializers.VarianceScaling(mode="fan_in", distribution="normal"), [0, 4])
    assert x.shape == (0, 4)


# Errors.


def test_variance_scaling_argument_errors():
    with pytest.raises(ValueError) as info:
        hk.initializers.VarianceScaling(scale=-1.0)
    assert str(info.value) == "`scale` must be a positive float."
    with pytest.raises(ValueError) as info:
        hk.initializers.VarianceScaling(mode="foo")
    assert str(info.value) == (
        "Invalid `mode` argument: 'foo'. Expected one of ('fan_in', 'fan_out', 'fan_avg')."
    )
    with pytest.raises(ValueError) as info:
        hk.initializers.VarianceScaling(distribution="bar")
    assert str(info.value) == (
        "Invalid `distribution` argument: 'bar'. "
        "Expected one of ('truncated_normal', 'normal', 'uniform')."
    )
    hk.initializers.VarianceScaling(scale=0.0)  # Zero is allowed, as in dm-haiku.


@pytest.mark.parametrize("cls", [hk.initializers.Identity, hk.initializers.Orthogonal])
@pytest.mark.parametrize("shape", [[], [3]])
def test_identity_and_orthogonal_need_2d(cls, shape):
    with pytest.raises(ValueError) as info:
        sample(cls(), shape)
    assert str(info.value) == f"{cls.__name__} initializer requires at least a 2D shape."


@pytest.mark.parametrize(
    "init, name",
    [
        (hk.initializers.TruncatedNormal(), "TruncatedNormal"),
        (hk.initializers.VarianceScaling(), "VarianceScaling"),
        (hk.initializers.VarianceScaling(distribution="uniform"), "VarianceScaling"),
        (hk.initializers.Orthogonal(), "Orthogonal"),
    ],
    ids=repr,
)
def test_integer_dtypes_are_rejected(init, name):
    with pytest.raises(ValueError) as info:
        sample(init, [3, 3], jnp.int32)
    assert str(info.value) == (
        f"{name} draws random numbers and needs a floating point or complex dtype, got int32."
    )


def test_jax_errors_for_unsupported_dtypes_pass_through():
    # JAX words the dtype differently across versions ("int32", "<class 'jax.numpy.int32'>").
    with pytest.raises(ValueError, match="must be a float or complex dtype, got .*int32"):
        sample(hk.initializers.RandomNormal(), [3], jnp.int32)
    with pytest.raises(ValueError, match="must be a float dtype, got .*complex64"):
        sample(hk.initializers.RandomUniform(), [3], jnp.complex64)


def test_orthogonal_axis_out_of_range():
    with pytest.raises(np.exceptions.AxisError) as info:
        sample(hk.initializers.Orthogonal(axis=5), [3, 3])
    # Both a ValueError and an IndexError (dm-haiku raised IndexError).
    assert isinstance(info.value, ValueError) and isinstance(info.value, IndexError)
    assert "axis 5 is out of bounds for array of dimension 2" in str(info.value)


# Misc.


def test_reprs_and_attributes():
    assert repr(hk.initializers.TruncatedNormal()) == (
        "TruncatedNormal(stddev=1.0, mean=0.0, lower=-2.0, upper=2.0)"
    )
    assert repr(hk.initializers.VarianceScaling(2.0, "fan_avg", "uniform")) == (
        "VarianceScaling(scale=2.0, mode='fan_avg', distribution='uniform', fan_in_axes=None)"
    )
    assert repr(hk.initializers.Constant(1)) == "Constant(constant=1)"
    init = hk.initializers.RandomNormal(2.0, 1.0)
    assert (init.stddev, init.mean) == (2.0, 1.0)
    init = hk.initializers.Orthogonal(scale=3.0, axis=0)
    assert (init.scale, init.axis) == (3.0, 0)


def test_defaults_match_the_spec():
    assert vars(hk.initializers.RandomNormal()) == {"stddev": 1.0, "mean": 0.0}
    assert vars(hk.initializers.RandomUniform()) == {"minval": 0.0, "maxval": 1.0}
    assert vars(hk.initializers.TruncatedNormal()) == {
        "stddev": 1.0,
        "mean": 0.0,
        "lower": -2.0,
        "upper": 2.0,
    }
    assert vars(hk.initializers.VarianceScaling()) == {
        "scale": 1.0,
        "mode": "fan_in",
        "distribution": "truncated_normal",
        "fan_in_axes": None,
    }
    assert vars(hk.initializers.UniformScaling()) == {"scale": 1.0}
    assert vars(hk.initializers.Orthogonal()) == {"scale": 1.0, "axis": -1}
    assert vars(hk.initializers.Identity()) == {"gain": 1.0}


def test_initializer_alias():
    assert hk.initializers.Initializer is inits.Initializer
    from collections.abc import Callable

    assert hk.initializers.Initializer.__origin__ is Callable


def test_public_names():
    for name in inits.__all__:
        assert getattr(hk.initializers, name) is getattr(inits, name)
