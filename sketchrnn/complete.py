"""Complete a partial drawing with Sketch-RNN: read it, condition the decoder on it, grow candidates.

The partial drawing stays in the dataset's 0-255 frame (no rescaling: that would change its size
relative to what the model learned); each stroke is simplified as the dataset was. A completer is a
callable ``completer(strokes, n, temperature, seed)`` yielding (n, 5) stroke-5 steps in dataset
units that continue from the last point of ``strokes[-1]`` (see ``sketchrnn.canvas``).

>>> strokes = read_partial("half_cat.ndjson", keep_strokes=3)  # doctest: +SKIP
>>> complete_file("runs/cat", "half_cat.ndjson", n=6, out="done.png")  # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from quickdraw.core import validate
from quickdraw.errors import QuickDrawError
from quickdraw.formats.strokes import to_stroke3
from quickdraw.raster.frame import drawing_in_frame
from quickdraw.raster.simplify import simplify_partial

from .models import check
from .plots import save_ndjson, write_grid
from .sample import Growth

FRAME = 255
FRAME_SLACK = 0.1 * FRAME  # how far past the frame a partial drawing may reach
MAX_CANDIDATES = 64  # completions of one file (9 in the window)


def writable_out(path, option: str = "--out") -> Path:
    """``path`` as a Path if a file can be written there (its folder exists and is writable), else a QuickDrawError."""
    import os

    path = Path(validate.output_path(path, option))
    folder = path.parent
    if path.is_dir():
        raise QuickDrawError(f"{option} {path} is a folder; give a file name")
    if not folder.is_dir():
        raise QuickDrawError(f"{option} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise QuickDrawError(f"{option} {path}: {path if path.exists() else folder} is not writable")
    return path


def read_partial(path, index: int = 0, keep_strokes: int | None = None) -> list[np.ndarray]:
    """Read one drawing's strokes from ``path`` as (2, k) float arrays, keeping the first ``keep_strokes``.

    ``path`` is any file ``quickdraw.formats.read_drawing`` reads (ndjson line ``index``, binary,
    sketchrnn ``.npz``, stroke-3 ``.npy``, strokes ``.json``); raw strokes, and drawings outside the
    0-255 frame, are simplified as the dataset's were (``quickdraw.raster.frame.drawing_in_frame``).
    """
    return drawing_in_frame(path, index, keep_strokes)


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


def grow(completer, strokes, n: int, temperature: float, seed: int) -> list[list[np.ndarray]]:
    """Run ``completer`` to the end and return each candidate's new strokes (absolute, dataset units)."""
    growth = Growth(strokes[-1][:, -1], n)
    for step in completer(strokes, n, temperature, seed):
        growth.add(step)
        if growth.finished.all():
            break
    return growth.completions


def load_completer(run_dir, z: str = "random", **where):
    """Load the Sketch-RNN of ``run_dir`` as a completer; return (completer, sampler).

    ``run_dir`` is a run folder, a ``.gen.json`` file or an official model name (``where``:
    ``model_mirror``, ``cache_dir``). ``z`` is "random" (a fresh latent draw per candidate) or
    "encode" (the partial drawing's code); a decoder-only model ignores it.
    """
    from .models import sampler as load_sampler

    sampler = load_sampler(run_dir, **where)

    def completer(strokes, n, temperature, seed):
        return sampler.complete(strokes, n, temperature, seed, z=z)

    return completer, sampler


