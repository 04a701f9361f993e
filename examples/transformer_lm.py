"""Trains a small character-level Transformer language model on a text shipped with Python.

The default text is the Zen of Python (``this.s`` in the standard library,
stored rot13-encoded; 856 characters), so no download is needed.
``--corpus sklearn`` trains instead on the dataset descriptions that ship
inside scikit-learn (``sklearn/datasets/descr/*.rst``, about 43 kB).

The model is a decoder-only Transformer: ``hk.Embed`` token embeddings plus
learned position embeddings, then ``--layers`` pre-LayerNorm blocks
(``hk.LayerNorm``, causal ``hk.MultiHeadAttention``, a GELU MLP, residual
connections) stacked with ``hk.layer_stack`` (the block is traced once and
its parameters get a leading ``[layers]`` axis), a final ``hk.LayerNorm`` and
an ``hk.Linear`` read-out to the characters. It is trained with optax AdamW
on random windows of the text to predict each next character::

    python examples/transformer_lm.py --steps 600 --batch-size 32 --seed 0

It prints the parameter shapes, then ``step   100  loss 1.2345`` (mean
next-character cross-entropy in nats over the last ``--log-every`` steps),
and at the end ``greedy sample:`` followed by ``--sample-length`` characters
generated greedily from ``--prompt`` (with the Zen of Python, the model has
learnt the text by heart and recites it).
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import io
import time
from pathlib import Path

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import optax


def load_corpus(name: str) -> str:
    """The training text: ``zen`` (the Zen of Python) or ``sklearn`` (dataset descriptions)."""
    if name == "zen":
        with contextlib.redirect_stdout(io.StringIO()):  # `import this` prints the Zen.
            import this
        return codecs.decode(this.s, "rot13")
    import sklearn

    descr = Path(sklearn.__file__).parent / "datasets" / "descr"
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(descr.glob("*.rst")))


def transformer_lm(tokens: jax.Array, *, vocab_size: int, d_model: int, num_heads: int,
                   num_layers: int) -> jax.Array:
    """Next-token logits ``[B, T, vocab_size]`` for ``tokens`` ``[B, T]`` (causal)."""
    seq_len = tokens.shape[-1]
    x = hk.Embed(vocab_size, d_model, name="token_embed")(tokens)
    positions = hk.get_parameter("position_embeddings", [seq_len, d_model],
                                 init=hk.initializers.TruncatedNormal(0.02))
    x = x + positions
    # [1, 1, T, T]: query position i sees key positions <= i, in every head.
    causal_mask = jnp.tril(jnp.ones([1, 1, seq_len, seq_len], dtype=bool))

    def block(x: jax.Array) -> jax.Array:
        h = hk.LayerNorm(axis=-1, create_scale=True, create_offset=True)(x)
        h = hk.MultiHeadAttention(
            num_heads=num_heads, key_size=d_model // num_heads,
            w_init=hk.initializers.VarianceScaling(1.0 / num_layers))(h, h, h, mask=causal_mask)
        x = x + h
        h = hk.LayerNorm(axis=-1, create_scale=True, create_offset=True)(x)
        h = jax.nn.gelu(hk.Linear(4 * d_model)(h))
        return x + hk.Linear(d_model, w_init=hk.initializers.VarianceScaling(1.0 / num_layers))(h)

    x = hk.layer_stack(num_layers, name="blocks")(block)(x)
    x = hk.LayerNorm(axis=-1, create_scale=True, create_offset=True, name="final_norm")(x)
    return hk.Linear(vocab_size, name="readout")(x)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=("zen", "sklearn"), default="zen")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--log-every", type=int, default=100)
    parser.add_argument("--prompt", default="Beautiful is")
    parser.add_argument("--sample-length", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> float:
    args = parse_args(argv)
    start = time.perf_counter()
    text = load_corpus(args.corpus)
    chars = sorted(set(text))
    char_to_id = {c: i for i, c in enumerate(chars)}
    data = np.array([char_to_id[c] for c in text], dtype=np.int32)
    if len(data) <= args.seq_len + 1:
        raise ValueError(f"--seq-len {args.seq_len} must be shorter than the text ({len(data)})")
    print(f"corpus {args.corpus!r}: {len(text):,} characters, {len(chars)} distinct")

    model = hk.without_apply_rng(hk.transform(lambda tokens: transformer_lm(
        tokens, vocab_size=len(chars), d_model=args.d_model, num_heads=args.heads,
        num_layers=args.layers)))
    params = jax.jit(model.init)(jax.random.PRNGKey(args.seed), data[None, :args.seq_len])
    print(f"{hk.data_structures.tree_size(params):,} parameters")
    for module_name, name, value in hk.data_structures.traverse(params):
        print(f"  {module_name}/{name}: {value.shape}")

    schedule = optax.warmup_cosine_decay_schedule(
        0.0, args.learning_rate, warmup_steps=min(50, args.steps // 10 + 1),
        decay_steps=max(args.steps, 2))
    optimizer = optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(schedule, weight_decay=1e-4))
    opt_state = optimizer.init(params)

    def loss_fn(params, windows):
        logits = model.apply(params, windows[:, :-1])
        return optax.softmax_cross_entropy_with_integer_labels(logits, windows[:, 1:]).mean()

    @jax.jit
    def train_step(params, opt_state, windows):
        loss, grads = jax.value_and_grad(loss_fn)(params, windows)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    rng = np.random.default_rng(args.seed)
    offsets = np.arange(args.seq_len + 1)
    losses, last_loss = [], float("nan")
    for step in range(1, args.steps + 1):
        starts = rng.integers(0, len(data) - args.seq_len - 1, size=args.batch_size)
        params, opt_state, loss = train_step(params, opt_state, data[starts[:, None] + offsets])
        losses.append(loss)
        if step % args.log_every == 0 or step == args.steps:
            last_loss = float(np.mean(losses))
            print(f"step {step:5d}  loss {last_loss:.4f}", flush=True)
            losses = []

    print("greedy sample:")
    print(greedy_sample(model, params, args, char_to_id, chars))
    print(f"final loss {last_loss:.4f} after {time.perf_counter() - start:.1f}s")
    return last_loss


def greedy_sample(model: hk.Transformed, params: hk.Params, args: argparse.Namespace,
                  char_to_id: dict[str, int], chars: list[str]) -> str:
    """Extends ``args.prompt`` greedily, one character at a time, with one compiled shape.

    The model always sees a full ``[1, seq_len]`` window: while the text is
    shorter than the window the tail is filler, which the causal mask keeps
    from influencing the position read.
    """
    logits_fn = jax.jit(model.apply)
    tokens = [char_to_id.get(c, 0) for c in args.prompt] or [0]
    for _ in range(args.sample_length):
        window = tokens[-args.seq_len:]
        position = len(window) - 1
        window = window + [0] * (args.seq_len - len(window))
        logits = logits_fn(params, np.asarray([window], dtype=np.int32))
        tokens.append(int(logits[0, position].argmax()))
    return "".join(chars[t] for t in tokens)


if __name__ == "__main__":
    main()
