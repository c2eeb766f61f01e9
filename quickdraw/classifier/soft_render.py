"""A differentiable stand-in for the raster recipe: strokes to a soft bitmap in ``keras.ops``, for dreams.

``quickdraw.raster.render`` is exact but not differentiable. This draws the same picture smoothly:
the strokes are brought to the dataset's frame as ``Classifier.render`` brings any drawing (moved
to the corner, the longer side scaled to 255), placed as the recipe places them (centred by their
largest x and y, padded, scaled to the bitmap), and each pixel is inked by its distance ``d`` to
the nearest segment of each stroke: ``sigmoid((radius - d) / softness)``, strokes painted over one
another (``1 - prod(1 - ink)``) as cairo paints them. With the recipe's radius and a softness of
0.18 pixel it is about 3 grey levels (of 255) from the exact bitmap on average, on real drawings;
wider and softer lines give gradients farther from the strokes while an optimisation starts.

Points are (N, K, M, 2): N drawings of K strokes of M points (x, y); shorter strokes repeat their
last point.
"""
from __future__ import annotations

import numpy as np
from keras import ops

from ..raster.render import FRAME, LINE_DIAMETER, PADDING

SIDE = 255.0  # the dataset frame's longer side
SOFTNESS = 0.18  # pixels: with the recipe's radius, the closest to its exact bitmaps (about 3 grey levels off)


def frame_scale(size: int) -> float:
    """Bitmap pixels per frame unit in the raster recipe."""
    return size / (FRAME + 2 * PADDING + LINE_DIAMETER)


def line_radius(size: int) -> float:
    """The recipe's line radius in bitmap pixels (0.74 at 28)."""
    return LINE_DIAMETER / 2 * frame_scale(size)


def to_frame(points):
    """Points (N, K, M, 2) moved to the corner and scaled so that each drawing's longer side is 255."""
    low = ops.min(points, axis=(1, 2), keepdims=True)
    moved = points - low
    side = ops.max(ops.max(moved, axis=(1, 2), keepdims=True), axis=-1, keepdims=True)
    return moved * (SIDE / ops.maximum(side, 1e-3))


def to_pixels(frame_points, size: int):
    """Frame points (N, K, M, 2) to bitmap pixel coordinates, centred by their largest x and y as the recipe does."""
    top = ops.max(frame_points, axis=(1, 2), keepdims=True)
    shift = (FRAME - top) / 2 + (2 * PADDING + LINE_DIAMETER) / 2
    return (frame_points + shift) * frame_scale(size)


def soft_bitmap(points, size: int, radius=None, softness=SOFTNESS):
    """Soft bitmaps (N, size, size, 1) in 0-1 of drawings given as points (N, K, M, 2) in any frame."""
    radius = line_radius(size) if radius is None else radius
    pixels = to_pixels(to_frame(points), size)
    n = ops.shape(points)[0]
    centres = np.arange(size, dtype="float32") + 0.5
    gy, gx = np.meshgrid(centres, centres, indexing="ij")
    grid = ops.reshape(ops.convert_to_tensor(np.stack([gx.ravel(), gy.ravel()], 1)), (1, 1, -1, 1, 2))
    a, b = pixels[:, :, None, :-1, :], pixels[:, :, None, 1:, :]  # (N, K, 1, M-1, 2)
    ab, ap = b - a, grid - a
    t = ops.clip(ops.sum(ap * ab, -1) / (ops.sum(ab * ab, -1) + 1e-6), 0.0, 1.0)
    distance = ops.sqrt(ops.sum(ops.square(ap - t[..., None] * ab), -1) + 1e-6)  # (N, K, P, M-1)
    ink = ops.sigmoid((radius - ops.min(distance, axis=-1)) / softness)  # each stroke: its nearest segment
    ink = 1.0 - ops.exp(ops.sum(ops.log(1.0 - 0.999 * ink), axis=1))  # strokes over one another
    return ops.reshape(ink, (n, size, size, 1))


def padded_points(strokes) -> np.ndarray:
    """(K, M, 2) float32 points of (2, n) strokes, each padded to the longest by repeating its last point."""
    strokes = [np.asarray(s, np.float32)[:2].T for s in strokes if np.asarray(s).size]
    longest = max(max(len(s) for s in strokes), 2)
    return np.stack([np.concatenate([s, np.repeat(s[-1:], longest - len(s), 0)]) for s in strokes])
