"""Strokes to antialiased grayscale bitmaps, made the way the official ``numpy_bitmap`` files were.

The official recipe (cairo): each drawing is shifted by ``(256 - max) / 2`` on each axis, ``max``
being the largest x and y of its points (dataset drawings start at 0, so this centres them in the
256 x 256 frame); it is stroked white on black with round caps and joins, line diameter 16, with a
padding of 16 around the frame, and the whole is scaled to ``size`` pixels (scale
``size / (256 + 2 * 16 + 16)``, after a shift of ``(2 * 16 + 16) / 2``). Cairo covers each pixel
with 15 sub-rows, each inked over its exact horizontal extent, fills each stroke as one shape and
paints the strokes one over another. This module reproduces that with numpy, for many drawings at
once: 28 x 28 results differ from the official bitmaps by about 0.7 gray levels on average.

>>> img = render([[[[0, 255], [0, 255]]]])
>>> img.shape, img.dtype, int(img.max())
((1, 28, 28), dtype('uint8'), 255)

How: every point gets a round dot and every segment the band between its end dots. Tables hold
the exact coverage of a pixel by a dot (indexed by the pixel's offset from it) and by a band
(indexed by the band's slope and the pixel's distance to it). Segments are cut into pieces whose
band fits a small window (4 x 4 pixels at size 28); the windows of all pieces of all drawings of
a batch are looked up together. Coverage within a stroke combines by maximum; strokes go to
``LAYERS`` canvases by their index and the canvases are painted one over another, as cairo paints
strokes. Where one stroke crosses itself inside a pixel the maximum is lighter than cairo's exact
union: rare at 28 x 28 and above, visible below about 20 pixels a side.

Batches in flat form (the layout of a ``tf.RaggedTensor``): ``points`` (P, 2) holds every point of
every drawing one after another, ``stroke_ends`` (P,) is true at the last point of each stroke
(stroke-3's pen-lift flag ``p``), and ``row_splits`` (N + 1,) says where each drawing's points
begin and end. ``render_points`` renders that form, ``augment_strokes`` distorts it, and
``tf_render_batch`` does both inside ``tf.data`` from a ragged batch of stroke-3 drawings.
"""
from __future__ import annotations

import functools
import itertools

import numpy as np

from .errors import QuickDrawError

FRAME = 256.0
LINE_DIAMETER = 16.0
PADDING = 16.0
LAYERS = 4  # strokes i and i + LAYERS share a canvas (combined by maximum, not painted over)
_SUBROWS = 15  # cairo's samples down each pixel
_SLOPES = 128  # band table: slope steps over [-1, 1]
_CHUNK = 256  # drawings rendered together: their canvases stay in cache


def render(drawings, size: int = 28) -> np.ndarray:
    """Render drawings to white-on-black bitmaps, (N, size, size) uint8, by the official recipe.

    Each drawing is a list of strokes ``[xs, ys]`` (or ``[xs, ys, ts]``; lists or arrays) in the
    dataset's 0-255 frame, or a ``Drawing``. An empty drawing renders black, a one-point stroke as
    a dot; ink outside the frame is cut at the border.

    >>> render([[[[10, 200], [128, 128]]], []], size=32).shape
    (2, 32, 32)
    """
    return render_points(*flatten(drawings), size=size)


def flatten(drawings):
    """Return drawings in flat batch form: ``points`` (P, 2) float64, ``stroke_ends`` (P,), ``row_splits``.

    >>> p, ends, splits = flatten([[[[0, 5], [0, 5]], [[9], [9]]]])
    >>> p.tolist(), ends.tolist(), splits.tolist()
    ([[0.0, 0.0], [5.0, 5.0], [9.0, 9.0]], [False, True, True], [0, 3])
    """
    xs, ys, lengths, per_drawing = [], [], [], []
    try:
        for drawing in drawings:
            strokes = getattr(drawing, "strokes", drawing)
            kept = 0
            for stroke in strokes:
                n = len(stroke[0])
                if n:
                    if len(stroke[1]) != n:
                        raise QuickDrawError("every stroke needs as many y values as x values")
                    xs.append(stroke[0])
                    ys.append(stroke[1])
                    lengths.append(n)
                    kept += 1
            per_drawing.append(kept)
        if all(type(x) is list for x in xs):  # plain JSON lists: one conversion for all
            points = np.array([list(itertools.chain.from_iterable(xs)),
                               list(itertools.chain.from_iterable(ys))], dtype=np.float64).T
        else:
            points = np.stack([np.concatenate([np.asarray(x, np.float64) for x in xs]),
                               np.concatenate([np.asarray(y, np.float64) for y in ys])], axis=1)
    except (TypeError, ValueError, IndexError) as err:
        raise QuickDrawError(f"a drawing must be a list of [xs, ys] strokes of numbers ({err})") from None
    ends = np.zeros(len(points), bool)
    stroke_stops = np.cumsum(lengths, dtype=np.int64)
    ends[stroke_stops - 1] = True
    stroke_starts = np.concatenate([[0], stroke_stops]).astype(np.int64)
    return points.reshape(-1, 2), ends, stroke_starts[np.cumsum([0] + per_drawing, dtype=np.int64)]


