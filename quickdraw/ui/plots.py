"""Sketch plots: grids of drawings, stroke-by-stroke GIF animations and bitmap contact sheets.

Files are drawn on matplotlib's Agg canvas (no window) and written under a temporary name beside
the target, then renamed. Without ``out``, ``sketch_grid`` returns a pyplot figure for a window.

>>> from quickdraw.synthetic import generate, LABEL
>>> sketch_grid(generate("star", 6), out="stars.png", label=LABEL)  # doctest: +SKIP
PosixPath('stars.png')
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..core.atomic import write_atomic
from ..errors import QuickDrawError

# matplotlib's tab10, so importing this module does not import matplotlib
_STROKE_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
_SHEET_COLUMNS = 16
_GIF_FRAMES = 48  # drawing frames, before the finished grid holds


def sketch_grid(drawings, out=None, titles=None, ncols=None, label=None, colors="strokes", label_color="#b00000"):
    """Plot drawings in a grid, each stroke in its own colour, y axis down as in the dataset.

    ``titles`` (default: each drawing's word) go under the sketches and ``label`` is a caption
    line over the grid (pass ``synthetic.LABEL`` for synthetic data; red unless ``label_color``). ``colors`` is "strokes" or
    one matplotlib colour for all ink. Bitmap-only drawings show their bitmap. With ``out`` the
    grid is written as a PNG and its path returned; otherwise the pyplot figure is returned.

    >>> fig = sketch_grid(generate("fish", 4), ncols=2)  # doctest: +SKIP
    """
    fig = _sketch_grid(drawings, titles, ncols, label, colors, window=out is None, label_color=label_color)
    if out is None:
        return fig
    return _write(out, ".png", lambda tmp: fig.savefig(tmp, format="png", dpi=100))


def _sketch_grid(drawings, titles, ncols, label, colors, window: bool, label_color="#b00000"):
    drawings = _check_drawings(drawings)
    titles = [d.word for d in drawings] if titles is None else [str(t) for t in titles]
    if len(titles) != len(drawings):
        raise QuickDrawError(f"got {len(titles)} titles for {len(drawings)} drawings")
    ink = _ink(colors)
    fig, axes = _grid(len(drawings), ncols, cell=1.8, window=window)
    for ax, drawing, title in zip(axes, drawings, titles):
        _frame(ax, drawing)
        ax.set_xlabel(title, fontsize=9)
        if drawing.strokes:
            for s, stroke in enumerate(drawing.strokes):
                _stroke_line(ax, stroke, ink(s))
        elif drawing.bitmap is not None:
            ax.imshow(_square(drawing.bitmap), cmap="gray_r", vmin=0, vmax=255, interpolation="nearest")
    if label:
        fig.suptitle(label, fontsize=10 if "\n" not in label else 9, color=label_color)
    return fig


def sketch_figure(sketches, titles=None, ncols=None, label=None, colors="strokes"):
    """A grid figure of ``sketches`` that shows itself in a notebook (an Agg figure: no pyplot, no window).

    ``sketches`` is a list of ``Drawing``\\ s, of strokes lists (``[[xs], [ys]]`` per stroke) or of
    stroke-3 arrays ((n, 3) offsets, what ``Sampler.sample`` returns), or one of them; ``titles``
    default to each drawing's word.

    >>> fig = sketch_figure(sketchrnn.pretrained("bird").sample(4))  # doctest: +SKIP
    """
    return _sketch_grid(as_drawings(sketches), titles, ncols, label, colors, window=False)


def as_drawings(sketches) -> list:
    """``Drawing``\\ s of sketches given as drawings, strokes lists or stroke-3 arrays (one or many)."""
    from ..formats.drawing import Drawing
    from ..formats.strokes import from_stroke3

    def stroke3(item) -> bool:
        return isinstance(item, np.ndarray) and item.ndim == 2 and item.shape[1] in (3, 5) and item.shape[0] != 2

    def one(item):
        if isinstance(item, Drawing):
            return item
        if stroke3(item):
            return Drawing(from_stroke3(np.asarray(item, dtype=np.float64)[:, :3]))
        return Drawing([np.asarray(s, dtype=np.float64) for s in item])

    if isinstance(sketches, Drawing) or stroke3(sketches):
        return [one(sketches)]
    items = list(sketches)
    if items and not isinstance(items[0], Drawing) and not stroke3(items[0]) and np.ndim(items[0][0]) == 1:
        return [one(items)]  # one drawing, given as its strokes
    return [one(item) for item in items]


def animate(drawings, out_gif, fps: float = 12):
    """Write an animated GIF that draws each sketch stroke by stroke, in the order it was drawn.

    The pen moves at an even pace along the ink; all sketches in the grid start together and
    finish on the same frame, then the finished grid holds for a second. Returns the path written.

    >>> animate(generate("house", 4), "houses.gif")  # doctest: +SKIP
    PosixPath('houses.gif')
    """
    drawings = _check_drawings(drawings)
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0 < fps <= 100:
        raise QuickDrawError(f"fps must be a number between 0 and 100, not {fps!r}")
    for i, d in enumerate(drawings):
        if not d.strokes or not d.num_points:
            raise QuickDrawError(f"drawing {i + 1} has no strokes to animate (bitmaps have no drawing order)")
    from matplotlib.animation import PillowWriter

    fig, axes = _grid(len(drawings), None, cell=1.6, window=False)
    ink = _ink("strokes")
    pens = []
    for ax, d in zip(axes, drawings):
        _frame(ax, d)
        ax.set_xlabel(d.word, fontsize=9)
        pens.append(_Pen(d.strokes, [_stroke_line(ax, s, ink(i)) for i, s in enumerate(d.strokes)]))
    hold = max(1, round(fps))

    def write(tmp):
        writer = PillowWriter(fps=fps)
        with writer.saving(fig, tmp, dpi=80):
            for f in range(_GIF_FRAMES + 1 + hold):
                for pen in pens:
                    pen.show(min(f, _GIF_FRAMES) / _GIF_FRAMES)
                writer.grab_frame()

    return _write(out_gif, ".gif", write)


class _Pen:
    """Shows the first part of a drawing's ink, measured along its strokes (pen-up moves are free)."""

    def __init__(self, strokes, lines):
        self.strokes = [np.asarray(s, float)[:2] for s in strokes]
        self.lines = lines
        steps = [np.hypot(*np.diff(s, axis=1)) for s in self.strokes]
        starts = np.cumsum([0.0] + [st.sum() for st in steps])
        self.along = [start + np.concatenate([[0.0], np.cumsum(st)]) for start, st in zip(starts, steps)]
        self.total = starts[-1]

    def show(self, progress: float) -> None:
        """Draw ``progress`` (0 to 1) of the ink; nothing at 0, everything at 1."""
        reach = progress * self.total
        for line, xy, along in zip(self.lines, self.strokes, self.along):
            if progress >= 1 or (progress > 0 and reach >= along[-1]):
                line.set_data(xy[0], xy[1])
            elif reach <= along[0]:
                line.set_data([], [])
            else:
                k = int(np.searchsorted(along, reach, side="right"))
                frac = (reach - along[k - 1]) / (along[k] - along[k - 1])
                tip = xy[:, k - 1] + frac * (xy[:, k] - xy[:, k - 1])
                line.set_data(np.append(xy[0, :k], tip[0]), np.append(xy[1, :k], tip[1]))


def contact_sheet(bitmaps, labels, class_names, out):
    """Write a PNG contact sheet: one row per class, its first (up to 16) bitmaps side by side.

    ``bitmaps`` is (N, H, W), (N, H, W, 1) or flat (N, H*W) uint8 with ink high (dataset
    convention); ``labels`` (N,) indexes ``class_names``. Returns the path written.

    >>> contact_sheet(ds.bitmaps("train"), ds.labels("train"), ds.classes, "sheet.png")  # doctest: +SKIP
    """
    tiles = _tiles(bitmaps)
    labels = np.asarray(labels)
    class_names = [str(c) for c in class_names]
    if labels.shape != (len(tiles),):
        raise QuickDrawError(f"got {labels.size} labels for {len(tiles)} bitmaps")
    if not class_names:
        raise QuickDrawError("no class names given")
    if len(labels) and (labels.min() < 0 or labels.max() >= len(class_names)):
        raise QuickDrawError(f"labels must lie in 0..{len(class_names) - 1} (one per class name)")
    h, w = tiles.shape[1:]
    gap = 2
    columns = min(_SHEET_COLUMNS, max(1, np.bincount(labels, minlength=len(class_names)).max(initial=0)))
    sheet = np.full((len(class_names) * (h + gap) + gap, columns * (w + gap) + gap), 40, np.uint8)
    names = []
    for c, name in enumerate(class_names):
        mine = tiles[labels == c]
        names.append(f"{name} ({len(mine)})")
        for j, tile in enumerate(mine[:columns]):
            top, left = gap + c * (h + gap), gap + j * (w + gap)
            sheet[top:top + h, left:left + w] = tile
    zoom, margin = max(1, round(56 / h)), 1.8
    fig = _agg_figure((sheet.shape[1] * zoom / 100 + margin + 0.2, sheet.shape[0] * zoom / 100 + 0.3))
    ax = fig.add_axes((margin / fig.get_figwidth(), 0.15 / fig.get_figheight(),
                       sheet.shape[1] * zoom / 100 / fig.get_figwidth(), sheet.shape[0] * zoom / 100 / fig.get_figheight()))
    ax.imshow(sheet, cmap="gray_r", vmin=0, vmax=255, interpolation="nearest", aspect="auto")
    ax.set_yticks(gap + np.arange(len(class_names)) * (h + gap) + h / 2 - 0.5, names, fontsize=9)
    ax.set_xticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    return _write(out, ".png", lambda tmp: fig.savefig(tmp, format="png", dpi=100))


# ---------------------------------------------------------------- helpers

def _check_drawings(drawings) -> list:
    drawings = list(drawings)
    if not drawings:
        raise QuickDrawError("no drawings to plot")
    return drawings


def _ink(colors):
    """Return stroke index -> colour."""
    if colors == "strokes":
        return lambda s: _STROKE_COLORS[s % len(_STROKE_COLORS)]
    from matplotlib.colors import is_color_like

    if not is_color_like(colors):
        raise QuickDrawError(f'colors must be "strokes" or a colour such as "black", not {colors!r}')
    return lambda s: colors


def _agg_figure(size):
    """An Agg figure (no window) that a notebook shows as a PNG when it is a cell's value."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = _notebook_figure_class()(figsize=size)
    FigureCanvasAgg(fig)
    return fig


def _notebook_figure_class():
    from matplotlib.figure import Figure

    global _NotebookFigure
    if _NotebookFigure is None:
        class SketchFigure(Figure):
            """A Figure with a PNG representation for notebooks (no pyplot needed)."""

            def _repr_png_(self):
                import io

                buf = io.BytesIO()
                self.savefig(buf, format="png", dpi=100)
                return buf.getvalue()

        _NotebookFigure = SketchFigure
    return _NotebookFigure


_NotebookFigure = None


def _grid(n: int, ncols, cell: float, window: bool):
    """A figure with ``n`` square panels in rows of ``ncols``; returns (figure, used axes)."""
    if ncols is None:
        ncols = math.ceil(math.sqrt(n))
    if isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise QuickDrawError(f"ncols must be a positive whole number, not {ncols!r}")
    ncols = min(int(ncols), n)
    nrows = math.ceil(n / ncols)
    cell = max(0.9, min(cell, 24 / ncols))
    size = (cell * ncols, (cell + 0.25) * nrows + 0.4)
    if window:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=size)
    else:
        fig = _agg_figure(size)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_axis_off()
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.25 / size[1], top=1 - 0.4 / size[1], wspace=0.08,
                        hspace=0.3 * (cell + 0.25) / cell)
    return fig, axes[:n]


def _frame(ax, drawing) -> None:
    """Square limits around the drawing's ink, y axis down, no ticks."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#cccccc")
    if not drawing.strokes:
        return
    xy = np.concatenate([np.asarray(s, float)[:2] for s in drawing.strokes], axis=1)
    lo, hi = xy.min(1), xy.max(1)
    half = max(float((hi - lo).max()) / 2, 1.0) * 1.08
    mid = (lo + hi) / 2
    ax.set_xlim(mid[0] - half, mid[0] + half)
    ax.set_ylim(mid[1] + half, mid[1] - half)
    ax.set_aspect("equal")


def _stroke_line(ax, stroke, color):
    """Plot one stroke (rows xs, ys[, ts]); a stroke that is a single spot gets a dot."""
    stroke = np.asarray(stroke, float)
    spot = stroke.shape[1] > 0 and np.ptp(stroke[:2], axis=1).max() < 1.5
    (line,) = ax.plot(stroke[0], stroke[1], color=color, lw=1.8, solid_capstyle="round",
                      solid_joinstyle="round", marker="o" if spot else None, markersize=2.5)
    return line


def _square(bitmap) -> np.ndarray:
    bitmap = np.asarray(bitmap)
    if bitmap.ndim == 1:
        side = math.isqrt(bitmap.size)
        if side * side != bitmap.size:
            raise QuickDrawError(f"a flat bitmap of {bitmap.size} pixels is not square")
        bitmap = bitmap.reshape(side, side)
    return bitmap.reshape(bitmap.shape[:2])


def _tiles(bitmaps) -> np.ndarray:
    b = np.asarray(bitmaps)
    if b.ndim == 4 and b.shape[-1] == 1:
        b = b[..., 0]
    if b.ndim == 2:
        side = math.isqrt(b.shape[1])
        if side * side != b.shape[1]:
            raise QuickDrawError(f"flat bitmaps of {b.shape[1]} pixels are not square")
        b = b.reshape(len(b), side, side)
    if b.ndim != 3:
        raise QuickDrawError(f"bitmaps must be (N, H, W), (N, H, W, 1) or (N, H*W), not {b.shape}")
    if b.dtype != np.uint8:
        b = np.clip(b if b.max(initial=0) > 1 else b * 255, 0, 255).astype(np.uint8)
    return b


def _write(out, suffix: str, write) -> Path:
    """Call ``write(tmp)`` for a temporary file beside ``out``, then rename it to ``out``."""
    out = Path(out)
    if out.suffix.lower() != suffix:
        raise QuickDrawError(f"{out}: the file name must end in {suffix}")
    return write_atomic(out, write)
