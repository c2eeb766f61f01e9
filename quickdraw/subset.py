"""Build class-filtered, balanced, split dataset folders from the bucket, a mirror or synthetic doodles.

>>> build(["cat", "dog"], count=100, out="homework/")  # doctest: +SKIP
PosixPath('homework')
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import sys
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import validate
from .about import ATTRIBUTION, __version__
from .atomic import reporting
from .cache import locked
from .categories import resolve_all
from .dataset_folder import FORMAT_VERSION, MANIFEST, SPLITS, is_dataset, open_dataset  # noqa: F401
from .errors import QuickDrawError
from .strokes import to_stroke3

SOURCES = ("simplified", "binary", "raw", "bitmap")
SHARD_SIZE = 20_000
RENDER_CHUNK = 4096
MAX_POINTS = 32_000  # point counts are stored as int16


@dataclass
class _ClassDrawings:
    """The drawings kept for one class, columnar: stroke-3 rows or bitmap rows, plus metadata."""

    sequences: list = field(default_factory=list)
    bitmaps: list = field(default_factory=list)
    meta: list = field(default_factory=list)

    def __len__(self):
        return len(self.meta)

    def add(self, drawing) -> None:
        if drawing.bitmap is not None and not drawing.strokes:
            self.bitmaps.append(np.asarray(drawing.bitmap, np.uint8).reshape(-1))
        else:
            self.sequences.append(to_stroke3(drawing.strokes))
        self.meta.append({"key_id": drawing.key_id, "countrycode": drawing.countrycode,
                          "timestamp": drawing.timestamp, "recognized": bool(drawing.recognized)})


def split_sizes(n: int, splits) -> list[int]:
    """Split ``n`` drawings into train/valid/test sizes by ``splits``, rounding so they sum to ``n``."""
    bounds = np.round(np.cumsum([0, *splits]) * n).astype(int)
    bounds[-1] = n
    return list(np.diff(bounds))


def build(categories, count: int, out, *, source: str = "simplified", recognized: bool | None = None,
          countries=None, splits=(0.8, 0.1, 0.1), seed: int = 0, sample: str = "first", mirror=None,
          size: int = 28, synthetic: bool = False, allow_short: bool = False, force: bool = False,
          quiet: bool = False) -> Path:
    """Build a dataset folder at ``out`` with ``count`` drawings per class; return its path.

    ``recognized`` None keeps all drawings, True only recognized ones, False only unrecognized ones.
    ``countries`` is a list of two-letter codes. With ``synthetic`` the drawings come from
    ``quickdraw.synthetic`` (no network) and are labelled synthetic everywhere.
    """
    from . import synthetic as synth

    count, seed = validate.count(count), validate.seed(seed)
    splits, size = validate.splits(splits), validate.integer("--size", size, 8, 256)
    if source not in SOURCES:
        raise QuickDrawError(f"unknown source {source!r}; choose one of {', '.join(SOURCES)}")
    if sample not in ("first", "random"):
        raise QuickDrawError(f"unknown --sample {sample!r}; choose first or random")
    if synthetic:
        names = list(categories) or list(synth.CLASSES)
        unknown = [n for n in names if n not in synth.CLASSES]
        if unknown:
            raise QuickDrawError(f"no synthetic doodles for {', '.join(unknown)}; "
                                 f"synthetic classes are: {', '.join(synth.CLASSES)}")
    else:
        if not categories:
            raise QuickDrawError("name at least one category (or use --synthetic)")
        names = resolve_all(list(categories))
    if source == "bitmap" and (recognized is not None or countries) and not synthetic:
        raise QuickDrawError("the numpy_bitmap files carry no metadata: --recognized and --countries "
                             "need a vector source (simplified, binary or raw)")
    if source == "bitmap" and not synthetic and size != 28:
        raise QuickDrawError("--source bitmap gives the official 28x28 bitmaps; use --size 28, or a vector "
                             "source (simplified, binary, raw) to render other sizes")
    countries = sorted({c.upper() for c in countries}) if countries else None
    out = target(out)
    with reporting(out.parent, "create"):
        out.parent.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        with reporting(out.parent, "write to"):
            stack.enter_context(locked(out.with_name("." + out.name), bar=_Waiting(out)))
        _prepare_out(out, force)
        tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
        try:
            with reporting(out.parent, "write to"):
                tmp.mkdir()
            per_class = {}
            urls = {}
            for name in names:
                per_class[name], urls[name] = _collect(name, count, source, recognized, countries, sample, seed,
                                                       mirror, synthetic, quiet)
                got = len(per_class[name])
                if got < count and not allow_short:
                    raise QuickDrawError(
                        f"class {name!r} has only {got} drawings after filtering (asked for {count}); "
                        "use --allow-short to take what there is, or a smaller --count")
                if got == 0:
                    raise QuickDrawError(f"class {name!r} has no drawings after filtering")
            manifest = _write_shards(tmp, names, per_class, splits, seed, size,
                                     has_strokes=(source != "bitmap" or synthetic), quiet=quiet, out=out)
            manifest.update(
                format_version=FORMAT_VERSION,
                synthetic=bool(synthetic),
                classes=names,
                image_size=size,
                seed=seed,
                splits=dict(zip(SPLITS, splits)),
                source={"kind": "synthetic" if synthetic else source, "urls": urls},
                filters={"count": count, "recognized": recognized, "countries": countries,
                         "sample": sample, "allow_short": allow_short},
                attribution=synth.LABEL if synthetic else ATTRIBUTION,
                created_by=f"qd {__version__}",
            )
            with reporting(out / MANIFEST):
                (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", "utf-8")
            with reporting(out, "replace"):
                _swap_into_place(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return out


def target(out) -> Path:
    """The absolute path of a dataset folder to build, refusing the current folder, its parents and "/"."""
    if out is None or str(out) == "":
        raise QuickDrawError("--out needs a folder name")
    path = Path(os.path.abspath(out))
    if path.name in ("", ".", "..") or Path.cwd().is_relative_to(path):
        raise QuickDrawError(f"--out {out} is the current folder or one above it; name a new folder for the "
                             "dataset, e.g. --out homework")
    return path


class _Waiting:
    """Says once, on stderr, that another process holds the output folder's lock (for ``cache.locked``)."""

    def __init__(self, out: Path):
        self.out, self.said = out, False

    def set_postfix_str(self, text: str) -> None:
        if text and not self.said:
            print(f"qd: --out {self.out} is being built by another qd ({text})", file=sys.stderr, flush=True)
            self.said = True


