"""Strokes to antialiased grayscale bitmaps, made the way the official ``numpy_bitmap`` files were.

The official recipe (cairo): each drawing is shifted by ``(256 - max) / 2`` on each axis, ``max``
being the largest x and y of its points (dataset drawings start at 0, so this centres them in the
256 x 256 frame); it is stroked white on black with round caps and joins, line diameter 16, with a
padding of 16 around the frame, and the whole is scaled to ``size`` pixels (scale
``size / (256 + 2 * 16 + 16)``, after a shift of ``(2 * 16 + 16) / 2``). Cairo covers each pixel
with 15 sub-rows, each inked over its exact horizontal extent, fills each stroke as one shape and
paints the strokes one over another. This module reproduces that, for many drawings at
once: 28 x 28 results differ from the official bitmaps by about 0.7 gray levels on average.

>>> img = render([[[[0, 255], [0, 255]]]])
>>> img.shape, img.dtype, int(img.max())
((1, 28, 28), dtype('uint8'), 255)

How: every point gets a round dot and every segment the band between its end dots. Tables hold
the exact coverage of a pixel by a dot (indexed by the pixel's offset from it) and by a band
(indexed by the band's slope and the pixel's distance to it). Compiled loops
(``render_kernel.py``, numba) ink each stroke into a scratch canvas, a pixel keeping the most ink
any of its dots and bands gives it, and paint it over the drawing with pixman's rounding, as cairo
paints strokes. Where one stroke crosses itself inside a pixel the maximum is lighter than cairo's
exact union: rare at 28 x 28 and above, visible below about 20 pixels a side.

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

from ..core import validate
from ..errors import QuickDrawError

LINE_DIAMETER = 16.0
PADDING = 16.0
_SUBROWS = 15  # cairo's samples down each pixel
FRAME = 256.0  # the simplified data's frame: coordinates 0-255, pixel edges 0-256
_SLOPES = 128  # band table: slope steps over [-1, 1]


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
        if all(type(x) is list for x in xs):  # plain JSON lists: one pass over all numbers
            total = sum(lengths)
            points = np.empty((total, 2))
            points[:, 0] = np.fromiter(itertools.chain.from_iterable(xs), np.float64, total)
            points[:, 1] = np.fromiter(itertools.chain.from_iterable(ys), np.float64, total)
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
    validate.coordinates(pts, "the drawing")
    from . import render_kernel

    g = _geometry(size)
    out = np.zeros((len(splits) - 1, size * size), np.uint8)
    render_kernel.render_drawings(pts, ends, splits, size, FRAME, g.scale, g.shift, g.radius, g.steps, g.dot,
                                  g.dot_half, g.dot_table, g.band_half, g.band_table, _SLOPES, _over_table(), out)
    return out.reshape(-1, size, size)


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
    from . import render_kernel

    n = len(splits) - 1
    rng = np.random.default_rng(seed)
    stretch = rng.uniform(1 - scale, 1 + scale, size=(n, 2))
    turn = np.radians(rng.uniform(-rotation, rotation, size=n))
    noise = rng.normal(0.0, jitter, size=pts.shape) if jitter > 0 else np.zeros_like(pts)
    out = np.empty_like(pts)
    render_kernel.augment_drawings(pts, splits, stretch, turn, noise, FRAME - 1, out)
    return out


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

    ``seed=None`` draws fresh randomness each call (not reproducible). The work runs in compiled
    loops through ``tf.numpy_function`` (so it needs eager TensorFlow, not XLA, and runs on the CPU);
    they release the GIL, so parallel map calls render on several cores.
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


# ---------------------------------------------------------------------------------- helpers

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
