"""tf.data pipelines over built dataset folders: bitmaps, or stroke-5 sequences, as (x, label) batches.

>>> train = load("homework/", "bitmap", split="train", batch_size=128)  # doctest: +SKIP
>>> model.fit(train, validation_data=load("homework/", "bitmap", split="valid"))  # doctest: +SKIP
"""
from __future__ import annotations

from .dataset_folder import open_dataset
from .errors import QuickDrawError

KINDS = ("bitmap", "strokes")
SHUFFLE_BUFFER = 20_000


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
        ds = _bitmap_records(tf, folder, split, shuffle, seed)
        if shuffle:
            ds = ds.shuffle(SHUFFLE_BUFFER, seed=seed)
        size = folder.image_size
        ds = ds.batch(batch_size, drop_remainder=drop_remainder)
        ds = ds.map(lambda r: _decode_bitmaps(tf, r, size), num_parallel_calls=tf.data.AUTOTUNE)
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


def _bitmap_records(tf, folder, split, shuffle, seed):
    files = [str(p) for p in folder.shard_paths(split, "bitmaps")]
    record = 2 + folder.image_size ** 2
    names = tf.data.Dataset.from_tensor_slices(files)
    if shuffle:
        names = names.shuffle(len(files), seed=seed)
    return names.interleave(
        lambda f: tf.data.FixedLengthRecordDataset(f, record, buffer_size=1 << 20),
        cycle_length=min(4, len(files)), num_parallel_calls=tf.data.AUTOTUNE, deterministic=not shuffle)


def _decode_bitmaps(tf, records, size):
    raw = tf.io.decode_raw(records, tf.uint8)
    labels = tf.cast(raw[:, 0], tf.int32) + 256 * tf.cast(raw[:, 1], tf.int32)
    return tf.reshape(raw[:, 2:], (-1, size, size, 1)), labels


def _stroke_batches(tf, folder, split, batch_size, shuffle, seed, drop_remainder, max_len):
    """Batches (ragged stroke-3 int16 (B, None, 3), labels int32 (B,)), gathered whole from each shard.

    Each shard is read at once and its drawings are shuffled within it (shards were shuffled across
    classes when built); gathering a batch in one op avoids per-drawing tf.data overhead.
    """
    files = [str(p) for p in folder.shard_paths(split, "strokes")]
    counts = [s["count"] for s in folder.manifest["shards"][split]]
    shards = tf.data.Dataset.from_tensor_slices((files, tf.constant(counts, tf.int64)))
    if shuffle:
        shards = shards.shuffle(len(files), seed=seed)

    def shard_batches(path, count):
        data = tf.io.decode_raw(tf.io.read_file(path), tf.int16)
        labels = tf.cast(data[:count], tf.int32)
        lengths = tf.cast(data[count:2 * count], tf.int64)
        points = tf.reshape(data[2 * count:], (-1, 3))
        starts = tf.cumsum(lengths, exclusive=True)
        index = tf.data.Dataset.range(count)
        if max_len is not None:
            index = index.filter(lambda i: lengths[i] <= max_len)
        if shuffle:
            index = index.shuffle(SHUFFLE_BUFFER, seed=seed)

        def gather(i):
            first, n = tf.gather(starts, i), tf.gather(lengths, i)
            rows = tf.gather(points, tf.ragged.range(first, first + n).flat_values)
            return tf.RaggedTensor.from_row_lengths(rows, n), tf.gather(labels, i)

        return index.batch(batch_size, drop_remainder=drop_remainder).map(gather)

    return shards.interleave(shard_batches, cycle_length=min(2, len(files)),
                             num_parallel_calls=tf.data.AUTOTUNE, deterministic=not shuffle)


def _stroke5_batch(tf, s3, lengths, scale):
    """Turn a zero-padded stroke-3 batch into stroke-5 with the start token, offsets divided by ``scale``."""
    steps = tf.shape(s3)[1]
    real = tf.sequence_mask(lengths, steps, dtype=tf.float32)
    lift = s3[:, :, 2] * real
    body = tf.stack([s3[:, :, 0] / scale, s3[:, :, 1] / scale, real - lift, lift, 1.0 - real], axis=-1)
    start = tf.tile(tf.constant([[[0.0, 0.0, 1.0, 0.0, 0.0]]]), [tf.shape(s3)[0], 1, 1])
    return tf.concat([start, body], axis=1)
