"""The pieces both builders share: choosing one class's drawings, packing them as records, writing a shard.

A record is one chosen drawing in bytes: a header (key, label, index, point count, meta length), its
stroke-3 rows as int16 (or, for ``--source bitmap``, its 28x28 pixels) and its metadata as compact JSON.
``stream`` spills records to bucket files; ``beam`` passes them between transforms.
"""
from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.atomic import reporting
from ..core import validate
from ..errors import QuickDrawError
from ..formats.strokes import to_stroke3
from .plan import sort_key

RENDER_CHUNK = 4096
MAX_POINTS = 32_000  # point counts are stored as int16
_HEAD = struct.Struct("<QHIiH")  # key, label, index, points (-1: a 28x28 bitmap), meta bytes


@dataclass(frozen=True)
class Choice:
    """What to read and keep for every class: the source and the filters of one build."""

    count: int | None  # None: every drawing
    source: str
    recognized: bool | None
    countries: tuple | None
    sample: str
    seed: int
    mirror: str | None
    synthetic: bool
    allow_short: bool


def class_records(name: str, label: int, choice: Choice):
    """Yield the records of the drawings chosen for class ``name``, index 0, 1, ...; check the class's size.

    ``--sample first`` streams; ``--sample random`` keeps a reservoir of at most ``count`` drawings of
    this class (the only per-drawing memory of a build). A drawing of more than 32,000 points is dropped
    after the choice (the class then holds one fewer, as before). Raises the builder's one-line errors
    when the class ends short or empty.
    """
    n = 0
    for drawing in _chosen(name, choice):
        payload = _payload(drawing, choice)
        if payload is None:
            continue
        yield encode(choice.seed, label, n, payload, drawing)
        n += 1
    if choice.count is not None and n < choice.count and not choice.allow_short:
        raise QuickDrawError(f"class {name!r} has only {n} drawings after filtering (asked for {choice.count}); "
                             f"use {validate.option('allow_short', True)} to take what there is (the dataset is then "
                             f"unbalanced), or a smaller {validate.option('count')}")
    if n == 0:
        raise QuickDrawError(f"class {name!r} has no drawings after filtering")


def source_url(name: str, choice: Choice) -> str:
    """The URL recorded in the manifest for class ``name``."""
    if choice.synthetic:
        return "synthetic"
    from ..fetch import remote
    return remote.url_for(name, choice.source, choice.mirror)


def _chosen(name, choice: Choice):
    """The drawings kept for ``name`` before the point-count check, in the order they are indexed."""
    exact = choice.sample == "first" and choice.recognized is None and not choice.countries
    stream = _open(name, choice.count if exact else None, choice)
    url = source_url(name, choice)
    random = choice.sample == "random" and not choice.synthetic and choice.count is not None
    rng = np.random.default_rng([choice.seed, _stable_hash(name)])
    reservoir, seen = [], 0
    try:
        for drawing in _named(stream, url):
            if choice.recognized is not None and bool(drawing.recognized) != choice.recognized:
                continue
            if choice.countries and drawing.countrycode.upper() not in choice.countries:
                continue
            if not random:
                yield drawing
                seen += 1
                if choice.count is not None and seen >= choice.count:
                    break
                continue
            seen += 1
            if len(reservoir) < choice.count:
                reservoir.append(drawing)
            else:
                j = rng.integers(seen)
                if j < choice.count:
                    reservoir[j] = drawing
    finally:
        close = getattr(stream, "close", None)
        if close:
            close()
    yield from reservoir


def _open(name, count, choice: Choice):
    if choice.synthetic:
        from .. import synthetic as synth
        return synth.iter_drawings(name, count or 10 ** 9, seed=choice.seed)
    from ..fetch.download import drawings
    return drawings(name, count=count, recognized=None, format=choice.source, mirror=choice.mirror,
                    allow_short=True)  # the builder checks each class's size itself


def _named(stream, url):
    """``stream``, with its errors naming ``url`` when they do not already."""
    try:
        yield from stream
    except QuickDrawError as err:
        if url in str(err) or url.removeprefix("file://") in str(err):
            raise
        raise QuickDrawError(f"{url}: {err}") from None


def _stable_hash(text: str) -> int:
    return int.from_bytes(text.encode("utf-8")[:8].ljust(8, b"\0"), "little") ^ len(text)


def _payload(drawing, choice: Choice):
    """A drawing's stroke-3 int16 rows (raw drawings simplified first) or bitmap; None if too long."""
    if drawing.bitmap is not None and not drawing.strokes:
        return np.asarray(drawing.bitmap, np.uint8).reshape(-1)
    strokes = drawing.strokes
    if choice.source == "raw" and not choice.synthetic:
        from ..raster.simplify import simplify
        strokes = [np.asarray(s) for s in simplify(strokes)]
    if strokes and sum(np.asarray(s).shape[-1] for s in strokes) > MAX_POINTS:
        return None
    return to_stroke3(strokes)


def encode(seed: int, label: int, index: int, payload: np.ndarray, drawing) -> bytes:
    """Pack one chosen drawing as a record."""
    meta = json.dumps({"key_id": drawing.key_id, "countrycode": drawing.countrycode,
                       "timestamp": drawing.timestamp, "recognized": bool(drawing.recognized)},
                      separators=(",", ":")).encode("utf-8")
    points = -1 if payload.dtype == np.uint8 else len(payload)
    key = int(sort_key(seed, label, index))
    return _HEAD.pack(key, label, index, points, len(meta)) + payload.astype(payload.dtype.newbyteorder("<")
                                                                              ).tobytes() + meta


