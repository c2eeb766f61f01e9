"""A built dataset folder: its manifest and shards, read back without TensorFlow.

Layout (format version 1), all integers little-endian::

    dataset.json                 manifest: classes, counts, filters, seed, sources, shards, attribution
    <split>-NNNNN.bitmaps        fixed-length records: label uint16, then size*size uint8 pixels
    <split>-NNNNN.strokes        int16: labels (n), point counts (n), then stroke-3 rows (points, 3)
    <split>-NNNNN.meta.jsonl     one line per drawing: key_id, countrycode, timestamp, recognized

>>> ds = open_dataset("homework/")  # doctest: +SKIP
>>> ds.classes, ds.bitmaps("train").shape  # doctest: +SKIP
"""
from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

import numpy as np

from ..core import validate
from ..errors import QuickDrawError
from ..formats.drawing import Drawing
from ..formats.strokes import from_stroke3

FORMAT_VERSION = 1
MANIFEST = "dataset.json"
SPLITS = ("train", "valid", "test")


def is_dataset(path) -> bool:
    """Return True when ``path`` is a folder holding a qd dataset manifest."""
    return (Path(path) / MANIFEST).is_file()


def open_dataset(path) -> "DatasetFolder":
    """Open a dataset folder built by ``qd build``; raise QuickDrawError if it is not one."""
    return DatasetFolder(path)