def render_points(points, stroke_ends, row_splits, size: int = 28) -> np.ndarray:
    """Render a flat batch of drawings (see the module docstring) to (N, size, size) uint8 bitmaps.

    ``points`` are in the dataset's 256 frame; a drawing's last point always ends its last stroke.

    >>> pts = np.array([[0, 0], [255, 255], [0, 255]])
    >>> render_points(pts, [False, True, True], [0, 2, 3]).shape
    (2, 28, 28)
    """
    size = _check_size(size)
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    ends = np.asarray(stroke_ends, dtype=bool).reshape(-1)
    splits = np.asarray(row_splits, dtype=np.int64).reshape(-1)
    if (len(ends) != len(pts) or len(splits) < 1 or splits[0] != 0 or splits[-1] != len(pts)
            or np.any(np.diff(splits) < 0)):
        raise QuickDrawError("points, stroke ends and row splits do not describe the same drawings")
    if not np.isfinite(pts).all():
        raise QuickDrawError("stroke coordinates must be finite numbers")
    n = len(splits) - 1
    out = np.zeros((n, size, size), np.uint8)
    for first in range(0, n, _CHUNK):
        last = min(first + _CHUNK, n)
        a, b = splits[first], splits[last]
        if b > a:
            out[first:last] = _render_chunk(pts[a:b], ends[a:b], splits[first:last + 1] - a, size)
    return out


