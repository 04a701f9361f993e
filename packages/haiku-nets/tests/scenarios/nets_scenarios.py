"""Scenarios for the oracle parity of ``hk.nets`` (MLP, MobileNetV1, ResNet*, VQ-VAE).

Each scenario is a function of no arguments written against the public ``hk``
API only, so the very same code runs under our haiku and, live on the same
machine, under dm-haiku 0.0.17 (``test_nets_oracle_parity.py``, through the
``haiku_oracle`` harness). It returns a flat ``{name: value}`` dict of arrays
(parameters, state, outputs) or JSON values (shape tables, creation order,
digests).

Small networks return every array (compared bit for bit). The full-size
ResNets return, from an abstract ``init`` (``jax.eval_shape``), the name,
shape and dtype of every parameter and state in creation order; ResNet18 on
small images returns a SHA-256 digest of every initial parameter and of the
state after a training step, so its ~11M values are compared bit for bit
without keeping them in the oracle's cache.

Inputs come from ``np.random.RandomState`` (stable across NumPy versions);
parameters from ``init`` with fixed PRNG keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np


def randn(seed: int, *shape: int, dtype=np.float32) -> np.ndarray:
    return np.random.RandomState(seed).randn(*shape).astype(dtype)


def tree_entries(prefix: str, tree: dict) -> dict[str, Any]:
    """``{"<prefix>/<module>/<name>": value}`` plus ``<prefix>_order`` (dict order)."""
    result: dict[str, Any] = {f"{prefix}_order": [f"{m}/{n}" for m, b in tree.items() for n in b]}
    for module, bundle in tree.items():
        for name, value in bundle.items():
            result[f"{prefix}/{module}/{name}"] = value
    return result


def out_entries(prefix: str, out: Any) -> dict[str, Any]:
    if isinstance(out, dict):  # The VQ-VAE modules return dicts: keep their keys.
        result: dict[str, Any] = {f"{prefix}_keys": list(out)}
        for key, value in out.items():
            result[f"{prefix}/{key}"] = value
        return result
    leaves = jax.tree_util.tree_leaves(out)
    return {f"{prefix}/{i}": leaf for i, leaf in enumerate(leaves)}


def run(f: Callable[..., Any], *args: Any, seed: int = 0, apply_rng: bool = False) -> dict:
    """Inits and applies a stateless ``f``: parameters and output."""
    transformed = hk.transform(f)
    params = transformed.init(jax.random.PRNGKey(seed), *args)
    rng = jax.random.PRNGKey(seed + 1) if apply_rng else None
    out = transformed.apply(params, rng, *args)
    return {**tree_entries("params", params), **out_entries("out", out)}


def run_stateful(
    f: Callable[..., Any],
    init_args: Sequence[Any],
    steps: Sequence[Sequence[Any]],
    seed: int = 0,
) -> dict:
    """Inits ``f`` with state, then applies it once per entry of ``steps``.

    Records the parameters, the initial state, and for step ``i`` its output
    (``out<i>``) and the state after it (``state<i+1>``), each step starting
    from the state the previous one left.
    """
    transformed = hk.transform_with_state(f)
    params, state = transformed.init(jax.random.PRNGKey(seed), *init_args)
    result = {**tree_entries("params", params), **tree_entries("state0", state)}
    for i, args in enumerate(steps):
        out, state = transformed.apply(params, state, None, *args)
        result.update(out_entries(f"out{i}", out))
        result.update(tree_entries(f"state{i + 1}", state))
    return result


def creation_table(f: Callable[..., Any], *args: Any) -> list[str]:
    """``"<kind> <full name> <shape> <dtype>"`` of each parameter and state, in creation order.

    Runs ``init`` abstractly (``jax.eval_shape``): no value is computed.
    """
    table: list[str] = []

    def record(kind: str):
        def creator(next_creator, shape, dtype, init, context):
            dims = "x".join(str(int(d)) for d in shape)
            table.append(f"{kind} {context.full_name} ({dims}) {jnp.dtype(dtype)}")
            return next_creator(shape, dtype, init)
        return creator

    def wrapped(*inner):
        with hk.custom_creator(record("param")), \
                hk.custom_creator(record("state"), params=False, state=True):
            return f(*inner)

    init = hk.transform_with_state(wrapped).init
    jax.eval_shape(lambda key, *a: init(key, *a), jax.random.PRNGKey(0), *args)
    return table


def digest(value: Any) -> str:
    array = np.ascontiguousarray(np.asarray(value))
    return hashlib.sha256(array.tobytes()).hexdigest()[:32]


# MLP -------------------------------------------------------------------------


def mlp_default():
    x = randn(1, 3, 6)

    def f(x):
        mlp = hk.nets.MLP([5, 4, 3])
        y = mlp(x)
        return y, mlp.reverse()(y)

    return run(f, x)


def mlp_options():
    x = randn(2, 4, 5)

    def f(x):
        outs = [
            hk.nets.MLP([3, 2], activate_final=True, activation=jnp.tanh, name="tanh")(x),
            hk.nets.MLP([4, 3], with_bias=False, name="no_bias")(x),
            hk.nets.MLP([4, 2], w_init=hk.initializers.VarianceScaling(2.0),
                        b_init=hk.initializers.RandomNormal(0.5), name="inits")(x),
        ]
        mlp = hk.nets.MLP([6, 3], activation=jax.nn.sigmoid, name="rev")
        y = mlp(x)
        outs.append(mlp.reverse(activate_final=True, name="custom")(y))
        return outs

    return run(f, x, seed=3)


def mlp_dropout():
    x = randn(3, 4, 5)

    def f(x):
        key = hk.next_rng_key()
        a = hk.nets.MLP([6, 6, 3], activation=jax.nn.sigmoid)(x, dropout_rate=0.4, rng=key)
        b = hk.nets.MLP([6, 3], activate_final=True, activation=jax.nn.sigmoid)(
            x, dropout_rate=0.25, rng=key)
        return a, b

    return run(f, x, seed=5, apply_rng=True)


def mlp_bf16_policy():
    """An MLP under a mixed-precision policy (bf16 compute, f32 params and output)."""
    import jmp

    x = randn(4, 2, 5)
    policy = jmp.get_policy("params=float32,compute=bfloat16,output=float32")
    hk.mixed_precision.set_policy(hk.nets.MLP, policy)
    try:
        return run(lambda x: hk.nets.MLP([4, 3])(x), x, seed=6)
    finally:
        hk.mixed_precision.clear_policy(hk.nets.MLP)


# VQ-VAE ----------------------------------------------------------------------


def _vq(**kwargs):
    return hk.nets.VectorQuantizer(embedding_dim=4, num_embeddings=6, commitment_cost=0.25,
                                   **kwargs)


def _vq_ema(**kwargs):
    kwargs.setdefault("decay", 0.8)
    return hk.nets.VectorQuantizerEMA(embedding_dim=4, num_embeddings=6,
                                      commitment_cost=0.5, **kwargs)


def vq_train_and_eval():
    x = randn(7, 3, 5, 4)

    def f(x, is_training):
        vq = _vq()
        return {**vq(x, is_training), "lookup": vq.quantize(jnp.array([[0, 5, 2], [1, 1, 3]]))}

    return run_stateful(f, (x, True), [(x, True), (x, False), (x * 2, True)])


def vq_grad():
    """Gradients of the loss and of the quantized output: straight-through."""
    x = randn(8, 6, 4)

    def f(x):
        return _vq()(x, is_training=True)

    transformed = hk.without_apply_rng(hk.transform(f))
    params = transformed.init(jax.random.PRNGKey(1), x)

    def loss(params, x):
        out = transformed.apply(params, x)
        return out["loss"] + jnp.sum(out["quantize"] * jnp.arange(4.0))

    grad_params, grad_x = jax.grad(loss, argnums=(0, 1))(params, x)
    return {"grad_embeddings": grad_params["vector_quantizer"]["embeddings"], "grad_x": grad_x}


def vq_rng_order():
    """The codebook is drawn when first used, not when the module is constructed."""
    x = randn(9, 2, 4)

    def f(x):
        vq = _vq()
        a = hk.get_parameter("a", [3], init=hk.initializers.RandomNormal())
        b = vq.embeddings
        ema = _vq_ema()
        c = hk.get_parameter("c", [3], init=hk.initializers.RandomNormal())
        return a, b, c, ema.embeddings, vq(x, True), ema(x, True)

    return run_stateful(f, (x,), [(x,)], seed=2)


def vq_ema_steps():
    xs = [randn(10 + i, 4, 3, 4) for i in range(3)]

    def f(x, is_training):
        vq = _vq_ema()
        out = vq(x, is_training)
        return {**out, "lookup": vq.quantize(jnp.array([4, 0, 1]))}

    steps = [(xs[0], True), (xs[1], True), (xs[2], False), (xs[2], True)]
    return run_stateful(f, (xs[0], True), steps, seed=4)


def vq_ema_eval_init():
    """Initialised in evaluation mode: only the codebook exists."""
    x = randn(13, 5, 4)
    return run_stateful(lambda x: _vq_ema(decay=0.5, epsilon=1e-3)(x, False), (x,),
                        [(x,), (x * 3,)])


def vq_ema_dtype():
    x = randn(14, 5, 4).astype(np.float16)
    return run_stateful(lambda x: _vq_ema(dtype=jnp.float16)(x, True), (x,), [(x,), (x,)])


# MobileNetV1 -----------------------------------------------------------------


def _mobilenet(use_bn: bool):
    def f(x, is_training):
        net = hk.nets.MobileNetV1(strides=(1, 2, 1), channels=(8, 16, 16), num_classes=5,
                                  use_bn=use_bn)
        return net(x, is_training)

    return f


def mobilenet_bn():
    x = randn(20, 2, 17, 17, 3)
    x2 = randn(21, 2, 17, 17, 3)
    return run_stateful(_mobilenet(True), (x, True), [(x, True), (x2, True), (x, False)])


def mobilenet_no_bn():
    x = randn(22, 2, 16, 16, 3)
    return run_stateful(_mobilenet(False), (x, True), [(x, True), (x, False)])


def mobilenet_default_table():
    return {"table": creation_table(
        lambda x: hk.nets.MobileNetV1()(x, True), jnp.ones([1, 64, 64, 3]))}


# ResNet ----------------------------------------------------------------------

TINY_CHANNELS = (8, 8, 16, 16)
VS = hk.initializers.VarianceScaling(1.0)


def _tiny_resnet(**kwargs):
    kwargs.setdefault("channels_per_group", TINY_CHANNELS)
    # Non-zero logits weights so the output depends on every layer.
    kwargs.setdefault("logits_config", {"w_init": VS})
    kwargs.setdefault("initial_conv_config", {"output_channels": 8})

    def f(x, is_training, test_local_stats=False):
        net = hk.nets.ResNet(blocks_per_group=(1, 2, 1, 1), num_classes=3, **kwargs)
        return net(x, is_training, test_local_stats)

    return f


def _resnet_steps(f, seed: int = 0, updates: int = 1) -> dict:
    """Training step(s), then test mode with the moving averages and with local stats."""
    x = randn(30, 2, 16, 16, 3)
    x2 = randn(31, 2, 16, 16, 3) * 2 + 1
    steps = [(x, True), (x2, True)][:updates] + [(x, False), (x2, False, True)]
    return run_stateful(f, (x, True), steps, seed=seed)


def resnet_tiny_v1_bottleneck():
    return _resnet_steps(_tiny_resnet(), updates=2)


def resnet_tiny_v1_basic():
    return _resnet_steps(_tiny_resnet(bottleneck=False, use_projection=(False, True, True, True)))


def resnet_tiny_v2_bottleneck():
    return _resnet_steps(_tiny_resnet(resnet_v2=True), seed=1, updates=2)


def resnet_tiny_v2_basic():
    return _resnet_steps(_tiny_resnet(resnet_v2=True, bottleneck=False,
                                      use_projection=(False, True, True, True)), seed=2)


def resnet_tiny_options():
    """Every constructor option away from its default."""
    f = _tiny_resnet(
        bn_config={"decay_rate": 0.5, "eps": 1e-3, "create_offset": False},
        channels_per_group=(8, 16, 16, 16),
        use_projection=(True, True, False, True),
        logits_config={"w_init": VS, "b_init": hk.initializers.Constant(0.5), "name": "head"},
        initial_conv_config={"output_channels": 8, "kernel_shape": 3, "stride": 1,
                             "with_bias": True, "name": "stem"},
        strides=(2, 1, 1, 2),
        name="custom",
    )
    return _resnet_steps(f, seed=3)


def resnet18_small():
    """ResNet18 on 32x32 images: digests of every parameter and state value."""
    x = randn(40, 2, 32, 32, 3)

    def f(x, is_training):
        net = hk.nets.ResNet18(num_classes=10, logits_config={"w_init": VS})
        return net(x, is_training)

    transformed = hk.transform_with_state(f)
    params, state = transformed.init(jax.random.PRNGKey(7), x, True)
    result: dict[str, Any] = {
        "param_digests": [[m, n, digest(v)] for m, b in params.items() for n, v in b.items()],
        "tree_size": hk.data_structures.tree_size(params),
    }
    out, state = transformed.apply(params, state, None, x, True)
    result["out_train"] = out
    result["state_digests"] = [[m, n, digest(v)] for m, b in state.items() for n, v in b.items()]
    out, _ = transformed.apply(params, state, None, x, False)
    result["out_test"] = out
    return result


def _resnet_table(depth: int, resnet_v2: bool):
    def scenario():
        cls = getattr(hk.nets, f"ResNet{depth}")
        table = creation_table(lambda x: cls(num_classes=10, resnet_v2=resnet_v2)(x, True),
                               jnp.ones([2, 32, 32, 3]))
        size = sum(int(np.prod([int(d) for d in row.split()[2][1:-1].split("x") if d]))
                   for row in table if row.startswith("param "))
        return {"table": table, "param_count": size}

    return scenario


BF16 = "params=float32,compute=bfloat16,output=float32"


def _with_policy(cls, f: Callable[[], dict]) -> dict:
    """Runs ``f`` with a bf16-compute policy on ``cls`` (one class: nested policies
    are another matter)."""
    import jmp

    hk.mixed_precision.set_policy(cls, jmp.get_policy(BF16))
    try:
        return f()
    finally:
        hk.mixed_precision.clear_policy(cls)


def resnet_bf16_policy():
    """A tiny ResNet computing in bf16 (f32 parameters, state and logits)."""
    x = randn(32, 2, 16, 16, 3)
    return _with_policy(hk.nets.ResNet, lambda: run_stateful(
        _tiny_resnet(), (x, True), [(x, True), (x, False)]))


def mobilenet_bf16_policy():
    x = randn(33, 2, 16, 16, 3)
    return _with_policy(hk.nets.MobileNetV1, lambda: run_stateful(
        _mobilenet(True), (x, True), [(x, True), (x, False)]))


def vq_bf16_policy():
    x = randn(34, 3, 5, 4)

    def f(x):
        return _vq()(x, True), _vq_ema(name="ema")(x, True)

    return _with_policy(hk.nets.VectorQuantizer, lambda: _with_policy(
        hk.nets.VectorQuantizerEMA, lambda: run_stateful(f, (x,), [(x,), (x * 2,)])))


SCENARIOS: dict[str, Callable[[], dict]] = {
    "mlp_default": mlp_default,
    "mlp_options": mlp_options,
    "mlp_dropout": mlp_dropout,
    "mlp_bf16_policy": mlp_bf16_policy,
    "vq_train_and_eval": vq_train_and_eval,
    "vq_grad": vq_grad,
    "vq_rng_order": vq_rng_order,
    "vq_ema_steps": vq_ema_steps,
    "vq_ema_eval_init": vq_ema_eval_init,
    "vq_ema_dtype": vq_ema_dtype,
    "mobilenet_bn": mobilenet_bn,
    "mobilenet_no_bn": mobilenet_no_bn,
    "mobilenet_default_table": mobilenet_default_table,
    "resnet_tiny_v1_bottleneck": resnet_tiny_v1_bottleneck,
    "resnet_tiny_v1_basic": resnet_tiny_v1_basic,
    "resnet_tiny_v2_bottleneck": resnet_tiny_v2_bottleneck,
    "resnet_tiny_v2_basic": resnet_tiny_v2_basic,
    "resnet_tiny_options": resnet_tiny_options,
    "resnet_bf16_policy": resnet_bf16_policy,
    "mobilenet_bf16_policy": mobilenet_bf16_policy,
    "vq_bf16_policy": vq_bf16_policy,
    "resnet18_small": resnet18_small,
}
for _depth in (18, 34, 50, 101, 152, 200):
    for _v2 in (False, True):
        SCENARIOS[f"resnet{_depth}_v{2 if _v2 else 1}_table"] = _resnet_table(_depth, _v2)
