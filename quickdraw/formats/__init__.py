"""The five official Quick, Draw! file formats, read into one columnar representation.

``FORMATS`` maps each format's name to its ``Format``: where it lives in the bucket, its file
suffix, and ``read(stream, word=None)`` -> iterator of ``DrawingTable`` chunks and
``write(tables_or_drawings, stream)``. ``detect`` sniffs a file's content; ``read_path`` and
``write_path`` work on files. ``read_drawing`` reads one drawing from any of them, or from the two
one-drawing files qd also takes: strokes JSON (``.json``) and a stroke-3 sketch (``.npy`` of (n, 3)).

>>> FORMATS["binary"].bucket_dir, FORMATS["binary"].suffix
('full/binary', '.bin')
>>> sorted(FORMATS)
['binary', 'bitmap', 'raw', 'simplified', 'sketchrnn']
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..core.atomic import write_atomic
from ..core import validate
from ..errors import QuickDrawError
from . import binary, bitmap, ndjson, sketchrnn, strokes_json
from .drawing import Drawing
from .table import DrawingTable, iter_drawings


@dataclass(frozen=True)
class Format:
    """One official format: its bucket folder, file suffix, reader and writer."""

    name: str
    bucket_dir: str
    suffix: str
    read: Callable[..., Iterator[DrawingTable]]
    write: Callable[..., int]
    description: str


FORMATS: dict[str, Format] = {
    "simplified": Format("simplified", "full/simplified", ".ndjson", ndjson.read, ndjson.write,
                         "simplified ndjson (x, y strokes, 0-255)"),
    "raw": Format("raw", "full/raw", ".ndjson", ndjson.read, ndjson.write,
                  "raw ndjson (x, y, t strokes, screen coordinates)"),
    "binary": Format("binary", "full/binary", ".bin", binary.read, binary.write,
                     "packed binary (simplified strokes)"),
    "bitmap": Format("bitmap", "full/numpy_bitmap", ".npy", bitmap.read, bitmap.write,
                     "numpy_bitmap (28x28 uint8 rows)"),
    "sketchrnn": Format("sketchrnn", "sketchrnn", ".npz", sketchrnn.read, sketchrnn.write,
                        "Sketch-RNN stroke-3 (train/valid/test)"),
}
_BY_SUFFIX = {".ndjson": "ndjson", ".bin": "binary", ".npy": "bitmap", ".npz": "sketchrnn"}
_SNIFF_BYTES = 64 * 1024


def _kind(name: str) -> str:
    return "ndjson" if name in ("simplified", "raw") else name


def detect(path) -> str:
    """Return the format name of the file at ``path`` from its content (not its suffix).

    ndjson files are "raw" when their strokes have a third (time) row, else "simplified".
    Raises QuickDrawError for a missing, empty or unrecognisable file, or one that is not a regular file.
    """
    path = validate.input_file(path)
    try:
        with open(path, "rb") as f:
            head = f.read(_SNIFF_BYTES)
            if head.lstrip()[:1] == b"{":
                f.seek(0)
                return _ndjson_flavour(f)
    except (FileNotFoundError, IsADirectoryError):
        raise QuickDrawError(f"{path}: no such file") from None
    except OSError as err:
        raise QuickDrawError(f"{path}: cannot read ({err.strerror})") from None
    if not head:
        raise QuickDrawError(f"{path}: the file is empty")
    if head.startswith(bitmap.MAGIC):
        return "bitmap"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "sketchrnn"
    if _looks_binary(head, path.stat().st_size):
        return "binary"
    raise QuickDrawError(f"{path}: not a Quick, Draw! file (neither ndjson, binary, .npy nor .npz)")


def _ndjson_flavour(f) -> str:
    """"raw" or "simplified", from the first record with a stroke (among the first 100)."""
    for number, line in zip(range(1, 101), f):
        if not line.strip():
            continue
        try:
            strokes = json.loads(line)["drawing"]
        except (ValueError, KeyError, TypeError):
            return "simplified"  # reading it will name the bad line
        if strokes and isinstance(strokes, list) and isinstance(strokes[0], list):
            return "raw" if len(strokes[0]) == 3 else "simplified"
    return "simplified"


def _looks_binary(head: bytes, size: int) -> bool:
    """Does the first record parse as a binary drawing that fits in the file?"""
    if len(head) < 17 or head[10] > 1 or not all(c == 0 or 65 <= c <= 90 for c in head[8:10]):
        return False
    p = 17
    for _ in range(head[15] | head[16] << 8):
        if p + 2 > len(head):
            return p <= size
        p += 2 + 2 * (head[p] | head[p + 1] << 8)
    return p <= size


def format_of(path) -> str:
    """Return the format of ``path``, checking that its suffix and content agree.

    Raises QuickDrawError for an unknown suffix or a file whose content is another format
    than its suffix says (e.g. a ``.bin`` that holds ndjson text).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _BY_SUFFIX:
        raise QuickDrawError(f"{path}: unknown file type {suffix or '(no suffix)'!r}; expected "
                             + ", ".join(_BY_SUFFIX))
    found = detect(path)
    if _kind(found) != _BY_SUFFIX[suffix]:
        raise QuickDrawError(f"{path}: the name says {suffix} but the content is "
                             f"{FORMATS[found].description}; rename it to "
                             f"{FORMATS[found].suffix}")
    return found


