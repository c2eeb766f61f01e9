"""The ``numpy_bitmap`` format (``full/numpy_bitmap/*.npy``): an (N, 784) uint8 ``.npy`` file.

Each row is one 28x28 drawing (white strokes on black). The rows carry no metadata; ``read``
takes the word from the caller. ``parse_header`` and ``header`` let a partial download fetch
the first N rows with one HTTP Range and write a valid file for them.

>>> import io
>>> h = header(2)
>>> parse_header(h)
NpyHeader(header_len=128, rows=2, row_size=784)
>>> t = next(read(io.BytesIO(h + bytes(2 * 784)), word="eye"))
>>> len(t), t.bitmaps.shape, t[0].word
(2, (2, 28, 28), 'eye')
"""
from __future__ import annotations

import io
from typing import BinaryIO, Iterator, NamedTuple

import numpy as np

from ..errors import QuickDrawError
from .table import BITMAP_SHAPE, DrawingTable, as_tables

ROW_SIZE = BITMAP_SHAPE[0] * BITMAP_SHAPE[1]
CHUNK = 64 * 1024
MAGIC = b"\x93NUMPY"


class NpyHeader(NamedTuple):
    """Where the rows of a ``.npy`` bitmap file begin, how many there are and their size."""

    header_len: int
    rows: int
    row_size: int


def parse_header(first: bytes) -> NpyHeader:
    """Read a bitmap ``.npy`` header from the first bytes of a file (128 are usually enough).

    Raises QuickDrawError when the bytes are not a 2-D C-ordered uint8 ``.npy`` header, or
    are too few to hold the whole header (the message says how many are needed).
    """
    if not first.startswith(MAGIC):
        raise QuickDrawError("not a .npy file (it does not start with the numpy magic bytes)")
    if len(first) < 10:
        raise QuickDrawError("need at least 10 bytes to read a .npy header")
    major = first[6]
    size_bytes = 2 if major == 1 else 4
    stated = int.from_bytes(first[8:8 + size_bytes], "little")
    header_len = 8 + size_bytes + stated
    if len(first) < header_len:
        raise QuickDrawError(f"need the first {header_len} bytes to read this .npy header")
    f = io.BytesIO(first[:header_len])
    try:
        version = np.lib.format.read_magic(f)
        reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                  else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = reader(f)
    except ValueError as err:
        raise QuickDrawError(f"not a readable .npy header ({err})") from None
    if dtype != np.uint8 or fortran or len(shape) != 2:
        raise QuickDrawError(f"not a Quick, Draw! bitmap file: holds {dtype} of shape {shape}, "
                             f"expected uint8 rows of {ROW_SIZE}")
    if min(int(d) for d in shape) < 0:
        raise QuickDrawError(f"not a readable .npy header: it declares the negative shape {shape}")
    return NpyHeader(header_len, int(shape[0]), int(shape[1]))


def header(rows: int, row_size: int = ROW_SIZE) -> bytes:
    """Return the ``.npy`` header (version 1.0, as numpy writes it) for ``rows`` uint8 rows."""
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        out, {"descr": "|u1", "fortran_order": False, "shape": (rows, row_size)})
    return out.getvalue()


def _read_exact(stream: BinaryIO, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        data = stream.read(min(n - got, CHUNK))
        if not data:
            break
        parts.append(data)
        got += len(data)
    return b"".join(parts)


def read(stream: BinaryIO, word: str | None = None) -> Iterator[DrawingTable]:
    """Yield ``DrawingTable`` chunks (bitmaps, no strokes) of a ``.npy`` bitmap stream.

    Reads the header, then whole rows 64 KiB at a time, and stops after the rows the header
    announces. Raises QuickDrawError for a stream that is not a bitmap ``.npy``, or that ends
    before its last row (a truncated file).
    """
    first = _read_exact(stream, 10)
    if not first.startswith(MAGIC) or len(first) < 10:
        raise QuickDrawError("not a .npy file (it does not start with the numpy magic bytes)")
    size_bytes = 2 if first[6] == 1 else 4
    need = 8 + size_bytes + int.from_bytes(first[8:8 + size_bytes], "little")
    head = parse_header(first + _read_exact(stream, need - len(first)))
    if head.row_size != ROW_SIZE:
        raise QuickDrawError(f"not a Quick, Draw! bitmap file: rows of {head.row_size} bytes, "
                             f"expected {ROW_SIZE} (28x28)")
    per_read = CHUNK // ROW_SIZE
    done = 0
    while done < head.rows:
        want = min(per_read, head.rows - done)
        data = _read_exact(stream, want * ROW_SIZE)
        got = len(data) // ROW_SIZE
        if got:
            yield _bitmap_table(np.frombuffer(data[:got * ROW_SIZE], dtype=np.uint8), got, word)
            done += got
        if got < want:
            raise QuickDrawError(f"truncated .npy: the header promises {head.rows} rows but the "
                                 f"data ends after {done * ROW_SIZE + len(data) % ROW_SIZE} bytes "
                                 f"({done} whole rows)")


def _bitmap_table(flat: np.ndarray, rows: int, word: str | None) -> DrawingTable:
    return DrawingTable(np.zeros((0, 2), dtype=np.uint8), [0], np.zeros(rows + 1, dtype=np.int64),
                        word=np.full(rows, word or "", dtype=object).astype(str),
                        bitmaps=flat.reshape((rows,) + BITMAP_SHAPE))


def write(tables_or_drawings, stream: BinaryIO) -> int:
    """Write the bitmaps of drawings as an (N, 784) uint8 ``.npy``; return N.

    Raises QuickDrawError when a drawing has no bitmap (render strokes first).
    """
    tables = list(as_tables(tables_or_drawings))
    if any(t.bitmaps is None for t in tables if len(t)):
        raise QuickDrawError("the numpy_bitmap format holds 28x28 bitmaps; these drawings have "
                             "none (render their strokes first)")
    rows = sum(len(t) for t in tables)
    stream.write(header(rows))
    for t in tables:
        if len(t):
            stream.write(np.ascontiguousarray(t.bitmaps, dtype=np.uint8).tobytes())
    return rows
