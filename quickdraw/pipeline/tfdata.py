"""tf.data pipelines over built dataset folders: bitmaps, or stroke-5 sequences, as (x, label) batches.

Splits are named as in TFDS and may be sliced: ``"train"``, ``"validation"`` (or ``"valid"``),
``"test"``, ``"train[:90%]"``, ``"train[90%:]"``, ``"test[:100]"``. Datasets know their cardinality
(Keras sees how many batches an epoch has) and carry ``class_names``.

>>> train = load("homework/", "bitmap", split="train[:90%]", batch_size=128)  # doctest: +SKIP
>>> model.fit(train, validation_data=load("homework/", "bitmap", split="train[90%:]"))  # doctest: +SKIP
"""
from __future__ import annotations

import re

import numpy as np

from ..builder.folder import open_dataset, read_strokes_shard
from ..errors import QuickDrawError

KINDS = ("bitmap", "strokes")
SPLIT_NAMES = {"train": "train", "valid": "valid", "validation": "valid", "test": "test"}
UNBATCHED_BITMAPS = 256  # batch size read in when batch_size is None (then unbatched)
_SLICE = re.compile(r"^(\w+)(?:\[(-?\d+%?)?:(-?\d+%?)?\])?$")


def parse_split(text: str, folder) -> tuple[str, int, int]:
    """(stored split name, first, stop) of a TFDS-style split such as ``"train[:90%]"`` of ``folder``.

    Percent bounds round as TFDS rounds them (to the nearest example); absolute bounds may be negative
    (from the end).
    """
    m = _SLICE.match(str(text).replace(" ", ""))
    if not m or m.group(1) not in SPLIT_NAMES:
        raise QuickDrawError(f"unknown split {text!r}; use train, validation or test, optionally sliced "
                             "like train[:90%], train[90%:] or test[:100]")
    split = SPLIT_NAMES[m.group(1)]
    n = folder.count(split)

    def bound(value, default):
        if value is None:
            return default
        if value.endswith("%"):
            percent = int(value[:-1])
            if not -100 <= percent <= 100:
                raise QuickDrawError(f"split {text!r}: a percent bound must be within -100% .. 100%")
            return int(round(n * (percent % 100 if percent < 0 else percent) / 100)) if percent != -100 else 0
        k = int(value)
        return max(0, min(n, k if k >= 0 else n + k))

    first, stop = bound(m.group(2), 0), bound(m.group(3), n)
    return split, first, max(first, stop)


