"""A classifier run folder (RUNDIR): the one place that reads and writes its files.

RUNDIR holds ``run.json`` ({"kind": "cnn", settings...}), ``model.keras`` (raw 0-255 bitmaps in, class
probabilities out, class names inside), ``history.json``, ``curves.png``, ``confusion.png`` and
``metrics.json``; while training, ``checkpoint/`` holds what a resumed run needs.

>>> run, model = load("runs/cnn1")  # doctest: +SKIP
>>> run["classes"]  # doctest: +SKIP
['cat', 'dog']
"""
from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

from ..core import validate
from ..errors import QuickDrawError
from ..fetch.cache import exclusive

KIND = "cnn"
CHECKPOINT = "checkpoint"
LOCK = ".train"  # a trainer holds RUNDIR/.train.lock (its pid inside) while it writes the run
LOCK_FILE = LOCK + ".lock"
# Training files that --force replaces; anything else in the folder makes it "not a run folder".
RUN_FILES = ("run.json", "model.keras", "history.json", "curves.png", "confusion.png", "metrics.json", CHECKPOINT)


def load(rundir):
    """Return (run.json's content, the Keras model) of a finished classifier run, or raise QuickDrawError."""
    import keras

    from . import model as _layers  # registers the custom layers before loading

    run = read_run(rundir)
    path = Path(rundir) / "model.keras"
    if not path.is_file():
        raise QuickDrawError(f"{rundir} has no model.keras yet (training did not finish); "
                             "continue it with `qd train-cnn DATASET --out RUNDIR --resume`")
    if not zipfile.is_zipfile(path):
        raise QuickDrawError(f"{path} is corrupt (not a Keras model archive); train the run again")
    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as err:  # noqa: BLE001 - Keras raises many kinds for a damaged archive
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise QuickDrawError(f"{path} is corrupt ({first}); train the run again") from None
    _layers.class_names(model)
    return run, model


def read_run(rundir) -> dict:
    """Return RUNDIR/run.json of a classifier run; raise QuickDrawError for anything else."""
    path = Path(rundir) / "run.json"
    if not path.is_file():
        raise QuickDrawError(f"{rundir} is not a training run (no run.json); train one with `qd train-cnn`")
    run = validate.json_object(path)
    if run.get("kind") != KIND:
        raise QuickDrawError(f"{rundir} holds a {run.get('kind')!r} run, not a CNN classifier run")
    return run


def stored_kind(rundir: Path) -> str:
    try:
        return str(json.loads((rundir / "run.json").read_text("utf-8")).get("kind"))
    except (OSError, ValueError, AttributeError):
        return "unreadable"


def clear(rundir: Path) -> None:
    """Remove a classifier run's files for --force; refuse if the folder holds anything else."""
    if stored_kind(rundir) != KIND:
        raise QuickDrawError(f"{rundir} holds a {stored_kind(rundir)} run, not a classifier run; "
                             "--force replaces only classifier runs: choose another folder")
    entries = [p for p in rundir.iterdir() if p.name != LOCK_FILE]  # the lock is this trainer's own
    ours = [p for p in entries if p.name in RUN_FILES or p.name.startswith(("eval-", "."))]
    others = sorted(p.name for p in entries if p not in ours)
    if others:
        raise QuickDrawError(f"--force replaces a classifier run, but {rundir} also holds "
                             f"{', '.join(others[:3])}; move them or choose another folder")
    for p in ours:
        shutil.rmtree(p) if p.is_dir() else p.unlink()


def is_empty(rundir: Path) -> bool:
    """Whether ``rundir`` holds nothing but a trainer's lock file."""
    return all(p.name == LOCK_FILE for p in rundir.iterdir())


def training_lock(rundir):
    """Hold RUNDIR's training lock for the block (``with training_lock(rundir):``); a QuickDrawError
    naming the holder's pid when another process holds it. RUNDIR must exist."""
    return exclusive(Path(rundir) / LOCK, "training it")


def finish(rundir: Path, run: dict, metrics: dict, history: list[dict], classes) -> None:
    """Write metrics.json and the plots, mark the run done and drop its checkpoint."""
    from .plots import plot_confusion, plot_curves

    note = " (SYNTHETIC data)" if run["synthetic"] else ""
    write_json(rundir / "metrics.json", metrics)
    trained_on = ("\ntraining on whole drawings and stroke prefixes (--partial), validating on whole drawings"
                  if run["settings"].get("partial") else "")
    plot_curves(history, rundir / "curves.png", best_epoch=metrics["best_epoch"],
                title=f"{run['settings']['model'].upper()} learning curves{note}{trained_on}")
    plot_confusion(metrics["confusion"], classes, rundir / "confusion.png",
                   title=f"test confusion, accuracy {metrics['accuracy']:.1%}{note}")
    run["status"] = "done"
    write_json(rundir / "run.json", run)
    shutil.rmtree(rundir / CHECKPOINT, ignore_errors=True)


def save_model(model, path: Path) -> None:
    tmp = path.with_name(f".{path.stem}.part.keras")
    model.save(tmp)
    os.replace(tmp, path)


def save_weights(model, path: Path) -> None:
    tmp = path.with_name(f".{path.name.split('.')[0]}.part.weights.h5")
    model.save_weights(tmp)
    os.replace(tmp, path)


def write_json(path: Path, data) -> None:
    """Write ``data`` as JSON under a temporary name beside ``path``, then rename it into place."""
    tmp = path.with_name(f".{path.name}.part")
    try:
        tmp.write_text(json.dumps(data, indent=1) + "\n", "utf-8")
        os.replace(tmp, path)
    except OSError as err:
        raise QuickDrawError(f"cannot write {path}: {err.strerror}")

