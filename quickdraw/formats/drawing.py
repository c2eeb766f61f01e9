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