def load(path, kind: str = "bitmap", split: str = "train", batch_size: int | None = 64, shuffle: bool | None = None,
         augment: bool = False, seed: int | None = None, max_len: int | None = None,
         drop_remainder: bool = False, as_supervised: bool = True):
    """Return a ``tf.data.Dataset`` of ``(x, label)`` batches from the dataset folder at ``path``.

    kind "bitmap": x is uint8 (B, size, size, 1), white ink on black. With ``augment`` the bitmaps are
    rendered on the fly from strokes with a random scale, rotation and jitter per drawing, new every epoch.
    kind "strokes": x is float32 stroke-5 (B, L + 1, 5) starting with the start token, offsets divided by
    the dataset's scale factor, padded to the longest sequence in the batch; sequences longer than
    ``max_len`` points are dropped. ``shuffle`` defaults to True for the train split only.
    ``split`` is a TFDS-style split (see the module). ``batch_size=None`` yields single examples
    (a stroke sequence then has its own length). ``as_supervised=False`` yields dicts
    ``{"image" or "strokes": x, "label": y}`` as TFDS does. The dataset has a known cardinality and
    ``class_names``.
    """
    import tensorflow as tf

    if kind not in KINDS:
        raise QuickDrawError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise QuickDrawError(f"batch_size must be a positive whole number or None, not {batch_size!r}")
    folder = open_dataset(path)
    name, first, stop = parse_split(split, folder)
    shuffle = (name == "train") if shuffle is None else shuffle
    unbatched = batch_size is None
    if unbatched:
        batch_size = UNBATCHED_BITMAPS if kind == "bitmap" else 1
    window = (first, stop)
    if kind == "bitmap" and not augment:
        ds = _bitmap_batches(tf, folder, name, batch_size, shuffle, seed, drop_remainder, window)
    elif augment and kind == "bitmap" and not folder.has_strokes:
        raise QuickDrawError(f"{path} holds bitmaps only (built with --source bitmap); on-the-fly "
                             "augmentation needs strokes: build from a vector source")
    else:
        ds = _stroke_batches(tf, folder, name, batch_size, shuffle, seed, drop_remainder, max_len, window)
        if kind == "bitmap":
            from ..raster.render import tf_render_batch
            size = folder.image_size
            # one seed per batch, drawn anew each epoch: new distortions every epoch, reproducible by seed
            seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
            ds = tf.data.Dataset.zip((ds, seeds)).map(
                lambda batch, s: (tf_render_batch(batch[0], size, augment=True, seed=s), batch[1]),
                num_parallel_calls=tf.data.AUTOTUNE)
        else:
            scale = float(folder.manifest["scale_factor"])
            ds = ds.map(lambda s3, y: (_stroke5_batch(tf, tf.cast(s3.to_tensor(), tf.float32),
                                                      tf.cast(s3.row_lengths(), tf.int32), scale), y),
                        num_parallel_calls=tf.data.AUTOTUNE)
    sizes = _kept_per_shard(folder, name, kind, max_len, window, augment)
    batches = sum((n // batch_size) if drop_remainder else -(-n // batch_size) for n in sizes)
    ds = ds.apply(tf.data.experimental.assert_cardinality(batches))
    if unbatched:
        ds = ds.unbatch().apply(tf.data.experimental.assert_cardinality(sum(sizes)))
    if not as_supervised:
        key = "image" if kind == "bitmap" else "strokes"
        ds = ds.map(lambda x, y: {key: x, "label": y})
    ds = ds.prefetch(tf.data.AUTOTUNE)
    ds.class_names = folder.classes
    return ds


def _kept_per_shard(folder, split, kind, max_len, window, augment) -> list[int]:
    """How many drawings each shard of ``split`` gives within ``window`` (and ``max_len``), in shard order."""
    first, stop = window
    shards = folder.manifest["shards"][split]
    sizes, offset = [], 0
    strokes = kind == "strokes" or augment
    paths = folder.shard_paths(split, "strokes") if strokes else [None] * len(shards)
    for shard, path in zip(shards, paths):
        index = np.arange(offset, offset + shard["count"])
        keep = (index >= first) & (index < stop)
        if strokes and max_len is not None:
            keep &= read_strokes_shard(path, shard["count"])[1] <= max_len
        sizes.append(int(keep.sum()))
        offset += shard["count"]
    return sizes


def _bitmap_batches(tf, folder, split, batch_size, shuffle, seed, drop_remainder, window):
    """Batches (uint8 (B, size, size, 1), labels int32 (B,)), gathered whole from each shard."""
    size = folder.image_size

    def shard_batches(path, count, offset, shard_seed):
        records = tf.reshape(tf.io.decode_raw(tf.io.read_file(path), tf.uint8), (-1, 2 + size * size))

        def gather(i):
            rows = tf.gather(records, i)
            labels = tf.cast(rows[:, 0], tf.int32) + 256 * tf.cast(rows[:, 1], tf.int32)
            return tf.reshape(rows[:, 2:], (-1, size, size, 1)), labels

        index = _window(tf, tf.range(count, dtype=tf.int64), offset, window)
        return _index_batches(tf, index, batch_size, shuffle, shard_seed, drop_remainder).map(gather)

    return _shards(tf, folder, split, "bitmaps", shuffle, seed).interleave(
        shard_batches, cycle_length=2, num_parallel_calls=tf.data.AUTOTUNE, deterministic=not shuffle)


def _stroke_batches(tf, folder, split, batch_size, shuffle, seed, drop_remainder, max_len, window):
    """Batches (ragged stroke-3 int16 (B, None, 3), labels int32 (B,)), gathered whole from each shard."""

    def shard_batches(path, count, offset, shard_seed):
        data = tf.io.decode_raw(tf.io.read_file(path), tf.int16)
        labels = tf.cast(data[:count], tf.int32)
        lengths = tf.cast(data[count:2 * count], tf.int64)
        points = tf.reshape(data[2 * count:], (-1, 3))
        starts = tf.cumsum(lengths, exclusive=True)

        def gather(i):
            first, n = tf.gather(starts, i), tf.gather(lengths, i)
            rows = tf.gather(points, tf.ragged.range(first, first + n).flat_values)
            return tf.RaggedTensor.from_row_lengths(rows, n), tf.gather(labels, i)

        index = tf.range(count, dtype=tf.int64)
        if max_len is not None:
            index = tf.boolean_mask(index, lengths <= max_len)
        index = _window(tf, index, offset, window)
        return _index_batches(tf, index, batch_size, shuffle, shard_seed, drop_remainder).map(gather)

    return _shards(tf, folder, split, "strokes", shuffle, seed).interleave(
        shard_batches, cycle_length=2, num_parallel_calls=tf.data.AUTOTUNE, deterministic=not shuffle)


def _window(tf, index, offset, window):
    """The drawings of ``index`` (a shard's, starting at ``offset`` in the split) within ``window``."""
    position = index + offset
    return tf.boolean_mask(index, (position >= window[0]) & (position < window[1]))


def _shards(tf, folder, split, kind, shuffle, seed):
    """(path, drawing count, offset in the split, seed) per shard; shuffled shard order and seeds new every epoch."""
    files = [str(p) for p in folder.shard_paths(split, kind)]
    sizes = [s["count"] for s in folder.manifest["shards"][split]]
    counts = tf.constant(sizes, tf.int64)
    offsets = tf.constant(np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64) if sizes else [], tf.int64)
    shards = tf.data.Dataset.from_tensor_slices((files, counts, offsets))
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    shards = tf.data.Dataset.zip((shards, seeds)).map(lambda shard, s: (shard[0], shard[1], shard[2], s))
    return shards.shuffle(len(files), seed=seed) if shuffle else shards


def _index_batches(tf, index, batch_size, shuffle, shard_seed, drop_remainder):
    """A dataset of index batches over ``index``, in a seeded random order when ``shuffle``.

    Batches are sliced from one permutation, so tf.data pays per batch, not per drawing.
    """
    if shuffle:
        index = tf.random.experimental.stateless_shuffle(index, seed=tf.stack([shard_seed, 0]))
    total = tf.size(index, out_type=tf.int64)
    batches = total // batch_size if drop_remainder else (total + batch_size - 1) // batch_size
    return tf.data.Dataset.range(batches).map(
        lambda b: index[b * batch_size:tf.minimum((b + 1) * batch_size, total)])


def _stroke5_batch(tf, s3, lengths, scale):
    """Turn a zero-padded stroke-3 batch into stroke-5 with the start token, offsets divided by ``scale``."""
    steps = tf.shape(s3)[1]
    real = tf.sequence_mask(lengths, steps, dtype=tf.float32)
    lift = s3[:, :, 2] * real
    body = tf.stack([s3[:, :, 0] / scale, s3[:, :, 1] / scale, real - lift, lift, 1.0 - real], axis=-1)
    start = tf.tile(tf.constant([[[0.0, 0.0, 1.0, 0.0, 0.0]]]), [tf.shape(s3)[0], 1, 1])
    return tf.concat([start, body], axis=1)