def read_path_tables(path) -> Iterator[DrawingTable]:
    """Yield ``DrawingTable`` chunks of the file at ``path`` (any of the five formats).

    The word of formats that do not store it is the file name (``cat.bin`` -> "cat").
    Raises QuickDrawError, naming the file, for files that are missing, of an unknown or
    wrong format, truncated, or malformed (with the line number for ndjson).
    """
    path = Path(path)
    fmt = FORMATS[format_of(path)]
    try:
        with open(path, "rb") as f:
            yield from fmt.read(f, word=path.stem)
    except QuickDrawError as err:
        raise QuickDrawError(f"{path}: {err}") from None


def read_path(path) -> Iterator[Drawing]:
    """Yield the drawings of the file at ``path`` one at a time (see ``read_path_tables``)."""
    return iter_drawings(read_path_tables(path))


def read_drawing(path, index: int = 0) -> Drawing:
    """Return drawing ``index`` of the file at ``path``: any official format, strokes JSON or stroke-3 ``.npy``.

    The one place qd reads a single drawing from a file (``qd classify``, ``qd complete``, sketch
    arguments). A bitmap row comes back with ``bitmap`` set and no strokes. Raises
    QuickDrawError naming the file for a missing, unreadable or too short file.
    """
    path = Path(path)
    if index < 0:
        raise QuickDrawError(f"{validate.option('index')} must be 0 or more, not {index}")
    suffix = path.suffix.lower()
    validate.input_file(path)
    if suffix not in _BY_SUFFIX and suffix != strokes_json.SUFFIX:
        raise QuickDrawError(f"{path}: unknown drawing file type {suffix or '(no suffix)'!r}; qd reads "
                             f"{', '.join(_BY_SUFFIX)} and strokes {strokes_json.SUFFIX}")
    if suffix == strokes_json.SUFFIX or (suffix == ".npy" and _is_stroke3(path)):
        if index:
            raise QuickDrawError(f"{path} holds one drawing; {validate.option('index')} must be 0")
        if suffix == ".npy":
            from .strokes import from_stroke3

            return Drawing([s.astype(np.float64) for s in from_stroke3(sketchrnn.read_stroke3_npy(path))],
                           word=path.stem)
        try:
            with open(path, "rb") as f:
                return Drawing(strokes_json.read(f), word="")
        except QuickDrawError as err:
            raise QuickDrawError(f"{path} is {err}") from None
    count = 0
    for count, drawing in enumerate(read_path(path), start=1):
        if count - 1 == index:
            return drawing
    raise QuickDrawError(f"{path} holds {count} drawing(s); {validate.option('index', index)} is past the end")


def _is_stroke3(path: Path) -> bool:
    """Whether a ``.npy`` file's header declares a 2-D array of 3 columns (a stroke-3 sketch)."""
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            shape = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                     else np.lib.format.read_array_header_2_0)(f)[0]
    except (OSError, ValueError):
        return False
    return len(shape) == 2 and shape[1] == 3


def write_path(path, tables_or_drawings) -> Path:
    """Write drawings to ``path`` in the format its suffix names; return the path.

    The file is written under a temporary name beside it and renamed when complete.
    """
    path = Path(path)
    kind = _BY_SUFFIX.get(path.suffix.lower())
    if kind is None:
        raise QuickDrawError(f"{path}: unknown file type {path.suffix or '(no suffix)'!r}; "
                             "expected " + ", ".join(_BY_SUFFIX))
    writer = {"ndjson": ndjson.write, "binary": binary.write, "bitmap": bitmap.write,
              "sketchrnn": sketchrnn.write}[kind]

    def write(tmp):
        with open(tmp, "wb") as f:
            writer(tables_or_drawings, f)

    write_atomic(path, write)
    return path


__all__ = ["FORMATS", "Format", "detect", "format_of", "read_drawing", "read_path", "read_path_tables",
           "write_path", "DrawingTable"]
