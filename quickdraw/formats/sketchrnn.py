"""The Sketch-RNN format (``sketchrnn/*.npz``): train/valid/test arrays of stroke-3 sketches.

Each split is an object array of int16 (n, 3) arrays of rows (dx, dy, p): the first row is the
first point's offset from (0, 0) and p = 1 marks the last point of a stroke. Reading turns the
offsets back into absolute (x, y) strokes (int32) in a ``DrawingTable``; writing does the
reverse, so a file read and written again holds equal arrays.

Object arrays are Python pickles, which can run code. They are loaded with an unpickler that
rebuilds numpy arrays and nothing else; a file asking for anything more is refused.

>>> import io
>>> from quickdraw.formats.drawing import Drawing
>>> buf = io.BytesIO()
>>> write({"train": [Drawing([[[5, 8], [1, 1]]])]}, buf)
1
>>> read_splits(io.BytesIO(buf.getvalue()))["train"].points.tolist()
[[5, 1], [8, 1]]
"""
from __future__ import annotations

import io
import pickle
import zipfile
from typing import BinaryIO, Iterator, Mapping

import numpy as np

from ..core import validate
from ..errors import QuickDrawError
from .table import DrawingTable, as_tables

SPLITS = ("train", "valid", "test")
TABLE_ROWS = 4096  # sketches per yielded table
# Checks before allocating: official files are stored (ratio 1), savez_compressed strokes ~4x.
MAX_NPZ_BYTES = 4 * 2 ** 30  # declared uncompressed size of the three arrays together
MAX_RATIO = 100  # declared / compressed size of a member, beyond its first MiB
MIN_PICKLED_SKETCH = 40  # bytes one (n, 3) array takes at least in a pickle


def _reconstruct():
    try:
        from numpy._core.multiarray import _reconstruct as fn
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct as fn
    return fn


# The only globals an object array of int arrays needs, under numpy 1 and numpy 2 names.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct(),
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct(),
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class _ArrayUnpickler(pickle.Unpickler):
    """Rebuilds numpy arrays and refuses every other global."""

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name}") from None


def _load_member(data: bytes, name: str) -> np.ndarray:
    f = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(f)
        reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                  else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = reader(f)
    except ValueError as err:
        raise QuickDrawError(f"{name} is not a readable .npy array ({err})") from None
    declared = int(np.prod(shape, dtype=object))
    if not dtype.hasobject:
        if declared * dtype.itemsize > len(data) - f.tell():
            raise QuickDrawError(f"{name} declares an array of shape {shape} but holds only {len(data)} bytes")
        return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
    if len(shape) != 1 or declared * MIN_PICKLED_SKETCH > len(data):
        raise QuickDrawError(f"{name} declares {shape} sketches, more than its {len(data)} bytes can hold")
    try:
        array = _ArrayUnpickler(f, encoding="latin1").load()
    except pickle.UnpicklingError as err:
        raise QuickDrawError(f"refusing to load {name}: its pickle asks for {err}, which is not "
                             "a numpy array (the file may be crafted to run code)") from None
    except Exception as err:  # a damaged pickle: any error from the unpickler
        raise QuickDrawError(f"{name} holds a damaged pickle ({type(err).__name__})") from None
    if not isinstance(array, np.ndarray) or array.shape != tuple(shape):
        raise QuickDrawError(f"{name} does not hold an array of the shape its header declares")
    if sum(s.nbytes for s in array.tolist() if isinstance(s, np.ndarray)) > len(data):
        raise QuickDrawError(f"{name} holds sketches that share their data, more than its {len(data)} bytes "
                             "(the file may be crafted to exhaust memory)")
    return array


