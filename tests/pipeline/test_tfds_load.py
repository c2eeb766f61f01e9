"""``quickdraw.load`` shaped like ``tfds.load``: build-or-reuse from names, TFDS split slicing, known cardinality,
unbatched examples, dicts or pairs, ``info`` and ``show_examples``; checked against numpy reads of the folder."""
import numpy as np
import pytest

pytest.importorskip("tensorflow")

import quickdraw  # noqa: E402
from quickdraw.builder.folder import open_dataset  # noqa: E402
from quickdraw.errors import QuickDrawError  # noqa: E402


def _labels(ds):
    return np.concatenate([np.atleast_1d(np.asarray(y)) for _, y in ds])


def test_split_slices_take_the_stored_order_like_tfds(synthetic_dataset):
    folder = open_dataset(synthetic_dataset)
    want = folder.labels("train")
    n = len(want)
    head = _labels(quickdraw.load(synthetic_dataset, split="train[:50%]", shuffle=False, batch_size=7))
    tail = _labels(quickdraw.load(synthetic_dataset, split="train[50%:]", shuffle=False, batch_size=7))
    assert np.array_equal(np.concatenate([head, tail]), want) and len(head) == round(n / 2)
    first = _labels(quickdraw.load(synthetic_dataset, split="train[:10]", shuffle=False))
    assert np.array_equal(first, want[:10])
    last = _labels(quickdraw.load(synthetic_dataset, split="train[-5:]", shuffle=False))
    assert np.array_equal(last, want[-5:])
    valid = _labels(quickdraw.load(synthetic_dataset, split="validation", shuffle=False))
    assert np.array_equal(valid, folder.labels("valid"))
    shuffled = _labels(quickdraw.load(synthetic_dataset, split="train[:50%]", seed=3))
    assert sorted(shuffled) == sorted(head)  # the same examples, in another order


def test_cardinality_is_known_and_keras_sees_whole_epochs(synthetic_dataset):
    import tensorflow as tf

    n = open_dataset(synthetic_dataset).count("train")
    ds = quickdraw.load(synthetic_dataset, split="train", batch_size=16)
    batches = int(ds.cardinality())
    assert batches > 0 and batches == sum(1 for _ in ds)
    assert int(quickdraw.load(synthetic_dataset, split="train", batch_size=None).cardinality()) == n
    strokes = quickdraw.load(synthetic_dataset, "strokes", split="train", batch_size=8, max_len=40)
    assert int(strokes.cardinality()) == sum(1 for _ in strokes)
    assert ds.cardinality() != tf.data.UNKNOWN_CARDINALITY


def test_unbatched_examples_dicts_and_class_names(synthetic_dataset):
    folder = open_dataset(synthetic_dataset)
    ds = quickdraw.load(synthetic_dataset, split="test", batch_size=None, as_supervised=False, shuffle=False)
    first = next(iter(ds))
    assert set(first) == {"image", "label"} and tuple(first["image"].shape) == (28, 28, 1)
    assert np.array_equal(first["image"].numpy()[..., 0], folder.bitmaps("test")[0])
    assert ds.class_names == folder.classes
    seq = next(iter(quickdraw.load(synthetic_dataset, "strokes", split="test", batch_size=None, shuffle=False)))[0]
    assert seq.shape[-1] == 5 and seq.shape[0] == len(folder.strokes3("test")[0]) + 1


def test_load_from_names_builds_once_and_gives_info(tmp_path):
    ds, info = quickdraw.load(["circle", "star"], count=30, synthetic=True, split="train[:90%]", with_info=True,
                              data_dir=tmp_path, batch_size=None)
    assert info.features["label"].names == ["circle", "star"] and info.features["label"].num_classes == 2
    assert info.synthetic and "SYNTHETIC" in info.description
    total = info.splits["train"].num_examples
    assert sum(1 for _ in ds) == round(0.9 * total)
    [built] = list(tmp_path.iterdir())
    stamp = (built / "dataset.json").stat().st_mtime_ns
    again = quickdraw.load(["circle", "star"], count=30, synthetic=True, data_dir=tmp_path, split="test")
    assert (built / "dataset.json").stat().st_mtime_ns == stamp and len(list(tmp_path.iterdir())) == 1
    assert sum(1 for _ in again) >= 1
    quickdraw.load(["circle", "star"], count=31, synthetic=True, data_dir=tmp_path)
    assert len(list(tmp_path.iterdir())) == 2  # other arguments, another dataset
    fig = quickdraw.show_examples(ds, info, rows=2, cols=2)
    assert len([ax for ax in fig.axes if ax.images]) == 4
    assert fig.axes[0].get_title().split()[0] in ("circle", "star")


@pytest.mark.parametrize("kwargs, message", [
    ({"split": "training"}, "unknown split 'training'"),
    ({"split": "train[:150%]"}, "percent bound"),
    ({"batch_size": 0}, "batch_size must be a positive whole number or None"),
    ({"count": 10}, "count and build options apply only"),
])
def test_bad_arguments_are_one_clear_error(synthetic_dataset, kwargs, message):
    with pytest.raises(QuickDrawError, match=message):
        quickdraw.load(synthetic_dataset, **kwargs)


def test_keras_fit_runs_an_epoch_without_running_out(synthetic_dataset):
    import warnings

    import keras

    train = quickdraw.load(synthetic_dataset, split="train", batch_size=16)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Rescaling(1 / 255), keras.layers.Flatten(),
                              keras.layers.Dense(len(train.class_names), activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(train, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert not [w for w in caught if "ran out of data" in str(w.message)]
