"""quickdraw.load: tf.data batches of bitmaps and stroke-5 sequences that feed Keras."""
import numpy as np
import pytest

from quickdraw.builder.folder import open_dataset
from quickdraw.errors import QuickDrawError
from quickdraw.formats import strokes
from quickdraw.pipeline.tfdata import load


def _collect(ds):
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds])
    return xs, np.concatenate(ys)


def test_bitmap_batches_cover_the_split_once(synthetic_dataset):
    xs, ys = _collect(load(synthetic_dataset, "bitmap", split="train", batch_size=16, seed=1))
    assert xs[0].shape == (16, 28, 28, 1) and xs[0].dtype == np.uint8
    folder = open_dataset(synthetic_dataset)
    assert sorted(ys.tolist()) == sorted(folder.labels("train").tolist())
    # without shuffling the pipeline returns exactly the stored bitmaps in order
    xs, ys = _collect(load(synthetic_dataset, "bitmap", split="test", batch_size=4))
    np.testing.assert_array_equal(np.concatenate(xs)[..., 0], folder.bitmaps("test"))
    np.testing.assert_array_equal(ys, folder.labels("test"))


def test_stroke_batches_are_stroke5_scaled_with_start_token(synthetic_dataset):
    folder = open_dataset(synthetic_dataset)
    scale = folder.manifest["scale_factor"]
    xs, ys = _collect(load(synthetic_dataset, "strokes", split="valid", batch_size=3))
    x = xs[0]
    seqs = folder.strokes3("valid")[:3]
    assert x.shape == (3, max(len(s) for s in seqs) + 1, 5)
    np.testing.assert_allclose(x, strokes.pad_batch(seqs, scale=scale), rtol=1e-6)
    np.testing.assert_array_equal(ys, folder.labels("valid"))


def test_max_len_drops_long_sequences(synthetic_dataset):
    folder = open_dataset(synthetic_dataset)
    limit = int(np.median([len(s) for s in folder.strokes3("train")]))
    xs, ys = _collect(load(synthetic_dataset, "strokes", split="train", batch_size=64, max_len=limit))
    expected = sum(len(s) <= limit for s in folder.strokes3("train"))
    assert len(ys) == expected and xs[0].shape[1] <= limit + 1


def test_augmented_bitmaps_change_every_epoch(synthetic_dataset):
    ds = load(synthetic_dataset, "bitmap", split="test", batch_size=6, shuffle=False, augment=True, seed=3)
    first = np.concatenate([x.numpy() for x, _ in ds])
    second = np.concatenate([x.numpy() for x, _ in ds])
    assert first.shape == (6, 28, 28, 1) and first.max() > 100
    assert not np.array_equal(first, second)


def test_load_feeds_keras_fit(synthetic_dataset):
    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Rescaling(1 / 255),
                              keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(load(synthetic_dataset, "bitmap", batch_size=16), epochs=2, verbose=0,
                        validation_data=load(synthetic_dataset, "bitmap", split="valid"))
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["val_loss"]).all()


def test_bad_arguments(synthetic_dataset, tmp_path):
    with pytest.raises(QuickDrawError, match="unknown kind"):
        load(synthetic_dataset, "pixels")
    with pytest.raises(QuickDrawError, match="unknown split"):
        load(synthetic_dataset, "bitmap", split="holdout")
    with pytest.raises(QuickDrawError, match="not a qd dataset"):
        load(tmp_path, "bitmap")
