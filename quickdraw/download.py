"""Download category files, whole or cut to the first N drawings, and iterate drawings remotely.

>>> download(["cat", "The Eiffel Tower"], count=100, out="data")     # doctest: +SKIP
[Fetched(category='cat', path=PosixPath('data/cat.ndjson'), count=100, note=''), ...]
>>> for d in drawings("cat", count=3):                             # doctest: +SKIP
...     print(d.key_id, d.countrycode, len(d.strokes))
"""
from __future__ import annotations

import io
import itertools
import math
import os
import secrets
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from . import cache, progress, remote
from .categories import resolve, resolve_all
from .drawing import Drawing
from .errors import QuickDrawError
from .formats import FORMATS, sketchrnn
from .partial import CUTTERS, RecordPrefix, npy_header, npy_prefix, npy_rows
from .remote import url_for  # noqa: F401  (callers use download.url_for)
from .table import BITMAP_SHAPE

WORKERS = 4  # categories downloaded at once


@dataclass(frozen=True)
class Fetched:
    """One file written by ``download``: whole (``count`` None) or holding ``count`` drawings.

    ``note`` says so when the file held fewer drawings than asked for.
    """

    category: str
    path: Path
    count: int | None = None
    note: str = ""


def download(categories: Iterable[str], format: str = "simplified", count: int | None = None,
             out: str | os.PathLike | None = None, mirror: str | None = None,
             cache_dir: str | os.PathLike | None = None, quiet: bool = False) -> list[Fetched]:
    """Download the categories' files in ``format``, several at once; return what was written.

    Without ``out``, whole files go to the cache (a cached file is not fetched again). With
    ``out``, files go into that folder under the bucket's names; with ``count`` too, each holds
    exactly the first ``count`` drawings (for sketchrnn: of each split) and is a valid file.
    """
    fmt = remote.check_format(format)
    names = resolve_all(list(categories))
    if not names:
        raise QuickDrawError("name at least one category (`qd categories` lists them)")
    if count is not None and count < 1:
        raise QuickDrawError("--count must be at least 1")
    if count is not None and out is None:
        raise QuickDrawError("--count needs --out DIR: the cache keeps whole files only")
    base = remote.resolve_mirror(mirror)
    new_folder = out is not None and not Path(out).expanduser().exists()
    folder = cache.ensure_folder(out) if out is not None else None

    def one(name: str, cancel: threading.Event) -> Fetched:
        try:
            with progress.bar(name, quiet=quiet) as bar:
                return _one(remote.open_mirror(base), name, fmt, count, folder, cache_dir, bar, cancel)
        except OSError as err:  # transfer errors are QuickDrawErrors already: this is the disk
            raise QuickDrawError(f"cannot write {err.filename or 'the file'} ({err.strerror or err})") from None

    try:
        return _in_parallel(names, one)
    except BaseException:
        if new_folder and not any(folder.iterdir()):
            folder.rmdir()  # made for this download, which wrote nothing into it
        raise


def _one(mirror, name, fmt, count, folder, cache_dir, bar, cancel) -> Fetched:
    url = mirror.url(name, fmt)
    if folder is None or (count is not None and fmt == "sketchrnn"):
        whole = cache.cached_copy(mirror, url, cache_dir=cache_dir, bar=bar, cancel=cancel)
        if folder is None:
            return Fetched(name, whole)
    dest = folder / remote.file_name(name, fmt)
    if count is None:
        return Fetched(name, mirror.fetch(url, dest, bar, cancel))
    if fmt == "sketchrnn":
        got, note = _write_npz_prefix(whole, dest, count)
        return Fetched(name, dest, got, note)
    if fmt == "bitmap":
        data, got = npy_prefix(mirror, url, count)
        bar.update(len(data))
    else:
        data, got = RecordPrefix(mirror, url, fmt).take(count, bar)
    _write_atomic(dest, data)
    note = f"{name}: the {fmt} file holds only {got} drawings (asked for {count})" if got < count else ""
    return Fetched(name, dest, got, note)