class DatasetFolder:
    """Read access to a built dataset: manifest, per-split bitmaps, labels, strokes and drawings."""

    def __init__(self, path):
        self.path = Path(path)
        manifest_path = self.path / MANIFEST
        if not manifest_path.is_file():
            raise QuickDrawError(f"{self.path} is not a qd dataset (no {MANIFEST}); make one with `qd build`")
        self.manifest = validate.json_object(manifest_path, "rebuild the dataset with `qd build`")
        if self.manifest.get("format_version") != FORMAT_VERSION:
            raise QuickDrawError(f"{manifest_path} has format version {self.manifest.get('format_version')!r}, "
                                 f"this qd reads version {FORMAT_VERSION}; rebuild it with `qd build`")
        self._validate()

    def _damaged(self, what: str) -> QuickDrawError:
        return QuickDrawError(f"{self.path / MANIFEST} is damaged ({what}); rebuild the dataset with `qd build`")

    def _validate(self) -> None:
        """Check the manifest's structure and every shard's size against it (cheap: no shard is read)."""
        m = self.manifest
        if not isinstance(m, dict):
            raise self._damaged("not a JSON object")
        classes, size = m.get("classes"), m.get("image_size")
        if not isinstance(classes, list) or not classes or not all(isinstance(c, str) for c in classes):
            raise self._damaged("no list of class names")
        if not _is_int(size) or not 1 <= size <= 4096:
            raise self._damaged(f"image_size {size!r}")
        if not isinstance(m.get("has_strokes"), bool):
            raise self._damaged("has_strokes is not true or false")
        counts, shards = m.get("counts"), m.get("shards")
        if not isinstance(counts, dict) or not isinstance(shards, dict) or set(counts) != set(shards) \
                or not set(counts) <= set(SPLITS):
            raise self._damaged("counts and shards do not list the same splits")
        kinds = ("bitmaps", "meta") + (("strokes",) if m["has_strokes"] else ())
        for split, per_class in counts.items():
            if not isinstance(per_class, dict) or not all(_is_int(n) and n >= 0 for n in per_class.values()):
                raise self._damaged(f"counts of {split} are not whole numbers")
            unknown = set(per_class) - set(classes)
            if unknown:
                raise self._damaged(f"{split} counts classes {sorted(unknown)} that are not among its "
                                    f"{len(classes)} classes")
            if not isinstance(shards[split], list) or not all(_shard_ok(s, kinds) for s in shards[split]):
                raise self._damaged(f"a shard entry of {split} is malformed")
            if sum(s["count"] for s in shards[split]) != sum(per_class.values()):
                raise self._damaged(f"{split} shards hold another number of drawings than its counts")
            for shard in shards[split]:
                expected = {"bitmaps": shard["count"] * (2 + size * size),
                            "strokes": 2 * (2 * shard["count"] + 3 * shard.get("points", 0)),
                            "meta": shard["bytes"]["meta"]}
                for kind in kinds:
                    path = self.path / shard[kind]
                    if not path.is_file():
                        raise QuickDrawError(f"dataset shard {path} is missing; rebuild the dataset with `qd build`")
                    got = path.stat().st_size
                    if got != shard["bytes"][kind] or got != expected[kind]:
                        raise QuickDrawError(f"dataset shard {path} is corrupt ({got} bytes, expected "
                                             f"{expected[kind]}); rebuild the dataset with `qd build`")

    @property
    def classes(self) -> list[str]:
        """Class names in label order."""
        return list(self.manifest["classes"])

    @property
    def image_size(self) -> int:
        """Side of the stored bitmaps in pixels."""
        return int(self.manifest["image_size"])

    @property
    def has_strokes(self) -> bool:
        """Whether the dataset stores stroke sequences (not for ``--source bitmap``)."""
        return bool(self.manifest["has_strokes"])

    @property
    def synthetic(self) -> bool:
        """Whether the drawings are synthetic (generated by qd, not Quick, Draw! data)."""
        return bool(self.manifest.get("synthetic"))

    def count(self, split: str) -> int:
        """Number of drawings in ``split``."""
        return sum(self.manifest["counts"][self._split(split)].values())

    def shard_paths(self, split: str, kind: str) -> list[Path]:
        """Paths of the ``kind`` ("bitmaps", "strokes", "meta") shards of ``split``, checked to exist whole."""
        self.check(split, kind)
        return [self.path / s[kind] for s in self.manifest["shards"][self._split(split)]]

    def check(self, split: str, kind: str) -> None:
        """Raise QuickDrawError naming the first missing or truncated shard of ``split``."""
        if kind == "strokes" and not self.has_strokes:
            raise QuickDrawError(f"{self.path} was built from bitmaps and holds no strokes; "
                                 "build it from --source simplified, binary or raw")
        for shard in self.manifest["shards"][self._split(split)]:
            path = self.path / shard[kind]
            if not path.is_file():
                raise QuickDrawError(f"dataset shard {path} is missing; rebuild the dataset with `qd build`")
            size = path.stat().st_size
            if size != shard["bytes"][kind]:
                raise QuickDrawError(f"dataset shard {path} is corrupt ({size} bytes, expected "
                                     f"{shard['bytes'][kind]}); rebuild the dataset with `qd build`")

    def bitmaps(self, split: str) -> np.ndarray:
        """All bitmaps of ``split`` as uint8 (N, size, size), in stored (shuffled) order."""
        record = 2 + self.image_size ** 2
        parts = [np.fromfile(p, dtype=np.uint8).reshape(-1, record)[:, 2:]
                 for p in self.shard_paths(split, "bitmaps")]
        flat = np.concatenate(parts) if parts else np.zeros((0, self.image_size ** 2), np.uint8)
        return flat.reshape(-1, self.image_size, self.image_size)

    def labels(self, split: str) -> np.ndarray:
        """Labels of ``split`` as int32 (N,), aligned with ``bitmaps`` and ``strokes3``."""
        record = 2 + self.image_size ** 2
        parts = [np.fromfile(p, dtype=np.uint8).reshape(-1, record)[:, :2].copy().view("<u2")[:, 0]
                 for p in self.shard_paths(split, "bitmaps")]
        labels = np.concatenate(parts).astype(np.int32) if parts else np.zeros(0, np.int32)
        self._check_labels(labels, split)
        return labels

    def _check_labels(self, labels: np.ndarray, split: str) -> None:
        if len(labels) and not 0 <= labels.min() <= labels.max() < len(self.classes):
            raise QuickDrawError(f"dataset {self.path} is corrupt: {split} has labels up to {labels.max()} but "
                                 f"only {len(self.classes)} classes; rebuild the dataset with `qd build`")

    def strokes3(self, split: str) -> list[np.ndarray]:
        """Stroke-3 int16 arrays (n, 3) of ``split``, aligned with ``labels``."""
        out: list[np.ndarray] = []
        for path, shard in zip(self.shard_paths(split, "strokes"), self.manifest["shards"][self._split(split)]):
            _, lengths, points = read_strokes_shard(path, shard["count"])
            out.extend(np.split(points, np.cumsum(lengths)[:-1]) if len(lengths) else [])
        return out

    def drawings(self, split: str):
        """Iterate the drawings of ``split`` with their metadata (strokes rebuilt from stroke-3)."""
        names = self.classes
        bitmaps = None if self.has_strokes else self.bitmaps(split)
        index = 0
        for shard in self.manifest["shards"][self._split(split)]:
            metas = _read_meta(self.path / shard["meta"], shard["count"], self.has_strokes)
            if self.has_strokes:
                labels, lengths, points = read_strokes_shard(self.path / shard["strokes"], shard["count"])
                self._check_labels(labels, split)
                sequences = np.split(points, np.cumsum(lengths)[:-1]) if len(lengths) else []
            else:
                self._check_labels(np.array([m["label"] for m in metas], np.int64), split)
            for j, meta in enumerate(metas):
                if self.has_strokes:
                    yield Drawing(from_stroke3(sequences[j]), word=names[labels[j]], **meta)
                else:
                    yield Drawing([], word=names[meta.pop("label")], bitmap=bitmaps[index], **meta)
                index += 1

    def _split(self, split: str) -> str:
        if split not in self.manifest["counts"]:
            raise QuickDrawError(f"unknown split {split!r}; this dataset has {', '.join(self.manifest['counts'])}")
        return split

    @cached_property
    def attribution(self) -> str:
        """The dataset's attribution line (CC BY 4.0, or the synthetic label)."""
        return self.manifest.get("attribution", "")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shard_ok(shard, kinds) -> bool:
    """Whether a manifest shard entry names plain files of this folder, with counts and sizes."""
    return (isinstance(shard, dict) and _is_int(shard.get("count")) and shard["count"] >= 0
            and _is_int(shard.get("points", 0)) and shard.get("points", 0) >= 0
            and isinstance(shard.get("bytes"), dict)
            and all(isinstance(shard.get(k), str) and shard[k] == Path(shard[k]).name not in ("", ".", "..")
                    and _is_int(shard["bytes"].get(k)) for k in kinds))