def complete_file(run_dir, drawing, *, n: int = 4, temperature: float = 0.4, seed: int = 0, z: str = "random",
                  index: int = 0, keep_strokes: int | None = None, out="completion.png", out_ndjson=None,
                  **where) -> str:
    """Complete the drawing in file ``drawing`` with the run's model; write a PNG grid (and ndjson).

    Returns a one-line summary of what was written.
    """
    check(run_dir)
    n, seed = validate.integer("--n", n, 1, MAX_CANDIDATES), validate.seed(seed)
    temperature = validate.temperature(temperature)
    writable_out(out)
    if out_ndjson:
        writable_out(out_ndjson, "--out-ndjson")
    strokes = prepare(read_partial(drawing, index=index, keep_strokes=keep_strokes))
    completer, sampler = load_completer(run_dir, z=z, **where)
    completions = grow(completer, strokes, n, temperature, seed)
    latent = f", z {z}" if sampler.conditional else ""
    title = (f"{Path(drawing).name}: {len(strokes)} strokes given (black), {n} completions by "
             f"{sampler.name} ({', '.join(sampler.classes)}; temperature {temperature:g}, seed {seed}{latent})")
    if sampler.synthetic:
        title += "\nmodel trained on SYNTHETIC doodles, not Quick, Draw! data"
    write_grid(strokes, completions, out, title=title)
    written = [str(out)]
    if out_ndjson:
        word = sampler.classes[0] if len(sampler.classes) == 1 else ""
        save_ndjson([to_stroke3([*strokes, *extra], dtype=np.float32) for extra in completions], out_ndjson, word)
        written.append(str(out_ndjson))
    return f"completed the {len(strokes)}-stroke drawing {n} ways: wrote {', '.join(written)}"


def complete_pad(model, drawing=None, n: int = 4, temperature: float = 0.4, *, seed: int = 0, z: str = "random",
                 index: int = 0, keep_strokes: int | None = None, out="completion.png", **where):
    """A drawing pad on which the Sketch-RNN ``model`` finishes what you draw, ``n`` ways at ``temperature``.

    ``model`` is a run folder, a ``.gen.json`` file or an official model name (``where``:
    ``model_mirror``, ``cache_dir``); ``drawing`` a drawing to begin from (a file qd reads, drawing
    ``index``, its first ``keep_strokes`` strokes; a ``Drawing``; or strokes). Returns a
    ``CompletionPad``: ``.show()`` it (a desktop window, or a widget in a notebook); ``.candidates``
    are the completions grown so far, ``.accept(i)`` takes one, ``.save(path)`` writes a PNG and the
    strokes as ndjson beside it.

    >>> pad = complete_pad("bird", n=4, temperature=0.4)  # doctest: +SKIP
    >>> pad.show()                                         # doctest: +SKIP
    """
    from quickdraw.raster.frame import start_strokes

    from .canvas import CompletionPad

    check(model)
    n, seed = validate.integer("n", n, 1, 9), validate.seed(seed)  # 9 candidate panels at most
    temperature = validate.temperature(temperature)
    strokes = start_strokes(drawing, index, keep_strokes)
    completer, sampler = load_completer(model, z=z, **where)

    def checked(strokes, n, temperature, seed):
        return completer(check_partial(strokes), n, temperature, seed)  # the pad has simplified them

    title = f"draw {' or '.join(sampler.classes) or 'something'}: {sampler.name} finishes it"
    if sampler.synthetic:
        title += " (model trained on SYNTHETIC doodles)"
    word = sampler.classes[0] if len(sampler.classes) == 1 else ""
    pad = CompletionPad(checked, n=n, temperature=temperature, seed=seed, title=title, out=out, word=word)
    pad.window_title = f"qd complete {Path(str(model)).name}"
    pad.run_in_background("warm up", pad.warm_up)
    if strokes:
        pad.set_strokes(strokes)
    return pad


def complete_interactive(run_dir, *, n: int = 4, temperature: float = 0.4, seed: int = 0, z: str = "random",
                         out="completion.png", start=None, index: int = 0, keep_strokes: int | None = None,
                         **where) -> None:
    """Open the drawing window with the run's model as completer; ``s`` saves the window to ``out``.

    ``start`` is a drawing file to begin from (drawing ``index``, its first ``keep_strokes`` strokes):
    its completions grow as soon as the window opens. The same pad from Python: ``complete_pad``.
    """
    complete_pad(run_dir, start, n, temperature, seed=seed, z=z, index=index, keep_strokes=keep_strokes, out=out,
                 **where).show()
