"""The ndjson formats (``full/simplified`` and ``full/raw``): one JSON drawing record a line.

Official lines follow one layout (keys word, countrycode, timestamp, recognized, key_id, drawing;
no spaces). Simplified drawings (integers 0-255) in that layout take ``ndjson_kernel``, one
compiled pass over the bytes of a chunk. For the other lines of a chunk, the marks (``,[]"`` and
newlines) are located with numpy and the metadata is cut out at the quotes; drawings of official
lines (raw ones) are read together with one ``np.fromstring`` and their stroke/drawing offsets
come from the bracket depths. Any line in another layout (other key order, spaces, escapes,
exponents) goes through ``json.loads``, so every valid file reads correctly.

>>> import io
>>> line = b'{"word":"cat","countrycode":"US","timestamp":"2017-01-01 00:00:00 UTC",' \\
...        b'"recognized":true,"key_id":"1","drawing":[[[1,2],[3,4]]]}\\n'
>>> t = next(read(io.BytesIO(line)))
>>> t[0].word, t.points.tolist()
('cat', [[1, 3], [2, 4]])
"""
from __future__ import annotations

import json
import math
from typing import BinaryIO, Iterator

import numpy as np

from ..core.validate import MAX_COORDINATE, shown
from ..errors import QuickDrawError
from .drawing import Drawing
from .table import DrawingTable, as_tables, ranges

CHUNK = 64 * 1024
MAX_CHUNK = 256 * 1024

# The official layout: the fixed text around the values, found from the 20 quotes of a line.
_HEAD = b'{"word":"'
_AFTER_WORD = b'","countrycode":"'      # starts at quote 3
_AFTER_CC = b'","timestamp":"'          # starts at quote 7
_AFTER_TS = b'","recognized":'          # starts at quote 11
_KEY_ID = b'"key_id":"'                 # starts at quote 14
_AFTER_KEY = b'","drawing":'            # starts at quote 17
OPEN, CLOSE, COMMA, QUOTE, NEWLINE = 91, 93, 44, 34, 10
# Classes of a line's first 26 marks in the official layout: the quotes and commas of
# word, countrycode, timestamp, recognized, key_id and "drawing", then the drawing's '['.
META = b'"""",' b'"""",' b'"""",' b'"",' b'"""",' b'""['
N_META = len(META) - 1
# which of a line's first marks are quotes
_QUOTES = np.flatnonzero(np.frombuffer(META, np.uint8) == QUOTE)
_BLANK_STRUCTURE = bytes.maketrans(b"[],", b"   ")
_CHANNEL_NAMES = {2: "(x, y)", 3: "raw (x, y, t)"}


def read(stream: BinaryIO, word: str | None = None) -> Iterator[DrawingTable]:
    """Yield ``DrawingTable`` chunks from an ndjson byte stream.

    ``word`` fills records that lack a "word" key. Each table holds the complete lines of one
    read of at most 64 KiB, so taking the first N drawings of a one-way stream (an HTTP body)
    consumes at most 64 KiB past them. From a seekable stream (a file, bytes in memory), where
    reading ahead costs nothing, the reads double up to 256 KiB as the consumer keeps reading.
    Raises QuickDrawError naming the line number of a malformed record.
    """
    size, grow = CHUNK, _seekable(stream)
    pending = b""
    line_no = 1
    channels = None
    while True:
        data = stream.read(size)
        if not data:
            break
        if grow:
            size = min(2 * size, MAX_CHUNK)
        pending = pending + data if pending else data
        cut = pending.rfind(b"\n") + 1
        if not cut:
            continue
        table, lines = _parse(pending, cut, line_no, word, channels)
        pending = pending[cut:]
        line_no += lines
        if len(table):
            channels = channels or table.channels
            yield table
    if pending.strip():
        table = parse_lines(pending + b"\n", line_no, word, channels)
        if len(table):
            yield table


def _seekable(stream) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, ValueError, OSError):
        return False


def parse_lines(body: bytes, first_line: int = 1, word: str | None = None,
                channels: int | None = None) -> DrawingTable:
    """Parse complete ndjson lines (``body`` ends with a newline) into one table.

    ``first_line`` numbers the lines in error messages; ``channels`` (2 or 3) is what earlier
    lines of the same file held. Simplified drawings in the official layout take the fast path
    (``ndjson_kernel``), other official lines the general numpy path, and any other line
    ``json.loads``.
    """
    return _parse(body, len(body), first_line, word, channels)[0]