_META_KEYS = {"key_id", "countrycode", "timestamp", "recognized"}


def _read_meta(path: Path, count: int, has_strokes: bool) -> list[dict]:
    """The ``count`` metadata records of a ``.meta.jsonl`` shard, checked (bitmap-only ones carry a label)."""
    try:
        metas = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise QuickDrawError(f"dataset shard {path} is corrupt ({err}); rebuild the dataset with `qd build`") from None
    keys = _META_KEYS if has_strokes else _META_KEYS | {"label"}
    if len(metas) != count or not all(isinstance(m, dict) and set(m) == keys for m in metas):
        raise QuickDrawError(f"dataset shard {path} is corrupt ({len(metas)} records, expected {count}); "
                             "rebuild the dataset with `qd build`")
    if not has_strokes and not all(_is_int(m["label"]) for m in metas):
        raise QuickDrawError(f"dataset shard {path} is corrupt (a label is not a whole number); "
                             "rebuild the dataset with `qd build`")
    return metas


def read_strokes_shard(path, count: int):
    """Read a ``.strokes`` shard: (labels int16 (n,), lengths int16 (n,), points int16 (P, 3))."""
    data = np.fromfile(path, dtype="<i2")
    labels, lengths = data[:count], data[count:2 * count].astype(np.int64)
    points = data[2 * count:]
    if len(lengths) != count or (lengths < 0).any() or len(points) != 3 * lengths.sum():
        raise QuickDrawError(f"dataset shard {path} is corrupt; rebuild the dataset with `qd build`")
    return labels, lengths, points.reshape(-1, 3)
