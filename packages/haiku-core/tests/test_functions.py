"""``hk.one_hot`` and ``hk.multinomial`` (deprecated in the spec, kept working).

The ``hk.multinomial`` cases of ``scenarios/functions_scenarios.py`` run here
and, on this same machine, under dm-haiku 0.0.17 (the ``dm_haiku`` fixture
of ``tests/oracle``); the samples must agree exactly. dm-haiku emits no
deprecation warning for either function; neither do we (the test
configuration turns warnings into errors).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from haiku_oracle import decode, entry_path, load_module

import haiku as hk
from haiku._src import functions

multinomial = load_module(Path(__file__).parent / "scenarios" / "functions_scenarios.py")


# one_hot


def test_one_hot_values():
    out = hk.one_hot(jnp.array([0, 2, -1, 5]), 3)
    assert out.dtype == jnp.float32
    np.testing.assert_array_equal(
        out, [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]]
    )  # Out of range (negative too) gives zeros.


@pytest.mark.parametrize("dtype", [jnp.int8, jnp.int32, jnp.bfloat16, jnp.float16, bool])
def test_one_hot_dtypes(dtype):
    out = hk.one_hot(jnp.array([[0, 1]]), 3, dtype=dtype)
    assert out.dtype == dtype and out.shape == (1, 2, 3)
    np.testing.assert_array_equal(out.astype(np.int32), [[[1, 0, 0], [0, 1, 0]]])


def test_one_hot_shapes_and_inputs():
    assert hk.one_hot(1, 3).tolist() == [0.0, 1.0, 0.0]
    assert hk.one_hot([0, 1], 3).shape == (2, 3)
    assert hk.one_hot(np.zeros([2, 3, 4], np.int32), 5).shape == (2, 3, 4, 5)
    out = hk.one_hot(x=jnp.array([1]), num_classes=2, dtype=jnp.int32)
    assert out.tolist() == [[0, 1]]


def test_one_hot_matches_jax():
    x = jax.random.randint(jax.random.PRNGKey(0), [10, 7], 0, 12)
    np.testing.assert_array_equal(hk.one_hot(x, 12), jax.nn.one_hot(x, 12))


def test_no_deprecation_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hk.one_hot(jnp.array([0]), 2)
        hk.multinomial(jax.random.PRNGKey(0), jnp.zeros([3]), 2)


# multinomial


@pytest.mark.parametrize("name", list(multinomial.SCENARIOS))
def test_multinomial_matches_dm_haiku(name, dm_haiku):
    dm_haiku.assert_matches(multinomial, name)
    theirs = {entry_path(e): decode(e) for e in dm_haiku.theirs(multinomial, name)}
    _, shape, num_samples, _ = next(case for case in multinomial.CASES if case[0] == name)
    assert theirs["out"].shape == shape[:-1] + (num_samples,)
    assert theirs["out"].dtype == np.int32
    # The same samples under jit and with a typed key.
    np.testing.assert_array_equal(theirs["out_jit"], theirs["out"])
    np.testing.assert_array_equal(theirs["out_typed_key"], theirs["out"])


def test_multinomial_frequencies():
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])
    with np.errstate(divide="ignore"):
        logits = jnp.asarray(np.log(probs), jnp.float32)
    out = np.asarray(hk.multinomial(jax.random.PRNGKey(0), logits, 50_000))
    assert out.shape == (2, 50_000)
    for row in range(2):
        freq = np.bincount(out[row], minlength=3) / out.shape[1]
        np.testing.assert_allclose(freq, probs[row], atol=0.01)
    assert not (out[1] == 2).any()  # Zero probability is never drawn.


def test_multinomial_rows_are_independent():
    out = np.asarray(hk.multinomial(jax.random.PRNGKey(1), jnp.zeros([2, 2]), 10_000))
    assert abs(np.mean(out[0] == out[1]) - 0.5) < 0.02


def test_multinomial_accepts_numpy_logits():
    assert hk.multinomial(jax.random.PRNGKey(0), np.zeros([4], np.float32), 3).shape == (3,)


def test_multinomial_scalar_logits():
    with pytest.raises(IndexError) as info:
        hk.multinomial(jax.random.PRNGKey(0), jnp.array(1.0), 2)
    assert str(info.value) == (
        "multinomial needs logits with at least one dimension (the categories), got shape ()."
    )


def test_public_names():
    assert hk.one_hot is functions.one_hot
    assert hk.multinomial is functions.multinomial
