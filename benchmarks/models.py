"""Benchmark models, each written twice: with haiku and by hand in plain JAX.

Every model is a :class:`Model`: ``library_init``/``library_loss`` use ``haiku``
(ours or dm-haiku 0.0.17, whichever the venv holds), ``jax_init``/``jax_loss``
compute the same math by hand with ``jax.numpy``. The hand-written loss reads
the parameter dict that haiku builds (same module names, same nesting), so
both losses can be evaluated on the *same* parameters and compared exactly,
and their train-step jaxprs can be compared equation by equation.
(``peers.py`` builds ``Model``s whose library is Flax or Equinox; their
``to_reference`` converts the peer's parameters to that dict.)

``loss(params, batch) -> scalar``; a train step is forward + backward + SGD
(:func:`sgd_step`). Models (sizes from issue 10):

``mlp``
  ``hk.nets.MLP([1024] * 4)`` on a batch of 256 vectors of 1024.
``lstm``
  ``hk.LSTM(256)`` unrolled over 64 steps by ``hk.dynamic_unroll`` (batch 32,
  128 inputs), against ``jax.lax.scan``.
``resnet18`` / ``resnet50``
  ``hk.nets.ResNet18(10)`` on 32 images of 32x32x3 / ``hk.nets.ResNet50(10)``
  on 64 images of 224x224x3, in training mode (BatchNorm on batch
  statistics), against ``lax.conv_general_dilated`` and a hand-written
  BatchNorm.
``transformer``
  ``num_blocks`` pre-LayerNorm blocks (``hk.MultiHeadAttention`` with 8 heads
  of 64, ``hk.LayerNorm``, a GELU MLP of width 2048) on ``[8, 128, 512]``,
  written out block by block.
``transformer_stack``
  the same blocks under ``hk.layer_stack`` against ``jax.lax.scan``.

Used by ``step_time.py`` and ``transformer_layer_norm.py``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

D_MODEL, HEADS, KEY_SIZE, SEQ, BATCH = 512, 8, 64, 128, 8
EPS = 1e-5


@dataclasses.dataclass
class Model:
    """One model in a library and by hand.

    ``to_reference`` maps the library's parameters to those ``jax_loss``
    reads; the losses of both on the same parameters must agree to
    ``loss_rtol`` (0 for haiku: the same program).
    """

    name: str
    batch: Callable[[], Any]
    library_init: Callable[[jax.Array, Any], Any]
    library_loss: Callable[[Any, Any], jax.Array]
    jax_init: Callable[[jax.Array, Any], Any]
    jax_loss: Callable[[Any, Any], jax.Array]
    to_reference: Callable[[Any], Any] = lambda params: params
    loss_rtol: float = 1e-5


def sgd_step(loss: Callable[[Any, Any], jax.Array], lr: float = 1e-3):
    """``(params, batch) -> (loss, params - lr * grad)``."""

    def step(params, batch):
        value, grads = jax.value_and_grad(loss)(params, batch)
        return value, jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)

    return step


def _haiku(forward: Callable[[Any], jax.Array]) -> tuple[Callable, Callable]:
    f = hk.without_apply_rng(hk.transform(forward))
    return f.init, lambda params, batch: jnp.mean(jnp.square(f.apply(params, batch)))


# Plain JAX building blocks, the same math as haiku's modules.


def truncated_normal(key, shape, stddev):
    return jax.random.truncated_normal(key, -2.0, 2.0, shape) * stddev


def linear_params(key, fan_in, fan_out, stddev=None):
    stddev = 1.0 / math.sqrt(fan_in) if stddev is None else stddev
    return {"w": truncated_normal(key, (fan_in, fan_out), stddev), "b": jnp.zeros([fan_out])}


def linear(p, x):
    out = jnp.dot(x, p["w"])
    return out + jnp.broadcast_to(p["b"], out.shape)


def layer_norm(p, x, eps=EPS):
    """LayerNorm over the last axis with the formulation haiku uses."""
    mean = jnp.mean(x, -1, keepdims=True)
    variance = jnp.var(x, -1, keepdims=True)
    inv = jax.lax.rsqrt(variance + eps) * p["scale"]
    return (x - mean) * inv + p["offset"]


# MLP.


def mlp(width: int = 1024, depth: int = 4, batch: int = 256) -> Model:
    def forward(x):
        return hk.nets.MLP([width] * depth)(x)

    def jax_init(key, x):
        keys = jax.random.split(key, depth)
        sizes = [x.shape[-1]] + [width] * depth
        return {f"mlp/~/linear_{i}": linear_params(keys[i], sizes[i], sizes[i + 1])
                for i in range(depth)}

    def jax_loss(params, x):
        for i in range(depth):
            x = linear(params[f"mlp/~/linear_{i}"], x)
            if i < depth - 1:
                x = jax.nn.relu(x)
        return jnp.mean(jnp.square(x))

    init, loss = _haiku(forward)
    return Model("mlp", lambda: jnp.ones([batch, width]) / width, init, loss, jax_init, jax_loss)


# LSTM.


def lstm(hidden: int = 256, steps: int = 64, batch: int = 32, features: int = 128) -> Model:
    def forward(xs):
        core = hk.LSTM(hidden)
        outputs, _ = hk.dynamic_unroll(core, xs, core.initial_state(xs.shape[1]))
        return outputs

    def jax_init(key, xs):
        return {"lstm/linear": linear_params(key, xs.shape[-1] + hidden, 4 * hidden)}

    def jax_loss(params, xs):
        p = params["lstm/linear"]

        def step(state, x):
            h, c = state
            gated = linear(p, jnp.concatenate([x, h], axis=-1))
            i, g, f, o = jnp.split(gated, 4, axis=-1)
            f = jax.nn.sigmoid(f + 1)
            c = f * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), h

        state = (jnp.zeros((xs.shape[1], hidden)), jnp.zeros((xs.shape[1], hidden)))
        _, outputs = jax.lax.scan(step, state, xs)
        return jnp.mean(jnp.square(outputs))

    def data():
        return jnp.asarray(np.random.RandomState(0).randn(steps, batch, features), jnp.float32)

    init, loss = _haiku(forward)
    return Model("lstm", data, init, loss, jax_init, jax_loss)


# Transformer.


def haiku_block(x, layer_norm_cls=None):
    ln = layer_norm_cls or hk.LayerNorm
    h = ln(-1, True, True)(x)
    attention = hk.MultiHeadAttention(HEADS, KEY_SIZE, w_init=hk.initializers.VarianceScaling())
    x = x + attention(h, h, h)
    h = ln(-1, True, True)(x)
    return x + hk.Linear(D_MODEL)(jax.nn.gelu(hk.Linear(4 * D_MODEL)(h)))


def _block_names(i: int) -> dict[str, str]:
    """haiku's names for the modules of the ``i``-th unrolled block.

    The MLP's output ``Linear`` is constructed (so named) before its hidden one.
    """
    suffix = lambda n: "" if n == 0 else f"_{n}"  # noqa: E731
    mha = f"multi_head_attention{suffix(i)}"
    return {"ln1": f"layer_norm{suffix(2 * i)}", "ln2": f"layer_norm{suffix(2 * i + 1)}",
            "q": f"{mha}/query", "k": f"{mha}/key", "v": f"{mha}/value", "o": f"{mha}/linear",
            "m2": f"linear{suffix(2 * i)}", "m1": f"linear{suffix(2 * i + 1)}"}


def jax_block(p: dict[str, Any], x, norm=layer_norm):
    """One block by hand; ``p`` maps the roles of :func:`_block_names` to params."""
    *lead, t, _ = x.shape
    h = norm(p["ln1"], x)
    q, k, v = (linear(p[n], h).reshape((*lead, t, HEADS, KEY_SIZE)) for n in "qkv")
    logits = jnp.einsum("...thd,...Thd->...htT", q, k)
    logits = logits / np.sqrt(KEY_SIZE).astype(x.dtype)
    attn = jnp.einsum("...htT,...Thd->...thd", jax.nn.softmax(logits), v)
    x = x + linear(p["o"], attn.reshape((*lead, t, -1)))
    h = norm(p["ln2"], x)
    return x + linear(p["m2"], jax.nn.gelu(linear(p["m1"], h)))


def _jax_block_params(key, d=D_MODEL):
    keys = jax.random.split(key, 6)
    vs = lambda k, i, o: linear_params(k, i, o, stddev=1.0 / math.sqrt(i) / 0.87962566103423978)  # noqa: E731
    norm = {"scale": jnp.ones([d]), "offset": jnp.zeros([d])}
    return {"ln1": norm, "ln2": dict(norm), "q": vs(keys[0], d, d), "k": vs(keys[1], d, d),
            "v": vs(keys[2], d, d), "o": vs(keys[3], d, d), "m1": linear_params(keys[4], d, 4 * d),
            "m2": linear_params(keys[5], 4 * d, d)}


def _transformer_data(batch=BATCH, seq=SEQ):
    return jnp.asarray(np.random.RandomState(0).randn(batch, seq, D_MODEL), jnp.float32)


def transformer(num_blocks: int = 12, norm=layer_norm, layer_norm_cls=None,
                batch: int = BATCH, seq: int = SEQ) -> Model:
    """The unrolled Transformer; ``norm``/``layer_norm_cls`` swap the layer norm."""

    def forward(x):
        for _ in range(num_blocks):
            x = haiku_block(x, layer_norm_cls)
        return x

    def jax_init(key, x):
        params = {}
        for i, k in enumerate(jax.random.split(key, num_blocks)):
            names = _block_names(i)
            for role, p in _jax_block_params(k).items():
                params[names[role]] = p
        return params

    def jax_loss(params, x):
        for i in range(num_blocks):
            x = jax_block({role: params[n] for role, n in _block_names(i).items()}, x, norm)
        return jnp.mean(jnp.square(x))

    init, loss = _haiku(forward)
    return Model(f"transformer{num_blocks}", lambda: _transformer_data(batch, seq), init, loss,
                 jax_init, jax_loss)


def transformer_stack(num_blocks: int = 12, batch: int = BATCH, seq: int = SEQ) -> Model:
    """The Transformer with ``hk.layer_stack``, against ``jax.lax.scan``."""

    def forward(x):
        return hk.layer_stack(num_blocks)(haiku_block)(x)

    names = {role: f"__layer_stack_no_per_layer/{n}" for role, n in _block_names(0).items()}

    def jax_init(key, x):
        stacked = jax.vmap(_jax_block_params)(jax.random.split(key, num_blocks))
        return {names[role]: p for role, p in stacked.items()}

    def jax_loss(params, x):
        def body(x, p):
            return jax_block({role: p[n] for role, n in names.items()}, x), None

        x, _ = jax.lax.scan(body, x, {n: params[n] for n in names.values()})
        return jnp.mean(jnp.square(x))

    init, loss = _haiku(forward)
    return Model(f"transformer{num_blocks}_stack", lambda: _transformer_data(batch, seq), init,
                 loss, jax_init, jax_loss)


# ResNet-18.


def _conv(x, w, stride):
    return jax.lax.conv_general_dilated(
        x, w, (stride, stride), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))


def _batch_norm(p, x, eps=EPS):
    """BatchNorm in training mode, as haiku forms it (``E[x^2] - E[x]^2``)."""
    mean = jnp.mean(x, (0, 1, 2), keepdims=True)
    var = jnp.mean(jnp.square(x), (0, 1, 2), keepdims=True) - jnp.square(mean)
    inv = jax.lax.rsqrt(var + eps) * p["scale"]
    return (x - mean) * inv + p["offset"]


def _xent(logits):
    """Cross-entropy of every example against class 0."""
    return jnp.mean(jax.nn.logsumexp(logits, axis=-1) - logits[:, 0])


# depth -> (blocks per group, channels per group, bottleneck, projection per group);
# the groups' strides are (1, 2, 2, 2).
RESNETS = {
    18: ((2, 2, 2, 2), (64, 128, 256, 512), False, (False, True, True, True)),
    50: ((3, 4, 6, 3), (256, 512, 1024, 2048), True, (True, True, True, True)),
}


def _block_convs(channels, stride, bottleneck):
    """``(out channels, kernel, stride)`` of a BlockV1's convolutions, as haiku builds them."""
    if bottleneck:
        return ((channels // 4, 1, 1), (channels // 4, 3, stride), (channels, 1, 1))
    return ((channels, 3, stride), (channels, 3, 1))


def resnet(depth: int, batch: int, size: int, classes: int = 10) -> Model:
    """``hk.nets.ResNet{depth}`` (BatchNorm in training mode), by hand with lax convs."""
    blocks, channels, bottleneck, projections = RESNETS[depth]

    def forward(x):
        return getattr(hk.nets, f"ResNet{depth}")(classes)(x, is_training=True)

    f = hk.without_apply_rng(hk.transform_with_state(forward))

    def images():
        return jnp.linspace(-1.0, 1.0, batch * size * size * 3).reshape(batch, size, size, 3)

    # The moving averages only change the (discarded) new state: start from zeros.
    state = jax.tree_util.tree_map(
        lambda s: jnp.zeros(s.shape, s.dtype),
        jax.eval_shape(f.init, jax.random.PRNGKey(0), images())[1])
    root = f"res_net{depth}/~/"

    def library_loss(params, x):
        return _xent(f.apply(params, state, x)[0])

    def blocks_of():
        """``(name prefix, channels, stride, projection)`` of every block, in order."""
        for g, (n, c, projection) in enumerate(zip(blocks, channels, projections)):
            for b in range(n):
                yield (f"{root}block_group_{g}/~/block_{b}/~/", c, (1 if g == 0 else 2) if b == 0
                       else 1, projection and b == 0)

    def jax_init(key, x):
        keys = iter(jax.random.split(key, 2 + 4 * sum(blocks)))

        def conv_w(shape):
            return truncated_normal(next(keys), shape, 1.0 / math.sqrt(math.prod(shape[:-1])))

        def bn(c):
            return {"scale": jnp.ones([1, 1, 1, c]), "offset": jnp.zeros([1, 1, 1, c])}

        params = {f"{root}initial_conv": {"w": conv_w((7, 7, x.shape[-1], 64))},
                  f"{root}initial_batchnorm": bn(64)}
        c_in = 64
        for name, c, stride, projection in blocks_of():
            if projection:
                params[name + "shortcut_conv"] = {"w": conv_w((1, 1, c_in, c))}
                params[name + "shortcut_batchnorm"] = bn(c)
            for i, (c_out, kernel, _) in enumerate(_block_convs(c, stride, bottleneck)):
                params[f"{name}conv_{i}"] = {"w": conv_w((kernel, kernel, c_in, c_out))}
                params[f"{name}batchnorm_{i}"] = bn(c_out)
                c_in = c_out
        params[f"{root}logits"] = {"w": jnp.zeros([c_in, classes]), "b": jnp.zeros([classes])}
        return params

    def jax_loss(params, x):
        x = _conv(x, params[f"{root}initial_conv"]["w"], 2)
        x = jax.nn.relu(_batch_norm(params[f"{root}initial_batchnorm"], x))
        x = jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 3, 3, 1), (1, 2, 2, 1), "SAME")
        for name, c, stride, projection in blocks_of():
            shortcut = x
            if projection:
                shortcut = _batch_norm(params[name + "shortcut_batchnorm"],
                                       _conv(x, params[name + "shortcut_conv"]["w"], stride))
            convs = _block_convs(c, stride, bottleneck)
            for i, (_, _, conv_stride) in enumerate(convs):
                x = _batch_norm(params[f"{name}batchnorm_{i}"],
                                _conv(x, params[f"{name}conv_{i}"]["w"], conv_stride))
                if i < len(convs) - 1:
                    x = jax.nn.relu(x)
            x = jax.nn.relu(x + shortcut)
        return _xent(linear(params[f"{root}logits"], jnp.mean(x, axis=(1, 2))))

    return Model(f"resnet{depth}", images, lambda key, x: f.init(key, x)[0], library_loss,
                 jax_init, jax_loss)


def resnet18(batch: int = 32, size: int = 32) -> Model:
    """ResNet-18 on 32x32x3 images (issue 10's CPU size)."""
    return resnet(18, batch, size)


def resnet50(batch: int = 64, size: int = 224) -> Model:
    """ResNet-50 on 224x224x3 images (issue 10's GPU size)."""
    return resnet(50, batch, size)


MODELS: dict[str, Callable[..., Model]] = {
    "mlp": mlp,
    "resnet18": resnet18,
    "resnet50": resnet50,
    "lstm": lstm,
    "transformer": transformer,
    "transformer_stack": transformer_stack,
}