def _parse(body: bytes, size: int, first_line: int, word: str | None, channels: int | None):
    """``parse_lines`` of ``body[:size]``, also returning the number of lines read."""
    a = np.frombuffer(body, dtype=np.uint8, count=size)
    parts, order = [], []
    if channels != 3:
        table, official = parse_official_simplified(a)
        lines = len(official)
        if len(table):
            parts.append(table)
            order.append(np.flatnonzero(official))
            channels = 2
        if official.all():
            return table, lines
    else:
        official = None
    mark, code = marks(a)
    cls = code & 127
    nl = np.flatnonzero(cls == NEWLINE)
    ends = mark.take(nl)
    starts = np.zeros(len(ends), dtype=np.int64)
    starts[1:] = ends[:-1] + 1
    done = official if official is not None else np.zeros(len(nl), bool)
    official, quotes = _official_layout(a, body, mark, cls, nl, starts, ends)
    official &= ~done
    while official.any():
        lines = np.flatnonzero(official)
        result = _parse_official(a, body, starts[lines], ends[lines], quotes[lines], channels)
        if isinstance(result, DrawingTable):
            parts.append(result)
            order.append(lines)
            channels = channels or result.channels
            break
        official[lines[result]] = False  # valid layout but unusual content: let json.loads judge
    handled = done
    if order:
        handled[np.concatenate(order)] = True
    drawings, kept = [], []
    for i in np.flatnonzero(~handled).tolist():
        d = _parse_record(body[starts[i]:ends[i]], first_line + i, word, channels)
        if d is not None:
            channels = channels or (d.strokes[0].shape[0] if d.strokes else None)
            drawings.append(d)
            kept.append(i)
    if drawings:
        parts.append(DrawingTable.from_drawings(drawings))
        order.append(np.array(kept, dtype=np.int64))
    if len(parts) <= 1:
        table = parts[0] if parts else DrawingTable.empty(channels or 2)
    else:
        table = DrawingTable.concat(parts).take(np.argsort(np.concatenate(order), kind="stable"))
    return table, len(nl)


SIMPLIFIED_FIELDS = ("word", "countrycode", "timestamp", "key_id")


