"""How well a classifier does on a dataset split: accuracy, top-k accuracy, loss, per-class accuracy, confusion.

>>> evaluate_run("runs/cnn1", "homework/", "test")["accuracy"]  # doctest: +SKIP
0.93
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..builder.folder import open_dataset
from ..errors import QuickDrawError
from . import model as model_layers, runs
from .predict import Classifier

EVAL_BATCH = 512
TOP_K = 3


def evaluate_run(rundir, dataset, split: str = "test", *, warn=None) -> dict:
    """Metrics of the run's model on ``split`` of ``dataset`` (accuracy, top-3 accuracy, loss, per class).

    The dataset must hold the model's classes, in any order. Writes them with the confusion counts
    to RUNDIR/eval-<dataset name>-<split>.json and the matrix to ...-confusion.png; returns them
    without the confusion counts. When those files cannot be written (a read-only run folder) the
    metrics are still returned and ``warn`` (default ``warnings.warn``) gets a one-line message.
    """
    model = Classifier(rundir)
    metrics = evaluate_model(model.model, open_dataset(dataset), split)
    stem = Path(rundir) / f"eval-{Path(dataset).resolve().name}-{split}"
    try:
        _write_eval(metrics, model, stem, f"{Path(dataset).resolve().name} {split}")
    except (QuickDrawError, OSError) as err:
        message = f"could not write the evaluation files {stem}.json and {stem.name}-confusion.png ({err})"
        if warn is None:
            import warnings

            warnings.warn(message, stacklevel=2)
        else:
            warn(message)
    return {k: v for k, v in metrics.items() if k != "confusion"}


def _write_eval(metrics: dict, model, stem: Path, what: str) -> None:
    from .plots import plot_confusion

    runs.write_json(stem.with_name(stem.name + ".json"), metrics)
    note = " (SYNTHETIC data)" if model.synthetic else ""
    plot_confusion(metrics["confusion"], model.classes, stem.with_name(stem.name + "-confusion.png"),
                   title=f"{what}: accuracy {metrics['accuracy']:.1%}{note}")


def evaluate_model(model, folder, split: str) -> dict:
    """Accuracy, top-3 accuracy (with more than 3 classes), loss, per-class accuracy and confusion counts.

    The loss is plain cross-entropy, the mean of -log p(true class): what training's history and
    curves call "loss" too (training minimises it with label smoothing, kept there as "smoothed_loss").
    """
    names = model_layers.class_names(model)
    if sorted(folder.classes) != sorted(names):
        missing = sorted(set(names) - set(folder.classes))
        extra = sorted(set(folder.classes) - set(names))
        raise QuickDrawError("the dataset's classes differ from the model's"
                             + (f"; missing: {', '.join(missing)}" if missing else "")
                             + (f"; unknown to the model: {', '.join(extra)}" if extra else ""))
    size = model.input_shape[1]
    if folder.image_size != size:
        raise QuickDrawError(f"the model takes {size}x{size} bitmaps, the dataset holds "
                             f"{folder.image_size}x{folder.image_size}")
    x, labels = split_arrays(folder, split)
    y = np.array([names.index(c) for c in folder.classes], np.int32)[labels]
    probs = model.predict(x, batch_size=EVAL_BATCH, verbose=0)
    return _metrics(probs, y, names, split, str(folder.path))


def split_arrays(folder, split: str):
    """The bitmaps and labels of ``split`` of a dataset folder; QuickDrawError when it is empty."""
    x, y = folder.bitmaps(split), folder.labels(split)
    if len(y) == 0:
        raise QuickDrawError(f"{folder.path} has no drawings in its {split} split; rebuild it with "
                             "`qd build ... --splits 0.8,0.1,0.1`")
    return x, y


def _metrics(probs, y, names, split, dataset) -> dict:
    n = len(names)
    predicted = probs.argmax(axis=1)
    top = np.argsort(-probs, axis=1)[:, :TOP_K]
    confusion = np.bincount(y * n + predicted, minlength=n * n).reshape(n, n)
    support = confusion.sum(axis=1)
    loss = -np.log(np.clip(probs[np.arange(len(y)), y], 1e-7, 1)).mean()
    return {
        "dataset": dataset, "split": split, "examples": int(len(y)),
        "accuracy": round(float((predicted == y).mean()), 4),
        **({"top3_accuracy": round(float((top == y[:, None]).any(axis=1).mean()), 4)} if n > TOP_K else {}),
        "loss": round(float(loss), 4),
        "per_class_accuracy": {c: round(float(confusion[i, i] / support[i]), 4) if support[i] else None
                               for i, c in enumerate(names)},
        "confusion": confusion.tolist(),
    }

