"""The compiled loop behind ``quickdraw.simplify``: resampling and Ramer-Douglas-Peucker on one stroke.

Every floating-point operation is the one the recipe in ``simplify.py`` names, in the same order,
so the results are the same bits as a plain numpy version of it would give.
"""
from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def simplify_stroke(points, epsilon, spacing):
    """Resample ``points`` (n, 2) float64 every ``spacing`` along the stroke (plus its last point),
    keep the Ramer-Douglas-Peucker points for ``epsilon`` and round them (halves to even): (m, 2) int64."""
    samples = _resample(points, spacing)
    keep = _rdp_keep(samples, epsilon)
    out = np.empty((keep.sum(), 2), np.int64)
    k = 0
    for i in range(len(samples)):
        if keep[i]:
            out[k, 0] = np.int64(np.rint(samples[i, 0]))
            out[k, 1] = np.int64(np.rint(samples[i, 1]))
            k += 1
    return out


@numba.njit(cache=True, nogil=True)
def _resample(points, spacing):
    """Points every ``spacing`` along the stroke from its start, plus its exact last point."""
    n = len(points)
    lengths = np.empty(n - 1)
    along = np.empty(n)
    along[0] = 0.0
    for i in range(n - 1):
        dx = points[i + 1, 0] - points[i, 0]
        dy = points[i + 1, 1] - points[i, 1]
        lengths[i] = math.sqrt(dx * dx + dy * dy)
        along[i + 1] = along[i] + lengths[i]
    total = along[n - 1]
    if total == 0:
        out = np.empty((2, 2))
        out[0], out[1] = points[0], points[n - 1]
        return out
    count = int(math.ceil(total / spacing))
    out = np.empty((count + 1, 2))
    seg = 0
    for k in range(count):
        at = k * spacing
        while seg + 1 < n and along[seg + 1] <= at:  # the segment the sample falls on
            seg += 1
        u = (at - along[seg]) / lengths[seg]
        out[k, 0] = points[seg, 0] * (1 - u) + points[seg + 1, 0] * u
        out[k, 1] = points[seg, 1] * (1 - u) + points[seg + 1, 1] * u
    out[count] = points[n - 1]
    return out


@numba.njit(cache=True, nogil=True)
def _rdp_keep(points, epsilon):
    """Ramer-Douglas-Peucker: a mask of the points to keep (first and last always kept).

    Each span is split at its first farthest point from the line through its ends (the distance
    to the end itself when both ends coincide) while that distance exceeds ``epsilon``.
    """
    n = len(points)
    keep = np.zeros(n, np.bool_)
    keep[0] = keep[n - 1] = True
    stack = np.empty((n + 1, 2), np.int64)
    stack[0, 0], stack[0, 1] = 0, n - 1
    top = 1
    while top:
        top -= 1
        a, b = stack[top, 0], stack[top, 1]
        if b - a < 2:
            continue
        dx, dy = points[b, 0] - points[a, 0], points[b, 1] - points[a, 1]
        norm = math.sqrt(dx * dx + dy * dy)
        best, far = -1.0, a + 1
        for i in range(a + 1, b):
            wx, wy = points[a, 0] - points[i, 0], points[a, 1] - points[i, 1]
            if dx == 0 and dy == 0:
                dist = math.sqrt(wx * wx + wy * wy)
            else:
                dist = abs(dx * wy - dy * wx) / norm
            if dist > best:
                best, far = dist, i
        if best > epsilon:
            keep[far] = True
            stack[top, 0], stack[top, 1] = a, far
            stack[top + 1, 0], stack[top + 1, 1] = far, b
            top += 2
    return keep
