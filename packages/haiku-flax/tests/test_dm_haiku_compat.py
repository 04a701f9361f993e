"""hk.experimental.flax.lift with explicit Flax ``rngs``, as dm-haiku 0.0.17 handles them."""

from __future__ import annotations

import flax.errors
import flax.linen as nn
import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from haiku.experimental import flax as hkflax

KEY = jax.random.PRNGKey(42)


class ParamsKey(nn.Module):
    """Returns the key of Flax's ``params`` stream."""

    @nn.compact
    def __call__(self):
        return self.make_rng("params")


class StreamAndParam(nn.Module):
    """Draws from a ``foo`` stream and has one scalar parameter ``w``."""

    @nn.compact
    def __call__(self):
        noise = jax.random.uniform(self.make_rng("foo"))
        return noise, self.param("w", nn.initializers.normal(), [], jnp.float32)


def test_explicit_rngs_need_no_haiku_key():
    f = hk.transform(lambda: hkflax.lift(ParamsKey(), name="foo")(rngs={"params": KEY}))
    params = f.init(None)
    assert params == {}
    # Flax derives the module's key from the one passed, as it does natively.
    expected = ParamsKey().apply({}, rngs={"params": KEY})
    np.testing.assert_array_equal(f.apply(params, None), expected)


@pytest.mark.parametrize("with_params_key", [True, False])
def test_rngs_dict_reaches_flax_in_init_and_apply(with_params_key):
    def f():
        rngs = {"foo": hk.next_rng_key()}
        if with_params_key:
            rngs["params"] = hk.next_rng_key()
        return hkflax.lift(StreamAndParam(), name="foo")(rngs=rngs)

    f = hk.transform(f)
    init_key, apply_key = jax.random.split(KEY)
    params = f.init(init_key)
    assert jax.tree.map(jnp.shape, params) == {"foo/~": {"w": ()}}
    noise, w = f.apply(params, apply_key)
    assert w is params["foo/~"]["w"]
    # The "foo" stream is the first Haiku key of apply, given to Flax as is.
    first_key = hk.transform(hk.next_rng_key).apply({}, apply_key)
    expected_noise, _ = StreamAndParam().apply({"params": {"w": w}}, rngs={"foo": first_key})
    np.testing.assert_array_equal(noise, expected_noise)
    assert 0.0 <= float(noise) < 1.0


def test_missing_params_stream_is_a_haiku_key_in_init():
    def f():
        return hkflax.lift(StreamAndParam(), name="foo")(rngs={"foo": KEY})

    f = hk.transform(f)
    params = f.init(jax.random.PRNGKey(7))
    # "params" is the first Haiku key of init: the parameter Flax makes from it.
    params_key = hk.transform(hk.next_rng_key).apply({}, jax.random.PRNGKey(7))
    expected = StreamAndParam().init({"params": params_key, "foo": KEY})
    np.testing.assert_array_equal(params["foo/~"]["w"], expected["params"]["w"])


def test_non_mapping_rngs_raise_flaxs_error():
    f = hk.transform(lambda: hkflax.lift(ParamsKey(), name="foo")(rngs=KEY))
    with pytest.raises(flax.errors.InvalidRngError,
                       match=r"^rngs should be a dictionary mapping strings to `jax.PRNGKey`\. "
                             r"hk.experimental.flax.lift\(ParamsKey\) got "):
        f.init(None)
