"""Raw -> simplified drawings by the dataset's recipe, checked against the official files."""
import json

import numpy as np
import pytest

from quickdraw.errors import QuickDrawError
from quickdraw.raster.simplify import simplify, simplify_partial

SAMPLE = ["apple", "The Eiffel Tower", "alarm clock", "bed", "spreadsheet"]  # fixed, mixed shapes


def _pairs(mirror, name):
    """(raw strokes, official simplified strokes) for the drawings of ``name`` in both files."""
    def read(kind):
        with open(mirror / "full" / kind / f"{name}.ndjson") as f:
            return {r["key_id"]: r["drawing"] for r in map(json.loads, f)}

    raw, simplified = read("raw"), read("simplified")
    return [(raw[k], simplified[k]) for k in raw if k in simplified]


def test_matches_the_official_simplified_drawings(mirror):
    pairs = [p for name in SAMPLE for p in _pairs(mirror, name)]
    assert len(pairs) >= 100
    exact = sum(simplify(raw) == official for raw, official in pairs)
    assert exact / len(pairs) >= 0.95


def test_output_is_in_the_dataset_frame(mirror):
    raw, _ = _pairs(mirror, "cat")[0]
    out = simplify(raw)
    assert len(out) == len(raw)
    values = [v for stroke in out for axis in stroke for v in axis]
    assert all(type(v) is int for v in values)
    xs = np.concatenate([s[0] for s in out])
    ys = np.concatenate([s[1] for s in out])
    assert min(xs.min(), ys.min()) >= 0 and max(xs.max(), ys.max()) == 255
    assert xs.min() <= 1 and ys.min() <= 1  # moved to the corner (rounding may leave 1)


def test_times_are_ignored_and_arrays_work():
    raw = [[[100, 150, 200, 260], [40, 42, 80, 90], [0, 10, 20, 30]], [[120], [60], [40]]]
    assert simplify(raw) == simplify([s[:2] for s in raw])
    assert simplify([np.array(s) for s in raw]) == simplify(raw)


def test_a_straight_stroke_keeps_its_ends_and_a_corner():
    # a right angle sampled densely: everything but the ends and the corner goes
    xs = list(range(0, 101)) + [100] * 100
    ys = [0] * 101 + list(range(1, 101))
    assert simplify([[xs, ys]]) == [[[0, 255, 255], [0, 0, 255]]]


def test_tolerance_is_two_units():
    near = simplify_partial([[[0, 50, 100], [0, 1.5, 0]]])  # 1.5 off the line: dropped
    far = simplify_partial([[[0, 50, 100], [0, 2.5, 0]]])  # 2.5 off the line: kept
    assert near == [[[0, 100], [0, 0]]]
    assert far[0][0][0] == 0 and far[0][0][-1] == 100 and len(far[0][0]) == 3


def test_one_point_strokes_and_a_single_spot():
    assert simplify([[[10, 30], [10, 40]], [[20], [20]]])[1] == [[85, 85], [85, 85]]
    assert simplify([[[7, 7], [9, 9]]]) == [[[0, 0], [0, 0]]]  # no size to scale: stays at the corner
    assert simplify([]) == [] and simplify([[[], []]]) == []


def test_partial_keeps_place_and_scale():
    strokes = [[[50.4, 60, 70, 80], [100, 100.5, 99.6, 100]]]
    assert simplify_partial(strokes) == [[[50, 80], [100, 100]]]


@pytest.mark.parametrize("bad", [[[[1, 2], [3]]], [[["a", 1], [1, 2]]], [[[float("inf")], [1]]], [5]])
def test_bad_strokes_are_user_errors(bad):
    with pytest.raises(QuickDrawError):
        simplify(bad)
