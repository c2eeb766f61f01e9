"""The dataset's 0-255 frame: simplified drawings are shifted to 0 and scaled so their longest side is 255.

``drawing_in_frame`` reads one drawing of any file qd reads and brings it into that frame, for the
drawing windows to start from and for completing a drawing file.
"""
from __future__ import annotations

import numpy as np

from ..errors import QuickDrawError

FRAME = 255  # the largest coordinate of a simplified drawing


def drawing_in_frame(path, index: int = 0, keep_strokes: int | None = None) -> list[np.ndarray]:
    """The strokes of drawing ``index`` of ``path`` (any file ``read_drawing`` reads) as (2, k) pad points,
    to start a window from: the first ``keep_strokes`` of them when given. Drawings not inside the pad's
    0-255 frame (raw strokes, stroke-3 offsets) are brought to it as the dataset simplifies them."""
    from ..formats import read_drawing
    from ..raster.simplify import simplify

    drawing = read_drawing(path, index)
    if drawing.bitmap is not None:
        raise QuickDrawError(f"{path} holds bitmaps, which have no strokes to draw on; give a file of strokes")
    strokes = [np.asarray(s, dtype=np.float64) for s in drawing.strokes if np.asarray(s).size]
    if keep_strokes is not None:
        if keep_strokes < 1:
            raise QuickDrawError(f"--keep-strokes must be at least 1, not {keep_strokes}")
        strokes = strokes[:keep_strokes]
    if not strokes:
        raise QuickDrawError(f"{path}: the drawing has no points")
    points = np.concatenate([s[:2] for s in strokes], axis=1)
    if any(s.shape[0] == 3 for s in strokes) or points.min() < 0 or points.max() > FRAME:
        strokes = [np.asarray(s, dtype=np.float64) for s in simplify(strokes)]
    return [s[:2] for s in strokes]
