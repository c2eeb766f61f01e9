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
import queue
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from ..categories import resolve, resolve_all
from ..core import progress, validate
from ..core.atomic import no_empty_folders, write_atomic
from ..errors import QuickDrawError
from ..formats import FORMATS, bitmap, sketchrnn
from ..formats.drawing import Drawing
from ..formats.table import BITMAP_SHAPE
from . import cache, remote
from .partial import CUTTERS, RecordPrefix, npy_header, npy_prefix, npy_rows, sniff
from .remote import url_for  # noqa: F401  (callers use download.url_for)

WORKERS = 4  # categories downloaded at once
GRACE = 0.8  # seconds that transfers get to stop after Ctrl-C
DAMAGED = "a damaged transfer or a wrong mirror? run again"


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during ``download``; the message says what was kept (written files, resumable .part files)."""


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
    if count is not None:
        count = validate.count(count)
    if count is not None and out is None:
        raise QuickDrawError(f"{validate.option('count')} needs {validate.option('out')} (a folder): the cache "
                             "keeps whole files only")
    base = remote.resolve_mirror(mirror)
    if out is not None:
        validate.output_path(out)
    if out is None:
        return _download(names, fmt, count, None, base, cache_dir, quiet)
    with no_empty_folders(Path(out).expanduser()):
        return _download(names, fmt, count, cache.ensure_folder(out), base, cache_dir, quiet)


def _download(names, fmt, count, folder, base, cache_dir, quiet) -> list[Fetched]:

    def one(name: str, cancel: threading.Event) -> Fetched:
        try:
            with progress.bar(name, quiet=quiet) as bar:
                return _one(remote.open_mirror(base), name, fmt, count, folder, cache_dir, bar, cancel)
        except OSError as err:  # transfer errors are QuickDrawErrors already: this is the disk (full, read-only)
            target = err.filename or (folder / remote.file_name(name, fmt) if folder is not None else
                                      cache.path_for(remote.open_mirror(base).url(name, fmt), base, cache_dir))
            raise QuickDrawError(f"cannot write {target}: {(err.strerror or str(err)).lower()}") from None

    return _in_parallel(names, one)


def _one(mirror, name, fmt, count, folder, cache_dir, bar, cancel) -> Fetched:
    url = mirror.url(name, fmt)
    check, full_check = file_checks(fmt, url, name)
    if folder is None or (count is not None and fmt == "sketchrnn"):
        whole = cache.cached_copy(mirror, url, check=check, full_check=full_check, cache_dir=cache_dir,
                                  bar=bar, cancel=cancel)
        if folder is None:
            return Fetched(name, whole)
    dest = folder / remote.file_name(name, fmt)
    if count is None:
        with cache.locked(dest, cancel, bar):
            return Fetched(name, cache.fetch_checked(mirror, url, dest, check=check, full_check=full_check,
                                                     bar=bar, cancel=cancel))
    if fmt == "sketchrnn":
        got, note = _write_npz_prefix(whole, dest, count, cancel)
        return Fetched(name, dest, got, note)
    if fmt == "bitmap":
        data, got = npy_prefix(mirror, url, count, cancel)
        bar.update(len(data))
    else:
        data, got = RecordPrefix(mirror, url, fmt, cancel).take(count, bar)
    _parse_all(data, fmt, url, name)
    _stop_if(cancel)
    _write_atomic(dest, data)
    note = f"{name}: the {fmt} file holds only {got} drawings (asked for {count})" if got < count else ""
    return Fetched(name, dest, got, note)


def file_checks(fmt: str, url: str, word: str):
    """Return (check, full_check) for a whole ``fmt`` file fetched from ``url`` (see ``cache.cached_copy``).

    ``check`` looks at the first bytes (no web page, no JSON where binary is expected), and the
    header and size of ``.npy``/``.npz`` files; ``full_check`` parses the whole file.
    """
    def check(path: Path) -> None:
        with open(path, "rb") as f:
            head = f.read(bitmap.CHUNK)
        if not head:
            raise QuickDrawError(f"{url} sent an empty file: {remote.LIKELY_PORTAL}")
        sniff(head[:64], fmt, url)
        try:
            if fmt == "bitmap":
                header = bitmap.parse_header(head)
                if header.row_size != bitmap.ROW_SIZE:
                    raise QuickDrawError(f"its header declares rows of {header.row_size} bytes; Quick, Draw! "
                                         f"bitmaps are rows of {bitmap.ROW_SIZE} (28x28)")
                if path.stat().st_size != header.header_len + header.rows * header.row_size:
                    raise QuickDrawError(f"holds {path.stat().st_size} bytes, not the {header.rows} rows of "
                                         f"{header.row_size} bytes its header announces")
            elif fmt == "sketchrnn":
                with zipfile.ZipFile(path) as z:
                    z.namelist()
        except (QuickDrawError, zipfile.BadZipFile) as err:
            raise QuickDrawError(f"{url}: {err}; {DAMAGED}") from None

    def full_check(path: Path) -> None:
        with open(path, "rb") as f:
            _parse_all(f, fmt, url, word)

    return check, full_check


def _parse_all(data, fmt: str, url: str, word: str) -> None:
    """Parse every drawing in ``data`` (bytes or a binary file); raise QuickDrawError naming ``url``."""
    stream = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
    try:
        for _ in FORMATS[fmt].read(stream, word=word):
            pass
    except QuickDrawError as err:
        raise QuickDrawError(f"{url} sent data that does not parse ({err}); nothing was written: "
                             f"{DAMAGED}") from None


def _stop_if(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise remote.Cancelled()


def _write_npz_prefix(source: Path, dest: Path, count: int, cancel=None) -> tuple[int, str]:
    buffer = io.BytesIO()
    try:
        with open(source, "rb") as f:
            written = sketchrnn.write_head(f, count, buffer)
    except QuickDrawError as err:
        raise QuickDrawError(f"{source}: {err}") from None
    _stop_if(cancel)
    _write_atomic(dest, buffer.getvalue())
    short = [f"{split} {n}" for split, n in written.items() if n < count]
    note = f"{dest.stem}: fewer than {count} drawings in {', '.join(short)}" if short else ""
    return sum(written.values()), note


def _write_atomic(dest: Path, data: bytes) -> None:
    """Write ``data`` to ``dest`` through qd's one atomic writer (``quickdraw.core.atomic``)."""
    write_atomic(dest, lambda tmp: tmp.write_bytes(data))


