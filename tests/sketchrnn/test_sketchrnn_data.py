"""Sketch-RNN data: sources, length filter, augmentation, bucketed batches (no TensorFlow needed)."""
import numpy as np
import pytest

from quickdraw.errors import QuickDrawError
from quickdraw.formats.strokes import from_stroke3
from sketchrnn.data import (TrainBatches, drop_points, eval_batches, lengths_of, load_source, random_scale,
                            split_by_length)


def _eye(mirror):
    return load_source(mirror / "sketchrnn/eye.npz", max_seq_len=250)


def test_npz_source_drops_long_sketches_and_measures_scale(mirror):
    data = _eye(mirror)
    assert data.classes == ["eye"] and not data.synthetic
    assert data.dropped == {"train": 4, "valid": 0, "test": 0}
    assert len(data.splits["train"]) == 3609
    assert max(len(s) for s in data.splits["train"]) <= 250
    offsets = np.concatenate([s[:, :2].ravel() for s in data.splits["train"]]).astype(np.float64)
    assert data.scale == pytest.approx(offsets.std())
    short = load_source(mirror / "sketchrnn/eye.npz", max_seq_len=30)
    assert short.dropped["train"] == sum(len(s) > 30 for s in data.splits["train"]) + 4


def test_npz_without_splits_and_wrong_category_are_clear_errors(tmp_path, mirror):
    bad = tmp_path / "eye.npz"
    np.savez(bad, train=np.array([np.zeros((3, 3), np.int16)] * 2 + [np.zeros((4, 3), np.int16)], dtype=object))
    with pytest.raises(QuickDrawError, match=r"has no valid, test split \(it holds: train\)"):
        load_source(bad)
    with pytest.raises(QuickDrawError, match="holds only 'eye'"):
        load_source(mirror / "sketchrnn/eye.npz", categories=["cat"])
    with pytest.raises(QuickDrawError, match="no such file"):
        load_source(tmp_path / "nothing.npz")


def test_random_scale_stays_within_its_range():
    s = np.array([[10, 10, 0], [10, -10, 1]], np.float32)
    rng = np.random.default_rng(0)
    for _ in range(50):
        out = random_scale(s, rng, 0.15)
        fx, fy = out[0, 0] / 10, out[0, 1] / 10
        assert 0.85 <= fx <= 1.15 and 0.85 <= fy <= 1.15
        assert out[1, 0] == pytest.approx(10 * fx) and out[1, 1] == pytest.approx(-10 * fy)


def test_drop_points_keeps_stroke_ends_and_positions(mirror):
    rng = np.random.default_rng(0)
    data = _eye(mirror)
    dropped_any = False
    for s3 in data.splits["train"][:200]:
        out = drop_points(s3, rng, 0.5)
        assert out[:, 2].sum() == s3[:, 2].sum()             # same strokes
        before, after = from_stroke3(s3), from_stroke3(out)
        for a, b in zip(before, after):
            assert b.shape[1] >= min(a.shape[1], 4)
            np.testing.assert_allclose(b[:, :3], a[:, :3])     # first three points kept
            np.testing.assert_allclose(b[:, -1], a[:, -1])     # last point kept
            kept = {tuple(p) for p in a.T.tolist()}
            assert all(tuple(p) in kept for p in b.T.tolist())  # kept points do not move
        dropped_any |= len(out) < len(s3)
    assert dropped_any
    np.testing.assert_array_equal(drop_points(s3, rng, 0.0), s3)


