"""Compiled loops behind ``quickdraw.render``: painting dots and bands, compositing, augmenting.

Numba compiles these on first use (and caches the machine code beside this file, or in the user's
cache when that is read-only). They release the GIL, so ``tf.data`` can render several batches at
once on several cores. The coverage tables and the recipe they follow are explained in
``render.py``; the arrays passed in are the ones it builds.
"""
from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def render_drawings(pts, ends, splits, size, frame, scale, shift, radius, steps, dot, dot_half, dot_table,
                    band_half, band_table, slopes, over, out):
    """Render a flat batch (``pts``, ``ends``, ``splits``) into ``out`` (N, size * size) uint8.

    Each stroke is inked into a scratch canvas (a pixel keeps the most ink any dot or band of the
    stroke gives it) and then painted over the drawing, as cairo strokes one path after another.
    """
    scratch = np.zeros(size * size, np.uint8)
    reach = radius + 1.0  # how far from a point or segment ink can reach, in pixels
    for d in range(len(splits) - 1):
        a, b = splits[d], splits[d + 1]
        if b <= a:
            continue
        mx, my = pts[a, 0], pts[a, 1]
        for i in range(a + 1, b):
            mx = max(mx, pts[i, 0])
            my = max(my, pts[i, 1])
        sx = (frame - mx) / 2 + shift
        sy = (frame - my) / 2 + shift
        first = a
        while first < b:
            last = first
            while last < b - 1 and not ends[last]:
                last += 1
            canvas = out[d] if first == a else scratch  # the first stroke goes straight on black
            lx, ly, hx, hy = math.inf, math.inf, -math.inf, -math.inf
            for i in range(first, last + 1):
                px, py = (pts[i, 0] + sx) * scale, (pts[i, 1] + sy) * scale
                lx, ly, hx, hy = min(lx, px), min(ly, py), max(hx, px), max(hy, py)
                _dot(canvas, px, py, size, radius, steps, dot, dot_half, dot_table)
                if i < last:
                    _band(canvas, px, py, (pts[i + 1, 0] + sx) * scale, (pts[i + 1, 1] + sy) * scale,
                          size, radius, steps, band_half, band_table, slopes)
            if first == a:
                first = last + 1
                continue
            # paint the stroke over the drawing: over[d << 8 | 0] is d, so blank pixels need no test
            r0, r1 = int(max(ly - reach, 0.0)), int(min(hy + reach, size - 1.0))
            c0, c1 = int(max(lx - reach, 0.0)), int(min(hx + reach, size - 1.0))
            for r in range(r0, r1 + 1):
                for p in range(r * size + c0, r * size + c1 + 1):
                    out[d, p] = over[(np.int64(out[d, p]) << 8) | scratch[p]]
                    scratch[p] = 0
            first = last + 1


@numba.njit(cache=True, nogil=True)
def _dot(scratch, px, py, size, radius, steps, dot, dot_half, dot_table):
    """Max a round dot (a cap or join) centred at device point ``(px, py)`` into ``scratch``."""
    if not (-radius - 1 < px < size + radius + 1 and -radius - 1 < py < size + radius + 1):
        return
    side = 2 * dot_half + 1
    ox = int(min(max(math.floor(px - radius), 0), size - dot))
    oy = int(min(max(math.floor(py - radius), 0), size - dot))
    fx = (ox + 0.5 - px) * steps + (dot_half + 0.5)
    fy = (oy + 0.5 - py) * steps + (dot_half + 0.5)
    for r in range(dot):
        iy = int(min(max(fy + r * steps, 0.0), side - 1.0))
        for c in range(dot):
            ix = int(min(max(fx + c * steps, 0.0), side - 1.0))
            cov = dot_table[ix * side + iy]
            p = (oy + r) * size + ox + c
            if cov > scratch[p]:
                scratch[p] = cov
    return


