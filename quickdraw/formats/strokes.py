"""Stroke sequences: stroke-3 and Sketch-RNN stroke-5, scale factors, length filters, padded batches.

stroke-3 rows are ``(dx, dy, p)``, one per point; the first row is the first point's offset from the
origin and ``p = 1`` marks the last point of a stroke. stroke-5 rows are ``(dx, dy, p1, p2, p3)``:
pen down, pen up after this point, end of sketch (padding rows are ``(0, 0, 0, 0, 1)``).

>>> s3 = to_stroke3([[[0, 10], [0, 0]], [[10], [10]]])
>>> s3.tolist()
[[0, 0, 0], [10, 0, 1], [0, 10, 1]]
>>> [s.tolist() for s in from_stroke3(s3)]
[[[0, 10], [0, 0]], [[10], [10]]]
"""
from __future__ import annotations

import numpy as np

START_TOKEN = np.array([0, 0, 1, 0, 0], dtype=np.float32)


def to_stroke3(strokes, dtype=np.int16) -> np.ndarray:
    """Convert a list of strokes ``[[xs], [ys](, [ts])]`` to a stroke-3 array (n, 3)."""
    pts = [np.asarray(s, dtype=np.float64)[:2] for s in strokes if np.asarray(s).shape[-1] > 0]
    if not pts:
        return np.zeros((0, 3), dtype=dtype)
    xy = np.concatenate(pts, axis=1).T
    out = np.zeros((len(xy), 3), dtype=np.float64)
    out[0, :2] = xy[0]
    out[1:, :2] = np.diff(xy, axis=0)
    out[np.cumsum([p.shape[1] for p in pts]) - 1, 2] = 1
    return out.astype(dtype)


def from_stroke3(s3) -> list[np.ndarray]:
    """Convert a stroke-3 array back to a list of (2, n) strokes of absolute coordinates."""
    s3 = np.asarray(s3)
    if len(s3) == 0:
        return []
    xy = np.cumsum(s3[:, :2], axis=0)
    ends = np.flatnonzero(s3[:, 2] > 0.5) + 1
    if len(ends) == 0 or ends[-1] != len(s3):
        ends = np.append(ends, len(s3))
    starts = np.concatenate([[0], ends[:-1]])
    return [xy[a:b].T.copy() for a, b in zip(starts, ends)]


def to_stroke5(s3, max_len: int | None = None) -> np.ndarray:
    """Convert stroke-3 to stroke-5 float32, padded with end-of-sketch rows to ``max_len`` if given.

    Without ``max_len`` one end-of-sketch row is appended after the last point.
    """
    s3 = np.asarray(s3, dtype=np.float32)
    n = len(s3)
    length = max_len if max_len is not None else n + 1
    if n > length:
        raise ValueError(f"sequence of {n} points is longer than max_len={length}")
    out = np.zeros((length, 5), dtype=np.float32)
    out[:n, :2] = s3[:, :2]
    out[:n, 3] = s3[:, 2]
    out[:n, 2] = 1 - s3[:, 2]
    out[n:, 4] = 1
    return out


def from_stroke5(s5) -> np.ndarray:
    """Convert stroke-5 (sampled or padded) back to stroke-3, stopping at the first end-of-sketch row."""
    s5 = np.asarray(s5, dtype=np.float32)
    end = np.flatnonzero(s5[:, 4] > 0.5)
    n = int(end[0]) if len(end) else len(s5)
    out = np.zeros((n, 3), dtype=np.float32)
    out[:, :2] = s5[:n, :2]
    out[:, 2] = s5[:n, 3]
    return out


def scale_factor(sequences) -> float:
    """Return the standard deviation of all dx and dy offsets of the stroke-3 ``sequences``."""
    offsets = [np.asarray(s, dtype=np.float64)[:, :2].ravel() for s in sequences if len(s)]
    if not offsets:
        return 1.0
    std = float(np.concatenate(offsets).std())
    return std if std > 0 else 1.0


def filter_max_len(sequences, max_len: int):
    """Keep the sequences of at most ``max_len`` points; return (kept, number dropped)."""
    kept = [s for s in sequences if len(s) <= max_len]
    return kept, len(sequences) - len(kept)


def pad_batch(sequences, scale: float = 1.0, max_len: int | None = None) -> np.ndarray:
    """Stack stroke-3 sequences into a stroke-5 batch (B, L + 1, 5) float32 with the start token first.

    Offsets are divided by ``scale``; L is ``max_len`` or the longest sequence in the batch.
    """
    length = max_len if max_len is not None else max((len(s) for s in sequences), default=0)
    batch = np.zeros((len(sequences), length + 1, 5), dtype=np.float32)
    batch[:, 0] = START_TOKEN
    for i, s in enumerate(sequences):
        s5 = to_stroke5(s, length)
        s5[:, :2] /= scale
        batch[i, 1:] = s5
    return batch
