"""Hand a built dataset to students in plain files (npz, ndjson, a PNG contact sheet), and pick drawings to show.

>>> export("homework/", "npz", "homework.npz")  # doctest: +SKIP
PosixPath('homework.npz')
"""
from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import numpy as np

from ..core.atomic import no_empty_folders, reporting, write_atomic
from ..core import validate
from ..errors import QuickDrawError
from .folder import SPLITS, is_dataset, open_dataset

EXPORT_FORMATS = ("npz", "ndjson", "png")


def default_out(path, fmt: str) -> Path:
    """The export path used when none is given: beside the dataset folder."""
    path = Path(path).resolve()
    return path.with_name(path.name + {"npz": ".npz", "ndjson": "-ndjson", "png": "-sheet.png"}[fmt])


def export(path, fmt: str, out=None, force: bool = False) -> Path:
    """Export the dataset folder at ``path`` as ``fmt`` ("npz", "ndjson" or "png"); return what was written.

    npz: ``x_train``, ``y_train``, ``x_valid``, ``y_valid``, ``x_test``, ``y_test`` (uint8 bitmaps, int32
    labels) and ``class_names``. ndjson: a folder with ``train.ndjson``, ``valid.ndjson``, ``test.ndjson`` in
    the official layout, every drawing's metadata kept. png: a contact sheet of test bitmaps by class.
    What ``out`` holds already is replaced only with ``force``; a failed export leaves no folder it made.
    """
    if fmt not in EXPORT_FORMATS:
        raise QuickDrawError(f"unknown export format {validate.shown(fmt)}; choose one of {', '.join(EXPORT_FORMATS)}")
    ds = open_dataset(path)
    out = Path(validate.output_path(out)) if out else default_out(path, fmt)
    written = [out / f"{split}.ndjson" for split in SPLITS] if fmt == "ndjson" else [out]
    there = [p for p in written if p.exists()]
    if there and not force:
        raise QuickDrawError(f"{there[0]} exists; {validate.option('force', True)} replaces it, or choose another "
                             f"{validate.option('out')}")
    if fmt != "ndjson" and out.is_dir():
        raise QuickDrawError(f"{validate.option('out')} {out} is a folder; give a file name")
    with no_empty_folders(out if fmt == "ndjson" else out.parent):
        _check_writable(out.parent)
        return _export(ds, path, fmt, out)


def _export(ds, path, fmt: str, out: Path) -> Path:
    if fmt == "npz":
        arrays = {"class_names": np.array(ds.classes)}
        for split in SPLITS:
            arrays[f"x_{split}"] = ds.bitmaps(split)
            arrays[f"y_{split}"] = ds.labels(split)

        def save(tmp):
            with open(tmp, "wb") as f:
                np.savez_compressed(f, **arrays)

        write_atomic(out, save)
    elif fmt == "ndjson":
        if not ds.has_strokes:
            raise QuickDrawError(f"{path} was built from bitmaps and holds no strokes to write as ndjson; "
                                 "export it as npz or png")
        with reporting(out, "create"):
            out.mkdir(parents=True, exist_ok=True)
        for split in SPLITS:
            write_atomic(out / f"{split}.ndjson", lambda tmp, split=split: _write_ndjson(ds, split, tmp))
    else:
        from ..ui.plots import contact_sheet
        contact_sheet(ds.bitmaps("test"), ds.labels("test"), ds.classes, out)
    return out


def _write_ndjson(ds, split: str, tmp) -> None:
    with open(tmp, "w", encoding="utf-8") as f:
        for drawing in ds.drawings(split):
            f.write(json.dumps(drawing.to_json(), separators=(",", ":")) + "\n")


def pick_drawings(source, category: str | None = None, n: int = 36, split: str | None = None) -> tuple[list, bool]:
    """Return up to ``n`` drawings from a dataset folder or any supported file, and whether they are synthetic.

    ``category`` keeps only drawings whose word matches (same forgiving matching as category names);
    ``split`` takes a dataset folder's drawings from that split only (default: train, valid, test in turn).
    """
    from ..categories import key as _key

    want = _key(category) if category else None
    if is_dataset(source):
        ds = open_dataset(source)
        stream = itertools.chain.from_iterable(ds.drawings(s) for s in ([split] if split else SPLITS))
        synthetic = ds.synthetic
    else:
        from ..formats import read_path
        if split:
            raise QuickDrawError(f"{validate.option('split')} picks a split of a dataset folder; {source} is a file")
        if not Path(source).exists():
            raise QuickDrawError(f"{source} does not exist")
        stream = read_path(source)
        synthetic = False
    picked = list(itertools.islice((d for d in stream if want is None or _key(d.word) == want), n))
    if not picked:
        raise QuickDrawError(f"no drawings{' of ' + repr(category) if category else ''} in {source}")
    synthetic = synthetic or any(d.countrycode == "ZZ" and d.timestamp == "synthetic" for d in picked)
    return picked, synthetic


def _check_writable(folder: Path) -> None:
    with reporting(folder, "create"):
        folder.mkdir(parents=True, exist_ok=True)
    if not os.access(folder, os.W_OK):
        raise QuickDrawError(f"cannot write to {folder}: permission denied")
