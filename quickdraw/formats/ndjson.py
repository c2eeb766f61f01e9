"""The ndjson formats (``full/simplified`` and ``full/raw``): one JSON drawing record a line.

Official lines follow one layout (keys word, countrycode, timestamp, recognized, key_id, drawing;
no spaces). Whole chunks of such lines are parsed at once with numpy: quotes, brackets and commas
are located in one pass, every number of the chunk is read together, and stroke/drawing offsets
come from the bracket depths. Any line in another layout (other key order, spaces, escapes,
exponents) goes through ``json.loads`` instead, so every valid file reads correctly.

>>> import io
>>> line = b'{"word":"cat","countrycode":"US","timestamp":"2017-01-01 00:00:00 UTC",' \\
...        b'"recognized":true,"key_id":"1","drawing":[[[1,2],[3,4]]]}\\n'
>>> t = next(read(io.BytesIO(line)))
>>> t[0].word, t.points.tolist()
('cat', [[1, 3], [2, 4]])
"""
from __future__ import annotations

import json
from typing import BinaryIO, Iterator

import numpy as np

from ..drawing import Drawing
from ..errors import QuickDrawError
from ..table import DrawingTable, as_tables, ranges

CHUNK = 64 * 1024

# The official layout: the 20 quotes of a line and the fixed text around the values.
_N_QUOTES = 20
_HEAD = b'{"word":"'
_AFTER_WORD = b'","countrycode":"'      # starts at quote 3
_AFTER_CC = b'","timestamp":"'          # starts at quote 7
_AFTER_TS = b'","recognized":'          # starts at quote 11
_KEY_ID = b'"key_id":"'                 # starts at quote 14
_AFTER_KEY = b'","drawing":'            # starts at quote 17
_BLANK_STRUCTURE = bytes.maketrans(b"[],", b"   ")
_CHANNEL_NAMES = {2: "(x, y)", 3: "raw (x, y, t)"}


def read(stream: BinaryIO, word: str | None = None) -> Iterator[DrawingTable]:
    """Yield ``DrawingTable`` chunks from an ndjson byte stream, reading 64 KiB at a time.

    ``word`` fills records that lack a "word" key. Each table holds the complete lines of one
    read, so taking the first N drawings consumes at most 64 KiB past them. Raises
    QuickDrawError naming the line number of a malformed record.
    """
    pending = b""
    line_no = 1
    channels = None
    while True:
        data = stream.read(CHUNK)
        if not data:
            break
        pending += data
        cut = pending.rfind(b"\n") + 1
        if not cut:
            continue
        body, pending = pending[:cut], pending[cut:]
        table = parse_lines(body, line_no, word, channels)
        line_no += body.count(b"\n")
        if len(table):
            channels = channels or table.channels
            yield table
    if pending.strip():
        table = parse_lines(pending + b"\n", line_no, word, channels)
        if len(table):
            yield table


def parse_lines(body: bytes, first_line: int = 1, word: str | None = None,
                channels: int | None = None) -> DrawingTable:
    """Parse complete ndjson lines (``body`` ends with a newline) into one table.

    ``first_line`` numbers the lines in error messages; ``channels`` (2 or 3) is what earlier
    lines of the same file held.
    """
    a = np.frombuffer(body, dtype=np.uint8)
    ends = np.flatnonzero(a == 10)
    starts = np.concatenate(([0], ends[:-1] + 1))
    fast, quotes = _official_layout(a, body, starts, ends)
    while True:
        lines = np.flatnonzero(fast)
        result = _parse_official(a, body, starts[lines], ends[lines], quotes[lines], channels)
        if isinstance(result, DrawingTable):
            break
        fast[lines[result]] = False  # valid layout but unusual content: let json.loads judge
    if len(result):
        channels = channels or result.channels
    slow = np.flatnonzero(~fast)
    drawings, kept = [], []
    for i in slow.tolist():
        d = _parse_record(body[starts[i]:ends[i]], first_line + i, word, channels)
        if d is not None:
            channels = channels or (d.strokes[0].shape[0] if d.strokes else None)
            drawings.append(d)
            kept.append(i)
    if not drawings:
        return result
    table = DrawingTable.concat([result, DrawingTable.from_drawings(drawings)])
    return table.take(np.argsort(np.concatenate([np.flatnonzero(fast), kept]), kind="stable"))


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
    drawing = Drawing.from_json(record)
    if word is not None and "word" not in record:
        drawing.word = word
    if strokes and len(strokes[0]) == 2 and all(
            isinstance(v, int) and 0 <= v <= 255 for s in strokes for row in s for v in row):
        drawing.strokes = [s.astype(np.uint8) for s in drawing.strokes]
    else:
        drawing.strokes = [s.astype(np.float64) for s in drawing.strokes]
    return drawing