def _prepare_out(out: Path, force: bool) -> None:
    """Check, before any work, that ``out`` can take a dataset; remove partial builds of dead processes."""
    if out.exists() and not out.is_dir():
        raise QuickDrawError(f"--out {out} is a file, not a folder")
    if out.is_dir():
        if os.path.ismount(out):
            raise QuickDrawError(f"--out {out} is a mount point; qd builds beside the folder and renames it "
                                 f"into place, so name a folder inside it, e.g. {out / 'dataset'}")
        if not is_dataset(out) and any(out.iterdir()):
            raise QuickDrawError(f"--out {out} holds files that are not a qd dataset; choose another folder")
        if is_dataset(out) and not force:
            raise QuickDrawError(f"--out {out} already holds a dataset; choose another folder or pass --force")
    _remove_stale(out)


def _remove_stale(out: Path) -> None:
    """Remove ``.<out>.partial-<pid>`` and ``.<out>.old-<pid>`` folders whose process is gone."""
    for kind in ("partial", "old"):
        for path in out.parent.glob(f".{glob.escape(out.name)}.{kind}-*"):
            pid = path.name.rsplit("-", 1)[1]
            if pid.isdigit() and not _alive(int(pid)) and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _swap_into_place(tmp: Path, out: Path) -> None:
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
    tmp.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _drawing_stream(name, count, source, seed, mirror, synthetic):
    """Yield (drawings iterator, source url) for one class."""
    if synthetic:
        from . import synthetic as synth
        return synth.iter_drawings(name, count or 10 ** 9, seed=seed), "synthetic"
    from . import remote
    from .download import drawings
    return (drawings(name, count=count, recognized=None, format=source, mirror=mirror),
            remote.url_for(name, source, mirror))


def _collect(name, count, source, recognized, countries, sample, seed, mirror, synthetic, quiet):
    """Read one class's drawings, filter them, and keep ``count`` (the first, or a seeded random sample)."""
    exact = sample == "first" and recognized is None and not countries
    stream, url = _drawing_stream(name, count if exact else None, source, seed, mirror, synthetic)
    kept = _ClassDrawings()
    simplify = None
    if source == "raw" and not synthetic:
        from .simplify import simplify
    rng = np.random.default_rng([seed, _stable_hash(name)])
    reservoir: list = []
    seen = 0
    try:
        for drawing in _named(stream, url):
            if recognized is not None and bool(drawing.recognized) != recognized:
                continue
            if countries and drawing.countrycode.upper() not in countries:
                continue
            if sample == "first" or synthetic:
                reservoir.append(drawing)
                if len(reservoir) >= count:
                    break
            else:
                seen += 1
                if len(reservoir) < count:
                    reservoir.append(drawing)
                else:
                    j = rng.integers(seen)
                    if j < count:
                        reservoir[j] = drawing
    finally:
        close = getattr(stream, "close", None)
        if close:
            close()
    for drawing in reservoir:
        if simplify is not None:
            drawing.strokes = [np.asarray(s) for s in simplify(drawing.strokes)]
        if drawing.strokes and sum(np.asarray(s).shape[-1] for s in drawing.strokes) > MAX_POINTS:
            continue
        kept.add(drawing)
    return kept, url


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


