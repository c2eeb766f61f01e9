"""``qd train-cnn --partial``: stroke prefixes rendered as the game renders drawings in progress, seeded per epoch."""
import json

import numpy as np
import pytest

from cli.main import main

keras = pytest.importorskip("keras")
from quickdraw import classifier  # noqa: E402
from quickdraw.builder.folder import open_dataset  # noqa: E402
from quickdraw.builder.subset import build  # noqa: E402
from quickdraw.classifier import seen, training  # noqa: E402
from quickdraw.formats.strokes import from_stroke3  # noqa: E402
from quickdraw.raster.render import render  # noqa: E402
from quickdraw.raster.simplify import simplify  # noqa: E402

CLASSES = ["cat", "eye", "fish"]


@pytest.fixture(scope="module")
def strokes_dataset(mirror, tmp_path_factory):
    return build(CLASSES, 25, tmp_path_factory.mktemp("partial") / "ds", mirror=str(mirror), quiet=True,
                 allow_short=True, seed=0)


def test_prefixes_are_the_first_strokes_simplified_again_and_rendered(strokes_dataset):
    folder = open_dataset(strokes_dataset)
    sequences, labels = folder.strokes3("train"), folder.labels("train")
    bitmaps, kept_labels = seen.prefix_bitmaps(sequences, labels, np.random.default_rng(7), 28)
    # The reference: draw k the same way, cut the strokes with numpy, bring each to the frame and render it.
    rng, expected, expected_labels = np.random.default_rng(7), [], []
    for sequence, label in zip(sequences, labels):
        lifts = np.flatnonzero(sequence[:, 2] == 1)
        strokes = len(lifts) + (sequence[-1, 2] == 0)
        if strokes < 2:
            continue
        k = int(rng.integers(1, strokes))
        xy = np.cumsum(sequence[:lifts[k - 1] + 1, :2], axis=0)
        pieces = [p.T for p in np.split(xy, lifts[:k - 1] + 1)]
        # Already spanning the frame (integers from near 0 to near 255): kept; else simplified again.
        spans = xy.min(axis=0).max() <= 8 and xy.max() >= 247
        prefix = pieces if spans else simplify(pieces)
        expected.append(render([[np.asarray(s) for s in prefix]], 28)[0])
        expected_labels.append(label)
    assert len(bitmaps) == len(expected) > 0.5 * len(sequences)
    assert np.array_equal(bitmaps, np.stack(expected)) and np.array_equal(kept_labels, expected_labels)
    whole = folder.bitmaps("train")
    assert not any(np.array_equal(b, w) for b, w in zip(bitmaps[:20], whole[:20]))


def test_the_classifier_sees_a_drawing_in_progress_as_training_rendered_its_prefixes(strokes_dataset):
    folder = open_dataset(strokes_dataset)
    drawings = [from_stroke3(s) for s in folder.strokes3("test")]
    strokes = next(d for d in drawings if len(d) > 2 and np.ptp(d[0], axis=1).max() < 200)
    reference = render([[np.asarray(s) for s in simplify(strokes[:1])]], 28)[0]  # moved, scaled to 255, thinned
    assert np.array_equal(seen.bitmap(strokes[:1], 28), reference)
    assert reference.sum() > 0 and not np.array_equal(reference, render([strokes[:1]], 28)[0])
    # A whole dataset drawing is already in the frame: rendered as stored.
    assert np.array_equal(seen.bitmap(strokes, 28), render([strokes], 28)[0])


def test_each_epoch_draws_its_own_prefixes_from_the_seed(strokes_dataset):
    folder = open_dataset(strokes_dataset)
    sequences, labels = folder.strokes3("train"), folder.labels("train")
    first = training.epoch_prefixes(sequences, labels, 0, 0, 28)[0]
    assert np.array_equal(first, training.epoch_prefixes(sequences, labels, 0, 0, 28)[0])
    assert not np.array_equal(first, training.epoch_prefixes(sequences, labels, 0, 1, 28)[0])
    assert not np.array_equal(first, training.epoch_prefixes(sequences, labels, 1, 0, 28)[0])


def test_partial_training_records_the_setting_and_steps_over_the_prefixes(strokes_dataset, tmp_path, capsys):
    folder = open_dataset(strokes_dataset)
    sequences = folder.strokes3("train")
    many = sum(len(from_stroke3(s)) > 1 for s in sequences)
    metrics = classifier.train(strokes_dataset, tmp_path / "run", model="mlp", epochs=2, batch_size=8, seed=1,
                               partial=True, verbose=2)
    out = capsys.readouterr().out
    assert f"on {len(sequences)} drawings and {many} stroke prefixes an epoch of 3 classes" in out
    assert f"{-(-(len(sequences) + many) // 8)}/{-(-(len(sequences) + many) // 8)}" in out  # steps of an epoch
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["settings"]["partial"] is True and metrics["examples"] == folder.count("test")


def test_bitmap_only_datasets_refuse_partial_in_one_line(mirror, tmp_path, capsys):
    bitmaps = build(CLASSES, 10, tmp_path / "bitmaps", source="bitmap", mirror=str(mirror), quiet=True)
    assert main(["train-cnn", str(bitmaps), "--out", str(tmp_path / "run"), "--partial"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--partial trains on stroke prefixes" in err and "holds bitmaps only" in err
    assert not (tmp_path / "run").exists()


def test_compiled_guesses_equal_the_models_own_forward_pass(strokes_dataset, tmp_path):
    classifier.train(strokes_dataset, tmp_path / "run", model="mlp", epochs=1, verbose=0)
    guesser = classifier.Classifier(tmp_path / "run")
    bitmaps = open_dataset(strokes_dataset).bitmaps("test")[:5]
    for b in bitmaps:
        eager = keras.ops.convert_to_numpy(guesser.model(b[None, :, :, None], training=False))[0]
        np.testing.assert_allclose(guesser.probabilities(b), eager, atol=1e-6)
