"""One drawing as a strokes JSON file: ``[[[x0, x1, ...], [y0, y1, ...]], ...]`` (a time row may follow).

This is the ``drawing`` field of an ndjson record on its own, the simplest way to hand qd a drawing.

>>> import io
>>> [s.tolist() for s in read(io.BytesIO(b"[[[0, 10], [0, 5]]]"))]
[[[0.0, 10.0], [0.0, 5.0]]]
"""
from __future__ import annotations

import json
from typing import BinaryIO

import numpy as np

from ..core import validate
from ..errors import QuickDrawError

SUFFIX = ".json"
LAYOUT = "strokes JSON [[[x...], [y...]], ...]"


def read(stream: BinaryIO) -> list[np.ndarray]:
    """Return the strokes of a strokes JSON stream as (2, k) or (3, k) float arrays."""
    try:
        data = json.loads(stream.read().decode("utf-8"))
        strokes = [np.asarray(s, dtype=np.float64) for s in data]
    except (UnicodeDecodeError, json.JSONDecodeError, TypeError, ValueError) as err:
        raise QuickDrawError(f"not {LAYOUT} ({err})") from None
    if not isinstance(data, list) or any(s.ndim != 2 or s.shape[0] not in (2, 3) for s in strokes):
        raise QuickDrawError(f"not {LAYOUT}: each stroke must be [[x...], [y...]]")
    for s in strokes:
        validate.coordinates(s[:2], "not a usable drawing: it")
        if not np.isfinite(s[2:]).all():
            raise QuickDrawError("not a usable drawing: some times are not finite numbers")
    return strokes


def write(strokes, stream: BinaryIO) -> int:
    """Write one drawing's strokes as strokes JSON; return 1."""
    stream.write(json.dumps([np.asarray(s).tolist() for s in strokes]).encode("utf-8"))
    return 1