def _check_sizes(archive: zipfile.ZipFile, members) -> None:
    """Refuse members whose declared sizes would take more memory than a real Sketch-RNN file needs."""
    infos = [archive.getinfo(m) for m in members]
    total = sum(i.file_size for i in infos)
    if total > MAX_NPZ_BYTES:
        raise QuickDrawError(f"its arrays declare {total} bytes uncompressed, more than qd reads "
                             f"({MAX_NPZ_BYTES})")
    for i in infos:
        if i.file_size > MAX_RATIO * i.compress_size + 2 ** 20:
            raise QuickDrawError(f"{i.filename} declares {i.file_size} bytes from {i.compress_size} compressed; "
                                 "refusing it (a zip bomb?)")


def load_splits(stream: BinaryIO) -> dict[str, list[np.ndarray]]:
    """Return {split: [stroke-3 int16 arrays]} of a Sketch-RNN ``.npz`` stream (safely).

    Raises QuickDrawError for a file that is not a zip of .npy arrays, holds none of
    train/valid/test, holds sketches that are not (n, 3) integer arrays, or whose pickles ask
    for anything but numpy arrays.
    """
    data = stream.read()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = {n[:-4]: n for n in archive.namelist() if n.endswith(".npy")}
        _check_sizes(archive, [members[s] for s in SPLITS if s in members])
        found = {s: _load_member(archive.read(members[s]), members[s])
                 for s in SPLITS if s in members}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, KeyError) as err:
        raise QuickDrawError(f"not a readable .npz archive ({err})") from None
    if not found:
        raise QuickDrawError("not a Sketch-RNN file: it holds none of the arrays "
                             + "/".join(SPLITS))
    out = {}
    for split, array in found.items():
        sketches = list(array) if array.dtype.hasobject else [array]
        for s in sketches:
            if not (isinstance(s, np.ndarray) and s.ndim == 2 and s.shape[1] == 3
                    and s.dtype.kind in "iu"):
                raise QuickDrawError(f"not a Sketch-RNN file: {split} holds something other "
                                     "than (n, 3) integer stroke-3 arrays")
        out[split] = sketches
    return out


def from_stroke3(sketches: list[np.ndarray], word: str | None = None) -> DrawingTable:
    """Turn stroke-3 sketches into a table of absolute (x, y) strokes (int32)."""
    lengths = np.array([len(s) for s in sketches], dtype=np.int64)
    rows = (np.concatenate(sketches).astype(np.int64) if len(sketches)
            else np.zeros((0, 3), dtype=np.int64))
    sketch_start = np.zeros(len(sketches) + 1, dtype=np.int64)
    np.cumsum(lengths, out=sketch_start[1:])
    xy = np.cumsum(rows[:, :2], axis=0)
    before = np.zeros((len(sketches), 2), dtype=np.int64)
    nonempty = lengths > 0
    before[nonempty] = xy[sketch_start[:-1][nonempty]] - rows[sketch_start[:-1][nonempty], :2]
    xy -= np.repeat(before, lengths, axis=0)
    xy = validate.coordinates(xy, "a sketch").astype(np.int32)  # offsets may add up beyond any frame
    ends = rows[:, 2] != 0
    ends[sketch_start[1:][nonempty] - 1] = True  # a sketch's last point always ends a stroke
    stroke_ends = np.flatnonzero(ends) + 1
    stroke_offsets = np.concatenate(([0], stroke_ends))
    drawing_offsets = np.searchsorted(stroke_ends, sketch_start, side="right")
    return DrawingTable(xy, stroke_offsets, drawing_offsets,
                        word=np.full(len(sketches), word or "", dtype=object).astype(str))