def augment_strokes(points, row_splits, seed, scale: float = 0.15, rotation: float = 15.0,
                    jitter: float = 1.5) -> np.ndarray:
    """Randomly stretch, rotate and jitter each drawing of a flat batch; return new points (P, 2).

    Each drawing gets its own x and y stretch in ``[1 - scale, 1 + scale]`` and turn in
    ``[-rotation, rotation]`` degrees about its centre, then every point moves by Gaussian noise
    of ``jitter`` frame units. The result is put back in the dataset's frame (top-left at 0,
    longest side shrunk to 255 if it grew past it), so ``render_points`` centres it as the data.
    ``seed`` (an int, or None for fresh entropy) fixes the draw: same inputs and seed, same points.

    >>> pts = np.array([[0.0, 0.0], [255.0, 100.0]])
    >>> out = augment_strokes(pts, [0, 2], seed=1)
    >>> out.shape, bool(out.min() >= 0), bool(out.max() <= 255)
    ((2, 2), True, True)
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    splits = np.asarray(row_splits, dtype=np.int64).reshape(-1)
    if len(splits) < 1 or splits[0] != 0 or splits[-1] != len(pts) or np.any(np.diff(splits) < 0):
        raise QuickDrawError("points and row splits do not describe the same drawings")
    n = len(splits) - 1
    rng = np.random.default_rng(seed)
    stretch = rng.uniform(1 - scale, 1 + scale, size=(n, 2))
    turn = np.radians(rng.uniform(-rotation, rotation, size=n))
    noise = rng.normal(0.0, jitter, size=pts.shape) if jitter > 0 else 0.0
    if not len(pts):
        return pts.copy()
    drawing, _ = _owners(np.diff(splits))
    starts = splits[:-1][np.diff(splits) > 0]
    lo = np.zeros((n, 2))
    hi = np.zeros((n, 2))
    lo[drawing[starts]] = np.minimum.reduceat(pts, starts, axis=0)
    hi[drawing[starts]] = np.maximum.reduceat(pts, starts, axis=0)
    centred = (pts - ((lo + hi) / 2)[drawing]) * stretch[drawing]
    cos, sin = np.cos(turn)[drawing], np.sin(turn)[drawing]
    out = np.stack([cos * centred[:, 0] - sin * centred[:, 1],
                    sin * centred[:, 0] + cos * centred[:, 1]], axis=1) + noise
    lo[drawing[starts]] = np.minimum.reduceat(out, starts, axis=0)
    hi[drawing[starts]] = np.maximum.reduceat(out, starts, axis=0)
    fit = np.minimum(1.0, (FRAME - 1) / np.maximum((hi - lo).max(axis=1), 1e-9))
    return (out - lo[drawing]) * fit[drawing, None]


def stroke3_points(strokes3, row_splits):
    """Turn a flat batch of stroke-3 rows (P, 3) into absolute ``points`` (P, 2) and ``stroke_ends``.

    Each drawing's first row is its first point's offset from the origin, as in the dataset's
    Sketch-RNN files.

    >>> p, ends = stroke3_points(np.array([[5, 5, 0], [10, 0, 1], [3, 3, 1]]), [0, 2, 3])
    >>> p.tolist(), ends.tolist()
    ([[5.0, 5.0], [15.0, 5.0], [3.0, 3.0]], [False, True, True])
    """
    rows = np.asarray(strokes3, dtype=np.float64).reshape(-1, 3)
    splits = np.asarray(row_splits, dtype=np.int64).reshape(-1)
    total = np.cumsum(rows[:, :2], axis=0)
    before = np.concatenate([np.zeros((1, 2)), total])[splits[:-1]]  # sum of earlier drawings
    drawing, _ = _owners(np.diff(splits))
    return total - before[drawing], rows[:, 2] > 0.5


def tf_render_batch(strokes3, size: int = 28, augment: bool = False, seed=None):
    """Render a ragged batch of stroke-3 drawings inside ``tf.data``: uint8 (B, size, size, 1).

    ``strokes3`` is a ``tf.RaggedTensor`` (B, None, 3) of stroke-3 rows, as ``ragged_batch`` makes
    from elements of shape (n, 3). With ``augment`` each drawing is distorted by
    ``augment_strokes`` first; ``seed`` (an int64 scalar, tensor or int) fixes that draw, so pass
    a different one per batch and epoch to get new distortions every epoch, reproducibly:

    >>> batches = drawings.ragged_batch(256)  # doctest: +SKIP
    >>> seeds = tf.data.Dataset.random(seed=7, rerandomize_each_iteration=True)  # doctest: +SKIP
    >>> images = tf.data.Dataset.zip(batches, seeds).map(  # doctest: +SKIP
    ...     lambda b, s: (tf_render_batch(b[0], 28, augment=True, seed=s), b[1]),
    ...     num_parallel_calls=tf.data.AUTOTUNE)

    ``seed=None`` draws fresh randomness each call (not reproducible). The work runs in numpy
    through ``tf.numpy_function``, so it needs eager TensorFlow (not XLA) and runs on the CPU.
    """
    import tensorflow as tf

    size = _check_size(size)
    if not isinstance(strokes3, tf.RaggedTensor):
        raise QuickDrawError("tf_render_batch needs a RaggedTensor batch of stroke-3 drawings "
                             "(build it with dataset.ragged_batch)")
    fresh = seed is None
    seed = tf.zeros([], tf.int64) if fresh else tf.cast(seed, tf.int64)

    def run(rows, splits, seed_value):
        points, ends = stroke3_points(rows, splits)
        if augment:
            points = augment_strokes(points, splits, None if fresh else int(seed_value) % 2 ** 64)
        return render_points(points, ends, splits, size)

    images = tf.numpy_function(run, [strokes3.flat_values, strokes3.row_splits, seed], tf.uint8,
                               stateful=False)
    return tf.reshape(images, [-1, size, size, 1])


def _check_size(size) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= 4096:
        raise QuickDrawError(f"image size must be a whole number of pixels from 1 to 4096, not {size!r}")
    return int(size)


# ---------------------------------------------------------------------------------- coverage tables

class _Geometry:
    """Per-size constants: line radius and the coverage tables."""

    def __init__(self, size: int):
        self.size = size
        self.scale = size / (FRAME + 2 * PADDING + LINE_DIAMETER)
        self.shift = (2 * PADDING + LINE_DIAMETER) / 2
        r = self.radius = LINE_DIAMETER / 2 * self.scale
        self.steps = int(np.clip(160 // (r + 1), 8, 64))  # table entries per pixel of offset
        self.dot = min(size, int(np.ceil(2 * r)) + 1)  # pixels a dot can touch along an axis
        self.dot_half = int(np.ceil((r + 0.75) * self.steps))
        self.dot_table = _dot_table(r, self.steps, self.dot_half).reshape(-1)
        # window pixels lie within 4r + 6 of the line, even where the canvas edge moves the window
        self.band_half = int(np.ceil((4 * r + 6) * self.steps))
        self.band_table = _band_table(r, self.steps, self.band_half).reshape(-1)


@functools.lru_cache(maxsize=8)
def _geometry(size: int) -> _Geometry:
    return _Geometry(size)


def _sub_rows(ey):
    """Heights of cairo's sub-row samples in pixels whose centres are at heights ``ey``."""
    return ey[..., None] + (np.arange(_SUBROWS) + 0.5) / _SUBROWS - 0.5


