"""What a Quick, Draw! file holds: format, drawings, categories, recognized share, countries.

>>> summarise("../shared/quickdraw/full/binary/cat.bin")["format"]  # doctest: +SKIP
'binary'
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from . import formats
from .errors import QuickDrawError
from .formats import sketchrnn

# Formats whose records carry recognized/countrycode metadata.
_WITH_METADATA = {"simplified", "raw", "binary"}


def summarise(path) -> dict:
    """Read the file at ``path`` once and summarise it.

    Returns {"path", "format", "description", "drawings", "categories" {word: n},
    "recognized" (share 0-1, None where the format has no such field), "countries"
    {code: n, most first; None where the format has none}, "strokes", "points",
    "splits" ({split: n} for Sketch-RNN files, else None)}. Raises QuickDrawError for files
    ``quickdraw.formats.read_path`` cannot read.
    """
    path = Path(path)
    fmt = formats.format_of(path)
    words: Counter = Counter()
    countries: Counter = Counter()
    drawings = recognized = strokes = points = 0
    splits = None
    if fmt == "sketchrnn":
        try:
            with open(path, "rb") as f:
                tables = sketchrnn.read_splits(f, word=path.stem)
        except QuickDrawError as err:
            raise QuickDrawError(f"{path}: {err}") from None
        splits = {k: len(t) for k, t in tables.items()}
        tables = tables.values()
    else:
        tables = formats.read_path_tables(path)
    for table in tables:
        drawings += len(table)
        recognized += int(np.count_nonzero(table.recognized))
        strokes += len(table.stroke_offsets) - 1
        points += len(table.points)
        words.update(_counts(table.word))
        countries.update(_counts(table.countrycode))
    has_meta = fmt in _WITH_METADATA
    return {
        "path": str(path),
        "format": fmt,
        "description": formats.FORMATS[fmt].description,
        "drawings": drawings,
        "categories": dict(words.most_common()),
        "recognized": (recognized / drawings if drawings else 0.0) if has_meta else None,
        "countries": dict(countries.most_common()) if has_meta else None,
        "strokes": strokes,
        "points": points,
        "splits": splits,
    }


def _counts(column: np.ndarray) -> dict[str, int]:
    values, counts = np.unique(column, return_counts=True)
    return dict(zip(values.tolist(), counts.tolist()))
