"""The benchmark models in Flax (Linen) and Equinox, against the same plain JAX.

``step_time.py`` measures haiku (or dm-haiku) against the models of
``models.py`` written by hand; this script measures the peers against the
same hand-written models, with the same measurements (compile, jitted train
step, eager init and eager loss; ratios ``peer / JAX``), so the tables line
up side by side. Each model is written the way the library's documentation
writes it:

``mlp``
  Linen: ``nn.Dense`` layers; Equinox: ``eqx.nn.Linear`` layers, per example
  under ``jax.vmap``.
``lstm``
  Linen: ``nn.RNN(nn.LSTMCell)`` (time-major); Equinox: ``eqx.nn.LSTMCell``
  under ``jax.vmap`` (batch) and ``jax.lax.scan`` (time).
``transformer``
  the pre-LayerNorm blocks of ``models.transformer`` written out block by
  block: Linen ``nn.MultiHeadDotProductAttention``/``nn.LayerNorm``/
  ``nn.Dense``; Equinox ``eqx.nn.MultiheadAttention``/``eqx.nn.LayerNorm``/
  ``eqx.nn.Linear``.

Equinox models are split with ``eqx.partition`` into their arrays (what is
trained) and the rest, the library's own idiom for ``jax.jit``/``jax.grad``.
Before timing, each peer's parameters are converted to the hand-written
model's (``to_reference``) and both losses must agree to 1e-4 (the peers
order some operations differently, e.g. Flax's LayerNorm variance): the
script times the same math. Run it where Flax and Equinox are installed
(``nox -s bench-peers``)::

    python benchmarks/peers.py [--libraries flax equinox] [--models mlp lstm transformer]
        [--repeats 7] [--compile-repeats 3] [--out benchmarks/results/step_time_peers]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import models  # noqa: E402
import step_time  # noqa: E402

D, HEADS, EPS = models.D_MODEL, models.HEADS, models.EPS
PEER_RTOL = 1e-4


def _mse(out: jax.Array) -> jax.Array:
    return jnp.mean(jnp.square(out))


def _lstm_reference(w_x, w_h, b):
    """The hand-written LSTM's ``{"w", "b"}`` from input and hidden weights ``[in, 4h]``
    and biases ``[4h]`` in gate order i, f, g, o (haiku's is i, g, f, o with +1 on f)."""

    def reorder(a):
        i, f, g, o = jnp.split(a, 4, axis=-1)
        return i, g, f, o

    i, g, f, o = reorder(b)
    return {"lstm/linear": {"w": jnp.concatenate([jnp.concatenate(reorder(w_x), -1),
                                                  jnp.concatenate(reorder(w_h), -1)], 0),
                            "b": jnp.concatenate([i, g, f - 1.0, o])}}


def _transformer_reference(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """Renames per-block roles (those of ``models._block_names``) to haiku's names."""
    params = {}
    for i, roles in enumerate(blocks):
        names = models._block_names(i)
        for role, p in roles.items():
            params[names[role]] = p
    return params


# Flax Linen.


def flax_models(reference: dict[str, models.Model], blocks: int) -> dict[str, models.Model]:
    import flax.linen as nn

    class MLP(nn.Module):
        width: int
        depth: int

        @nn.compact
        def __call__(self, x):
            for i in range(self.depth):
                x = nn.Dense(self.width)(x)
                if i < self.depth - 1:
                    x = nn.relu(x)
            return x

    class LSTM(nn.Module):
        hidden: int

        @nn.compact
        def __call__(self, xs):
            return nn.RNN(nn.LSTMCell(self.hidden), time_major=True)(xs)

    class Block(nn.Module):
        @nn.compact
        def __call__(self, x):
            h = nn.LayerNorm(epsilon=EPS)(x)
            x = x + nn.MultiHeadDotProductAttention(num_heads=HEADS, qkv_features=D)(h)
            h = nn.LayerNorm(epsilon=EPS)(x)
            return x + nn.Dense(D)(nn.gelu(nn.Dense(4 * D)(h)))

    class Transformer(nn.Module):
        num_blocks: int

        @nn.compact
        def __call__(self, x):
            for _ in range(self.num_blocks):
                x = Block()(x)
            return x

    def dense(p):
        """A Dense, or an attention projection: kernel [D, heads, size] (bias
        [heads, size]) into the heads, or [heads, size, D] out of them."""
        kernel, into_heads = p["kernel"], p["bias"].ndim == 2
        w = kernel.reshape(kernel.shape[0], -1) if into_heads else kernel.reshape(-1, kernel.shape[-1])
        return {"w": w, "b": p["bias"].reshape(-1)}

    def mlp_reference(p):
        return {f"mlp/~/linear_{i}": dense(p[f"Dense_{i}"]) for i in range(len(p))}

    def lstm_reference(p):
        cell = p["LSTMCell_0"]
        w_x = jnp.concatenate([cell[f"i{g}"]["kernel"] for g in "ifgo"], -1)
        w_h = jnp.concatenate([cell[f"h{g}"]["kernel"] for g in "ifgo"], -1)
        b = jnp.concatenate([cell[f"h{g}"]["bias"] for g in "ifgo"])
        return _lstm_reference(w_x, w_h, b)

    def transformer_reference(p):
        blocks = []
        for i in range(len(p)):
            b = p[f"Block_{i}"]
            mha = b["MultiHeadDotProductAttention_0"]
            blocks.append({
                "ln1": {"scale": b["LayerNorm_0"]["scale"], "offset": b["LayerNorm_0"]["bias"]},
                "ln2": {"scale": b["LayerNorm_1"]["scale"], "offset": b["LayerNorm_1"]["bias"]},
                "q": dense(mha["query"]), "k": dense(mha["key"]), "v": dense(mha["value"]),
                "o": dense(mha["out"]), "m1": dense(b["Dense_1"]), "m2": dense(b["Dense_0"])})  # Named as constructed.
        return _transformer_reference(blocks)

    modules = {"mlp": (MLP(1024, 4), mlp_reference), "lstm": (LSTM(256), lstm_reference),
               "transformer": (Transformer(blocks), transformer_reference)}
    out = {}
    for name, ref in reference.items():
        module, to_reference = modules[name]
        out[name] = models.Model(
            ref.name, ref.batch,
            lambda key, x, m=module: m.init(key, x)["params"],
            lambda params, x, m=module: _mse(m.apply({"params": params}, x)),
            ref.jax_init, ref.jax_loss, to_reference, PEER_RTOL)
    return out


# Equinox.


def equinox_models(reference: dict[str, models.Model], blocks: int) -> dict[str, models.Model]:
    import equinox as eqx

    class MLP(eqx.Module):
        layers: list

        def __init__(self, features, width, depth, key):
            keys = jax.random.split(key, depth)
            sizes = [features] + [width] * depth
            self.layers = [eqx.nn.Linear(sizes[i], sizes[i + 1], key=keys[i])
                           for i in range(depth)]

        def __call__(self, x):
            for layer in self.layers[:-1]:
                x = jax.nn.relu(layer(x))
            return self.layers[-1](x)

    class LSTM(eqx.Module):
        cell: eqx.nn.LSTMCell

        def __init__(self, features, hidden, key):
            self.cell = eqx.nn.LSTMCell(features, hidden, key=key)

        def __call__(self, xs):  # [time, batch, features]
            batch, hidden = xs.shape[1], self.cell.hidden_size
            step = jax.vmap(self.cell)

            def body(state, x):
                state = step(x, state)
                return state, state[0]

            zeros = jnp.zeros((batch, hidden))
            return jax.lax.scan(body, (zeros, zeros), xs)[1]

    class Block(eqx.Module):
        ln1: eqx.nn.LayerNorm
        attention: eqx.nn.MultiheadAttention
        ln2: eqx.nn.LayerNorm
        m1: eqx.nn.Linear
        m2: eqx.nn.Linear

        def __init__(self, key):
            k1, k2, k3 = jax.random.split(key, 3)
            self.ln1, self.ln2 = eqx.nn.LayerNorm(D, eps=EPS), eqx.nn.LayerNorm(D, eps=EPS)
            self.attention = eqx.nn.MultiheadAttention(
                HEADS, D, use_query_bias=True, use_key_bias=True, use_value_bias=True,
                use_output_bias=True, key=k1)
            self.m1, self.m2 = eqx.nn.Linear(D, 4 * D, key=k2), eqx.nn.Linear(4 * D, D, key=k3)

        def __call__(self, x):  # [seq, D]: one example
            h = jax.vmap(self.ln1)(x)
            x = x + self.attention(h, h, h)
            h = jax.vmap(self.ln2)(x)
            return x + jax.vmap(lambda t: self.m2(jax.nn.gelu(self.m1(t))))(h)

    class Transformer(eqx.Module):
        blocks: list

        def __init__(self, num_blocks, key):
            self.blocks = [Block(k) for k in jax.random.split(key, num_blocks)]

        def __call__(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    def linear(layer):
        return {"w": layer.weight.T, "b": layer.bias}

    def norm(layer):
        return {"scale": layer.weight, "offset": layer.bias}

    def mlp_reference(m):
        return {f"mlp/~/linear_{i}": linear(layer) for i, layer in enumerate(m.layers)}

    def lstm_reference(m):
        return _lstm_reference(m.cell.weight_ih.T, m.cell.weight_hh.T, m.cell.bias)

    def transformer_reference(m):
        return _transformer_reference([{
            "ln1": norm(b.ln1), "ln2": norm(b.ln2), "q": linear(b.attention.query_proj),
            "k": linear(b.attention.key_proj), "v": linear(b.attention.value_proj),
            "o": linear(b.attention.output_proj), "m1": linear(b.m1), "m2": linear(b.m2)}
            for b in m.blocks])

    def peer(ref, build, batched, to_reference):
        """A Model training the arrays of ``build(key, batch)``; the rest is static."""
        _, rest = eqx.partition(build(jax.random.PRNGKey(0), ref.batch()), eqx.is_inexact_array)

        def init(key, x):
            return eqx.partition(build(key, x), eqx.is_inexact_array)[0]

        def loss(params, x):
            model = eqx.combine(params, rest)
            return _mse(jax.vmap(model)(x) if batched else model(x))

        return models.Model(ref.name, ref.batch, init, loss, ref.jax_init, ref.jax_loss,
                            lambda params: to_reference(eqx.combine(params, rest)), PEER_RTOL)

    builders = {
        "mlp": (lambda key, x: MLP(x.shape[-1], 1024, 4, key), True, mlp_reference),
        "lstm": (lambda key, xs: LSTM(xs.shape[-1], 256, key), False, lstm_reference),
        "transformer": (lambda key, x: Transformer(blocks, key), True, transformer_reference),
    }
    return {name: peer(ref, *builders[name]) for name, ref in reference.items()}


LIBRARIES = {"flax": flax_models, "equinox": equinox_models}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--libraries", nargs="+", default=list(LIBRARIES), choices=LIBRARIES)
    parser.add_argument("--models", nargs="+", default=["mlp", "lstm", "transformer"],
                        choices=["mlp", "lstm", "transformer"])
    parser.add_argument("--blocks", type=int, default=12, help="Transformer blocks")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--compile-repeats", type=int, default=3)
    parser.add_argument("--inner", type=int, default=5, help="train steps per step sample")
    parser.add_argument("--out", type=Path, help="write <out>.json and <out>.md")
    args = parser.parse_args()
    reference = {name: models.MODELS[name](**({"num_blocks": args.blocks}
                                               if name == "transformer" else {}))
                 for name in args.models}
    header = (f"peer / plain JAX (ratios, medians of {args.repeats} interleaved samples, "
              f"{args.compile_repeats} for compile); jax {jax.__version__} on "
              f"{jax.devices()[0].device_kind}, {platform.processor() or platform.machine()}")
    print(header, flush=True)
    rows = []
    for library in args.libraries:
        try:
            peers = LIBRARIES[library](reference, args.blocks)
        except ImportError as err:
            print(json.dumps({"library": library, "available": False, "error": str(err)}))
            continue
        for name in args.models:
            row = {"library": library, **step_time.measure(
                peers[name], args.repeats, args.inner, args.compile_repeats)}
            print(json.dumps(row), flush=True)
            rows.append(row)
    table = step_time.markdown(rows, header, [("library", "library"), *step_time.COLUMNS])
    step_time.report(rows, table, args.out)


if __name__ == "__main__":
    main()