def _dot_table(r, steps, half) -> np.ndarray:
    """``table[x, y]``: coverage (uint8) of a pixel centred at ``(x, y) / steps - half`` from a dot."""
    e = np.arange(-half, half + 1) / steps
    ex, ey = np.meshgrid(e, e, indexing="ij")
    sub = _sub_rows(ey)
    h = np.sqrt(np.maximum(r * r - sub * sub, 0.0))
    inked = np.clip(np.minimum(ex[..., None] + 0.5, h) - np.maximum(ex[..., None] - 0.5, -h), 0, None)
    return np.round(inked.mean(-1) * 255).astype(np.uint8)


def _band_table(r, steps, half) -> np.ndarray:
    """``table[steep, slope, d]``: coverage (uint8) of a pixel at distance ``d`` from a band.

    The band runs along u with slope ``2 * k / _SLOPES - 1`` (u is x, or y when ``steep``); ``d``
    is the signed distance ``d / steps - half`` measured along the band's normal ``(-slope, 1)``.
    """
    core = int(np.ceil((r + 0.75) * steps))  # farther than r + 0.75 nothing is inked
    slope = np.arange(_SLOPES + 1) * 2 / _SLOPES - 1
    norm = np.hypot(1, slope)
    nu, nv = (-slope / norm)[:, None, None], (1 / norm)[:, None, None]
    d = (np.arange(-core, core + 1) / steps)[None, :, None]
    table = np.zeros((2, _SLOPES + 1, 2 * half + 1), np.uint8)
    for steep in (0, 1):
        nx, ny = (nv, nu) if steep else (nu, nv)
        ex, ey = d * nx, d * ny
        sub = _sub_rows(ey[..., 0])
        with np.errstate(divide="ignore", invalid="ignore"):
            lo, hi = (-r - ny * sub) / nx, (r - ny * sub) / nx
        inked = np.clip(np.minimum(ex + 0.5, np.maximum(lo, hi)) - np.maximum(ex - 0.5, np.minimum(lo, hi)),
                        0, None)
        level = (np.abs(nx) < 1e-12) & np.ones_like(sub, bool)  # a level band fills whole sub-rows
        inked = np.where(level, (np.abs(ny * sub) <= r).astype(float), inked)
        table[steep, :, half - core:half + core + 1] = np.round(inked.mean(-1) * 255)
    return table


@functools.lru_cache(maxsize=1)
def _over_table() -> np.ndarray:
    """``table[d << 8 | s]``: coverage ``s`` painted over ``d``, rounded as pixman does."""
    d, s = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    x = d * (255 - s) + 128
    return (s + ((x + (x >> 8)) >> 8)).astype(np.uint8).reshape(-1)


# ---------------------------------------------------------------------------------- the kernel

def _owners(counts):
    """For items grouped in runs of ``counts``: each item's run and its index within the run."""
    counts = np.asarray(counts, np.int64)
    stops = np.cumsum(counts)
    total = int(stops[-1]) if len(stops) else 0
    runs = np.flatnonzero(counts)
    marks = np.zeros(total, np.int64)
    if total:
        marks[0] = runs[0]
        marks[(stops - counts)[runs[1:]]] = np.diff(runs)
    owner = np.cumsum(marks)
    return owner, np.arange(total) - (stops - counts)[owner]


