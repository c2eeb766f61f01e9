"""The compiled loop behind ``ndjson.read``'s fast path for simplified drawings: one pass over a chunk's bytes.

A line takes this path when it follows the official layout exactly (keys word, countrycode,
timestamp, recognized, key_id, drawing in that order, no spaces, printable ASCII strings without
escapes) and its drawing is ``[[[x,...],[y,...]],...]`` with integers 0-255 in JSON spelling, as
many x as y in each stroke, no empty stroke. Every byte of such a line is checked, so what this
path reads is exactly what ``json.loads`` would; any other line is handed back for the general
path. ``ndjson.parse_official_simplified`` turns what ``scan`` finds into a table.
"""
from __future__ import annotations

import numba
import numpy as np

_HEAD = np.frombuffer(b'{"word":"', np.uint8)
_AFTER_WORD = np.frombuffer(b'","countrycode":"', np.uint8)
_AFTER_CC = np.frombuffer(b'","timestamp":"', np.uint8)
_AFTER_TS = np.frombuffer(b'","recognized":', np.uint8)
_TRUE = np.frombuffer(b'true,"key_id":"', np.uint8)
_FALSE = np.frombuffer(b'false,"key_id":"', np.uint8)
_AFTER_KEY = np.frombuffer(b'","drawing":[', np.uint8)


@numba.njit(cache=True, nogil=True)
def copy_texts(a, begin, end, cells):
    for i in range(len(begin)):
        for j in range(end[i] - begin[i]):
            cells[i, j] = a[begin[i] + j]


@numba.njit(cache=True, nogil=True)
def scan(a, ends, points, strokes, drawings, spans, ok):
    """Parse each line; fill the outputs for the lines that follow the grammar (``ok``).

    ``spans`` gets, for each such line, where word, countrycode, timestamp and key_id begin and
    end and whether it was recognized. Returns the counts of points, strokes and drawings.
    """
    n_points, n_strokes, n = 0, 0, 0
    strokes[0] = 0
    drawings[0] = 0
    start = 0
    for i in range(len(ends)):
        e = ends[i]
        p0, s0 = n_points, n_strokes
        p = _literal(a, start, e, _HEAD)
        fields = spans[n]
        for k in range(4):
            if p < 0:
                break
            fields[2 * k] = p
            p = _string(a, p, e)
            fields[2 * k + 1] = p
            if k == 0:
                p = _literal(a, p, e, _AFTER_WORD)
            elif k == 1:
                p = _literal(a, p, e, _AFTER_CC)
            elif k == 2:
                p = _literal(a, p, e, _AFTER_TS)
                if p >= 0:
                    fields[8] = 1 if a[p] == 116 else 0  # t
                    p = _literal(a, p, e, _TRUE if fields[8] == 1 else _FALSE)
            else:
                p = _literal(a, p, e, _AFTER_KEY)
        while p >= 0:  # one stroke: [[x,...],[y,...]] then ',' or the drawing's ']'
            if p + 2 > e or a[p] != 91 or a[p + 1] != 91:
                p = -1
                break
            first = n_points
            p, n_points = _row(a, p + 2, e, points, n_points, 0, len(points))
            if p < 0 or p + 2 > e or a[p] != 44 or a[p + 1] != 91:
                p = -1
                break
            p, count = _row(a, p + 2, e, points, first, 1, n_points)
            if p < 0 or count != n_points or p >= e or a[p] != 93:
                p = -1
                break
            n_strokes += 1
            strokes[n_strokes] = n_points
            p += 1
            if p < e and a[p] == 44:
                p += 1
            elif p + 2 == e and a[p] == 93 and a[p + 1] == 125:  # ']}' ends the line
                break
            else:
                p = -1
        if p >= 0:
            ok[i] = True
            n += 1
            drawings[n] = n_strokes
        else:
            n_points, n_strokes = p0, s0
        start = e + 1
    return n_points, n_strokes, n


@numba.njit(cache=True, nogil=True, inline="always")
def _literal(a, p, e, text):
    """Position after ``text`` if it is at ``a[p:]`` (before ``e``), else -1."""
    if p < 0 or p + len(text) > e:
        return -1
    for j in range(len(text)):
        if a[p + j] != text[j]:
            return -1
    return p + len(text)


@numba.njit(cache=True, nogil=True, inline="always")
def _string(a, p, e):
    """Position of the quote closing a string of printable ASCII without escapes, else -1."""
    while p < e:
        c = a[p]
        if c == 34:
            return p
        if c < 32 or c == 92 or c > 127:
            return -1
        p += 1
    return -1


@numba.njit(cache=True, nogil=True, inline="always")
def _row(a, p, e, points, at, column, limit):
    """Read ``n,...]`` (integers 0-255) into ``points[at:, column]``, stopping at ``limit``.

    Returns the position after the ``]`` (or -1) and where the row's points end.
    """
    while True:
        if p >= e or at >= limit:
            return -1, at
        c = np.int64(a[p]) - 48
        if c < 0 or c > 9:
            return -1, at
        value = c
        p += 1
        if c != 0:  # JSON numbers have no leading zeros
            for _ in range(2):
                d = np.int64(a[p]) - 48
                if d < 0 or d > 9:
                    break
                value = value * 10 + d
                p += 1
        if value > 255:
            return -1, at
        points[at, column] = value
        at += 1
        if p >= e:
            return -1, at
        if a[p] == 44:
            p += 1
        elif a[p] == 93:
            return p + 1, at
        else:
            return -1, at