def _write_npz_prefix(source: Path, dest: Path, count: int) -> tuple[int, str]:
    buffer = io.BytesIO()
    try:
        with open(source, "rb") as f:
            written = sketchrnn.write_head(f, count, buffer)
    except QuickDrawError as err:
        raise QuickDrawError(f"{source}: {err}") from None
    _write_atomic(dest, buffer.getvalue())
    short = [f"{split} {n}" for split, n in written.items() if n < count]
    note = f"{dest.stem}: fewer than {count} drawings in {', '.join(short)}" if short else ""
    return sum(written.values()), note


def _write_atomic(dest: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``dest``, then rename it to ``dest``."""
    tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _in_parallel(names: list[str], work) -> list:
    """Run ``work(name, cancel)`` for each name in threads; results in order, first error raised.

    On any error or Ctrl-C the ``cancel`` event stops the other transfers (their .part files stay).
    """
    cancel = threading.Event()
    pool = ThreadPoolExecutor(max_workers=min(WORKERS, len(names)))
    try:
        futures = [pool.submit(work, name, cancel) for name in names]
        wait(futures, return_when=FIRST_EXCEPTION)
        for f in futures:
            if f.done() and f.exception() is not None:
                raise f.exception()
        return [f.result() for f in futures]
    except BaseException:
        cancel.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def drawings(category: str, count: int | None = 100, recognized: bool | None = True,
             format: str = "simplified", mirror: str | None = None) -> Iterator[Drawing]:
    """Iterate the first ``count`` drawings of a category straight from the bucket or a mirror.

    Only about the bytes of those drawings are fetched. ``recognized`` keeps recognized (True)
    or unrecognized (False) drawings; None keeps all. ``count=None`` reads to the end of the file.
    ``format`` is simplified, raw or binary (with metadata) or bitmap (28x28 rows, no metadata:
    every row counts as recognized). Fewer drawings come out when the file holds fewer.

    >>> [d.countrycode for d in drawings("cat", count=2)]           # doctest: +SKIP
    ['VE', 'US']
    """
    fmt = remote.check_format(format)
    if fmt not in CUTTERS and fmt != "bitmap":
        raise QuickDrawError(f"drawings are read from simplified, raw, binary or bitmap files, not {fmt}")
    if fmt == "bitmap" and recognized is False:
        raise QuickDrawError("bitmap rows carry no 'recognized' flag; use recognized=None")
    if count is not None and count < 0:
        raise QuickDrawError("count must be 0 or more")
    name = resolve(category)
    source = remote.open_mirror(mirror)
    url = source.url(name, fmt)
    if fmt == "bitmap":
        return _bitmap_drawings(source, url, name, count)
    return _record_drawings(source, url, fmt, name, count, recognized)


def _record_drawings(source, url, fmt, name, count, recognized) -> Iterator[Drawing]:
    reader = RecordPrefix(source, url, fmt)
    yielded = seen = matched = 0
    batch = 64  # records per fetch while reading to the end (count=None); doubles up to 4096
    while count is None or yielded < count:
        if count is None:
            want, batch = batch, min(2 * batch, 4096)
        else:  # enough records for what is missing, at the match rate seen so far
            want = math.ceil((count - yielded) * (seen + 1) / (matched + 1))
        data, n = reader.take(want)
        if n == 0:
            return
        seen += n
        for table in FORMATS[fmt].read(io.BytesIO(data), word=name):
            if recognized is not None:
                table = table[table.recognized == recognized]
            matched += len(table)
            for drawing in itertools.islice(table, None if count is None else count - yielded):
                yielded += 1
                yield drawing


def _bitmap_drawings(source, url, name, count) -> Iterator[Drawing]:
    header = npy_header(source, url)
    start = 0
    while count is None or start < count:
        want = 4096 if count is None else min(4096, count - start)
        rows = np.frombuffer(npy_rows(source, url, header, start, want), np.uint8)
        if not len(rows):
            return
        for row in rows.reshape(-1, *BITMAP_SHAPE):
            yield Drawing(word=name, bitmap=row.copy())
        start += len(rows) // header.row_size