def header(record: bytes, offset: int = 0):
    """(key, label, index) of the record at ``offset``."""
    return _HEAD.unpack_from(record, offset)[:3]


def decode_all(data: bytes, size: int = 28):
    """Split concatenated records into (keys u64, labels, indexes, payloads, metas) columns."""
    keys, labels, indexes, payloads, metas = [], [], [], [], []
    offset, end, unpack, head = 0, len(data), _HEAD.unpack_from, _HEAD.size
    view = memoryview(data)
    while offset < end:
        key, label, index, points, meta_len = unpack(data, offset)
        offset += head
        if points < 0:
            payload = np.frombuffer(view[offset:offset + size * size], np.uint8)
        else:
            payload = np.frombuffer(view[offset:offset + 6 * points], "<i2").reshape(points, 3)
        offset += payload.nbytes
        keys.append(key)
        labels.append(label)
        indexes.append(index)
        payloads.append(payload)
        metas.append(bytes(view[offset:offset + meta_len]))
        offset += meta_len
    return (np.array(keys, np.uint64), np.array(labels, np.int64), np.array(indexes, np.int64), payloads, metas)


def write_shard(folder: Path, out: Path, stem: str, labels, payloads, metas, size: int, has_strokes: bool):
    """Write shard ``stem`` (drawings already in stored order) into ``folder``; errors name ``out``'s file.

    Returns the manifest entry and the train statistics of its offsets as exact integers
    (sum, sum of squares, number of offsets pairs)."""
    from ..formats.strokes import from_stroke3
    from ..raster.render import render

    labels = np.asarray(labels, np.int64)
    n = len(labels)
    label16 = labels.astype("<u2")
    entry = {"count": n, "bitmaps": stem + ".bitmaps", "meta": stem + ".meta.jsonl", "bytes": {}}
    with reporting(out / entry["bitmaps"]), open(folder / entry["bitmaps"], "wb") as f:
        for c0 in range(0, n, RENDER_CHUNK):
            part = payloads[c0:c0 + RENDER_CHUNK]
            if has_strokes:
                pixels = render([from_stroke3(p) for p in part], size=size).reshape(len(part), -1)
            else:
                pixels = np.stack(part)
            records = np.empty((len(part), 2 + size * size), np.uint8)
            records[:, :2] = label16[c0:c0 + len(part)].view(np.uint8).reshape(-1, 2)
            records[:, 2:] = pixels
            f.write(records.tobytes())
    stats = (0, 0, 0)
    if has_strokes:
        lengths = np.array([len(p) for p in payloads], "<i2")
        points = np.concatenate(payloads).astype("<i2") if payloads else np.zeros((0, 3), "<i2")
        with reporting(out / (stem + ".strokes")), open(folder / (stem + ".strokes"), "wb") as f:
            f.write(labels.astype("<i2").tobytes() + lengths.tobytes() + points.tobytes())
        entry["strokes"] = stem + ".strokes"
        entry["points"] = int(len(points))
        offsets = points[:, :2].astype(np.int64)
        stats = (int(offsets.sum()), int((offsets ** 2).sum()), len(offsets))
    if not has_strokes:
        metas = [m[:-1] + b',"label":%d}' % lab for m, lab in zip(metas, labels.tolist())]
    with reporting(out / entry["meta"]), open(folder / entry["meta"], "wb") as f:
        f.write(b"".join(m + b"\n" for m in metas))
    for kind in ("bitmaps", "strokes", "meta"):
        if kind in entry:
            entry["bytes"][kind] = (folder / entry[kind]).stat().st_size
    return entry, stats


def scale_factor(sum_: int, sum_sq: int, pairs: int) -> float:
    """The standard deviation of train offsets (x and y pooled) from exact sums; 1.0 without any."""
    if not pairs:
        return 1.0
    mean = sum_ / (2 * pairs)
    return float(np.sqrt(max(sum_sq / (2 * pairs) - mean ** 2, 1e-12)))


def manifest(names, counts, shards, scale: float, urls: dict, *, choice: Choice, splits, size: int,
             has_strokes: bool) -> dict:
    """The dataset.json of a build (both runners write the same one)."""
    from .. import synthetic as synth
    from ..core.about import ATTRIBUTION, __version__
    from .folder import FORMAT_VERSION, SPLITS

    return {
        "counts": counts, "shards": shards, "has_strokes": has_strokes, "scale_factor": scale,
        "total": int(sum(sum(c.values()) for c in counts.values())),
        "format_version": FORMAT_VERSION, "synthetic": bool(choice.synthetic), "classes": list(names),
        "image_size": size, "seed": choice.seed, "splits": dict(zip(SPLITS, splits)),
        "source": {"kind": "synthetic" if choice.synthetic else choice.source, "urls": urls},
        "filters": {"count": "all" if choice.count is None else choice.count, "recognized": choice.recognized,
                    "countries": list(choice.countries) if choice.countries else None,
                    "sample": choice.sample, "allow_short": choice.allow_short},
        "attribution": synth.LABEL if choice.synthetic else ATTRIBUTION,
        "created_by": f"qd {__version__}",
    }


def write_manifest(folder: Path, out: Path, fields: dict) -> None:
    """Write ``dataset.json`` into ``folder`` (errors name ``out``'s)."""
    from .folder import MANIFEST

    with reporting(out / MANIFEST):
        (folder / MANIFEST).write_text(json.dumps(fields, indent=1, sort_keys=True) + "\n", "utf-8")
