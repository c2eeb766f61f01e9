"""Columnar drawings: many drawings in a few flat numpy arrays.

All points of all drawings lie one after another in ``points`` (P, C); ``stroke_offsets`` marks
where each stroke begins in ``points`` and ``drawing_offsets`` where each drawing begins in the
strokes. Metadata lives in parallel arrays, one entry per drawing. A ``Drawing`` is built only
when asked for.

>>> t = DrawingTable.from_drawings([Drawing([[[0, 9], [0, 9]]], word="line", key_id="1")])
>>> len(t), t[0].word, t.points.shape
(1, 'line', (2, 2))
"""
from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

from ..errors import QuickDrawError
from .drawing import Drawing

BITMAP_SHAPE = (28, 28)
_CHANNEL_NAMES = {2: "simplified (x, y)", 3: "raw (x, y, t)"}


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, s + n)`` for each start ``s`` and length ``n``, without a loop.

    >>> ranges(np.array([10, 3]), np.array([2, 3])).tolist()
    [10, 11, 3, 4, 5]
    """
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    shift = np.repeat(starts - (ends - lengths), lengths)
    return shift + np.arange(total, dtype=np.int64)


def _strings(values, n: int) -> np.ndarray:
    out = np.full(n, "") if values is None else np.asarray(values, dtype=str)
    if out.shape != (n,):
        raise ValueError(f"expected {n} metadata values, got shape {out.shape}")
    return out


class DrawingTable:
    """Drawings stored column-wise: flat points, stroke/drawing offsets, metadata arrays.

    ``points`` is (P, C): C = 2 for ``[x, y]`` strokes (uint8 for simplified and binary data),
    C = 3 for raw ``[x, y, t]`` strokes (float64). Stroke ``s`` is
    ``points[stroke_offsets[s]:stroke_offsets[s + 1]]``; drawing ``i`` owns strokes
    ``drawing_offsets[i]:drawing_offsets[i + 1]``. ``word``, ``key_id``, ``countrycode`` and
    ``timestamp`` are str arrays and ``recognized`` a bool array, one entry per drawing.
    ``bitmaps`` is None or (N, 28, 28) uint8 (rows of the ``numpy_bitmap`` files).

    >>> t = DrawingTable.from_drawings([Drawing([[[1, 2], [3, 4]]], word="a")] * 3)
    >>> [d.word for d in t[1:]], len(t.take([0, 0]))
    (['a', 'a'], 2)
    """

    def __init__(self, points, stroke_offsets, drawing_offsets, *, word=None, key_id=None,
                 countrycode=None, timestamp=None, recognized=None, bitmaps=None):
        self.points = np.asarray(points)
        self.stroke_offsets = np.asarray(stroke_offsets, dtype=np.int64)
        self.drawing_offsets = np.asarray(drawing_offsets, dtype=np.int64)
        n = len(self.drawing_offsets) - 1
        if (self.points.ndim != 2 or self.points.shape[1] not in (2, 3) or n < 0
                or len(self.stroke_offsets) != self.drawing_offsets[-1] + 1
                or self.stroke_offsets[-1] != len(self.points)):
            raise ValueError("inconsistent DrawingTable arrays")
        self.word = _strings(word, n)
        self.key_id = _strings(key_id, n)
        self.countrycode = _strings(countrycode, n)
        self.timestamp = _strings(timestamp, n)
        self.recognized = (np.ones(n, dtype=bool) if recognized is None
                           else np.asarray(recognized, dtype=bool))
        self.bitmaps = None if bitmaps is None else np.asarray(bitmaps, dtype=np.uint8).reshape(
            (n,) + BITMAP_SHAPE)

    # --- shape -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.drawing_offsets) - 1

    @property
    def channels(self) -> int:
        """2 for ``[x, y]`` strokes, 3 for raw ``[x, y, t]`` strokes."""
        return self.points.shape[1]

    @property
    def point_offsets(self) -> np.ndarray:
        """(N + 1,) where each drawing's points begin in ``points``."""
        return self.stroke_offsets[self.drawing_offsets]

    @property
    def num_strokes(self) -> np.ndarray:
        """(N,) number of strokes of each drawing."""
        return np.diff(self.drawing_offsets)

    @property
    def num_points(self) -> np.ndarray:
        """(N,) number of points of each drawing."""
        return np.diff(self.point_offsets)

    def __repr__(self) -> str:
        words = ", ".join(sorted(set(self.word.tolist()))[:3])
        return (f"DrawingTable({len(self)} drawings, {len(self.points)} points, "
                f"{self.channels} channels{', bitmaps' if self.bitmaps is not None else ''}"
                f"{': ' + words if words else ''})")

    # --- access ------------------------------------------------------------------------------
    def drawing(self, i: int) -> Drawing:
        """Return drawing ``i`` as a ``Drawing`` (its arrays are copies)."""
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"drawing {i} out of range for a table of {n}")
        i %= n
        s0, s1 = self.drawing_offsets[i], self.drawing_offsets[i + 1]
        offs = self.stroke_offsets[s0:s1 + 1]
        strokes = [self.points[a:b].T.copy() for a, b in zip(offs[:-1], offs[1:])]
        return Drawing(strokes=strokes, word=str(self.word[i]), key_id=str(self.key_id[i]),
                       countrycode=str(self.countrycode[i]), timestamp=str(self.timestamp[i]),
                       recognized=bool(self.recognized[i]),
                       bitmap=None if self.bitmaps is None else self.bitmaps[i].copy())

    def __getitem__(self, index):
        """``t[i]`` is a ``Drawing``; ``t[a:b]``, ``t[[i, j]]`` and ``t[mask]`` are tables."""
        if isinstance(index, (int, np.integer)):
            return self.drawing(int(index))
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1:
                return self._slice(start, max(start, stop))
            return self.take(np.arange(start, stop, step))
        index = np.asarray(index)
        if index.dtype == bool:
            if index.shape != (len(self),):
                raise IndexError("boolean mask must have one entry per drawing")
            index = np.flatnonzero(index)
        return self.take(index)

    def __iter__(self) -> Iterator[Drawing]:
        return (self.drawing(i) for i in range(len(self)))

    def _slice(self, start: int, stop: int) -> "DrawingTable":
        s0, s1 = self.drawing_offsets[start], self.drawing_offsets[stop]
        p0, p1 = self.stroke_offsets[s0], self.stroke_offsets[s1]
        return DrawingTable(
            self.points[p0:p1], self.stroke_offsets[s0:s1 + 1] - p0,
            self.drawing_offsets[start:stop + 1] - s0, **self._meta(slice(start, stop)))

    def take(self, indices) -> "DrawingTable":
        """Return a new table of the drawings at ``indices`` (any order, repeats allowed)."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(self)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexError(f"index out of range for a table of {n}")
        idx = idx % max(n, 1)
        counts = self.num_strokes[idx]
        strokes = ranges(self.drawing_offsets[idx], counts)
        lengths = np.diff(self.stroke_offsets)[strokes]
        points = self.points[ranges(self.stroke_offsets[strokes], lengths)]
        return DrawingTable(points, _offsets(lengths), _offsets(counts), **self._meta(idx))

    def _meta(self, sel) -> dict:
        return dict(word=self.word[sel], key_id=self.key_id[sel],
                    countrycode=self.countrycode[sel], timestamp=self.timestamp[sel],
                    recognized=self.recognized[sel],
                    bitmaps=None if self.bitmaps is None else self.bitmaps[sel])

    # --- building ----------------------------------------------------------------------------
    @classmethod
    def empty(cls, channels: int = 2, dtype=np.uint8) -> "DrawingTable":
        """Return a table with no drawings."""
        return cls(np.zeros((0, channels), dtype=dtype), [0], [0])

    @classmethod
    def concat(cls, tables: Iterable["DrawingTable"]) -> "DrawingTable":
        """Join tables end to end (metadata, offsets and bitmaps follow).

        Raises QuickDrawError when raw (x, y, t) and (x, y) drawings are mixed, or when only
        some tables hold bitmaps.
        """
        tables = [t for t in tables]
        if not tables:
            return cls.empty()
        if len(tables) == 1:
            return tables[0]
        channels = {t.channels for t in tables if len(t.points)} or {tables[0].channels}
        if len(channels) > 1:
            raise QuickDrawError("cannot mix " + " and ".join(
                _CHANNEL_NAMES[c] for c in sorted(channels)) + " drawings in one table")
        has_bitmaps = {t.bitmaps is not None for t in tables if len(t)} or {False}
        if len(has_bitmaps) > 1:
            raise QuickDrawError("cannot mix drawings with and without bitmaps in one table")
        c = channels.pop()
        points = np.concatenate([t.points.reshape(-1, c) for t in tables])
        stroke_lengths = np.concatenate([np.diff(t.stroke_offsets) for t in tables])
        counts = np.concatenate([t.num_strokes for t in tables])

        def cat(name):
            return np.concatenate([getattr(t, name) for t in tables])

        bitmaps = (np.concatenate([t.bitmaps for t in tables if len(t)])
                   if has_bitmaps.pop() else None)
        return cls(points, _offsets(stroke_lengths), _offsets(counts), word=cat("word"),
                   key_id=cat("key_id"), countrycode=cat("countrycode"),
                   timestamp=cat("timestamp"), recognized=cat("recognized"), bitmaps=bitmaps)

    @classmethod
    def from_drawings(cls, drawings: Iterable[Drawing]) -> "DrawingTable":
        """Build a table from ``Drawing`` objects (all with (2, n) strokes, or all (3, n)).

        Raises QuickDrawError for strokes that are not 2 or 3 rows of numbers.
        """
        drawings = list(drawings)
        strokes = [np.asarray(s) for d in drawings for s in d.strokes]
        channels = {s.shape[0] if s.ndim == 2 else -1 for s in strokes}
        if not channels <= {2, 3}:
            raise QuickDrawError("strokes must be arrays of 2 rows (x, y) or 3 rows (x, y, t)")
        if len(channels) > 1:
            raise QuickDrawError("cannot mix raw (x, y, t) and simplified (x, y) drawings")
        c = channels.pop() if channels else 2
        points = (np.concatenate([s.T for s in strokes]) if strokes
                  else np.zeros((0, c), dtype=np.uint8))
        if points.dtype.kind not in "iuf":
            raise QuickDrawError("stroke coordinates must be numbers")
        with_bitmaps = [d.bitmap is not None for d in drawings]
        if any(with_bitmaps) and not all(with_bitmaps):
            raise QuickDrawError("cannot mix drawings with and without bitmaps in one table")
        bitmaps = (np.stack([np.asarray(d.bitmap, dtype=np.uint8).reshape(BITMAP_SHAPE)
                             for d in drawings]) if drawings and all(with_bitmaps) else None)
        return cls(points, _offsets([s.shape[1] for s in strokes]),
                   _offsets([len(d.strokes) for d in drawings]),
                   word=[d.word for d in drawings], key_id=[d.key_id for d in drawings],
                   countrycode=[d.countrycode for d in drawings],
                   timestamp=[d.timestamp for d in drawings],
                   recognized=[d.recognized for d in drawings], bitmaps=bitmaps)


def _offsets(lengths) -> np.ndarray:
    out = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out[1:])
    return out


def as_tables(tables_or_drawings, chunk: int = 4096) -> Iterator[DrawingTable]:
    """Yield ``DrawingTable`` chunks from tables, ``Drawing`` objects, or a mix of both.

    >>> [len(t) for t in as_tables([Drawing(word="a")] * 5, chunk=2)]
    [2, 2, 1]
    """
    if isinstance(tables_or_drawings, (DrawingTable, Drawing)):
        tables_or_drawings = [tables_or_drawings]
    pending: list[Drawing] = []
    for item in tables_or_drawings:
        if isinstance(item, DrawingTable):
            if pending:
                yield DrawingTable.from_drawings(pending)
                pending = []
            yield item
        elif isinstance(item, Drawing):
            pending.append(item)
            if len(pending) >= chunk:
                yield DrawingTable.from_drawings(pending)
                pending = []
        else:
            raise QuickDrawError(f"expected drawings or drawing tables, got {type(item).__name__}")
    if pending:
        yield DrawingTable.from_drawings(pending)


def iter_drawings(tables: Iterable[DrawingTable]) -> Iterator[Drawing]:
    """Flatten table chunks into ``Drawing`` objects, one at a time."""
    for table in tables:
        yield from table