@numba.njit(cache=True, nogil=True)
def _band(scratch, ax, ay, bx, by, size, radius, steps, band_half, band_table, slopes):
    """Max the band between the end dots of segment a-b into ``scratch``, row by row of its major axis."""
    lo, hi = -radius - 1.0, size + radius + 1.0
    if not (lo <= min(ax, ay, bx, by) and max(ax, ay, bx, by) <= hi):
        t0, t1 = 0.0, 1.0
        for a, b in ((ax, bx), (ay, by)):  # cut the segment to the square around the canvas
            d = b - a
            if d != 0:
                ta, tb = (lo - a) / d, (hi - a) / d
                t0, t1 = max(t0, min(ta, tb)), min(t1, max(ta, tb))
            elif not lo <= a <= hi:
                return
        if t0 > t1:
            return
        dx, dy = bx - ax, by - ay
        ax, ay, bx, by = ax + t0 * dx, ay + t0 * dy, ax + t1 * dx, ay + t1 * dy
    dx, dy = bx - ax, by - ay
    length = math.sqrt(dx * dx + dy * dy)
    if length <= 1e-6:  # a zero-length segment is all dot
        return
    steep = abs(dy) > abs(dx)
    if steep:  # u runs along the major axis, v across it
        au, av, du, dv = ay, ax, dy, dx
    else:
        au, av, du, dv = ax, ay, dx, dy
    slope = dv / du
    row = (steep * (slopes + 1) + np.rint((slope + 1) * (slopes / 2))) * (2 * band_half + 1)
    base = row + band_half + 0.5
    kx, ky = steps * dy / length, -steps * dx / length  # table steps per pixel along x and y
    along_x, along_y = dx / (dx * dx + dy * dy), dy / (dx * dx + dy * dy)
    # pixel centres farther from the centre line than radius + 0.75 get no ink; measured across,
    # that is ``reach``, and along, a pixel with ink lies at most ``overhang`` beyond an end
    reach = (radius + 0.75) * math.sqrt(1 + slope * slope)
    overhang = (radius + 0.75) * abs(slope) / math.sqrt(1 + slope * slope)
    u0 = max(int(math.ceil(min(au, au + du) - overhang - 0.5)), 0)
    u1 = min(int(math.floor(max(au, au + du) + overhang - 0.5)), size - 1)
    # along a row (steep) or column of pixels, the table index and the place t along the segment
    # grow by fixed steps from pixel to pixel
    k_v, t_v = (kx, along_x) if steep else (ky, along_y)
    for u in range(u0, u1 + 1):
        centre = av + (u + 0.5 - au) * slope - 0.5  # where the centre line crosses, in pixel indices
        v0 = max(centre - reach, 0.0)
        v1 = min(centre + reach, size - 1.0)
        if v0 > v1:
            continue
        vs, ve = int(math.ceil(v0)), int(v1)
        if steep:
            ex, ey = vs + 0.5 - ax, u + 0.5 - ay
            p, p_v = u * size + vs, 1
        else:
            ex, ey = u + 0.5 - ax, vs + 0.5 - ay
            p, p_v = vs * size + u, size
        index = ex * kx + ey * ky + base
        t = ex * along_x + ey * along_y
        for _ in range(vs, ve + 1):
            if 0 <= t <= 1:  # beyond an end the dots cover it
                cov = band_table[int(index)]
                if cov > scratch[p]:
                    scratch[p] = cov
            index += k_v
            t += t_v
            p += p_v
    return


@numba.njit(cache=True, nogil=True)
def augment_drawings(pts, splits, stretch, turn, noise, frame_max, out):
    """Stretch, turn about its centre and jitter each drawing of ``pts`` (P, 2) into ``out``.

    The result is put back at the top-left of the frame, its longest side shrunk to ``frame_max``
    if it grew past it.
    """
    for d in range(len(splits) - 1):
        a, b = splits[d], splits[d + 1]
        if b <= a:
            continue
        lx, ly, hx, hy = pts[a, 0], pts[a, 1], pts[a, 0], pts[a, 1]
        for i in range(a + 1, b):
            lx, hx = min(lx, pts[i, 0]), max(hx, pts[i, 0])
            ly, hy = min(ly, pts[i, 1]), max(hy, pts[i, 1])
        cx, cy = (lx + hx) / 2, (ly + hy) / 2
        cos, sin = math.cos(turn[d]), math.sin(turn[d])
        for i in range(a, b):
            u = (pts[i, 0] - cx) * stretch[d, 0]
            v = (pts[i, 1] - cy) * stretch[d, 1]
            out[i, 0] = cos * u - sin * v + noise[i, 0]
            out[i, 1] = sin * u + cos * v + noise[i, 1]
        lx, ly, hx, hy = out[a, 0], out[a, 1], out[a, 0], out[a, 1]
        for i in range(a + 1, b):
            lx, hx = min(lx, out[i, 0]), max(hx, out[i, 0])
            ly, hy = min(ly, out[i, 1]), max(hy, out[i, 1])
        fit = min(1.0, frame_max / max(max(hx - lx, hy - ly), 1e-9))
        for i in range(a, b):
            out[i, 0] = (out[i, 0] - lx) * fit
            out[i, 1] = (out[i, 1] - ly) * fit
