"""Pictures and files of sketches: sample grids, completion grids, loss curves, ndjson of generated sketches.

Sketches are stroke-3 arrays (n, 3) in dataset units; files are written atomically.

>>> save_grid([np.array([[10, 10, 0], [50, 0, 1]])], "one.png", cols=1)  # doctest: +SKIP
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from quickdraw.formats.strokes import from_stroke3

from .runs import atomic_write
from .sample import COLOURS

FRAME = 255


def save_grid(sketches, path, *, cols: int, titles=None, label: str = "") -> Path:
    """Write stroke-3 ``sketches`` (dataset units) as a PNG grid, ``cols`` per row, ``label`` on top."""
    from quickdraw.formats.drawing import Drawing
    from quickdraw.ui.plots import sketch_grid

    drawings = [Drawing(from_stroke3(s)) for s in sketches]
    titles = [""] * len(drawings) if titles is None else titles
    return sketch_grid(drawings, out=path, titles=titles, ncols=cols, label=label or None)


def to_drawing(s3, word: str = ""):
    """Return a stroke-3 sketch as a ``Drawing`` in the simplified data's frame (top-left at 0, ints 0-255)."""
    from quickdraw.formats.drawing import Drawing

    strokes = from_stroke3(s3)
    if not strokes:
        return Drawing([], word=word, recognized=False)
    xy = np.concatenate(strokes, axis=1)
    lo = xy.min(axis=1, keepdims=True)
    size = max(float((xy.max(axis=1, keepdims=True) - lo).max()), 1e-9)
    factor = min(1.0, 255.0 / size)
    return Drawing([np.round((s - lo) * factor).astype(np.int64) for s in strokes], word=word, recognized=False)


def save_ndjson(sketches, path, word: str = "") -> Path:
    """Write stroke-3 ``sketches`` as simplified ndjson records (see ``to_drawing``)."""
    from quickdraw.formats import ndjson

    drawings = [to_drawing(s, word) for s in sketches]
    return atomic_write(Path(path), lambda f: ndjson.write(drawings, f), binary=True)



def write_grid(strokes, completions, path, title: str = "") -> Path:
    """Write a PNG grid: one panel per candidate, the user's strokes black, the completion coloured.

    Each panel shows the 0-255 frame (grey), widened to hold all that its candidate drew.
    """
    import textwrap

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    n = len(completions)
    cols = min(n, math.ceil(math.sqrt(n * 1.5)))
    rows = math.ceil(n / cols)
    lines = [line for part in title.splitlines() for line in textwrap.wrap(part, width=max(40, 34 * cols))]
    fig = Figure(figsize=(2.4 * max(cols, 2), 2.4 * rows + 0.22 * len(lines)))
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        if i >= n:
            ax.set_axis_off()
            continue
        points = np.concatenate([np.zeros((2, 1)), np.full((2, 1), FRAME), *strokes, *completions[i]], axis=1)
        low, high = points.min(axis=1), points.max(axis=1)
        side = (high - low).max() * 1.04
        centre = (low + high) / 2
        ax.set_xlim(centre[0] - side / 2, centre[0] + side / 2)
        ax.set_ylim(centre[1] + side / 2, centre[1] - side / 2)
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.add_patch(Rectangle((0, 0), FRAME, FRAME, fill=False, edgecolor="#bbbbbb", lw=0.8))
        for s in completions[i]:
            ax.plot(s[0], s[1], color=COLOURS[i % len(COLOURS)], lw=1.5, solid_capstyle="round",
                    marker="o" if s.shape[1] == 1 else None, ms=1.5)
        for s in strokes:
            ax.plot(s[0], s[1], color="black", lw=2, solid_capstyle="round")
    if lines:
        fig.suptitle("\n".join(lines), fontsize=9)
    fig.tight_layout()
    atomic_write(Path(path), lambda f: fig.savefig(f, format="png", dpi=100), binary=True)
    return Path(path)



def plot_losses(history: dict, path: Path, title: str, best_step=None) -> None:
    """Write the train and validation reconstruction (Lr) and KL curves over steps to ``path`` (PNG),
    with the validation point of ``best_step`` (the weights kept in ``best.npz``) ringed."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    train, valid = history["train"], history["valid"]
    for ax, key, label in ((axes[0], "recon", "reconstruction loss Lr"), (axes[1], "kl", "KL (raw)")):
        if train["step"]:
            ax.plot(train["step"], train[key], color="#9ecae1", lw=0.6, label="train (per step)")
            if len(train["step"]) >= 20:
                k = np.ones(20) / 20
                ax.plot(train["step"][19:], np.convolve(train[key], k, mode="valid"), color="#2171b5",
                        lw=1.2, label="train (mean of 20)")
        if valid["step"]:
            ax.plot(valid["step"], valid[key], "o-", color="#d94801", ms=3, label="validation")
            if best_step in valid["step"]:
                at = valid["step"].index(best_step)
                ax.plot([best_step], [valid[key][at]], "o", mfc="none", mec="black", ms=9,
                        label=f"best (step {best_step})")
        if key == "recon":
            ax.axhline(0.0, color="grey", lw=0.6)
        ax.set_xlabel("step")
        ax.set_title(label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    atomic_write(Path(path), lambda f: fig.savefig(f, format="png", dpi=90), binary=True)

