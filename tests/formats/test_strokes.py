import json

import numpy as np
import pytest

from quickdraw.formats import strokes


def _eye_drawings(mirror, n=50):
    with open(mirror / "full/simplified/eye.ndjson") as f:
        return [json.loads(next(f))["drawing"] for _ in range(n)]


def test_stroke3_round_trip_on_real_drawings(mirror):
    for drawing in _eye_drawings(mirror):
        s3 = strokes.to_stroke3(drawing)
        assert len(s3) == sum(len(s[0]) for s in drawing)
        assert s3[:, 2].sum() == len(drawing)
        back = strokes.from_stroke3(s3)
        assert [b.tolist() for b in back] == [[list(s[0]), list(s[1])] for s in drawing]


def test_stroke3_matches_the_mirror_npz_convention(mirror):
    data = np.load(mirror / "sketchrnn/eye.npz", allow_pickle=True, encoding="latin1")
    first = data["train"][0]
    rebuilt = strokes.to_stroke3(strokes.from_stroke3(first))
    np.testing.assert_array_equal(rebuilt, first)


def test_stroke5_round_trip_and_padding():
    s3 = np.array([[5, 5, 0], [3, -2, 1], [1, 1, 0], [2, 2, 1]], dtype=np.int16)
    s5 = strokes.to_stroke5(s3, max_len=6)
    assert s5.shape == (6, 5)
    np.testing.assert_array_equal(s5[:, 2:].sum(axis=1), np.ones(6))
    np.testing.assert_array_equal(s5[4:], [[0, 0, 0, 0, 1]] * 2)
    np.testing.assert_array_equal(strokes.from_stroke5(s5), s3)
    with pytest.raises(ValueError):
        strokes.to_stroke5(s3, max_len=3)


def test_pad_batch_scales_and_starts_with_start_token():
    seqs = [np.array([[4, 0, 1]]), np.array([[2, 2, 0], [2, 2, 1]])]
    batch = strokes.pad_batch(seqs, scale=2.0)
    assert batch.shape == (2, 3, 5)
    np.testing.assert_array_equal(batch[:, 0], [[0, 0, 1, 0, 0]] * 2)
    np.testing.assert_array_equal(batch[0, 1], [2, 0, 0, 1, 0])
    np.testing.assert_array_equal(batch[0, 2], [0, 0, 0, 0, 1])


def test_scale_factor_and_length_filter():
    seqs = [np.array([[1, -1, 0], [-1, 1, 1]]), np.zeros((300, 3))]
    assert strokes.scale_factor(seqs[:1]) == pytest.approx(1.0)
    kept, dropped = strokes.filter_max_len(seqs, 250)
    assert len(kept) == 1 and dropped == 1