def _write_shards(folder: Path, names, per_class, splits, seed, size, has_strokes, quiet, out: Path) -> dict:
    """Assign splits per class, shuffle each split across classes, render and write shards.

    Write errors name the file as it will be called in ``out``."""
    from .render import render
    from .strokes import from_stroke3

    assignments = {s: [] for s in SPLITS}
    counts = {s: {} for s in SPLITS}
    for label, name in enumerate(names):
        n = len(per_class[name])
        order = np.random.default_rng([seed, label]).permutation(n)
        start = 0
        for split, k in zip(SPLITS, split_sizes(n, splits)):
            picked = order[start:start + k]
            start += k
            counts[split][name] = int(k)
            assignments[split].append(np.stack([np.full(k, label), picked], axis=1))

    shards = {}
    total_sum = np.zeros(2)
    total_sq = 0.0
    total_n = 0
    progress = _progress(sum(len(c) for c in per_class.values()), "writing shards", quiet)
    for split_index, split in enumerate(SPLITS):
        pairs = np.concatenate(assignments[split]) if assignments[split] else np.zeros((0, 2), int)
        pairs = pairs[np.random.default_rng([seed, 1000 + split_index]).permutation(len(pairs))]
        shards[split] = []
        for shard_index, start in enumerate(range(0, max(len(pairs), 1), SHARD_SIZE)):
            chunk = pairs[start:start + SHARD_SIZE]
            if len(chunk) == 0 and start > 0:
                break
            stem = f"{split}-{shard_index:05d}"
            labels = chunk[:, 0].astype("<u2")
            meta_lines = []
            for label, idx in chunk:
                meta = per_class[names[label]].meta[idx]
                meta_lines.append(json.dumps(meta if has_strokes else {**meta, "label": int(label)},
                                             separators=(",", ":")))
            entry = {"count": int(len(chunk)), "bitmaps": stem + ".bitmaps", "meta": stem + ".meta.jsonl",
                     "bytes": {}}
            with reporting(out / entry["bitmaps"]), open(folder / entry["bitmaps"], "wb") as f:
                for c0 in range(0, len(chunk), RENDER_CHUNK):
                    part = chunk[c0:c0 + RENDER_CHUNK]
                    if has_strokes:
                        drawings = [from_stroke3(per_class[names[lab]].sequences[i]) for lab, i in part]
                        pixels = render(drawings, size=size).reshape(len(part), -1)
                    else:
                        pixels = np.stack([per_class[names[lab]].bitmaps[i] for lab, i in part])
                    records = np.empty((len(part), 2 + size * size), np.uint8)
                    records[:, :2] = labels[c0:c0 + len(part)].view(np.uint8).reshape(-1, 2)
                    records[:, 2:] = pixels
                    f.write(records.tobytes())
                    progress.update(len(part))
            if has_strokes:
                sequences = [per_class[names[lab]].sequences[i] for lab, i in chunk]
                lengths = np.array([len(s) for s in sequences], "<i2")
                points = (np.concatenate(sequences).astype("<i2") if sequences
                          else np.zeros((0, 3), "<i2"))
                with reporting(out / (stem + ".strokes")), open(folder / (stem + ".strokes"), "wb") as f:
                    f.write(labels.astype("<i2").tobytes() + lengths.tobytes() + points.tobytes())
                entry["strokes"] = stem + ".strokes"
                entry["points"] = int(len(points))
                if split == "train" and len(points):
                    offsets = points[:, :2].astype(np.float64)
                    total_sum += offsets.sum(axis=0)
                    total_sq += float((offsets ** 2).sum())
                    total_n += len(offsets)
            with reporting(out / entry["meta"]), open(folder / entry["meta"], "wb") as f:
                f.write(("\n".join(meta_lines) + ("\n" if meta_lines else "")).encode("utf-8"))
            for kind in ("bitmaps", "strokes", "meta"):
                if kind in entry:
                    entry["bytes"][kind] = (folder / entry[kind]).stat().st_size
            shards[split].append(entry)
    progress.close()
    scale = 1.0
    if total_n:
        mean = total_sum.sum() / (2 * total_n)
        scale = float(np.sqrt(max(total_sq / (2 * total_n) - mean ** 2, 1e-12)))
    return {"counts": counts, "shards": shards, "has_strokes": has_strokes, "scale_factor": scale,
            "total": int(sum(sum(c.values()) for c in counts.values()))}


def _progress(total, desc, quiet):
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit=" drawings", disable=quiet or not sys.stderr.isatty())
