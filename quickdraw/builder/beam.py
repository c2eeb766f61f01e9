"""``qd build --runner beam``: the same build as an Apache Beam pipeline (``pip install 'qd[beam]'``).

Read (one element per class: read its file, filter, choose, pack records; emit the class's size) ->
Place (with the sizes as a side input: each record's split and shard, ``plan``) -> GroupByKey on
(split, shard) -> Write (sort a shard by key, render, write its three files) -> Manifest (write the empty
shards no key fell into, then ``dataset.json``). Every step is ``plan``'s and ``records``'s,
as in the local builder, so the folder is the same file for file.

Shards are written into the hidden partial folder beside ``--out``, which the driver renames into place
once the pipeline has finished: the workers must see that folder (a local path on the DirectRunner, a
shared file system elsewhere). A failed pipeline leaves nothing in place of ``--out``.
"""
from __future__ import annotations

import logging
import re
import shlex
from pathlib import Path

from ..errors import QuickDrawError
from .folder import SPLITS
from .plan import shard_count, shard_of, split_of, split_sizes, split_totals
from .records import (Choice, class_records, decode_all, header, manifest, scale_factor, source_url, write_manifest,
                      write_shard)

INSTALL = "--runner beam needs Apache Beam: pip install 'qd[beam]' (or pip install 'apache-beam>=2.50')"


def require_beam() -> None:
    """Raise the one-line install hint when Apache Beam is not installed."""
    try:
        _import_beam()
    except ImportError:
        raise QuickDrawError(INSTALL) from None


def build_beam(tmp: Path, out: Path, names, choice: Choice, splits, size: int, has_strokes: bool,
               options: str | None = None) -> None:
    """Run the build as a Beam pipeline writing shards and manifest into ``tmp``.

    ``options`` is a command line of standard pipeline options (``--runner``, ``--direct_num_workers``,
    a Dataflow project...); none means the DirectRunner."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    try:
        argv = shlex.split(options or "")
    except ValueError as err:
        raise QuickDrawError(f"--beam-options cannot be parsed ({err})") from None
    urls = {name: source_url(name, choice) for name in names}
    config = dict(tmp=str(tmp), out=str(out), names=list(names), choice=choice, splits=tuple(splits),
                  size=size, has_strokes=has_strokes, urls=urls)
    muted = logging.root.manager.disable  # Beam warns of absent cloud clients and logs a failed step's
    logging.disable(logging.CRITICAL)      # traceback: the step's error is said once, as one line, below
    try:
        with beam.Pipeline(options=PipelineOptions(argv)) as p:
            read = (p | "Classes" >> beam.Create(list(enumerate(names)))
                    | "Read" >> beam.ParDo(_Read(choice)).with_outputs("sizes", main="records"))
            sizes = beam.pvalue.AsDict(read.sizes)
            (read.records
             | "Batch" >> beam.BatchElements(min_batch_size=64, max_batch_size=4096)
             | "Place" >> beam.ParDo(_place, sizes, config)
             | "Shard" >> beam.GroupByKey()
             | "Write" >> beam.Map(_write, config)
             | "Collect" >> beam.combiners.ToList()
             | "Manifest" >> beam.Map(_finish, beam.pvalue.AsDict(read.sizes), config))
    except Exception as err:  # runners wrap what a step raised, adding "[while running '...']"
        raise _user_error(err) from None
    finally:
        logging.disable(muted)


def _import_beam():
    """``apache_beam``, imported without its warning about absent cloud client libraries."""
    muted = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        import apache_beam
        return apache_beam
    finally:
        logging.disable(muted)


try:
    _beam = _import_beam()

    class _Read(_beam.DoFn):
        """One class: its chosen records, then its size on the "sizes" output."""

        def __init__(self, choice: Choice):
            self.choice = choice

        def process(self, element):
            label, name = element
            n = 0
            for record in class_records(name, label, self.choice):
                yield record
                n += 1
            yield _beam.pvalue.TaggedOutput("sizes", (label, n))
except ImportError:  # pragma: no cover - the builder says how to install Beam first
    _Read = None


def _place(batch, sizes, config):
    """((split, shard), record) for a batch of records, given every class's size."""
    import numpy as np

    heads = np.array([header(r) for r in batch], dtype=np.uint64).reshape(-1, 3)
    keys, labels, indexes = heads[:, 0], heads[:, 1].astype(np.int64), heads[:, 2].astype(np.int64)
    counts = {int(k): v for k, v in sizes.items()}
    totals = split_totals(counts, config["splits"])
    split = np.empty(len(batch), np.int64)
    for label in np.unique(labels):
        mine = labels == label
        split[mine] = split_of(indexes[mine], counts[int(label)], config["splits"], config["choice"].seed,
                               int(label))
    for s in range(len(SPLITS)):
        rows = np.flatnonzero(split == s)
        shards = shard_of(keys[rows], shard_count(totals[s]))
        for i, j in zip(rows.tolist(), shards.tolist()):
            yield (s, int(j)), batch[i]