def to_stroke3(table: DrawingTable) -> list[np.ndarray]:
    """Turn a table of (x, y) strokes into stroke-3 int16 arrays, one per drawing.

    Raises QuickDrawError for raw (x, y, t) strokes, fractional coordinates, or offsets beyond
    the int16 range.
    """
    if len(table) == 0:
        return []
    if table.channels != 2:
        raise QuickDrawError("the Sketch-RNN format holds (x, y) strokes, not raw (x, y, t) ones; "
                             "simplify the drawings first")
    points = table.points
    if points.dtype.kind == "f" and np.any(points != np.round(points)):
        raise QuickDrawError("the Sketch-RNN format holds whole-number coordinates")
    xy = points.astype(np.int64)
    starts = table.point_offsets
    delta = np.diff(xy, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    first = starts[:-1][table.num_points > 0]
    delta[first] = xy[first]
    if len(delta) and (delta.min() < -32768 or delta.max() > 32767):
        raise QuickDrawError("stroke offsets exceed the int16 range of the Sketch-RNN format")
    rows = np.zeros((len(xy), 3), dtype=np.int16)
    rows[:, :2] = delta
    rows[table.stroke_offsets[1:][np.diff(table.stroke_offsets) > 0] - 1, 2] = 1
    return np.split(rows, starts[1:-1])


def read(stream: BinaryIO, word: str | None = None) -> Iterator[DrawingTable]:
    """Yield ``DrawingTable`` chunks of all sketches: train, then valid, then test.

    ``word`` fills the word column (the format does not store it). The archive is read whole
    (zip files keep their index at the end). See ``load_splits`` for the errors raised.
    """
    for sketches in load_splits(stream).values():
        for i in range(0, len(sketches), TABLE_ROWS):
            yield from_stroke3(sketches[i:i + TABLE_ROWS], word)


def read_splits(stream: BinaryIO, word: str | None = None) -> dict[str, DrawingTable]:
    """Return {split: DrawingTable} of a Sketch-RNN ``.npz`` stream."""
    return {split: from_stroke3(s, word) for split, s in load_splits(stream).items()}


def _save(splits: Mapping[str, list[np.ndarray]], stream: BinaryIO) -> None:
    """Write an ``.npz`` of object arrays with fixed zip dates, so equal input gives equal bytes."""
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_STORED) as archive:
        for split in SPLITS:
            sketches = splits.get(split, [])
            array = np.empty(len(sketches), dtype=object)
            array[:] = [np.ascontiguousarray(s, dtype=np.int16) for s in sketches]
            info = zipfile.ZipInfo(f"{split}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=True)


def write(tables_or_drawings, stream: BinaryIO) -> int:
    """Write sketches as a Sketch-RNN ``.npz``; return how many were written.

    Pass {"train": ..., "valid": ..., "test": ...} (each tables or drawings) to fill the
    splits; anything else is written as the train split with empty valid and test.
    """
    if not isinstance(tables_or_drawings, Mapping):
        tables_or_drawings = {"train": tables_or_drawings}
    unknown = set(tables_or_drawings) - set(SPLITS)
    if unknown:
        raise QuickDrawError(f"unknown split(s) {sorted(unknown)}; use {', '.join(SPLITS)}")
    splits = {split: [s for t in as_tables(data) for s in to_stroke3(t)]
              for split, data in tables_or_drawings.items()}
    _save(splits, stream)
    return sum(len(s) for s in splits.values())


def write_head(source: BinaryIO, n: int, stream: BinaryIO) -> dict[str, int]:
    """Copy the first ``n`` sketches of each split of a Sketch-RNN ``.npz`` to ``stream``.

    The arrays are copied unchanged (no conversion). Returns {split: sketches written}.
    """
    splits = {split: sketches[:n] for split, sketches in load_splits(source).items()}
    _save(splits, stream)
    return {split: len(s) for split, s in splits.items()}


def read_stroke3_npy(path) -> np.ndarray:
    """Read one stroke-3 sketch (n, 3) from a ``.npy`` file (no pickles); raise QuickDrawError otherwise."""
    try:
        s3 = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise QuickDrawError(f"{path} is not a readable .npy array ({err})") from None
    if s3.ndim != 2 or s3.shape[1] != 3 or not np.issubdtype(s3.dtype, np.number):
        raise QuickDrawError(f"{path} holds an array of shape {s3.shape}; a stroke-3 drawing is (n, 3) numbers")
    validate.coordinates(np.cumsum(np.asarray(s3[:, :2], np.float64), axis=0), f"{path}: the sketch")
    return s3
