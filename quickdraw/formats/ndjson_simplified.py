"""The fast path for simplified ndjson drawings: integers 0-255 read without text-to-number calls.

Works on the marks of a chunk (the positions of ``,[]"`` and newlines) for lines already known to
follow the official layout, whose 25 metadata marks come before the drawing's ``[``. A number
("token") is the text after a ``,`` or ``[`` mark that ends 2 to 4 bytes later at the next mark.
Runs of tokens on consecutive marks are the rows; the jump to the next run says how a row ended:
3 marks for ``],[`` (an x row, then its y row), 5 for ``]],[[`` (a stroke) and more for ``]]]``
(the drawing). Every mark and byte of a drawing is checked against that grammar in whole-chunk
numpy passes, so a line this path takes holds exactly what ``json.loads`` would read; any other
line is handed back for the general path.

>>> import numpy as np
>>> line = (b'{"word":"a","countrycode":"US","timestamp":"t","recognized":true,"key_id":"1",'
...         b'"drawing":[[[1,20],[255,0]],[[7],[8]]]}\\n')
>>> a = np.frombuffer(line, np.uint8)
>>> m, code = marks(a)
>>> points, strokes, drawings, ok = parse(a, m, code, np.flatnonzero(code == NEWLINE), [True])
>>> points.tolist(), strokes.tolist(), drawings.tolist(), ok.tolist()
([[1, 255], [20, 0], [7, 8]], [0, 2, 3], [0, 2], [True])
"""
from __future__ import annotations

import numpy as np

from ..table import ranges

OPEN, CLOSE, COMMA, QUOTE, NEWLINE = 91, 93, 44, 34, 10
# Classes of a line's first 26 marks in the official layout: the quotes and commas of
# word, countrycode, timestamp, recognized, key_id and "drawing", then the drawing's '['.
META = b'"""",' b'"""",' b'"""",' b'"",' b'"""",' b'""['
N_META = len(META) - 1
_NEXT = 128  # added to a mark's class when the next mark follows it directly
_DIGITS = 48


