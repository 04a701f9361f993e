"""hk.Linear's forward pass is the jax.numpy expression, equation for equation.

``Linear`` binds ``dot_general``/``broadcast_in_dim``/``add`` itself to skip
jax.numpy's dispatch when tracing. These tests hold it to the program
``jnp.dot(x, w, precision=p) + jnp.broadcast_to(b, out.shape)`` (what
dm-haiku 0.0.17 computes) for every rank, dtype and precision, including the
cases that must fall back to jax.numpy (a custom getter changing a
parameter's dtype or shape).
"""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest


def _programs(x, *, precision=None, with_bias=True, change=None):
    """Linear's apply and the jax.numpy reference: jaxprs (as text) and outputs.

    ``change(name, value)``, if given, is what a custom getter does to each
    parameter on its way to the module; the reference sees the same values.
    """

    def getter(next_getter, value, context):
        return change(context.name, next_getter(value))

    def forward(x):
        linear = hk.Linear(3, with_bias=with_bias)
        if change is None:
            return linear(x, precision=precision)
        with hk.custom_getter(getter):
            return linear(x, precision=precision)

    f = hk.without_apply_rng(hk.transform(forward))
    params = f.init(jax.random.PRNGKey(0), x)

    def reference(params, x):
        def read(name):  # In the order the module reads them.
            value = params["linear"][name]
            return value if change is None else change(name, value)

        out = jnp.dot(x, read("w"), precision=precision)
        if with_bias:
            out = out + jnp.broadcast_to(read("b"), out.shape)
        return out

    ours = jax.make_jaxpr(f.apply)(params, x)
    theirs = jax.make_jaxpr(reference)(params, x)
    return str(ours), str(theirs), f.apply(params, x), reference(params, x)


@pytest.mark.parametrize("shape", [(4,), (2, 4), (2, 5, 4), (1, 2, 3, 4)])
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16, jnp.float16, jnp.complex64])
def test_same_equations_as_jnp_for_every_rank_and_dtype(shape, dtype):
    x = jnp.asarray(np.random.RandomState(0).randn(*shape), dtype)
    ours, theirs, out, expected = _programs(x)
    assert ours == theirs
    assert out.dtype == dtype and out.shape == (*shape[:-1], 3)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected))


@pytest.mark.parametrize("precision", [None, jax.lax.Precision.HIGHEST, "highest",
                                       (jax.lax.Precision.HIGH, jax.lax.Precision.DEFAULT)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_same_equations_for_every_precision_with_and_without_bias(precision, with_bias):
    ours, theirs, out, expected = _programs(jnp.ones([2, 4]), precision=precision,
                                            with_bias=with_bias)
    assert ours == theirs
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected))


def test_weakly_typed_input_gives_the_same_program():
    x = jnp.broadcast_to(1.0, (2, 4))  # a weakly typed f32 array
    ours, theirs, out, expected = _programs(x)
    assert ours == theirs
    assert out.dtype == jnp.float32


def test_parameters_cast_by_a_getter_are_promoted_like_jnp():
    # bf16 inputs meet f32 parameters: jnp.dot promotes, and so must Linear.
    x = jnp.ones([2, 4], jnp.bfloat16)
    ours, theirs, out, expected = _programs(x, change=lambda name, v: v.astype(jnp.float32))
    assert ours == theirs
    assert "convert_element_type" in ours
    assert out.dtype == jnp.float32
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected))


def test_a_bias_reshaped_by_a_getter_broadcasts_like_jnp():
    # A getter may hand back a bias that only broadcasts ([1, 3] for [2, 3]).
    change = lambda name, v: v.reshape(1, -1) if name == "b" else v  # noqa: E731
    ours, theirs, out, expected = _programs(jnp.ones([2, 4]), change=change)
    assert ours == theirs
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected))


def test_gradients_match_the_jnp_expression():
    x = jnp.asarray(np.random.RandomState(1).randn(3, 4), jnp.float32)
    f = hk.without_apply_rng(hk.transform(lambda x: hk.Linear(2)(x)))
    params = f.init(jax.random.PRNGKey(0), x)
    loss = lambda p: jnp.sum(f.apply(p, x) ** 2)  # noqa: E731
    ref = lambda p: jnp.sum((jnp.dot(x, p["linear"]["w"]) + jnp.broadcast_to(p["linear"]["b"], (3, 2))) ** 2)  # noqa: E731
    assert str(jax.make_jaxpr(jax.grad(loss))(params)) == str(jax.make_jaxpr(jax.grad(ref))(params))
    grads, expected = jax.grad(loss)(params), jax.grad(ref)(params)
    for name in ("w", "b"):
        np.testing.assert_array_equal(np.asarray(grads["linear"][name]),
                                      np.asarray(expected["linear"][name]))
