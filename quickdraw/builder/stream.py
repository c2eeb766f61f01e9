"""The local builder: drawings stream from the sources into shards; memory does not grow with the dataset.

Two passes, the second over the build's own spill files, never over the sources:

1. Read the classes one after another (``records.class_records``), pack each chosen drawing as a
   record and append it to one of B bucket files in the partial folder, picked by its sort key's range.
   Only per-class counts stay in memory (and, for ``--sample random``, that class's reservoir).
2. Now that each class's size n is known, visit the buckets in key order: decode one, give each drawing
   its split (``plan.split_of``, exact sizes), sort by key and append to its split's open shard;
   a shard is rendered and written as soon as the keys pass its range.

Memory: one bucket (about ``BUCKET_SIZE`` drawings) plus one open shard per split. Disk: the spill is
about the size of the strokes and meta shards, removed as each bucket is read. B depends only on the
build's arguments and does not change the output.
"""
from __future__ import annotations

import math
import resource
from pathlib import Path

import numpy as np

from ..core.atomic import reporting
from .folder import SPLITS
from .plan import shard_count, shard_of, split_of, split_sizes, split_totals
from .records import Choice, class_records, decode_all, header, scale_factor, source_url, write_shard

BUCKET_SIZE = 16_384  # drawings per spill bucket, on average
MAX_BUCKETS = 1024
GUESS_PER_CLASS = 150_000  # for --count all: the largest category holds ~350k, the mean ~145k
_FLUSH_BYTES = 32 * 2 ** 20  # spill bytes buffered in memory, over all buckets


def bucket_count(classes: int, count: int | None) -> int:
    """How many spill buckets a build of ``classes`` x ``count`` drawings uses (1 .. MAX_BUCKETS)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = MAX_BUCKETS if soft == resource.RLIM_INFINITY else max(1, min(MAX_BUCKETS, soft - 64))
    estimate = classes * (count if count is not None else GUESS_PER_CLASS)
    return max(1, min(limit, math.ceil(estimate / BUCKET_SIZE)))


def build_local(tmp: Path, out: Path, names, choice: Choice, splits, size: int, has_strokes: bool,
                progress=None):
    """Write the shards of a build into ``tmp``; return (counts {split: {class: n}}, shards, scale, urls)."""
    spill = tmp / ".spill"
    with reporting(out, "write to"):
        spill.mkdir()
    buckets = bucket_count(len(names), choice.count)
    sizes, urls = _spill(spill, out, names, choice, buckets, progress)
    shards, stats = _write_splits(tmp, out, spill, names, sizes, choice.seed, splits, size, has_strokes,
                                  buckets, progress)
    spill.rmdir()
    counts = {s: {} for s in SPLITS}
    for label, name in enumerate(names):
        for split, k in zip(SPLITS, split_sizes(sizes[label], splits)):
            counts[split][name] = k
    return counts, shards, scale_factor(*stats), urls


def _spill(spill: Path, out: Path, names, choice: Choice, buckets: int, progress):
    """Pass 1: every chosen record into its bucket file; return ({label: n}, {class: url})."""
    files = []
    with reporting(out, "write to"):
        files = [open(spill / f"{b:05d}", "wb", buffering=0) for b in range(buckets)]
    buffers = [bytearray() for _ in range(buckets)]
    limit = max(4096, _FLUSH_BYTES // buckets)
    sizes, urls = {}, {}
    try:
        for label, name in enumerate(names):
            urls[name] = source_url(name, choice)
            n = 0
            for record in class_records(name, label, choice):
                b = (header(record)[0] >> 32) * buckets >> 32
                buf = buffers[b]
                buf += record
                if len(buf) >= limit:
                    with reporting(out, "write to"):
                        files[b].write(buf)
                    buf.clear()
                n += 1
                if progress is not None and n % 1024 == 0:
                    progress.set_postfix_str(f"reading {name}", refresh=False)
            sizes[label] = n
        with reporting(out, "write to"):
            for f, buf in zip(files, buffers):
                f.write(buf)
    finally:
        for f in files:
            f.close()
    return sizes, urls


class _OpenShards:
    """One split's shards: the one being filled and the ones written, in key order."""

    def __init__(self, split: str, shards: int, writer):
        self.split, self.total, self.write = split, shards, writer
        self.current, self.entries = 0, []
        self.labels, self.payloads, self.metas = [], [], []

    def add(self, shard: int, labels, payloads, metas) -> None:
        while self.current < shard:
            self._close()
        self.labels.extend(labels)
        self.payloads.extend(payloads)
        self.metas.extend(metas)

    def finish(self) -> list:
        while self.current < self.total:
            self._close()
        return self.entries

    def _close(self) -> None:
        self.entries.append(self.write(f"{self.split}-{self.current:05d}", self.labels, self.payloads,
                                       self.metas, self.split == "train"))
        self.labels, self.payloads, self.metas = [], [], []
        self.current += 1


def _write_splits(tmp, out, spill, names, sizes, seed, splits, size, has_strokes, buckets, progress):
    """Pass 2: buckets in key order into shards; return ({split: [entries]}, train offset sums)."""
    stats = [0, 0, 0]

    def writer(stem, labels, payloads, metas, train):
        entry, shard_stats = write_shard(tmp, out, stem, labels, payloads, metas, size, has_strokes)
        if train:
            for i, v in enumerate(shard_stats):
                stats[i] += v
        if progress is not None:
            progress.update(len(labels))
        return entry

    totals = split_totals(sizes, splits)
    open_shards = [_OpenShards(s, shard_count(t), writer) for s, t in zip(SPLITS, totals)]
    for b in range(buckets):
        path = spill / f"{b:05d}"
        keys, labels, indexes, payloads, metas = decode_all(path.read_bytes(), size)
        path.unlink()
        if not len(keys):
            continue
        split = np.empty(len(keys), np.int64)
        for label in np.unique(labels):
            mine = labels == label
            split[mine] = split_of(indexes[mine], sizes[int(label)], splits, seed, int(label))
        order = np.lexsort((indexes, labels, keys))
        for s, shards in enumerate(open_shards):
            rows = order[split[order] == s]
            if not len(rows):
                continue
            shard = shard_of(keys[rows], shards.total)
            starts = np.concatenate([[0], np.flatnonzero(np.diff(shard)) + 1])
            for start, part in zip(starts, np.split(rows, starts[1:])):
                shards.add(int(shard[start]), labels[part].tolist(), [payloads[i] for i in part],
                           [metas[i] for i in part])
    return {s.split: s.finish() for s in open_shards}, stats
