"""The compiled loop behind ``binary.read``: walking packed records and copying out their points."""
from __future__ import annotations

import numba


@numba.njit(cache=True, nogil=True)
def walk(a, records, stroke_offsets, points):
    """Walk the complete records at the start of ``a`` (uint8 bytes of the binary format).

    Fills where each record starts, each stroke's offset into ``points`` and the (x, y) points;
    returns the counts of records and strokes and the bytes the complete records take.
    """
    size = len(a)
    n = n_strokes = n_points = 0
    stroke_offsets[0] = 0
    p = 0
    while p + 17 <= size:
        q = p + 17
        strokes = a[p + 15] | (a[p + 16] << 8)
        s, at = n_strokes, n_points
        complete = True
        for _ in range(strokes):
            if q + 2 > size:
                complete = False
                break
            count = a[q] | (a[q + 1] << 8)
            if q + 2 + 2 * count > size:
                complete = False
                break
            for j in range(count):
                points[at + j, 0] = a[q + 2 + j]
                points[at + j, 1] = a[q + 2 + count + j]
            at += count
            s += 1
            stroke_offsets[s] = at
            q += 2 + 2 * count
        if not complete:
            break
        records[n] = p
        n += 1
        n_strokes, n_points = s, at
        p = q
    return n, n_strokes, p
