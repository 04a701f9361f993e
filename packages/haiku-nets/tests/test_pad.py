"""``hk.pad`` and ``hk.get_channel_index``."""

from __future__ import annotations

import haiku as hk
import pytest

# (effective kernel size) -> (causal, full, reverse_causal, same, valid), by hand.
EXPECTED = {
    1: [(0, 0), (0, 0), (0, 0), (0, 0), (0, 0)],
    2: [(1, 0), (1, 1), (0, 1), (0, 1), (0, 0)],
    3: [(2, 0), (2, 2), (0, 2), (1, 1), (0, 0)],
    4: [(3, 0), (3, 3), (0, 3), (1, 2), (0, 0)],
    7: [(6, 0), (6, 6), (0, 6), (3, 3), (0, 0)],
}
FNS = ["causal", "full", "reverse_causal", "same", "valid"]


@pytest.mark.parametrize("k", sorted(EXPECTED))
def test_pad_functions(k):
    assert [getattr(hk.pad, f)(k) for f in FNS] == EXPECTED[k]


def test_namespace():
    import haiku.pad
    from haiku.pad import causal

    assert causal is hk.pad.causal is haiku.pad.causal
    assert set(dir(hk.pad)) >= {"PadFn", "is_padfn", "create", "create_from_padfn",
                                "create_from_tuple", *FNS}
    assert hk.pad.create is hk.pad.create_from_padfn
    assert hk.pad.PadFn.__origin__.__name__ == "Callable"


def test_is_padfn():
    assert hk.pad.is_padfn(hk.pad.same)
    assert hk.pad.is_padfn([hk.pad.same, hk.pad.causal])
    assert hk.pad.is_padfn((hk.pad.full,))
    assert hk.pad.is_padfn(lambda k: (k, 0))
    for value in ["SAME", "VALID", (1, 2), [(1, 2)], [], None, 3]:
        assert not hk.pad.is_padfn(value), value


def test_create_from_padfn():
    create = hk.pad.create_from_padfn
    # The effective kernel size is (kernel - 1) * rate + 1.
    assert create(hk.pad.same, kernel=3, rate=2, n=2) == ((2, 2), (2, 2))
    assert create(hk.pad.causal, kernel=[3, 4], rate=[1, 3], n=2) == ((2, 0), (9, 0))
    assert create([hk.pad.same, hk.pad.causal], 3, 1, 2) == ((1, 1), (2, 0))
    assert create([hk.pad.full], 2, 1, 3) == ((1, 1),) * 3
    # Pairs may stand in for functions.
    assert create([hk.pad.same, (4, 5)], 3, 1, 2) == ((1, 1), (4, 5))
    assert create((1, 2), 3, 1, 2) == ((1, 2), (1, 2))
    assert all(type(p) is tuple for p in create(hk.pad.same, 3, 1, 2))


@pytest.mark.parametrize(
    "args",
    [
        ([hk.pad.same] * 3, 3, 1, 2),  # too many pad functions
        (hk.pad.same, [3, 3, 3], 1, 2),  # too many kernel sizes
        (hk.pad.same, 3, [1, 1, 1], 2),  # too many rates
        ("SAME", 3, 1, 2),
        (lambda k: (k,), 3, 1, 1),  # a pad function must return a pair
    ],
)
def test_create_from_padfn_errors(args):
    with pytest.raises(TypeError):
        hk.pad.create_from_padfn(*args)


def test_create_from_tuple():
    assert hk.pad.create_from_tuple((1, 2), 2) == ((1, 2), (1, 2))
    assert hk.pad.create_from_tuple([(1, 2)], 3) == ((1, 2),) * 3
    assert hk.pad.create_from_tuple([(1, 2), (3, 4)], 2) == ((1, 2), (3, 4))
    assert hk.pad.create_from_tuple([[1, 2], [3, 4]], 2) == ((1, 2), (3, 4))
    for bad in [[(1, 2), (3, 4)], (1, 2, 3), 1, "SAME"]:
        with pytest.raises(TypeError, match="padding"):
            hk.pad.create_from_tuple(bad, 3)


@pytest.mark.parametrize(
    "data_format, index",
    [("channels_last", -1), ("channels_first", 1), ("N...C", -1), ("NC...", 1),
     ("NWC", -1), ("NCW", 1), ("NHWC", -1), ("NCHW", 1), ("NDHWC", -1), ("NCDHW", 1),
     ("BTHWD", -1), ("BTD", -1), ("NC", 1), ("NTC", -1)],
)
def test_get_channel_index(data_format, index):
    assert hk.get_channel_index(data_format) == index


@pytest.mark.parametrize("data_format", ["", "CHW", "HWC", "NHCW", "nhwc", "NCHWC", "BCTHW",
                                         "channels", "N"])
def test_get_channel_index_rejects(data_format):
    with pytest.raises(ValueError, match="Unable to extract channel information"):
        hk.get_channel_index(data_format)
