"""The packed binary format (``full/binary/*.bin``), little-endian, one record per drawing.

Record: key_id uint64, countrycode 2 ASCII chars, recognized uint8, timestamp uint32 (unix
seconds), n_strokes uint16, then per stroke n_points uint16, x uint8 * n, y uint8 * n. The file
has no word; ``read`` takes it from the caller (the file name). Reading walks the records of a
chunk in one compiled loop (``binary_kernel``) that copies out every stroke's points.

>>> import io
>>> from quickdraw.formats.drawing import Drawing
>>> buf = io.BytesIO()
>>> write([Drawing([[[0, 255], [7, 9]]], key_id="42", countrycode="FR")], buf)
1
>>> t = next(read(io.BytesIO(buf.getvalue()), word="line"))
>>> t[0].key_id, t[0].word, t.points.tolist()
('42', 'line', [[0, 7], [255, 9]])
"""
from __future__ import annotations

from typing import BinaryIO, Iterator

import numpy as np

from ..errors import QuickDrawError
from .ndjson import _seekable
from .table import DrawingTable, as_tables, ranges

CHUNK = 64 * 1024
MAX_CHUNK = 256 * 1024
HEADER = np.dtype([("key_id", "<u8"), ("countrycode", "S2"), ("recognized", "u1"),
                   ("timestamp", "<u4"), ("n_strokes", "<u2")])  # 17 bytes, packed


def read(stream: BinaryIO, word: str | None = None) -> Iterator[DrawingTable]:
    """Yield ``DrawingTable`` chunks of the records in a binary stream.

    ``word`` fills the word column (the format does not store it). Each table holds the
    complete records of one read of at most 64 KiB, so taking the first N drawings of a
    one-way stream (an HTTP body) consumes at most 64 KiB past them; from a seekable stream
    (a file, bytes in memory) the reads double up to 256 KiB as the consumer keeps reading.
    Raises QuickDrawError when the stream ends inside a record (a truncated file).
    """
    size, grow = CHUNK, _seekable(stream)
    pending = b""
    count = 0
    while True:
        data = stream.read(size)
        if not data:
            break
        if grow:
            size = min(2 * size, MAX_CHUNK)
        pending = pending + data if pending else data
        table, used = parse_records(pending, word)
        pending = pending[used:]
        count += len(table)
        if len(table):
            yield table
    if pending:
        raise QuickDrawError(f"truncated binary data: the stream ends inside drawing {count + 1} "
                             f"({len(pending)} bytes after {count} complete drawings)")


