"""``quickdraw.plot``: any sketches as a grid figure that shows itself inline in a notebook.

>>> quickdraw.plot("homework/", split="train", n=16)            # doctest: +SKIP
>>> quickdraw.plot(sketchrnn.pretrained("bird").sample(9))      # doctest: +SKIP
>>> quickdraw.plot(quickdraw.drawings("cat", count=4))          # doctest: +SKIP
"""
from __future__ import annotations

import os

from ..synthetic import LABEL
from ..ui.plots import sketch_figure
from .export import pick_drawings


def plot(sketches, *, n: int = 36, split: str | None = None, category: str | None = None, ncols=None,
         titles=None):
    """A grid figure of sketches: a dataset folder's split or a drawing file (its first ``n`` drawings,
    ``category`` only when given), or drawings, strokes lists or stroke-3 arrays (one or a list).

    Returns a matplotlib ``Figure`` (no window): a notebook shows it as a cell's value; ``savefig``
    writes it. Synthetic drawings are labelled as such.
    """
    label = None
    if isinstance(sketches, (str, os.PathLike)):
        sketches, synthetic = pick_drawings(sketches, category, n, split)
        label = LABEL if synthetic else None
    else:
        sketches = list(sketches)[:n] if not hasattr(sketches, "shape") else sketches
    return sketch_figure(sketches, titles=titles, ncols=ncols, label=label)