def _segments(*parts: tuple[int, bytes]):
    """Fixed text expected at offsets from anchor columns: (column, offset, byte) arrays."""
    col = np.concatenate([np.full(len(t), c) for c, t in parts])
    off = np.concatenate([np.arange(len(t)) for _, t in parts])
    return col, off, np.frombuffer(b"".join(t for _, t in parts), dtype=np.uint8)


# Anchors: line start, quotes 3, 7, 11, 14 and 17 (see the constants above).
_LAYOUT = _segments((0, _HEAD), (1, _AFTER_WORD), (2, _AFTER_CC), (3, _AFTER_TS), (4, _KEY_ID),
                    (5, _AFTER_KEY))
_VALUES = ([2, 6, 10, 16], [3, 7, 11, 17])  # quotes around word, countrycode, timestamp, key_id


def _official_layout(a: np.ndarray, body: bytes, starts: np.ndarray, ends: np.ndarray):
    """Mark the lines whose metadata follows the official layout; also return their quotes."""
    quotes = np.flatnonzero(a == 34)
    if len(quotes) == 0:
        return np.zeros(len(starts), dtype=bool), np.zeros((len(starts), _N_QUOTES), np.int64)
    q0 = np.searchsorted(quotes, starts)
    ok = (np.searchsorted(quotes, ends) - q0 == _N_QUOTES) & (ends - starts > 60)
    q = quotes[np.minimum(q0[:, None] + np.arange(_N_QUOTES), len(quotes) - 1)]
    if b"\\" in body:  # escapes take the json.loads path
        ok[np.searchsorted(ends, np.flatnonzero(a == 92))] = False
    if (a >= 128).any():  # and so does non-ASCII text
        ok[np.searchsorted(ends, np.flatnonzero(a >= 128))] = False
    col, off, text = _LAYOUT
    anchors = np.stack([starts, q[:, 3], q[:, 7], q[:, 11], q[:, 14], q[:, 17]], axis=1)
    found = a[np.minimum(anchors[:, col] + off, len(a) - 1)]
    ok &= (found == text).all(axis=1) & (a[ends - 1] == ord("}"))
    gap = q[:, 14] - q[:, 11]  # '","recognized":' then 'true,' or 'false,'
    flag = a[np.minimum(q[:, 11, None] + np.arange(15, 21), len(a) - 1)]
    ok &= (((gap == 20) & (flag[:, :5] == np.frombuffer(b"true,", np.uint8)).all(axis=1))
           | ((gap == 21) & (flag == np.frombuffer(b"false,", np.uint8)).all(axis=1)))
    return ok, q


def _metadata(a: np.ndarray, q: np.ndarray) -> list[np.ndarray]:
    """Cut word, countrycode, timestamp and key_id out of each line: four str arrays."""
    begin, end = q[:, _VALUES[0]] + 1, q[:, _VALUES[1]]
    lengths = end - begin
    width = max(int(lengths.max(initial=0)), 1)
    cells = a[np.minimum(begin[..., None] + np.arange(width), len(a) - 1)]
    cells[np.arange(width) >= lengths[..., None]] = 0
    values = cells.view(f"S{width}")[..., 0].astype(str)
    return [values[:, k] for k in range(4)]


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
    wrong_rows = rows_per_stroke != want
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
    if want == 2 and not raw and (len(points) == 0 or points.max() <= 255):
        points = points.astype(np.uint8)
    else:
        points = points.astype(np.float64)
    stroke_offsets = np.zeros(len(stroke) + 1, dtype=np.int64)
    np.cumsum(row_len[::want], out=stroke_offsets[1:])
    drawing_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(strokes_per_line, out=drawing_offsets[1:])
    word, countrycode, timestamp, key_id = _metadata(a, q)
    return DrawingTable(points, stroke_offsets, drawing_offsets, word=word, key_id=key_id,
                        countrycode=countrycode, timestamp=timestamp,
                        recognized=a[q[:, 13] + 2] == ord("t"))


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
