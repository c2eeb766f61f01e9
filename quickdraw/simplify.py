"""Raw drawings to the dataset's simplified form, by the dataset's own recipe.

The recipe, pinned down by matching the raw and simplified files of the same drawings: move the
drawing to the top-left corner (subtract the smallest x and y over all strokes); scale it
uniformly so its larger side spans 0-255 (``x * 255 / side``); resample every stroke at 1-pixel
steps along its length, keeping its last point; simplify each stroke with Ramer-Douglas-Peucker,
epsilon 2.0; round to integers (halves to even). Done in that order with float64 arithmetic, the
result equals the official simplified drawing exactly for 99.98% of the mirror's pairs.

>>> simplify([[[10, 20, 30, 40], [10, 10.2, 9.9, 10], [0, 16, 33, 50]]])
[[[0, 255], [1, 1]]]
"""
from __future__ import annotations

import numpy as np

from .errors import QuickDrawError

EPSILON = 2.0  # Ramer-Douglas-Peucker tolerance, in the 0-255 frame
SPACING = 1.0  # resampling step along each stroke
SIDE = 255.0


def simplify(raw_strokes) -> list:
    """Simplify a raw drawing the way the dataset did: list of strokes ``[[xs], [ys]]`` of ints.

    ``raw_strokes`` holds strokes ``[xs, ys, ts]`` or ``[xs, ys]`` (lists or arrays) in screen
    units; times are ignored. Every stroke comes out with at least two points (a one-point stroke
    repeats its point, as in the dataset).

    >>> simplify([[[0, 100], [0, 50]], [[5], [5]]])
    [[[0, 255], [0, 128]], [[13, 13], [13, 13]]]
    """
    strokes = _as_strokes(raw_strokes)
    if not strokes:
        return []
    everything = np.concatenate(strokes)
    low = everything.min(axis=0)
    side = (everything.max(axis=0) - low).max()
    side = side if side > 0 else SIDE  # a single spot stays at the corner
    return [_simplify_stroke((s - low) * SIDE / side) for s in strokes]


def simplify_partial(strokes) -> list:
    """Resample at 1 pixel and simplify (epsilon 2) strokes already in 0-255 units; keep their place.

    For drawings in progress (the completion canvas): no moving or rescaling, so the strokes stay
    where the user drew them.

    >>> simplify_partial([[[10, 11, 12, 13, 50], [10, 10, 10, 10, 10]]])
    [[[10, 50], [10, 10]]]
    """
    return [_simplify_stroke(s) for s in _as_strokes(strokes)]


def _as_strokes(strokes) -> list[np.ndarray]:
    """Each non-empty stroke as an (n, 2) float64 array of its x and y."""
    out = []
    for stroke in strokes:
        try:
            xy = np.array([stroke[0], stroke[1]], dtype=np.float64)
        except (TypeError, ValueError, IndexError):
            raise QuickDrawError("a stroke must be [xs, ys] or [xs, ys, ts] lists of numbers of "
                                 "equal length") from None
        if xy.ndim != 2:
            raise QuickDrawError("a stroke must be [xs, ys] or [xs, ys, ts] lists of numbers of "
                                 "equal length")
        if not np.isfinite(xy).all():
            raise QuickDrawError("stroke coordinates must be finite numbers")
        if xy.shape[1]:
            out.append(xy.T)
    return out


def _simplify_stroke(points: np.ndarray) -> list:
    kept = _resample(points)
    kept = kept[_rdp_keep(kept, EPSILON)]
    xy = np.round(kept).astype(np.int64)
    return [xy[:, 0].tolist(), xy[:, 1].tolist()]


def _resample(points: np.ndarray) -> np.ndarray:
    """Points every SPACING along the stroke from its start, plus its exact last point."""
    steps = np.diff(points, axis=0)
    lengths = np.sqrt(steps[:, 0] ** 2 + steps[:, 1] ** 2)
    along = np.concatenate([[0.0], np.cumsum(lengths)])
    total = along[-1]
    if total == 0:
        return points[[0, -1]]
    at = np.arange(0.0, total, SPACING)
    seg = np.searchsorted(along, at, side="right") - 1  # the segment each sample falls on
    u = ((at - along[seg]) / lengths[seg])[:, None]
    samples = points[seg] * (1 - u) + points[seg + 1] * u
    return np.concatenate([samples, points[-1:]])


def _rdp_keep(points: np.ndarray, epsilon: float) -> np.ndarray:
    """Ramer-Douglas-Peucker: a mask of the points to keep (first and last always kept).

    Each span is split at its first farthest point from the line through its ends (the distance
    to the end itself when both ends coincide) while that distance exceeds ``epsilon``.
    """
    keep = np.zeros(len(points), bool)
    keep[[0, -1]] = True
    spans = [(0, len(points) - 1)]
    while spans:
        a, b = spans.pop()
        if b - a < 2:
            continue
        start, end = points[a], points[b]
        d = end - start
        w = start - points[a + 1:b]
        if d[0] == 0 and d[1] == 0:
            dist = np.sqrt(w[:, 0] * w[:, 0] + w[:, 1] * w[:, 1])
        else:
            dist = np.abs(d[0] * w[:, 1] - d[1] * w[:, 0]) / np.sqrt(d[0] * d[0] + d[1] * d[1])
        i = int(np.argmax(dist))
        if dist[i] > epsilon:
            keep[a + 1 + i] = True
            spans += [(a, a + 1 + i), (a + 1 + i, b)]
    return keep