def parse_records(buf: bytes, word: str | None = None) -> tuple[DrawingTable, int]:
    """Parse the complete records at the start of ``buf``; return (table, bytes used)."""
    from . import binary_kernel

    a = np.frombuffer(buf, dtype=np.uint8)
    records = np.empty(len(a) // 17 + 1, np.int64)  # a record takes at least 17 bytes
    stroke_offsets = np.empty(len(a) // 2 + 1, np.int64)  # and a stroke at least 2
    points = np.empty((len(a) // 2, 2), np.uint8)
    n, n_strokes, used = binary_kernel.walk(a, records, stroke_offsets, points)
    records = records[:n]
    head = np.ndarray((len(a) - 16,), dtype=HEADER, buffer=a, strides=(1,))[records] if n else np.zeros(
        0, dtype=HEADER)
    drawing_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(head["n_strokes"], out=drawing_offsets[1:])
    table = DrawingTable(
        points[:stroke_offsets[n_strokes]].copy(), stroke_offsets[:n_strokes + 1].copy(), drawing_offsets,
        word=np.full(n, word or ""),
        key_id=_key_text(head["key_id"]),
        countrycode=_ascii_text(head["countrycode"].copy().view(np.uint8).reshape(-1, 2)),
        timestamp=_timestamp_text(head["timestamp"]),
        recognized=head["recognized"] != 0)
    return table, used


def _ascii_text(cells: np.ndarray) -> np.ndarray:
    """(N, W) ASCII bytes (NUL-padded) -> N strings."""
    return cells.astype(np.uint32).view(f"U{cells.shape[1]}")[:, 0]


_POWERS = 10 ** np.arange(20, dtype=np.uint64)


def _key_text(keys: np.ndarray) -> np.ndarray:
    """uint64 key ids -> their decimal text (0 -> '', the format's "unknown")."""
    size = np.searchsorted(_POWERS, keys, side="right")  # number of digits
    width = int(size.max(initial=1))
    digits = np.empty((len(keys), width), dtype=np.uint8)  # right-aligned
    rest = keys.copy()
    for column in range(width - 1, -1, -1):
        digits[:, column] = rest % 10
        rest //= 10
    digits += 48
    if size.min(initial=width) == width:
        return _ascii_text(digits)
    cells = np.zeros((len(keys), width), dtype=np.uint8)
    for k in np.unique(size).tolist():
        rows = np.flatnonzero(size == k)
        cells[rows, :k] = digits[rows, width - k:]
    return _ascii_text(cells)


_TENS = np.array([0, 2, 5, 8, 11, 14, 17])  # where each two-digit field of a timestamp starts


def _timestamp_text(seconds: np.ndarray) -> np.ndarray:
    """Unix seconds -> '2017-03-20 16:17:04 UTC' (0 -> '', the format's "unknown")."""
    s = seconds.astype(np.int64)
    days, clock = np.divmod(s, 86400)
    # civil date from days since 1970-01-01 (H. Hinnant's days_from_civil, inverted)
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    fields = np.stack([year // 100, year % 100, month, day, clock // 3600, clock // 60 % 60,
                       clock % 60], axis=1)
    text = np.tile(np.frombuffer(b"0000-00-00 00:00:00 UTC", dtype=np.uint8), (len(s), 1))
    text[:, _TENS] += (fields // 10).astype(np.uint8)
    text[:, _TENS + 1] += (fields % 10).astype(np.uint8)
    text[s == 0] = 0
    return _ascii_text(text)


def _timestamp_seconds(text: np.ndarray) -> np.ndarray:
    """'2017-03-20 16:17:04.04861 UTC' -> unix seconds (fraction dropped; '' -> 0)."""
    text = np.asarray(text, dtype=str)
    known = text != ""
    out = np.zeros(len(text), dtype=np.int64)
    if not known.any():
        return out
    plain = np.strings.strip(np.strings.replace(text[known], " UTC", ""))
    try:
        stamps = plain.astype("datetime64[s]").astype(np.int64)
    except ValueError:
        raise QuickDrawError("a timestamp is not of the form '2017-03-20 16:17:04.04861 UTC'; "
                             "the binary format needs it") from None
    if len(stamps) and (stamps.min() < 0 or stamps.max() >= 2 ** 32):
        raise QuickDrawError("a timestamp lies outside 1970-2106, which the binary format holds")
    out[known] = stamps
    return out


def _key_ids(text: np.ndarray) -> np.ndarray:
    text = np.asarray(text, dtype=str)
    if not np.all(np.strings.isdigit(text) | (text == "")) or np.any(np.strings.str_len(text) > 20):
        raise QuickDrawError("key_id must be a number up to 20 digits for the binary format")
    try:
        return np.array([int(k) if k else 0 for k in text.tolist()], dtype=np.uint64)
    except OverflowError:
        raise QuickDrawError("key_id must fit in 64 bits for the binary format") from None


def format_records(table: DrawingTable) -> bytes:
    """Return the binary records of all drawings of ``table``.

    Raises QuickDrawError for drawings the format cannot hold: raw (x, y, t) strokes,
    coordinates outside 0-255 or not whole, more than 65535 strokes or points per stroke,
    country codes longer than 2 characters.
    """
    if table.channels != 2:
        raise QuickDrawError("the binary format holds simplified (x, y) strokes, not raw (x, y, t) "
                             "ones; simplify the drawings first")
    points = table.points
    if len(points) and (points.min() < 0 or points.max() > 255
                        or (points.dtype.kind == "f" and np.any(points != np.round(points)))):
        raise QuickDrawError("the binary format holds whole coordinates 0-255; these drawings are "
                             "not simplified")
    n = np.diff(table.stroke_offsets)
    counts = table.num_strokes
    if (len(n) and n.max() > 65535) or (len(counts) and counts.max() > 65535):
        raise QuickDrawError("the binary format holds at most 65535 strokes per drawing and "
                             "65535 points per stroke")
    try:
        codes = np.strings.encode(table.countrycode, "ascii")
    except UnicodeEncodeError:
        codes = None
    if codes is None or np.any(np.strings.str_len(codes) > 2):
        raise QuickDrawError("the binary format holds country codes of at most 2 ASCII letters")
    head = np.zeros(len(table), dtype=HEADER)
    head["key_id"] = _key_ids(table.key_id)
    head["countrycode"] = codes
    head["recognized"] = table.recognized
    head["timestamp"] = _timestamp_seconds(table.timestamp)
    head["n_strokes"] = counts

    # Byte offset of each record and stroke: 17 per record plus 2 + 2n per stroke before it.
    stroke_bytes = np.zeros(len(n) + 1, dtype=np.int64)
    np.cumsum(2 + 2 * n, out=stroke_bytes[1:])
    rec = 17 * np.arange(len(table)) + stroke_bytes[table.drawing_offsets[:-1]]
    owner = np.repeat(np.arange(len(table)), counts)
    at = 17 * (owner + 1) + stroke_bytes[:-1]
    out = np.zeros(17 * len(table) + int(stroke_bytes[-1]), dtype=np.uint8)
    out[rec[:, None] + np.arange(17)] = head.view(np.uint8).reshape(-1, 17)
    out[at], out[at + 1] = n & 255, n >> 8
    xs = ranges(at + 2, n)
    out[xs] = points[:, 0]
    out[xs + np.repeat(n, n)] = points[:, 1]
    return out.tobytes()


def write(tables_or_drawings, stream: BinaryIO) -> int:
    """Write drawings as binary records; return the number written (see ``format_records``)."""
    count = 0
    for table in as_tables(tables_or_drawings):
        stream.write(format_records(table))
        count += len(table)
    return count

