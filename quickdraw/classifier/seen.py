"""What the classifier sees of a drawing, whole or begun: its strokes in the dataset's frame, rendered.

Training bitmaps are drawings simplified by the dataset (moved to the corner, scaled to 0-255,
thinned) and rendered by ``quickdraw.render``. A drawing from elsewhere (raw strokes, the drawing
window, the first strokes of a dataset drawing) is brought to that frame the same way before it is
rendered, so that the model sees what it was trained on. ``prefix_bitmaps`` renders random leading
strokes of dataset drawings this way, for ``train(..., partial=True)``.

>>> bitmap([[[0, 100], [0, 50]]], 28).shape
(28, 28)
"""
from __future__ import annotations

import numpy as np

from ..errors import QuickDrawError
from ..formats.strokes import from_stroke3
from ..raster.render import render
from ..raster.simplify import simplify

FRAME_SLACK = 8  # units a simplified drawing may fall short of its frame's edges


def in_dataset_frame(strokes) -> bool:
    """Whether (2, n) strokes look simplified: integers in 0-255, near both axes' 0, the longer side near 255.

    Simplification thins points, so a simplified drawing may stop a few units short of 0 or 255.
    """
    strokes = [np.asarray(s) for s in strokes]
    if any(s.ndim != 2 or s.shape[0] != 2 for s in strokes if s.size):
        return False
    points = np.concatenate([s for s in strokes if s.size], axis=1)
    return bool(np.all(points == np.round(points)) and points.min() >= 0 and points.max() <= 255
                and points.min(axis=1).max() <= FRAME_SLACK and points.max() >= 255 - FRAME_SLACK)


def dataset_frame(strokes) -> list[np.ndarray]:
    """The strokes as (2, n) arrays in the dataset's frame: as they are if already there, else simplified."""
    strokes = [np.asarray(s) for s in strokes]
    if not strokes or sum(s.shape[-1] for s in strokes if s.ndim) == 0:
        raise QuickDrawError("the drawing has no points")
    if in_dataset_frame(strokes):
        return strokes
    return [np.asarray(s) for s in simplify(strokes)]


def bitmap(strokes, size: int) -> np.ndarray:
    """The uint8 (size, size) bitmap the classifier sees for a drawing (dataset-layout strokes, any frame)."""
    return render([dataset_frame(strokes)], size)[0]


def prefix_bitmaps(sequences, labels, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Bitmaps of the first k strokes of each drawing of 2 or more strokes, k drawn from 1 .. strokes - 1.

    ``sequences`` are stroke-3 arrays (``DatasetFolder.strokes3``) aligned with ``labels``. Returns
    (uint8 (M, size, size), their labels); single-stroke drawings have no prefix and are left out.
    Each prefix is brought to the dataset's frame as ``bitmap`` brings a drawing in progress.
    """
    drawings, kept = [], []
    for i, sequence in enumerate(sequences):
        strokes = from_stroke3(sequence)
        if len(strokes) < 2:
            continue
        k = int(rng.integers(1, len(strokes)))
        drawings.append(dataset_frame(strokes[:k]))
        kept.append(i)
    if not drawings:
        return np.zeros((0, size, size), np.uint8), np.zeros(0, np.asarray(labels).dtype)
    return render(drawings, size), np.asarray(labels)[kept]