def marks(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of every ``,``, ``[``, ``]``, ``"`` and newline in the byte array ``a``, and
    their codes: the byte, plus 128 when the next byte is a mark too."""
    m = a == COMMA
    m |= a == OPEN
    m |= a == CLOSE
    m |= a == QUOTE
    m |= a == NEWLINE
    code = np.empty(len(a), dtype=np.uint8)
    np.multiply(m[1:].view(np.uint8), np.uint8(_NEXT), out=code[:-1])
    code[-1:] = 0
    code |= a
    mark = np.flatnonzero(m)
    return (mark.astype(np.int32) if len(a) < 2 ** 31 else mark), code.take(mark)


def parse(a: np.ndarray, mark: np.ndarray, code: np.ndarray, nl: np.ndarray, ok):
    """Read the drawings of the lines marked in ``ok`` (official layout, see above).

    ``mark`` and ``code`` come from ``marks(a)`` and ``nl`` indexes the newline marks (the
    chunk ends with one). Returns ``(points, stroke_offsets, drawing_offsets, ok)``: uint8
    (P, 2) points and offsets for the lines left in ``ok`` (a new bool array, narrowed to the
    lines read here).
    """
    first = np.zeros(len(nl), dtype=np.int64)  # each line's first mark
    first[1:] = nl[:-1] + 1
    kd, ke = first + N_META, nl - 1  # the drawing's opening and closing brackets
    at = np.minimum(kd, len(mark) - 3)
    ok = np.asarray(ok) & (ke >= kd + 8)
    ok &= ((code.take(at) == OPEN + _NEXT) & (code.take(at + 1) == OPEN + _NEXT)
           & (code.take(at + 2) == OPEN) & (code.take(ke) & 127 == CLOSE)
           & (mark.take(ke) == mark.take(nl) - 2))
    opens = code == OPEN  # a number follows: '[' or ',' then a byte that is no mark
    tokens = code == COMMA
    tokens |= opens
    while ok.any():
        tok, opn = tokens, opens
        off = np.flatnonzero(~ok)
        if len(off):  # other lines' marks hold no tokens
            cut = ranges(first[off], nl[off] - first[off])
            tok, opn = tokens.copy(), opens.copy()
            tok[cut] = opn[cut] = False
        lines = np.flatnonzero(ok)
        result = _read(a, mark, code, tok, np.count_nonzero(opn), kd.take(lines),
                       ke.take(lines))
        if isinstance(result, tuple):
            return result + (ok,)
        bad = lines[result] if result.dtype == bool else np.unique(
            np.searchsorted(first, result, side="right") - 1)
        ok[bad if len(bad) else lines] = False
    return np.zeros((0, 2), np.uint8), np.zeros(1, np.int64), np.zeros(1, np.int64), ok


def _read(a, mark, code, tok, n_opens, kd, ke):
    """Check and read the tokens marked in ``tok`` of the drawings at marks kd..ke.

    Returns the table arrays, or what to drop: a bool mask over these lines, or the marks of
    the rows or tokens found wrong.
    """
    # Rows: runs of tokens on consecutive marks (rs..re). The jump to the next run says how a
    # row ended: 3 marks for '],[' (x rows), 5 for ']],[[' (y rows), more at a drawing's end.
    edges = np.flatnonzero(tok[1:] != tok[:-1])
    rs, re = edges[0::2] + 1, edges[1::2]
    nr = len(rs)
    if nr == 0:
        return np.ones(len(kd), dtype=bool)
    # each drawing's first row follows '[[[' and its last comes before ']]]'
    fin = np.searchsorted(re, ke - 3)  # each drawing's last row
    head = np.zeros(len(fin), dtype=np.int64)
    head[1:] = fin[:-1] + 1
    bad = (re.take(fin, mode="clip") != ke - 3) | (rs.take(head, mode="clip") != kd + 2)
    if bad.any() or fin[-1] != nr - 1:
        bad[-1] |= fin[-1] != nr - 1
        return bad
    jump = np.zeros(nr, dtype=np.int64)
    jump[:-1] = rs[1:] - re[:-1]
    if nr % 2 or (jump[0::2] != 3).any() or (jump[1::2] == 3).any():
        return _rows_out_of_turn(rs, jump)
    length = re - rs + 1
    # x rows end with '],[' then the y row's number, y rows with ']],[[' then the next x row's
    # number, or with ']]' and the drawing's ']' for the last row of a drawing
    tx, ty = re[0::2] + 1, re[1::2] + 1
    rbad = np.zeros(nr, dtype=bool)
    rbad[0::2] = ((code.take(tx) != CLOSE + _NEXT) | (code[1:].take(tx) != COMMA + _NEXT)
                  | (code[2:].take(tx) != OPEN) | (length[0::2] != length[1::2]))
    ends_drawing = jump[1::2] != 5
    rbad[1::2] = ((code.take(ty) != CLOSE + _NEXT) | (code[1:].take(ty) != CLOSE + _NEXT)
                  | ~ends_drawing & ((code[2:].take(ty) != COMMA + _NEXT)
                                     | (code[3:].take(ty, mode="clip") != OPEN + _NEXT)
                                     | (code[4:].take(ty, mode="clip") != OPEN)))
    stray = ends_drawing.copy()
    stray[fin // 2] = False  # only each drawing's last row may end it
    rbad[1::2] |= stray

    # Point p of a stroke is the p-th token of its x row and of its y row: (P, 2) token marks.
    n = length[0::2]
    stroke_offsets = np.zeros(len(n) + 1, dtype=np.int64)
    np.cumsum(n, out=stroke_offsets[1:])
    P = int(stroke_offsets[-1])
    T = np.repeat(rs.reshape(-1, 2) - stroke_offsets[:-1, None], n, axis=0)
    T.ravel()[:] += _pairs(P)

    # Numbers: 1-3 digits between the marks, no leading zero, at most 255.
    s = mark.take(T)
    size = mark[1:].take(T)
    size -= s  # digits + 1
    s = s.astype(np.intp)
    d0 = a[1:].take(s) - np.uint8(_DIGITS)
    d1 = a[2:].take(s) - np.uint8(_DIGITS)
    d2 = a[3:].take(s) - np.uint8(_DIGITS)
    two, three = size >= 3, size == 4
    tbad = (d0 > 9) | (size > 4)
    tbad |= two & ((d1 > 9) | (d0 == 0))
    tbad |= three & (d2 > 9)
    d1 &= -two.view(np.uint8)  # 0 where not a digit of this number
    d2 &= -three.view(np.uint8)
    v = d0.astype(np.uint16)
    v *= 1 + 9 * two.view(np.uint8)
    v += d1
    v *= 1 + 9 * three.view(np.uint8)
    v += d2
    tbad |= v > 255
    if rbad.any() or tbad.any() or n_opens != nr:
        wrong = [rs.compress(rbad), T.compress(tbad.ravel())]
        if n_opens != nr:  # a '[' inside a row
            inside = tok & (code == OPEN)
            inside[rs] = False
            wrong.append(np.flatnonzero(inside))
        return np.concatenate(wrong)
    drawing_offsets = np.zeros(len(kd) + 1, dtype=np.int64)
    drawing_offsets[1:] = fin // 2 + 1
    return v.astype(np.uint8), stroke_offsets, drawing_offsets


_PAIRS = np.zeros(0, dtype=np.int64)


def _pairs(n: int) -> np.ndarray:
    """``[0, 0, 1, 1, ..., n - 1, n - 1]`` (up to chunk sizes, kept between calls)."""
    global _PAIRS
    if len(_PAIRS) >= 2 * n:
        return _PAIRS[:2 * n]
    pairs = np.arange(2 * max(n, 1 << 16), dtype=np.int64) >> 1
    if n <= 1 << 20:
        _PAIRS = pairs
    return pairs[:2 * n]


def _rows_out_of_turn(rs, jump):
    """Marks of the rows that break the x, y, x, y order of rows."""
    is_x = jump == 3
    wrong = np.zeros(len(rs), dtype=bool)
    wrong[0] = not is_x[0]
    wrong[1:] = is_x[1:] == is_x[:-1]
    return rs.compress(wrong)
