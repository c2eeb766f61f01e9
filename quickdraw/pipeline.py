"""tf.data pipelines over built dataset folders: bitmaps, or stroke-5 sequences, as (x, label) batches.

>>> train = load("homework/", "bitmap", split="train", batch_size=128)  # doctest: +SKIP
>>> model.fit(train, validation_data=load("homework/", "bitmap", split="valid"))  # doctest: +SKIP
"""
from __future__ import annotations

from .dataset_folder import open_dataset
from .errors import QuickDrawError

KINDS = ("bitmap", "strokes")


def load(path, kind: str = "bitmap", split: str = "train", batch_size: int = 64, shuffle: bool | None = None,
         augment: bool = False, seed: int | None = None, max_len: int | None = None,
         drop_remainder: bool = False):
    """Return a ``tf.data.Dataset`` of ``(x, label)`` batches from the dataset folder at ``path``.

    kind "bitmap": x is uint8 (B, size, size, 1), white ink on black. With ``augment`` the bitmaps are
    rendered on the fly from strokes with a random scale, rotation and jitter per drawing, new every epoch.
    kind "strokes": x is float32 stroke-5 (B, L + 1, 5) starting with the start token, offsets divided by
    the dataset's scale factor, padded to the longest sequence in the batch; sequences longer than
    ``max_len`` points are dropped. ``shuffle`` defaults to True for the train split only.
    """
    import tensorflow as tf

    if kind not in KINDS:
        raise QuickDrawError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    if batch_size < 1:
        raise QuickDrawError(f"batch size must be positive, not {batch_size}")
    folder = open_dataset(path)
    shuffle = (split == "train") if shuffle is None else shuffle
    if kind == "bitmap" and not augment:
        ds = _bitmap_batches(tf, folder, split, batch_size, shuffle, seed, drop_remainder)
        return ds.prefetch(tf.data.AUTOTUNE)
    if augment and kind == "bitmap" and not folder.has_strokes:
        raise QuickDrawError(f"{path} holds bitmaps only (built with --source bitmap); on-the-fly "
                             "augmentation needs strokes: build from a vector source")
    ds = _stroke_batches(tf, folder, split, batch_size, shuffle, seed, drop_remainder, max_len)
    if kind == "bitmap":
        from .render import tf_render_batch
        size = folder.image_size
        # one seed per batch, drawn anew each epoch: new distortions every epoch, reproducible by seed
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        ds = tf.data.Dataset.zip((ds, seeds)).map(
            lambda batch, s: (tf_render_batch(batch[0], size, augment=True, seed=s), batch[1]),
            num_parallel_calls=tf.data.AUTOTUNE)
        return ds.prefetch(tf.data.AUTOTUNE)
    scale = float(folder.manifest["scale_factor"])
    ds = ds.map(lambda s3, y: (_stroke5_batch(tf, tf.cast(s3.to_tensor(), tf.float32),
                                              tf.cast(s3.row_lengths(), tf.int32), scale), y),
                num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def _bitmap_batches(tf, folder, split, batch_size, shuffle, seed, drop_remainder):
    """Batches (uint8 (B, size, size, 1), labels int32 (B,)), gathered whole from each shard."""
    size = folder.image_size

    def shard_batches(path, count, shard_seed):
        records = tf.reshape(tf.io.decode_raw(tf.io.read_file(path), tf.uint8), (-1, 2 + size * size))

        def gather(i):
            rows = tf.gather(records, i)
            labels = tf.cast(rows[:, 0], tf.int32) + 256 * tf.cast(rows[:, 1], tf.int32)
            return tf.reshape(rows[:, 2:], (-1, size, size, 1)), labels

        index = tf.range(count)
        return _index_batches(tf, index, batch_size, shuffle, shard_seed, drop_remainder).map(gather)

    return _shards(tf, folder, split, "bitmaps", shuffle, seed).interleave(
        shard_batches, cycle_length=2, num_parallel_calls=tf.data.AUTOTUNE, deterministic=not shuffle)


def _stroke_batches(tf, folder, split, batch_size, shuffle, seed, drop_remainder, max_len):
    """Batches (ragged stroke-3 int16 (B, None, 3), labels int32 (B,)), gathered whole from each shard."""

    def shard_batches(path, count, shard_seed):
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
        return _index_batches(tf, index, batch_size, shuffle, shard_seed, drop_remainder).map(gather)

    return _shards(tf, folder, split, "strokes", shuffle, seed).interleave(
        shard_batches, cycle_length=2, num_parallel_calls=tf.data.AUTOTUNE, deterministic=not shuffle)


def _shards(tf, folder, split, kind, shuffle, seed):
    """(path, drawing count, seed) per shard; shuffled shard order and seeds new every epoch."""
    files = [str(p) for p in folder.shard_paths(split, kind)]
    counts = tf.constant([s["count"] for s in folder.manifest["shards"][split]], tf.int64)
    shards = tf.data.Dataset.from_tensor_slices((files, counts))
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    shards = tf.data.Dataset.zip((shards, seeds)).map(lambda shard, s: (shard[0], shard[1], s))
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