def test_train_batches_are_random_deterministic_and_cover_each_epoch(mirror):
    data = _eye(mirror)
    seqs = data.splits["train"]
    b1 = TrainBatches(seqs, data.scale, 100, seed=3)
    b2 = TrainBatches(seqs, data.scale, 100, seed=3)
    np.testing.assert_array_equal(b1.batch(40), b2.batch(40))
    assert not np.array_equal(b1.indices(0), TrainBatches(seqs, data.scale, 100, seed=4).indices(0))
    epoch = np.concatenate([b1.indices(i) for i in range(b1.per_epoch)])
    assert len(set(epoch.tolist())) == len(epoch) == b1.per_epoch * 100
    assert not np.array_equal(b1.indices(0), b1.indices(b1.per_epoch))     # a new order each epoch
    batch = b1.batch(5)
    lengths = [len(seqs[k]) for k in b1.indices(5)]
    assert batch.shape[0] == 100 and batch.shape[1] <= max(lengths) + 2
    np.testing.assert_array_equal(batch[:, 0], np.tile([0, 0, 1, 0, 0], (100, 1)))
    assert (batch[:, -1, 4] == 1).all()                        # every sketch ends with an end row
    np.testing.assert_array_equal(lengths_of(batch), (batch[:, 1:, 4] == 0).sum(axis=1))
    with pytest.raises(QuickDrawError, match="fewer than the batch size"):
        TrainBatches(seqs[:10], data.scale, 100, seed=0)


def test_split_by_length_covers_the_batch_and_cuts_the_work(mirror):
    data = _eye(mirror)
    batches = TrainBatches(data.splits["train"], data.scale, 100, seed=0)
    whole = split_work = reference = 0
    for step in range(30):
        lengths = lengths_of(batches.batch(step))
        groups = split_by_length(lengths, 3)
        assert 1 < len(groups) <= 3 and sorted(np.concatenate(groups).tolist()) == list(range(100))
        assert all(lengths[a].max() <= lengths[b].min() for a, b in zip(groups, groups[1:]))
        whole += (lengths.max() + 2) * 100
        split_work += sum((lengths[g].max() + 2) * len(g) for g in groups)
        reference += 252 * 100
    assert split_work < 0.55 * whole and split_work < 0.35 * reference
    assert [g.tolist() for g in split_by_length([5, 1, 3], 1)] == [[1, 2, 0]]
    groups = split_by_length([200, 3, 4, 5], 3, overhead=0)
    assert len(groups) == 3 and groups[-1].tolist() == [0]  # the long sketch runs alone
    assert len(split_by_length([10, 11, 12, 13], 3)) == 1   # splitting similar lengths would cost more


def test_eval_batches_cover_everything_once(mirror):
    data = _eye(mirror)
    seqs = data.splits["valid"]
    batches = list(eval_batches(seqs, data.scale, 64))
    assert sum(len(b) for b in batches) == len(seqs)
    real = sum(int((b[:, 1:, 4] < 0.5).sum()) for b in batches)
    assert real == sum(len(s) for s in seqs)


def test_length_buckets_keep_every_sketch_and_pad_less(mirror):
    data = load_source(mirror / "sketchrnn" / "eye.npz")
    seqs = data.splits["train"]
    plain = TrainBatches(seqs, data.scale, 100, seed=0)
    sorted_ = TrainBatches(seqs, data.scale, 100, seed=0, length_buckets=10)
    per_epoch = plain.per_epoch
    a = np.concatenate([plain.indices(s) for s in range(per_epoch)])
    b = np.concatenate([sorted_.indices(s) for s in range(per_epoch)])
    assert sorted(a.tolist()) == sorted(b.tolist())  # the same sketches in each epoch, once each
    lengths = np.array([len(q) for q in seqs])
    longest = lambda batches: np.mean([lengths[batches.indices(s)].max() for s in range(per_epoch)])
    assert longest(sorted_) < 0.6 * longest(plain)
    assert not np.array_equal(sorted_.indices(0), sorted_.indices(per_epoch))  # new batches each epoch
    # every point of a length-sorted batch weighs what a point of an average batch does
    assert plain.recon_scale(3) == 1.0
    points = np.array([lengths[sorted_.indices(s)].sum() for s in range(per_epoch)])
    scales = np.array([sorted_.recon_scale(s) for s in range(per_epoch)])
    np.testing.assert_allclose(scales * points, lengths.mean() * 100)
    assert scales.min() < 0.7 and scales.max() > 1.5