def _write(group, config):
    """Write one shard from its records; return (split, shard, manifest entry, offset sums)."""
    import numpy as np

    (s, j), records = group
    keys, labels, indexes, payloads, metas = decode_all(b"".join(records), config["size"])
    order = np.lexsort((indexes, labels, keys))
    entry, stats = write_shard(Path(config["tmp"]), Path(config["out"]), f"{SPLITS[s]}-{j:05d}",
                               labels[order], [payloads[i] for i in order], [metas[i] for i in order],
                               config["size"], config["has_strokes"])
    return s, j, entry, stats


def _finish(written, sizes, config):
    """Write the shards no drawing fell into, then the manifest."""
    names, splits = config["names"], config["splits"]
    counts_by_label = {int(k): v for k, v in sizes.items()}
    totals = split_totals(counts_by_label, splits)
    done = {(s, j): (entry, stats) for s, j, entry, stats in written}
    shards, train = {}, [0, 0, 0]
    for s, split in enumerate(SPLITS):
        shards[split] = []
        for j in range(shard_count(totals[s])):
            if (s, j) not in done:
                done[(s, j)] = write_shard(Path(config["tmp"]), Path(config["out"]), f"{split}-{j:05d}", [], [],
                                           [], config["size"], config["has_strokes"])
            entry, stats = done[(s, j)]
            shards[split].append(entry)
            if split == "train":
                train = [a + b for a, b in zip(train, stats)]
    counts = {split: {} for split in SPLITS}
    for label, name in enumerate(names):
        for split, k in zip(SPLITS, split_sizes(counts_by_label[label], splits)):
            counts[split][name] = k
    write_manifest(Path(config["tmp"]), Path(config["out"]),
                   manifest(names, counts, shards, scale_factor(*train), config["urls"], choice=config["choice"],
                            splits=splits, size=config["size"], has_strokes=config["has_strokes"]))


def _user_error(err: BaseException) -> QuickDrawError:
    """The QuickDrawError a pipeline step raised, out of the runner's wrapping (or the error as one line)."""
    seen = err
    while seen is not None:
        if isinstance(seen, QuickDrawError):
            return QuickDrawError(_unwrap(str(seen)))
        seen = seen.__cause__ or seen.__context__
    text = str(err)
    found = re.search(r"QuickDrawError: (.+)", text)
    if found:
        return QuickDrawError(_unwrap(found.group(1)))
    lines = [line for line in text.splitlines() if line.strip()]
    return QuickDrawError(f"the Beam pipeline failed: {lines[-1] if lines else type(err).__name__}")


def _unwrap(message: str) -> str:
    return re.sub(r"(\s*\[while running '[^']*'\])+\s*$", "", message.splitlines()[0] if message else message)
