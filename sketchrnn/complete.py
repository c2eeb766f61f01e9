"""Complete a partial drawing with Sketch-RNN: read it, condition the decoder on it, grow candidates.

The partial drawing stays in the dataset's 0-255 frame (no rescaling: that would change its size
relative to what the model learned); each stroke is simplified as the dataset was. A completer is a
callable ``completer(strokes, n, temperature, seed)`` yielding (n, 5) stroke-5 steps in dataset
units that continue from the last point of ``strokes[-1]`` (see ``sketchrnn.canvas``).

>>> strokes = read_partial("half_cat.ndjson", keep_strokes=3)  # doctest: +SKIP
>>> complete_file("runs/cat", "half_cat.ndjson", n=6, out="done.png")  # doctest: +SKIP
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from quickdraw.errors import QuickDrawError
from quickdraw.simplify import simplify_partial
from quickdraw.strokes import from_stroke3, to_stroke3

FRAME = 255
FRAME_SLACK = 0.1 * FRAME  # how far past the frame a partial drawing may reach
PANEL_REACH = 0.3 * FRAME  # how far past the frame a grid panel widens to show a completion
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#17becf", "#e377c2", "#8c564b", "#bcbd22"]
FORMATS = ".ndjson (first line or --index), .npy (stroke-3) or .json (strokes [[[x...],[y...]], ...])"


def read_partial(path, index: int = 0, keep_strokes: int | None = None) -> list[np.ndarray]:
    """Read one drawing's strokes from ``path`` as (2, k) float arrays, keeping the first ``keep_strokes``.

    ``path`` is an ndjson file (line ``index``), a stroke-3 ``.npy`` or a strokes ``.json``.
    """
    path = Path(path)
    if not path.is_file():
        raise QuickDrawError(f"{path}: no such drawing file")
    suffix = path.suffix.lower()
    if index and suffix != ".ndjson":
        raise QuickDrawError(f"--index picks a line of an .ndjson file; {path.name} holds one drawing")
    if suffix == ".ndjson":
        strokes = _read_ndjson(path, index)
    elif suffix == ".npy":
        strokes = _read_npy(path)
    elif suffix == ".json":
        strokes = _read_json(path)
    else:
        raise QuickDrawError(f"{path}: unknown drawing format {suffix or '(no extension)'!r}; use {FORMATS}")
    if keep_strokes is not None:
        if keep_strokes < 1:
            raise QuickDrawError(f"--keep-strokes must be at least 1, not {keep_strokes}")
        strokes = strokes[:keep_strokes]
    return strokes


def _read_ndjson(path: Path, index: int) -> list[np.ndarray]:
    from quickdraw.formats import read_path
    from quickdraw.simplify import simplify

    if index < 0:
        raise QuickDrawError(f"--index must be 0 or more, not {index}")
    count = 0
    for count, drawing in enumerate(read_path(path), start=1):
        if count - 1 == index:
            strokes = [np.asarray(s, dtype=np.float64) for s in drawing.strokes]
            if any(s.shape[0] == 3 for s in strokes):  # raw screen coordinates: simplify as the dataset did
                strokes = simplify(strokes)
            return [np.asarray(s, dtype=np.float64)[:2] for s in strokes]
    raise QuickDrawError(f"{path} has no drawing at --index {index} (it holds {count})")


def _read_npy(path: Path) -> list[np.ndarray]:
    try:
        s3 = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as err:
        raise QuickDrawError(f"{path} is not a readable .npy array ({err})") from None
    if s3.ndim != 2 or s3.shape[1] != 3 or not np.issubdtype(s3.dtype, np.number):
        raise QuickDrawError(f"{path} holds an array of shape {s3.shape}; a stroke-3 drawing is (n, 3) numbers")
    return [s.astype(np.float64) for s in from_stroke3(s3)]


def _read_json(path: Path) -> list[np.ndarray]:
    try:
        data = json.loads(path.read_text("utf-8"))
        strokes = [np.asarray(s, dtype=np.float64) for s in data]
    except (UnicodeDecodeError, json.JSONDecodeError, TypeError, ValueError) as err:
        raise QuickDrawError(f"{path} is not strokes JSON [[[x...],[y...]], ...] ({err})") from None
    if any(s.ndim != 2 or s.shape[0] not in (2, 3) for s in strokes):
        raise QuickDrawError(f"{path} is not strokes JSON: each stroke must be [[x...], [y...]]")
    return [s[:2] for s in strokes]


def prepare(strokes) -> list[np.ndarray]:
    """Check a partial drawing (``check_partial``) and simplify each stroke as the dataset was."""
    return [np.asarray(s, dtype=np.float64) for s in simplify_partial(check_partial(strokes))]


def check_partial(strokes) -> list[np.ndarray]:
    """Return the non-empty strokes as (2, k) float arrays, or raise ``QuickDrawError``.

    Refused: an empty drawing, a single click, a drawing far outside the 0-255 frame.
    """
    strokes = [np.asarray(s, dtype=np.float64)[:2] for s in strokes if np.asarray(s).size]
    if not strokes:
        raise QuickDrawError("the drawing is empty: draw at least one stroke")
    points = np.concatenate(strokes, axis=1)
    if not np.isfinite(points).all():
        raise QuickDrawError("the drawing has coordinates that are not numbers")
    low, high = points.min(axis=1), points.max(axis=1)
    if low.min() < -FRAME_SLACK or high.max() > FRAME + FRAME_SLACK:
        raise QuickDrawError(
            f"the drawing lies outside the 0-{FRAME} frame (x {low[0]:g}..{high[0]:g}, y {low[1]:g}..{high[1]:g}); "
            "give coordinates in dataset units, as in the simplified ndjson files")
    if (high - low).max() < 1:
        raise QuickDrawError("the drawing is a single point (a click): draw at least one line")
    return strokes


class Growth:
    """Turns completer steps into absolute strokes per candidate, starting at ``origin``.

    >>> g = Growth((10, 10), n=1)
    >>> g.add([[5, 0, 1, 0, 0]]), g.add([[5, 0, 0, 1, 0]]), g.add([[0, 0, 0, 0, 1]])
    ([(0, True)], [(0, False)], [])
    >>> g.completions[0][0].tolist(), g.finished.tolist()
    ([[15.0, 20.0], [10.0, 10.0]], [True])
    """

    def __init__(self, origin, n: int):
        self.n = n
        self.pen = np.tile(np.asarray(origin, dtype=np.float64), (n, 1))
        self.completions: list[list[np.ndarray]] = [[] for _ in range(n)]
        self.finished = np.zeros(n, dtype=bool)
        self._new_stroke = np.ones(n, dtype=bool)

    def add(self, rows) -> list[tuple[int, bool]]:
        """Apply one step of (n, 5) rows; return (candidate, started a new stroke) for each point added."""
        added = []
        for i, (dx, dy, _, p2, p3) in enumerate(np.asarray(rows, dtype=np.float64)[: self.n]):
            if self.finished[i]:
                continue
            if p3 > 0.5:
                self.finished[i] = True
                continue
            self.pen[i] += (dx, dy)
            point = self.pen[i][:, None].copy()
            strokes = self.completions[i]
            if self._new_stroke[i]:
                strokes.append(point)
            else:
                strokes[-1] = np.concatenate([strokes[-1], point], axis=1)
            added.append((i, bool(self._new_stroke[i])))
            self._new_stroke[i] = p2 > 0.5
        return added


def grow(completer, strokes, n: int, temperature: float, seed: int) -> list[list[np.ndarray]]:
    """Run ``completer`` to the end and return each candidate's new strokes (absolute, dataset units)."""
    growth = Growth(strokes[-1][:, -1], n)
    for step in completer(strokes, n, temperature, seed):
        growth.add(step)
        if growth.finished.all():
            break
    return growth.completions


