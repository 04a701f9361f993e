"""Every mistake of the misuse catalogue raises a clear error, in dm-haiku's words first.

The catalogue is ``tests/scenarios/misuse_scenarios.py``: a mistake, the
exception type and fragments of its message, which name the module, the
argument or parameter and the shapes involved. The same mistakes run under
dm-haiku 0.0.17 on this machine: where dm-haiku raises, ours raises the same
type (or a subclass of it: an ``except`` written for dm-haiku's catches ours)
and our message starts with dm-haiku's, verbatim; our context comes after it. Where dm-haiku's error comes from JAX or Python inside it
(``RAISED_BY_JAX``), ours has its type and our own words. ``DIFFERENCES``
lists, with the reason, the rows where we differ on purpose (dm-haiku
crashes there); the README's "Errors" section states the rule.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from haiku_oracle import load_module

from haiku._src import base

scenarios = load_module(Path(__file__).parent / "scenarios" / "misuse_scenarios.py")
CATALOGUE = scenarios.CATALOGUE

# Rows where dm-haiku's error is raised by JAX or Python inside dm-haiku, not
# by dm-haiku's own validation: the type is the same, the words are ours (JAX's
# change between versions and name neither the module nor the fix).
RAISED_BY_JAX = {
    "MultiHeadAttention key/value length mismatch": "jnp.einsum's label size check",
    "LSTM state of the wrong size": "broadcasting in the gates",
    "GRU state of the wrong size": "jnp.dot's contracting dimensions",
    "Conv2DLSTM input of another spatial shape": "broadcasting in the gates",
    "SpectralNorm input of another width after init": "jnp.matmul's contracting dimensions",
    "Reshape to an incompatible size": "jnp.reshape",
    "Conv2D unknown padding": "jax.lax.conv_general_dilated's padding check",
    "Conv2DTranspose unknown padding": "jax.lax.conv_transpose's padding check",
    "BatchApply num_dims 0": "jnp.reshape of a float size",
    "Linear negative output size": "jnp.broadcast_to in the initializer",
    "Linear fractional output size": "jax's shape check in the initializer",
    "get_state negative shape": "jax.lax.broadcast_in_dim in the initializer",
    "DeepRNN state of another length": "indexing the state tuple",
    "dynamic_unroll of a scalar sequence": "reading the time axis of a scalar",
    "static_unroll of zero steps": "jax.tree.map over no outputs",
    "dynamic_unroll of entries with different lengths": "jax.lax.scan's length check",
    "dynamic_unroll batch-major of a rank-1 sequence": "swapping the batch and time axes",
    "dynamic_unroll of an empty sequence": "reading the time axis of no arrays",
    "MaxPool zero window": "jax.lax.reduce_window's window check",
    "BatchNorm axis out of range": "indexing the input's shape",
    "RMSNorm axis out of range": "indexing the input's shape",
    "Conv2D output channels not a multiple of feature groups":
        "jax.lax.conv_general_dilated's feature group check",
    "Conv2D padding that is not a pair": "jax.lax.conv_general_dilated's padding check",
    "Conv2D empty padding": "indexing the first entry of the padding",
    "ResNet use_projection of two entries": "indexing use_projection",
    "MultiHeadAttention rank-1 query": "unpacking the query's shape",
    "ExponentialMovingAverage value of another shape after init": "broadcasting in the average",
    "VectorQuantizer inputs of another width": "jnp.reshape of the inputs",
    "Reshape to a float size": "jax's shape check in jnp.reshape",
    "Reshape to a negative size": "jnp.reshape",
    "dropout broadcast dimension equal to the rank": "assignment into the shape list",
    "lift_with_state of a stateless init": "unpacking `(params, state)`",
    "layer_stack per-layer output that is not a pair": "jax.lax.scan's carry type check",
    "partition_n index of another type": "comparing the index with 0",
    "Orthogonal axis out of range": "indexing the shape list (ours is NumPy's AxisError, "
    "an IndexError)",
    "multinomial of scalar logits": "indexing the logits' last axis",
}

# Rows where ours differs from dm-haiku 0.0.17 on purpose: {row id: why}.
DIFFERENCES = {
    "SpectralNorm zero steps": "dm-haiku crashes (UnboundLocalError: its power iteration "
    "never runs, so v0 is unset); ours refuses n_steps < 1 with a ValueError when made",
    "LayerNorm axis out of range": "dm-haiku does not raise (it normalizes over a wrong axis "
    "set); ours refuses an axis outside the input's rank",
    "LayerNorm scalar input": "dm-haiku crashes (ZeroDivisionError: `axis % ndim` with rank "
    "0); ours says the input needs a dimension",
    "RMSNorm scalar input": "dm-haiku crashes (ZeroDivisionError: `axis % ndim` with rank 0); "
    "ours says the input needs a dimension",
    "Conv2D zero feature groups": "dm-haiku crashes (ZeroDivisionError: channels % 0); ours "
    "refuses feature_group_count < 1 when made",
    "Module name of another type": "dm-haiku crashes (AttributeError: int has no `startswith`); "
    "ours says the name is not a valid module name",
    "force_name of an empty string": "dm-haiku accepts it (and names the module ''); ours "
    "refuses it when made",
    "layer_stack of negative num_layers": "dm-haiku crashes in XLA (MLIRError: invalid tensor "
    "dimension size); ours refuses num_layers < 0 when made",
    "tree_size of strings": "dm-haiku crashes (AttributeError: str has no `size`); ours says "
    "which leaf is not an array",
    "VarianceScaling unknown mode": "dm-haiku's message is a tuple's repr "
    "(\"('Invalid `mode` argument:', 'x')\"); ours is one sentence with those words, then the "
    "valid modes",
    "VarianceScaling unknown distribution": "dm-haiku's message is a tuple's repr; ours is one "
    "sentence with its words, then the valid distributions",
    "eval_summary of a number": "dm-haiku accepts it and fails later, inside JAX; ours refuses "
    "it when called",
    "to_dot of a number": "dm-haiku accepts it and fails later, inside JAX; ours refuses it "
    "when called",
    "make_model_info of a number": "dm-haiku crashes (AttributeError: int has no `__name__`); "
    "ours says a function is expected",
}


@pytest.mark.parametrize("mistake, error, fragments",
                         [row[1:] for row in CATALOGUE], ids=[row[0] for row in CATALOGUE])
def test_misuse_raises_a_clear_error(mistake, error, fragments):
    with pytest.raises(error) as info:
        mistake()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    # Nothing is left behind for the next transform.
    assert base._FRAMES.get() == ()


@pytest.mark.parametrize("row", [row[0] for row in CATALOGUE])
def test_misuse_raises_dm_haikus_type_and_words_first(row, dm_haiku):
    theirs = {e["path"][0]: e["value"] for e in dm_haiku.theirs(scenarios, row)}
    theirs_message = theirs["message"]
    ours = scenarios.SCENARIOS[row]()
    same_type = theirs["type"] in (ours["types"] or ())  # `except TheirType` catches ours.
    same_words = ours["message"].startswith(theirs_message or "")
    if row in DIFFERENCES:
        assert not (same_type and same_words), f"{row} no longer differs: {theirs_message}"
        return
    assert same_type, (theirs["type"], theirs_message, ours["type"], ours["message"])
    if row not in RAISED_BY_JAX:
        assert same_words, (theirs_message, ours["message"])


def test_catalogue_size():
    assert len(CATALOGUE) >= 30
    assert len({row[0] for row in CATALOGUE}) == len(CATALOGUE)
    assert not any(re.search(r"\s$", row[0]) for row in CATALOGUE)
    assert set(DIFFERENCES) | set(RAISED_BY_JAX) <= {row[0] for row in CATALOGUE}
    assert not set(DIFFERENCES) & set(RAISED_BY_JAX)