def _in_parallel(names: list[str], work) -> list:
    """Run ``work(name, cancel)`` for each name in threads; results in order, first error raised.

    On any error or Ctrl-C the ``cancel`` event stops the other transfers (their .part files
    stay). Ctrl-C returns within about GRACE seconds as ``Interrupted``, naming what was kept;
    the threads are daemons, so a transfer stalled in a socket read cannot hold the process.
    """
    cancel = threading.Event()
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for i in range(len(names)):
        todo.put(i)
    results: list = [None] * len(names)
    errors: list = [None] * len(names)
    finished = threading.Semaphore(0)

    def worker() -> None:
        while not cancel.is_set():
            try:
                i = todo.get_nowait()
            except queue.Empty:
                return
            try:
                results[i] = work(names[i], cancel)
            except BaseException as err:  # handed to the main thread
                errors[i] = err
                if not isinstance(err, remote.Cancelled):
                    cancel.set()
            finally:
                finished.release()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(WORKERS, len(names)))]
    for t in threads:
        t.start()
    try:
        for _ in names:
            finished.acquire()
            first = next((e for e in errors if e is not None and not isinstance(e, remote.Cancelled)), None)
            if first is not None:
                raise first
    except KeyboardInterrupt:
        cancel.set()
        deadline = time.monotonic() + GRACE
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        raise Interrupted(_kept(names, results, errors)) from None
    except BaseException:
        cancel.set()
        for t in threads:
            t.join(GRACE)
        raise
    return results


def _kept(names: list[str], results: list, errors: list) -> str:
    """What an interrupted download leaves: files written, .part files to resume."""
    kept = [str(r.path) for r in results if r is not None]
    kept += [e.kept for e in errors if isinstance(e, remote.Cancelled) and e.kept]
    if not kept:
        return "interrupted; nothing was kept"
    return "interrupted; kept " + ", ".join(kept)


def drawings(category: str, count: int | None = 100, recognized: bool | None = None,
             format: str = "simplified", mirror: str | None = None, allow_short: bool = False) -> Iterator[Drawing]:
    """Iterate the first ``count`` drawings of a category straight from the bucket or a mirror.

    Only about the bytes of those drawings are fetched. ``recognized`` keeps recognized (True)
    or unrecognized (False) drawings; None (the default, as for ``build``) keeps all.
    ``count=None`` reads to the end of the file. ``format`` is simplified, raw or binary (with
    metadata) or bitmap (28x28 rows, no metadata: every row counts as recognized). When the file
    holds fewer than ``count`` matching drawings, the iteration ends with a QuickDrawError saying
    so, as ``build`` refuses, unless ``allow_short`` (then it just ends).

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
    found = _bitmap_drawings(source, url, name, count) if fmt == "bitmap" else \
        _record_drawings(source, url, fmt, name, count, recognized)
    return found if allow_short or count is None else _exactly(found, count, url, recognized)


def _exactly(found: Iterator[Drawing], count: int, url: str, recognized) -> Iterator[Drawing]:
    got = 0
    for drawing in found:
        got += 1
        yield drawing
    if got < count:
        which = "" if recognized is None else (" recognized" if recognized else " unrecognized")
        raise QuickDrawError(f"{url} holds only {got}{which} drawings (asked for {count}); "
                             "pass allow_short=True to take what there is, or ask for fewer")


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