def _render_chunk(pts, ends, splits, size) -> np.ndarray:
    """Render one chunk of drawings (flat form, offsets local to the chunk)."""
    g = _geometry(size)
    n = len(splits) - 1
    drawing, _ = _owners(np.diff(splits))
    starts = splits[:-1][np.diff(splits) > 0]
    x, y = pts[:, 0].copy(), pts[:, 1].copy()
    shift = np.zeros((2, n))
    shift[0, drawing[starts]] = (FRAME - np.maximum.reduceat(x, starts)) / 2 + g.shift
    shift[1, drawing[starts]] = (FRAME - np.maximum.reduceat(y, starts)) / 2 + g.shift
    x = (x + shift[0, drawing]) * g.scale  # device pixels
    y = (y + shift[1, drawing]) * g.scale

    ends = ends.copy()
    ends[splits[1:][splits[1:] > splits[:-1]] - 1] = True
    begins = np.empty_like(ends)
    begins[0] = True
    begins[1:] = ends[:-1]
    stroke = np.cumsum(begins)
    first_stroke = np.zeros(n, np.int64)
    first_stroke[drawing[starts]] = stroke[starts]
    canvas_of = drawing * LAYERS + (stroke - first_stroke[drawing]) % LAYERS
    canvas = np.zeros(n * LAYERS * size * size, np.uint8)
    _paint_dots(canvas, x, y, canvas_of, g)
    i = np.flatnonzero(~ends)
    _paint_bands(canvas, *_clip_segments(x[i], y[i], x[i + 1], y[i + 1], canvas_of[i],
                                         -g.radius - 1, size + g.radius + 1), g)
    return _composite(canvas.reshape(n, LAYERS, size * size)).reshape(n, size, size)


