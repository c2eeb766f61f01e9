"""The dataset's 0-255 frame: simplified drawings are shifted to 0 and scaled so their longest side is 255.

``strokes_in_frame`` brings strokes into that frame; ``drawing_in_frame`` does it for one drawing of any
file qd reads: what the drawing pads start from and a file completion continues.
"""
from __future__ import annotations

import os

import numpy as np

from ..errors import QuickDrawError

FRAME = 255  # the largest coordinate of a simplified drawing


def drawing_in_frame(path, index: int = 0, keep_strokes: int | None = None) -> list[np.ndarray]:
    """The strokes of drawing ``index`` of ``path`` (any file ``read_drawing`` reads) as (2, k) points in
    the 0-255 frame (``strokes_in_frame``): what a drawing window starts from and a file completion continues."""
    from ..formats import read_drawing

    drawing = read_drawing(path, index)
    if drawing.bitmap is not None:
        raise QuickDrawError(f"{path} holds bitmaps, which have no strokes to draw on; give a file of strokes")
    try:
        return strokes_in_frame(drawing.strokes, keep_strokes)
    except QuickDrawError as err:
        raise QuickDrawError(f"{path}: {err}") from None


def strokes_in_frame(strokes, keep_strokes: int | None = None) -> list[np.ndarray]:
    """``strokes`` ([xs, ys] or [xs, ys, ts] each) as (2, k) float arrays in the 0-255 frame, the first
    ``keep_strokes`` of them when given. Strokes already inside the frame keep their place; others (raw
    strokes, stroke-3 offsets, a drawing reaching past the frame) are brought into it as the dataset
    simplifies drawings (``raster.simplify``).

    >>> [s.tolist() for s in strokes_in_frame([[[0, 510], [0, 255]]])]
    [[[0.0, 255.0], [0.0, 128.0]]]
    """
    from .simplify import simplify

    strokes = [np.asarray(s, dtype=np.float64) for s in strokes if np.asarray(s).size]
    if keep_strokes is not None:
        if keep_strokes < 1:
            raise QuickDrawError(f"--keep-strokes must be at least 1, not {keep_strokes}")
        strokes = strokes[:keep_strokes]
    if not strokes:
        raise QuickDrawError("the drawing has no points")
    if any(s.ndim != 2 or s.shape[0] not in (2, 3) for s in strokes):
        raise QuickDrawError("each stroke must be [xs, ys] (or [xs, ys, ts]) of equal lengths")
    points = np.concatenate([s[:2] for s in strokes], axis=1)
    if not np.isfinite(points).all():
        raise QuickDrawError("the drawing has coordinates that are not finite numbers")
    if any(s.shape[0] == 3 for s in strokes) or points.min() < 0 or points.max() > FRAME:
        strokes = [np.asarray(s, dtype=np.float64) for s in simplify(strokes)]
    return [s[:2] for s in strokes]


def start_strokes(drawing, index: int = 0, keep_strokes: int | None = None) -> list[np.ndarray] | None:
    """The strokes a pad begins from: a file (drawing ``index``), a ``Drawing`` or strokes, in the 0-255 frame."""
    if drawing is None:
        return None
    if isinstance(drawing, (str, os.PathLike)):
        return drawing_in_frame(drawing, index, keep_strokes)
    return strokes_in_frame(getattr(drawing, "strokes", drawing), keep_strokes)
