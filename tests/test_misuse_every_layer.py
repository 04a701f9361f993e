"""Every layer, fed an input of the wrong width or rank after init, fails clearly.

For each conformance example of haiku-nets, haiku-rnn and the sample plugin,
``apply`` (with the params and state ``init`` made for the example input)
runs on the input with one more channel and on the input with its last two
axes merged. The module either handles it (shape-agnostic modules such as
pooling, or Embed, whose ids may have any shape) or raises ``ValueError``/``TypeError`` whose message starts with or
quotes the module's name (or, where dm-haiku's own wording comes first, names
it in parentheses after that) and shows the shapes involved; nothing is left
behind for the next transform. (The lifted Flax examples of haiku-flax are
left out: their errors are Flax's own.)
"""

from __future__ import annotations

import re

import jax
import numpy as np
import pytest

import haiku as hk
from haiku._src import base

EXAMPLES = [e for e in hk.testing.conformance_examples() if e.plugin != "flax"]
SHAPE = re.compile(r"[(\[]\d+(, \d+)*,?[)\]]")


def wider(x: np.ndarray) -> np.ndarray:
    return np.concatenate([x, x[..., :1]], axis=-1)


def merged(x: np.ndarray) -> np.ndarray:
    return x.reshape(x.shape[:-2] + (-1,)) if x.ndim >= 2 else x[..., None]


@pytest.mark.parametrize("change", [wider, merged], ids=["one_more_channel", "last_axes_merged"])
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"{e.plugin}:{e.name}")
def test_wrong_input_after_init_fails_naming_module_and_shapes(example, change):
    x = np.asarray(example.inputs[0])
    assert x.ndim >= 1
    f = hk.transform_with_state(example.fn)
    key = jax.random.PRNGKey(0)
    params, state = f.init(key, *example.inputs)
    roots = {name.split("/")[0] for name in [*params, *state]}
    try:
        f.apply(params, state, key if example.apply_rng else None, change(x), *example.inputs[1:])
    except (ValueError, TypeError) as err:
        message = str(err)
        # "module: ..." or, after dm-haiku's own wording, "... (module: ...)".
        named = re.match(r"^[\w/~]+: ", message) or any(
            f"'{root}/" in message or re.search(rf"\({re.escape(root)}[:)/]", message)
            for root in roots)
        assert named, f"the error does not name the module: {message}"
        assert SHAPE.search(message), f"the error shows no shape: {message}"
    assert base._FRAMES.get() == ()