def _composite(layers) -> np.ndarray:
    """Paint the layer canvases (n, LAYERS, pixels) one over another; (n, pixels) uint8."""
    out = layers.max(axis=1)
    total = layers.sum(axis=1, dtype=np.uint16)
    both = np.flatnonzero(total != out)  # pixels inked in more than one layer
    if len(both):
        pixels = layers.shape[2]
        at = (both // pixels) * (LAYERS * pixels) + both % pixels
        flat = layers.reshape(-1)
        over = _over_table()
        acc = flat[at]
        for k in range(1, LAYERS):
            acc = over.take((acc.astype(np.uint16) << 8) | flat[at + k * pixels])
        out.reshape(-1)[both] = acc
    return out


def _clip_segments(ax, ay, bx, by, tags, lo, hi):
    """Cut segments (a to b) to the square [lo, hi]^2, dropping those wholly outside it."""
    if len(ax) == 0 or (min(ax.min(), ay.min(), bx.min(), by.min()) >= lo
                        and max(ax.max(), ay.max(), bx.max(), by.max()) <= hi):
        return ax, ay, bx, by, tags
    t0, t1 = np.zeros(len(ax)), np.ones(len(ax))
    with np.errstate(divide="ignore", invalid="ignore"):
        for a, b in ((ax, bx), (ay, by)):
            d = b - a
            ta, tb = (lo - a) / d, (hi - a) / d
            moving = d != 0
            inside = (a >= lo) & (a <= hi)
            t0 = np.maximum(t0, np.where(moving, np.minimum(ta, tb), np.where(inside, 0.0, 2.0)))
            t1 = np.minimum(t1, np.where(moving, np.maximum(ta, tb), np.where(inside, 1.0, -1.0)))
    keep = t0 <= t1
    ax, ay, dx, dy = ax[keep], ay[keep], (bx - ax)[keep], (by - ay)[keep]
    t0, t1 = t0[keep], t1[keep]
    return ax + t0 * dx, ay + t0 * dy, ax + t1 * dx, ay + t1 * dy, tags[keep]


def _paint_dots(canvas, x, y, canvas_of, g: _Geometry) -> None:
    """Max a round dot (the line's caps and joins) at every point into its canvas."""
    size, w, r = g.size, g.dot, g.radius
    near = np.flatnonzero((x > -r - 1) & (x < size + r + 1) & (y > -r - 1) & (y < size + r + 1))
    x, y, canvas_of = x[near], y[near], canvas_of[near]
    ox = np.clip(np.floor(x - r), 0, size - w).astype(np.intp)
    oy = np.clip(np.floor(y - r), 0, size - w).astype(np.intp)
    k = np.arange(w)[:, None]
    q, side = g.steps, 2 * g.dot_half + 1
    ix = np.clip((ox + 0.5 - x) * q + (g.dot_half + 0.5) + k * q, 0, side - 1).astype(np.intp)
    iy = np.clip((oy + 0.5 - y) * q + (g.dot_half + 0.5) + k * q, 0, side - 1).astype(np.intp)
    cov = g.dot_table.take(ix[None, :, :] * side + iy[:, None, :])  # (rows, columns, dots)
    pix = (canvas_of * (size * size) + oy * size + ox) + (k * size)[:, None, :] + k[None, :, :]
    np.maximum.at(canvas, pix.ravel(), cov.ravel())


def _paint_bands(canvas, ax, ay, bx, by, canvas_of, g: _Geometry) -> None:
    """Max the band of each segment (the line between its end dots) into its canvas.

    Segments are cut into pieces whose band fits a square window of pixels (4 x 4 at size 28);
    every window pixel looks up its coverage by its distance to the band, and is dropped if it
    lies beyond an end.
    """
    size, r, q = g.size, g.radius, g.steps
    w = min(int(np.ceil(2 * r)) + 2, size)
    dx, dy = bx - ax, by - ay
    length = np.sqrt(dx * dx + dy * dy)
    keep = np.flatnonzero(length > 1e-6)  # a zero-length segment is all dot
    ax, ay, dx, dy, length, canvas_of = (v[keep] for v in (ax, ay, dx, dy, length, canvas_of))
    hx, hy = r * np.abs(dy) / length, r * np.abs(dx) / length  # the band's corners reach this far out
    if w < size:
        pieces = np.ceil(np.maximum(np.abs(dx) / (w - 1 - 2 * hx), np.abs(dy) / (w - 1 - 2 * hy)))
    else:  # the window is the whole canvas: any piece fits
        pieces = np.ones(len(dx))
    steep = np.abs(dy) > np.abs(dx)
    slope = np.where(steep, dx, dy) / np.where(steep, dy, dx)  # across / along the major axis
    row = (steep * (_SLOPES + 1) + np.rint((slope + 1) * (_SLOPES / 2))) * (2 * g.band_half + 1)
    owner, k = _owners(np.maximum(pieces, 1).astype(np.int64))
    n = pieces[owner].clip(1)
    pdx, pdy = dx[owner] / n, dy[owner] / n
    pax, pay = ax[owner] + pdx * k, ay[owner] + pdy * k
    ox = np.clip(np.floor(np.minimum(pax, pax + pdx) - hx[owner]), 0, size - w)
    oy = np.clip(np.floor(np.minimum(pay, pay + pdy) - hy[owner]), 0, size - w)
    f32 = np.float32
    step = np.arange(w, dtype=f32)[:, None]
    px = (ox + 0.5 - pax).astype(f32) + step  # (w, pieces): window pixel centres from the piece start
    py = (oy + 0.5 - pay).astype(f32) + step
    ln = length[owner]
    # table index = q * (distance to the line) + the row for this slope, separable in x and y
    index_x = px * (q * dy[owner] / ln).astype(f32) + (row[owner] + g.band_half + 0.5).astype(f32)
    index_y = py * (-q * dx[owner] / ln).astype(f32)
    cov = g.band_table.take((index_x[None, :, :] + index_y[:, None, :]).astype(np.intp), mode="clip")
    l2 = pdx * pdx + pdy * pdy
    t = (px * (pdx / l2).astype(f32))[None, :, :] + (py * (pdy / l2).astype(f32))[:, None, :]
    cov *= (t >= 0) & (t <= 1)  # place along the piece: the ends belong to the dots
    base = canvas_of[owner] * (size * size) + (oy * size + ox).astype(np.intp)
    ramp = np.arange(w)
    pixels = base + (ramp[:, None] * size + ramp[None, :])[:, :, None]
    np.maximum.at(canvas, pixels.ravel(), cov.ravel())