def write_grid(strokes, completions, path, title: str = "") -> Path:
    """Write a PNG grid: one panel per candidate, the user's strokes black, the completion coloured.

    Each panel shows the 0-255 frame (grey), widened by up to 30% to hold what its candidate drew.
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
        low = np.maximum(points.min(axis=1), -PANEL_REACH)
        high = np.minimum(points.max(axis=1), FRAME + PANEL_REACH)
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
    return _write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))


def _write_atomic(path, write) -> Path:
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise QuickDrawError(f"cannot write {path}: {err.strerror or err}") from None
    return path


def load_completer(run_dir, z: str = "random"):
    """Load the Sketch-RNN of ``run_dir`` as a completer; return (completer, sampler).

    ``z`` is "random" (a fresh latent draw per candidate) or "encode" (the partial drawing's code);
    a decoder-only model ignores it.
    """
    from sketchrnn.sample import Sampler

    sampler = Sampler.load(run_dir)

    def completer(strokes, n, temperature, seed):
        return sampler.complete(strokes, n, temperature, seed, z=z)

    return completer, sampler


def complete_file(run_dir, drawing, *, n: int = 4, temperature: float = 0.4, seed: int = 0, z: str = "random",
                  index: int = 0, keep_strokes: int | None = None, out="completion.png", out_ndjson=None) -> str:
    """Complete the drawing in file ``drawing`` with the run's model; write a PNG grid (and ndjson).

    Returns a one-line summary of what was written.
    """
    from sketchrnn.train import read_info

    read_info(run_dir)
    if not 1 <= n <= 64:
        raise QuickDrawError(f"--n must be between 1 and 64, not {n}")
    strokes = prepare(read_partial(drawing, index=index, keep_strokes=keep_strokes))
    completer, sampler = load_completer(run_dir, z=z)
    completions = grow(completer, strokes, n, temperature, seed)
    latent = f", z {z}" if sampler.conditional else ""
    title = (f"{Path(drawing).name}: {len(strokes)} strokes given (black), {n} completions by "
             f"{Path(run_dir).name} ({', '.join(sampler.classes)}; temperature {temperature:g}, seed {seed}{latent})")
    if sampler.synthetic:
        title += "\nmodel trained on SYNTHETIC doodles, not Quick, Draw! data"
    write_grid(strokes, completions, out, title=title)
    written = [str(out)]
    if out_ndjson:
        from sketchrnn.sample import save_ndjson

        word = sampler.classes[0] if len(sampler.classes) == 1 else ""
        save_ndjson([to_stroke3([*strokes, *extra], dtype=np.float32) for extra in completions], out_ndjson, word)
        written.append(str(out_ndjson))
    return f"completed the {len(strokes)}-stroke drawing {n} ways: wrote {', '.join(written)}"


def complete_interactive(run_dir, *, n: int = 4, temperature: float = 0.4, seed: int = 0, z: str = "random",
                         out="completion.png") -> None:
    """Open the drawing window with the run's model as completer; ``s`` saves the window to ``out``."""
    from sketchrnn.canvas import DrawingCanvas, window_figure
    from sketchrnn.train import read_info

    read_info(run_dir)
    if not 1 <= n <= 9:
        raise QuickDrawError(f"in the window --n must be between 1 and 9, not {n}")
    fig = window_figure(f"qd complete {Path(run_dir).name}",
                        f"use file mode instead: qd complete RUNDIR drawing.ndjson --out {out}")
    completer, sampler = load_completer(run_dir, z=z)

    def checked(strokes, n, temperature, seed):
        return completer(check_partial(strokes), n, temperature, seed)  # the canvas has simplified them

    canvas = DrawingCanvas(fig, completer=checked, n=n, temperature=temperature, seed=seed, save_path=out)
    if sampler.synthetic:
        canvas.pad.set_title("draw here (model trained on SYNTHETIC doodles)", fontsize=10)
    canvas.show()
