"""Pictures of a classifier's training: learning curves and the confusion matrix (PNG files).

>>> plot_curves([{"epoch": 1, "loss": 1.2, "val_loss": 1.0, "accuracy": 0.6, "val_accuracy": 0.7}],
...             "curves.png")  # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.atomic import write_atomic

ANNOTATE_UP_TO = 25  # classes; beyond this the cells are too small for numbers


def plot_curves(history: list[dict], path, *, best_epoch: int | None = None, title: str = "") -> Path:
    """Write training and validation loss and accuracy per epoch to ``path`` (PNG).

    ``history`` holds one dict per epoch with "epoch", "loss", "val_loss", "accuracy" and
    "val_accuracy" (loss: plain cross-entropy, as ``qd evaluate`` reports it); ``best_epoch`` (1-based) is marked: the epoch to stop at before overfitting.
    """
    from matplotlib.figure import Figure

    epochs = [h["epoch"] for h in history]
    fig = Figure(figsize=(10, 4), layout="constrained")
    for ax, metric, label in zip(fig.subplots(1, 2), ("loss", "accuracy"), ("loss (cross-entropy)", "accuracy")):
        ax.plot(epochs, [h[metric] for h in history], "o-", label=f"training {label}")
        ax.plot(epochs, [h[f"val_{metric}"] for h in history], "o-", label=f"validation {label}")
        if best_epoch is not None:
            ax.axvline(best_epoch, color="grey", linestyle="--", label=f"best epoch ({best_epoch})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_confusion(matrix, classes, path, *, title: str = "") -> Path:
    """Write the confusion matrix (rows: true class, columns: predicted) to ``path`` (PNG).

    Cells are coloured by the share of each true class; counts are written in them for up to 25 classes.
    """
    from matplotlib.figure import Figure

    counts = np.asarray(matrix, dtype=np.int64)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    n = len(classes)
    side = min(4 + 0.45 * n, 40)
    fig = Figure(figsize=(side + 1.5, side), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, shrink=0.8, label="share of the true class")
    ax.set_xticks(range(n), classes, rotation=90, fontsize=8)
    ax.set_yticks(range(n), classes, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if n <= ANNOTATE_UP_TO:
        for i, j in zip(*np.nonzero(counts)):
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=7,
                    color="white" if shares[i, j] > 0.5 else "black")
    if title:
        ax.set_title(title)
    return _save(fig, path)


def _save(fig, path) -> Path:
    """Save ``fig`` as a PNG beside ``path`` under a temporary name, then rename it into place."""
    return write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