def parse_official_simplified(a: np.ndarray) -> tuple[DrawingTable, np.ndarray]:
    """Read the lines of ``a`` (uint8 bytes ending with a newline) that take the compiled fast path
    (``ndjson_kernel``: the official simplified layout, integers 0-255).

    >>> line = (b'{"word":"a","countrycode":"US","timestamp":"t","recognized":true,"key_id":"1",'
    ...         b'"drawing":[[[1,20],[255,0]],[[7],[8]]]}\\n')
    >>> t, ok = parse_official_simplified(np.frombuffer(line, np.uint8))
    >>> t.points.tolist(), t.stroke_offsets.tolist(), t.word.tolist(), ok.tolist()
    ([[1, 255], [20, 0], [7, 8]], [0, 2, 3], ['a'], [True])

    Returns the table of those lines, in order, and a bool array over all lines of ``a``
    saying which they are.
    """
    from . import ndjson_kernel

    ends = np.flatnonzero(a == 10)
    points = np.empty((len(a) // 4 + 1, 2), np.uint8)  # a point takes at least 4 bytes
    strokes = np.empty(len(a) // 12 + 2, np.int64)  # and a stroke at least 12
    drawings = np.empty(len(ends) + 1, np.int64)
    spans = np.empty((len(ends), 9), np.int64)
    ok = np.zeros(len(ends), bool)
    n_points, n_strokes, n = ndjson_kernel.scan(a, ends, points, strokes, drawings, spans, ok)
    spans = spans[:n]
    columns = {name: _simplified_texts(a, spans[:, 2 * k], spans[:, 2 * k + 1])
               for k, name in enumerate(SIMPLIFIED_FIELDS)}
    table = DrawingTable(points[:n_points].copy(), strokes[:n_strokes + 1].copy(), drawings[:n + 1].copy(),
                         recognized=spans[:, 8] == 1, **columns)
    return table, ok


def _simplified_texts(a: np.ndarray, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The ASCII texts ``a[begin:end]`` of each line as a str array."""
    from . import ndjson_kernel

    width = max(int((end - begin).max(initial=0)), 1)
    cells = np.zeros((len(begin), width), np.uint32)
    ndjson_kernel.copy_texts(a, begin, end, cells)
    return cells.view(f"U{width}")[:, 0]


def marks(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of every ``,``, ``[``, ``]``, ``"`` and newline in the byte array ``a``, and
    their codes: the byte, plus 128 when the next byte is a mark too."""
    m = a == COMMA
    m |= a == OPEN
    m |= a == CLOSE
    m |= a == QUOTE
    m |= a == NEWLINE
    code = np.empty(len(a), dtype=np.uint8)
    np.multiply(m[1:].view(np.uint8), np.uint8(128), out=code[:-1])
    code[-1:] = 0
    code |= a
    mark = np.flatnonzero(m)
    return (mark.astype(np.int32) if len(a) < 2 ** 31 else mark), code.take(mark)


def _parse_record(line: bytes, line_no: int, word: str | None, channels: int | None):
    """Parse one line with ``json.loads``; None for a blank line."""
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except (ValueError, UnicodeDecodeError) as err:
        raise QuickDrawError(f"line {line_no}: not valid JSON ({err})") from None
    if not isinstance(record, dict) or not isinstance(record.get("drawing"), list):
        raise QuickDrawError(f'line {line_no}: not a drawing record (no "drawing" list)')
    strokes = record["drawing"]
    for stroke in strokes:
        ok = isinstance(stroke, list) and len(stroke) in (2, 3) and all(
            isinstance(row, list) and len(row) == len(stroke[0])
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row)
            for row in stroke)
        if not ok:
            raise QuickDrawError(f"line {line_no}: each stroke must be 2 lists (x, y) or 3 lists "
                                 "(x, y, t) of numbers, all of one length")
        if channels is not None and len(stroke) != channels:
            raise QuickDrawError(f"line {line_no}: has {_CHANNEL_NAMES[len(stroke)]} strokes but "
                                 f"other lines have {_CHANNEL_NAMES[channels]} strokes")
        channels = len(stroke)
        bad = next((v for row in stroke for v in row if not _finite(v)), None)
        if bad is not None:
            raise QuickDrawError(f"line {line_no}: coordinates must be finite numbers, not {shown(bad)}")
        far = next((v for row in stroke[:2] for v in row if abs(v) > MAX_COORDINATE), None)
        if far is not None:
            raise QuickDrawError(f"line {line_no}: the coordinate {shown(far)} is out of range (x and y must lie "
                                 f"within +-{MAX_COORDINATE:,})")
    drawing = Drawing.from_json(record)
    if word is not None and "word" not in record:
        drawing.word = word
    if strokes and len(strokes[0]) == 2 and all(
            isinstance(v, int) and 0 <= v <= 255 for s in strokes for row in s for v in row):
        drawing.strokes = [s.astype(np.uint8) for s in drawing.strokes]
    else:
        drawing.strokes = [s.astype(np.float64) for s in drawing.strokes]
    return drawing


def _finite(v) -> bool:
    """Whether the JSON number ``v`` is a finite float64 (JSON also spells NaN, Infinity, 1e999, 10**400)."""
    try:
        return math.isfinite(float(v))
    except OverflowError:
        return False


# Fixed text of the official layout: (anchor, text), the anchor being the line start (-1) or
# one of the line's 20 quotes.
_FIXED = ((-1, _HEAD), (3, _AFTER_WORD), (7, _AFTER_CC), (11, _AFTER_TS), (14, _KEY_ID),
          (17, _AFTER_KEY))
_FIELDS = {"word": 2, "countrycode": 6, "timestamp": 10, "key_id": 16}  # opening quote of each


def _texts(a: np.ndarray, width: int) -> np.ndarray:
    """Every ``width``-byte window of ``a`` as an array of bytes strings (a view)."""
    return np.ndarray((len(a) - width + 1,), dtype=f"S{width}", buffer=a, strides=(1,))


def _official_layout(a: np.ndarray, body: bytes, mark: np.ndarray, cls: np.ndarray,
                     nl: np.ndarray, starts: np.ndarray, ends: np.ndarray):
    """Mark the lines whose metadata follows the official layout; also return their quotes."""
    if len(mark) < len(META) + N_META or len(a) <= 60:  # too short to hold one official line
        return np.zeros(len(nl), bool), np.zeros((len(nl), len(_QUOTES)), np.int64)
    first = np.zeros(len(nl), dtype=np.int64)  # each line's first mark
    first[1:] = nl[:-1] + 1
    head = np.minimum(first, len(mark) - len(META))
    ok = (_texts(cls, len(META))[head] == META) & (ends - starts > 60)
    q = mark.take(head[:, None] + _QUOTES)
    ok &= mark.take(head + N_META) == q[:, 19] + 2  # '"drawing":['
    if body.find(b"\\", 0, len(a)) >= 0:  # escapes take the json.loads path
        ok[np.searchsorted(ends, np.flatnonzero(a == 92))] = False
    if a.max(initial=0) >= 128:  # and so does non-ASCII text
        ok[np.searchsorted(ends, np.flatnonzero(a >= 128))] = False
    if np.count_nonzero(a < 32) > len(ends):  # and control characters, which JSON refuses in strings
        ok[np.searchsorted(ends, np.flatnonzero((a < 32) & (a != NEWLINE)))] = False
    for anchor, text in _FIXED:
        at = starts if anchor < 0 else q[:, anchor]
        windows = _texts(a, len(text))
        ok &= windows[np.minimum(at, len(windows) - 1)] == text
    ok &= a.take(ends - 1) == ord("}")
    gap = q[:, 14] - q[:, 11]  # '","recognized":' then 'true,' or 'false,'
    at = np.minimum(q[:, 11] + 15, len(a) - 6)
    ok &= (((gap == 20) & (_texts(a, 5)[at] == b"true,"))
           | ((gap == 21) & (_texts(a, 6)[at] == b"false,")))
    return ok, q


def _metadata(a: np.ndarray, q: np.ndarray) -> dict:
    """Cut word, countrycode, timestamp, key_id and recognized out of each (ASCII) line."""
    out = {"recognized": a[q[:, 13] + 2] == ord("t")}
    for name, k in _FIELDS.items():
        begin, lengths = q[:, k] + 1, q[:, k + 1] - q[:, k] - 1
        width = max(int(lengths.max(initial=0)), 1)
        if len(a) < width + int(begin.max(initial=0)):
            a = np.append(a, np.zeros(width, np.uint8))
        cells = _texts(a, width)[begin].view(np.uint8).reshape(-1, width)
        if lengths.min(initial=width) < width:
            cells[np.arange(width) >= lengths[:, None]] = 0
        out[name] = cells.astype(np.uint32).view(f"U{width}")[:, 0]  # ASCII to str
    return out


def _lines_of(index: np.ndarray, line_first: np.ndarray) -> np.ndarray:
    """Which lines the entries at ``index`` belong to (``line_first``: first entry of each)."""
    return np.unique(np.searchsorted(line_first, index, side="right") - 1)


def _parse_official(a, body, starts, ends, q, channels):
    """Parse lines already known to follow the official layout (``q``: their 20 quotes).

    Returns a DrawingTable, or the indices (into ``starts``) of lines whose drawing is not
    plain ``[[[n,...],...],...]`` JSON of 2- or 3-row strokes, for ``json.loads`` to judge.
    The drawings are joined into one text; deleting its digits leaves the brackets and commas
    from which the shape follows (a row of k commas holds k + 1 numbers), and one
    ``np.fromstring`` reads every number, whose count must match the shape.
    """
    n = len(starts)
    if n == 0:
        return DrawingTable.empty(channels or 2)
    lo, hi = q[:, 19] + 2, ends - 1  # each drawing is a[lo:hi]
    bad = (a[lo] != 91) | (a[hi - 1] != 93)
    if bad.any():
        return np.flatnonzero(bad)
    text = b"\n".join([body[i:j] for i, j in zip(lo.tolist(), hi.tolist())])
    line_at = np.zeros(n, dtype=np.int64)  # where each drawing begins in ``text``
    np.cumsum(hi[:-1] - lo[:-1] + 1, out=line_at[1:])
    raw = b"-" in text or b"." in text

    # Nothing but digits, brackets and commas (for raw data also '-' and '.') in a drawing.
    t = np.frombuffer(text, dtype=np.uint8)
    allowed = ((t - 48) < 10) | (t == 91) | (t == 93) | (t == 44) | (t == 10)
    if raw:
        marks = np.flatnonzero((t == 45) | (t == 46))
        before, after = t[marks - 1], t[np.minimum(marks + 1, len(t) - 1)]
        allowed[marks] = ((after - 48) < 10) & np.where(
            t[marks] == 46, (before - 48) < 10, (before == 91) | (before == 44))
    zeros = np.flatnonzero(t[1:-1] == 48) + 1  # JSON numbers have no leading zeros
    before, after = t[zeros - 1], t[zeros + 1]
    allowed[zeros] &= ~(((after - 48) < 10) & ((before - 48) >= 10) & (before != 46))
    # A number lies between '[' or ',' and ',' or ']'; a comma between numbers or in '],['.
    num = ((t - 48) < 10) | (t == 45) | (t == 46)
    first, last = np.flatnonzero(num[1:] > num[:-1]) + 1, np.flatnonzero(num[:-1] > num[1:])
    before, after = t[first - 1], t[last + 1]
    allowed[first] &= (before == 91) | (before == 44)
    allowed[last] &= (after == 44) | (after == 93)
    commas = np.flatnonzero(t == 44)
    allowed[commas] &= ((num[commas - 1] & num[commas + 1])
                        | ((t[commas - 1] == 93) & (t[commas + 1] == 91)))
    if not allowed.all():
        return _lines_of(np.flatnonzero(~allowed), line_at)

    # The shape, from brackets and commas alone ("[[[,,],[,,]],[[,],[,]]]").
    shape = np.frombuffer(text.translate(None, b"0123456789-." if raw else b"0123456789"),
                          dtype=np.uint8)
    brackets = np.flatnonzero(shape >= 91)
    opens = shape[brackets] == 91
    br_first = np.searchsorted(brackets, np.append(np.flatnonzero(shape == 10), len(shape)))
    br_first = np.concatenate(([0], br_first))
    depth = np.cumsum(opens.view(np.int8) * 2 - 1, dtype=np.int32)
    is_last = np.zeros(len(brackets), dtype=bool)
    is_last[br_first[1:] - 1] = True
    gap = brackets[1:] - brackets[:-1]
    wrong = np.zeros(len(brackets), dtype=bool)
    # '[[' and ']]' touch, '][' only as '],[', '[...]' only around a row of numbers.
    wrong[:-1] = (np.where(~opens[:-1] & opens[1:], gap != 2,
                           (gap != 1) & ~(opens[:-1] & ~opens[1:] & (depth[:-1] == 3)))
                  & ~is_last[:-1])
    wrong |= (depth > 3) | (depth < 0) | ((depth == 0) != is_last)
    if wrong.any():
        return _lines_of(np.flatnonzero(wrong), br_first[:-1])

    row = np.flatnonzero(opens & (depth == 3))
    row_len = brackets[row + 1] - brackets[row]  # commas + 1
    stroke = np.flatnonzero(opens & (depth == 2))
    rows_per_stroke = np.diff(np.append(np.searchsorted(row, stroke), len(row)))
    strokes_per_line = np.diff(np.searchsorted(stroke, br_first))
    want = channels or (int(rows_per_stroke[0]) if len(stroke) else 2)
    wrong_rows = (rows_per_stroke != want) | (want not in (2, 3))
    if not wrong_rows.any():
        per_stroke = row_len.reshape(-1, want)
        wrong_rows = (per_stroke != per_stroke[:, :1]).any(axis=1)
    if wrong_rows.any():
        return _lines_of(stroke[wrong_rows], br_first[:-1])

    values = _raw_numbers(text, t) if raw else _numbers(text)
    if values is None or len(values) != row_len.sum() or (
            len(values) and (np.abs(values).max() >= 2 ** 53)):
        return np.arange(n)  # empty rows, stray commas, odd numbers: let json.loads judge

    column = np.repeat(np.arange(len(row_len)) % want, row_len)
    points = np.stack([values[column == k] for k in range(want)], axis=1)
    if len(points) and np.abs(points[:, :2]).max() > MAX_COORDINATE:
        return np.arange(n)  # json.loads names the line with the coordinate out of range
    if want == 2 and not raw and (len(points) == 0 or points.max() <= 255):
        points = points.astype(np.uint8)
    else:
        points = points.astype(np.float64)
    stroke_offsets = np.zeros(len(stroke) + 1, dtype=np.int64)
    np.cumsum(row_len[::want], out=stroke_offsets[1:])
    drawing_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(strokes_per_line, out=drawing_offsets[1:])
    return DrawingTable(points, stroke_offsets, drawing_offsets, **_metadata(a, q))


def _numbers(text: bytes):
    """Every number of ``text`` in order (int64), or None if one cannot be read."""
    try:
        return np.fromstring(text.translate(_BLANK_STRUCTURE), dtype=np.int64, sep=" ")
    except ValueError:
        return None


def _raw_numbers(text: bytes, t: np.ndarray):
    """Every number of ``text`` in order (float64), or None if one cannot be read.

    Integers go through one ``np.fromstring`` with the decimals blanked out; the decimals go
    through ``float``, which rounds exactly as JSON readers do.
    """
    number = ((t - 48) < 10) | (t == 45) | (t == 46)
    edge = np.flatnonzero(number[1:] != number[:-1]) + 1
    begin, end = edge[0::2], edge[1::2]
    decimal = np.unique(np.searchsorted(begin, np.flatnonzero(t == 46), side="right") - 1)
    blanked = t.copy()
    blanked[ranges(begin[decimal], end[decimal] - begin[decimal])] = 32
    whole = np.ones(len(begin), dtype=bool)
    whole[decimal] = False
    values = np.empty(len(begin), dtype=np.float64)
    ints = _numbers(blanked.tobytes())
    if ints is None or len(ints) != whole.sum():
        return None
    values[whole] = ints
    try:
        values[decimal] = [float(text[i:j]) for i, j in zip(begin[decimal].tolist(),
                                                             end[decimal].tolist())]
    except ValueError:
        return None
    return values


# --- writing ---------------------------------------------------------------------------------
def write(tables_or_drawings, stream: BinaryIO) -> int:
    """Write drawings as official ndjson lines (same key order, compact separators).

    Integral coordinates are written as integers and others in Python's shortest float form,
    so a file read and written again is byte-for-byte the same. Returns the number written.
    """
    count = 0
    for table in as_tables(tables_or_drawings):
        stream.write(format_lines(table))
        count += len(table)
    return count


def format_lines(table: DrawingTable) -> bytes:
    """Return the ndjson text (bytes) of all drawings of ``table``."""
    texts = [_number_texts(table.points[:, k]) for k in range(table.channels)]
    so = table.stroke_offsets.tolist()
    do = table.drawing_offsets.tolist()
    dumps = json.dumps
    out = []
    for i in range(len(table)):
        strokes = []
        for s in range(do[i], do[i + 1]):
            a, b = so[s], so[s + 1]
            strokes.append("[" + ",".join("[" + ",".join(t[a:b]) + "]" for t in texts) + "]")
        out.append(
            f'{{"word":{dumps(str(table.word[i]))},"countrycode":{dumps(str(table.countrycode[i]))},'
            f'"timestamp":{dumps(str(table.timestamp[i]))},'
            f'"recognized":{"true" if table.recognized[i] else "false"},'
            f'"key_id":{dumps(str(table.key_id[i]))},"drawing":[{",".join(strokes)}]}}\n')
    return "".join(out).encode("utf-8")


def _number_texts(column: np.ndarray) -> list[str]:
    """Format numbers as JSON: integers without a decimal point, other floats shortest."""
    if column.dtype.kind in "iu":
        return list(map(str, column.tolist()))
    whole = np.isfinite(column) & (column == np.round(column)) & (np.abs(column) < 2 ** 53)
    values = column.astype(object)
    values[whole] = column[whole].astype(np.int64).tolist()
    return list(map(str, values.tolist()))
