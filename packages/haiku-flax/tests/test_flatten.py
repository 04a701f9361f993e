"""flatten_flax_to_haiku and its inverse."""

from __future__ import annotations

import numpy as np
import pytest
from flax.core import freeze
from haiku.experimental import flax as hkflax
from haiku_flax._src.flatten import unflatten_haiku_to_flax


def test_nested_paths_become_module_names():
    tree = {"enc": {"Dense_0": {"kernel": 1, "bias": 2}, "scale": 3}, "top": 4}
    flat = hkflax.flatten_flax_to_haiku(freeze(tree))
    assert type(flat) is dict
    assert flat == {"enc/Dense_0": {"kernel": 1, "bias": 2}, "enc": {"scale": 3}, "~": {"top": 4}}
    assert list(flat) == ["enc/Dense_0", "enc", "~"]
    assert unflatten_haiku_to_flax(flat) == tree


def test_haiku_names_round_trip_through_nesting():
    flat = {"mlp/~/linear_0": {"w": 1}, "mlp/~/linear_1": {"w": 2}, "~": {"count": 3}}
    nested = unflatten_haiku_to_flax(flat, top_level=False)
    assert nested == {"mlp": {"~": {"linear_0": {"w": 1}, "linear_1": {"w": 2}}},
                      "~": {"count": 3}}
    assert hkflax.flatten_flax_to_haiku(nested) == flat


def test_integer_keys_and_empty_subtrees():
    flat = hkflax.flatten_flax_to_haiku({"layers": {0: {"w": np.ones(2)}, 1: {}}})
    assert list(flat) == ["layers/0"] and list(flat["layers/0"]) == ["w"]


def test_errors():
    with pytest.raises(TypeError, match="expects a mapping of Flax variables .* got list"):
        hkflax.flatten_flax_to_haiku([1, 2])
    with pytest.raises(ValueError, match="Cannot nest Haiku module 'a/b': its path part 'b'"):
        unflatten_haiku_to_flax({"a": {"b": 1}, "a/b": {"w": 2}})
    with pytest.raises(ValueError, match="Cannot nest Haiku module 'a': its entry 'b'"):
        unflatten_haiku_to_flax({"a/b": {"w": 2}, "a": {"b": 1}})
