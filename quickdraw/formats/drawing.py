"""One drawing with its metadata: the view users and tests work with.

Bulk data lives in columnar tables (``quickdraw.formats.table``); a ``Drawing`` is built on demand.

>>> d = Drawing([[[0, 10], [0, 5]]], word="line")
>>> d.num_points
2
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(eq=False)
class Drawing:
    """A Quick, Draw! drawing.

    ``strokes`` follows the dataset's JSON layout: a list of strokes, each an array of shape
    (2, n) holding ``[xs, ys]`` (simplified and binary, integers 0-255) or (3, n) holding
    ``[xs, ys, ts]`` (raw: real-valued screen coordinates and milliseconds). ``bitmap`` is set
    instead of strokes for rows of the ``numpy_bitmap`` files (28x28 uint8, white on black).
    """

    strokes: list = field(default_factory=list)
    word: str = ""
    key_id: str = ""
    countrycode: str = ""
    timestamp: str = ""
    recognized: bool = True
    bitmap: np.ndarray | None = None

    def __post_init__(self):
        self.strokes = [np.asarray(s) for s in self.strokes]

    @property
    def num_points(self) -> int:
        """Total number of points over all strokes."""
        return int(sum(s.shape[1] for s in self.strokes))

    def to_json(self) -> dict:
        """Return the drawing as an official ndjson record (same keys, same order)."""
        return {
            "word": self.word,
            "countrycode": self.countrycode,
            "timestamp": self.timestamp,
            "recognized": bool(self.recognized),
            "key_id": self.key_id,
            "drawing": [s.tolist() for s in self.strokes],
        }

    @classmethod
    def from_json(cls, record: dict) -> "Drawing":
        """Build a drawing from an official ndjson record (a parsed JSON object)."""
        return cls(
            strokes=record.get("drawing", []),
            word=record.get("word", ""),
            key_id=str(record.get("key_id", "")),
            countrycode=record.get("countrycode", ""),
            timestamp=record.get("timestamp", ""),
            recognized=bool(record.get("recognized", True)),
        )

    def _repr_svg_(self) -> str | None:
        """The drawing as SVG (each stroke a polyline in its own colour, y down), for notebooks."""
        return svg(self.strokes) if self.strokes else None

    def _repr_png_(self) -> bytes | None:
        """A bitmap-only drawing (a ``numpy_bitmap`` row) as a PNG, for notebooks."""
        if self.strokes or self.bitmap is None:
            return None
        import io

        import matplotlib.image

        buf = io.BytesIO()
        side = int(round(np.sqrt(np.asarray(self.bitmap).size)))
        matplotlib.image.imsave(buf, np.asarray(self.bitmap, np.uint8).reshape(side, side), cmap="gray_r",
                                vmin=0, vmax=255, format="png")
        return buf.getvalue()

    def __eq__(self, other) -> bool:
        if not isinstance(other, Drawing):
            return NotImplemented
        same_meta = (self.word, self.key_id, self.countrycode, self.timestamp, self.recognized) == (
            other.word, other.key_id, other.countrycode, other.timestamp, other.recognized)
        same_strokes = len(self.strokes) == len(other.strokes) and all(
            a.shape == b.shape and np.array_equal(a, b) for a, b in zip(self.strokes, other.strokes))
        same_bitmap = (self.bitmap is None) == (other.bitmap is None) and (
            self.bitmap is None or np.array_equal(self.bitmap, other.bitmap))
        return same_meta and same_strokes and same_bitmap


STROKE_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")  # matplotlib's tab10


def svg(strokes, size: int = 160) -> str:
    """An SVG picture of ``strokes`` (``[xs, ys(, ts)]`` each), ``size`` pixels square, y down as in the data.

    >>> svg([[[0, 10], [0, 5]]]).startswith('<svg')
    True
    """
    arrays = [np.asarray(s, dtype=np.float64)[:2] for s in strokes if np.asarray(s).size]
    if not arrays:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}"></svg>'
    xy = np.concatenate(arrays, axis=1)
    low, high = xy.min(axis=1), xy.max(axis=1)
    side = max(float((high - low).max()), 1.0) * 1.08
    corner = (low + high) / 2 - side / 2
    width = side / size * 2.2
    lines = []
    for i, a in enumerate(arrays):
        if np.ptp(a, axis=1).max() < 1e-9:  # a single spot: a round dot
            a = np.concatenate([a, a + [[side * 1e-3], [0]]], axis=1)
        points = " ".join(f"{x:.2f},{y:.2f}" for x, y in a.T)
        lines.append(f'<polyline points="{points}" fill="none" stroke="{STROKE_COLOURS[i % len(STROKE_COLOURS)]}" '
                     f'stroke-width="{width:.3g}" stroke-linecap="round" stroke-linejoin="round"/>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
            f'viewBox="{corner[0]:.2f} {corner[1]:.2f} {side:.2f} {side:.2f}" style="background:#fff">'
            + "".join(lines) + "</svg>")
