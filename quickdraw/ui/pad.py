"""The drawing logic behind every front end: a pad in the dataset's 0-255 frame that a model extends.

A ``Sketchpad`` holds what the user drew (``strokes``: simplified as the dataset was, (2, k) float
arrays in frame units), the lines shown around the pad (title, info, status) and what its side panel
shows (``panel_state()``). Front ends show it and feed it the pen: the desktop window
(``quickdraw.ui.window``, matplotlib), the notebook widget (``quickdraw.ui.notebook``); each calls
``pen_down``, ``pen_moved``, ``pen_up`` and ``key``, and hears back through ``refresh(parts)``.

A model plugs in by subclassing: ``on_strokes_changed``, ``on_pen_down``, ``on_key``, ``on_close``,
``panel_state``. Its work never runs on a front end's event loop: ``run_in_background`` hands it to
one worker thread (a newer job of the same name replaces one not yet started) and its result comes
back through the front end's ``call_soon``, so no pen sample waits for a model.

>>> pad = Sketchpad(title="draw a cat")
>>> pad.pen_down(); pad.pen_up([[10, 60, 120], [10, 12, 10]])
>>> [s.tolist() for s in pad.strokes]
[[[10.0, 120.0], [10.0, 10.0]]]
"""
from __future__ import annotations

import os
import queue
import sys
import threading
from pathlib import Path

import numpy as np

from ..errors import QuickDrawError
from ..raster.frame import FRAME
from ..raster.simplify import simplify, simplify_partial



class Job:
    """One piece of background work: ``fn(job)`` runs in the worker, ``done(result)`` where the front end runs.

    ``fn`` may call ``job.post(callback)`` to hand partial results over as it goes, and should stop
    early once ``job.cancelled`` is set.
    """

    def __init__(self, name: str, fn, done, pad: "Sketchpad"):
        self.name, self.fn, self.done, self.pad = name, fn, done, pad
        self.cancelled = False
        self.finished = threading.Event()

    def post(self, callback) -> None:
        """Run ``callback()`` on the front end's thread, unless the job was cancelled by then."""
        def guarded():
            if not self.cancelled:
                callback()
        self.pad.call_soon(guarded)


class Worker:
    """One background thread running a pad's jobs in order; a job replaced before it started is skipped."""

    def __init__(self):
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="qd-pad-worker", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> None:
        self._queue.put(job)

    def stop(self) -> None:
        self._queue.put(None)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if job.cancelled:
                job.finished.set()
                continue
            try:
                result = job.fn(job)
            except BaseException as err:  # handed to the front end's thread, which shows or raises it
                result = err
            job.pad.call_soon(lambda job=job, result=result: job.pad._finish(job, result))


class Sketchpad:
    """A drawing pad in the dataset's 0-255 frame (y down), shown by one or more front ends.

    ``out`` is where ``save()`` writes the picture (PNG) and the strokes (the same name with
    ``.ndjson``); ``word`` is the category written into that ndjson.
    """

    panel: str | None = None  # what the side panel shows: "guesses", "candidates", "game" or None
    keys_help = "u undo   c clear   s save   q quit"  # the pad's own keys
    help = ""  # the keys a subclass adds, for the help line
    window_title = "qd"
    wants_live_points = False  # True when the model looks at the stroke under the pen (the game)

    def __init__(self, *, title: str = "draw here", out: str | os.PathLike = "drawing.png", word: str = ""):
        self.title = title
        self.info = ""
        self.status = ""
        self.status_kind = "info"
        self.out = Path(out)
        self.word = word
        self.strokes: list[np.ndarray] = []
        self.raw_strokes: list[np.ndarray] = []  # the points each stroke arrived with, before simplification
        self.ghosts: list[dict] = []  # strokes drawn lightly on the pad: {"strokes", "colour", "alpha", "width"}
        self.overlay = None  # an RGBA image laid over the pad, or None
        self.overlay_extent = (0.0, float(FRAME), float(FRAME), 0.0)  # where: left, right, bottom, top
        self.views: list = []
        self.closed = False
        self.changes = 0  # counts the drawing's changes: what a model's answer refers to
        self.lock = threading.RLock()
        self._live: list[tuple[float, float]] | None = None
        self._jobs: dict[str, Job] = {}
        self._worker: Worker | None = None
        # the first simplification loads a compiled kernel: here, not at the first pen-up
        self.run_in_background("warm up pad", lambda job: simplify_partial([[[0.0, 9.0, 20.0], [0.0, 5.0, 0.0]]]))

    # ---- what front ends call -----------------------------------------------------------------
    def pen_down(self, point=None) -> None:
        """The pen touched the pad (at ``point``, frame units, when known): a stroke begins."""
        with self.lock:
            self._live = [] if point is None else [tuple(map(float, point))]
            self.on_pen_down()

    def pen_moved(self, points) -> None:
        """More points of the stroke under the pen: (x, y) pairs, or [[xs], [ys]]."""
        with self.lock:
            if self._live is None:
                return
            _extend(self._live, _pairs(points))

    def pen_up(self, points=None, *, whole: bool = False) -> None:
        """The pen lifted; ``points`` ([[xs], [ys]] or pairs) are the stroke's last points, or all of
        them when ``whole`` (a front end that kept the stroke itself, as the notebook's page does).

        The stroke is simplified as the dataset's were (1-pixel resampling, Ramer-Douglas-Peucker
        with epsilon 2) and added; a single click is refused with a hint.
        """
        with self.lock:
            live = self._live if self._live is not None and not whole else []
            self._live = None
            if points is not None:
                _extend(live, _pairs(points))
            if not live:
                return
            raw = np.array(live, dtype=np.float64).T
            if np.ptp(raw, axis=1).max() < 1:
                self.set_status("a single click is not a stroke: hold the button down and drag", "error")
                return
            self.raw_strokes.append(raw)
            self.strokes.append(np.asarray(simplify_partial([raw])[0], dtype=np.float64))
            self._changed()

    @property
    def drawing_stroke(self) -> np.ndarray | None:
        """The stroke under the pen right now, as a (2, k) array of frame points, or None."""
        with self.lock:
            return None if not self._live else np.array(self._live, dtype=np.float64).T

    @property
    def pen_is_down(self) -> bool:
        """True between ``pen_down`` and ``pen_up``."""
        return self._live is not None

    def take_stroke(self) -> np.ndarray | None:
        """End the stroke under the pen without adding it (a game's round ended mid-stroke).

        Returns it simplified as a finished stroke would be, or None when the pen was up; the front
        ends drop it from their pads.
        """
        with self.lock:
            live, self._live = self._live, None
            self.refresh("live")
            if not live:
                return None
            points = np.array(live, dtype=np.float64).T
            if np.ptp(points, axis=1).max() < 1:
                return None
            return np.asarray(simplify_partial([points])[0], dtype=np.float64)

    def key(self, key: str) -> None:
        """A key pressed: u undo, c clear, s save, q quit; anything else goes to ``on_key``."""
        with self.lock:
            if key == "q":
                self.close()
            elif key == "s":
                self.save()
            elif key == "u":
                if self.strokes:
                    self.strokes.pop()
                    self.raw_strokes = self.raw_strokes[:len(self.strokes)]
                    self._changed()
            elif key == "c":
                self.strokes, self.raw_strokes = [], []
                self._changed()
            elif key:
                self.on_key(key)

    def set_strokes(self, strokes) -> None:
        """Replace the drawing by ``strokes`` ((2, k) frame points, as loaded from a file or accepted)."""
        with self.lock:
            self.strokes = [np.asarray(s, dtype=np.float64)[:2] for s in strokes if np.asarray(s).size]
            self.raw_strokes = [s.copy() for s in self.strokes]
            self._changed()

    def close(self) -> None:
        """Stop: background work is cancelled, the model hears ``on_close``, the front ends close."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
            for job in list(self._jobs.values()):
                job.cancelled = True
            self.on_close()
            if self._worker is not None:
                self._worker.stop()
            for view in list(self.views):
                view.pad_closed()

    # ---- lines around the pad -----------------------------------------------------------------
    def set_title(self, text: str) -> None:
        """The text above the pad: what to draw, what the model is."""
        self.title = text
        self.refresh("title")

    def set_info(self, text: str) -> None:
        """The info line under the pad (settings, progress)."""
        self.info = text
        self.refresh("info")

    def set_status(self, text: str, kind: str = "info") -> None:
        """The status line under the pad; ``kind`` "error" shows it in red (hints, refusals)."""
        self.status, self.status_kind = text, kind
        self.refresh("status")

    def set_ghosts(self, ghosts: list[dict]) -> None:
        """Strokes drawn lightly on the pad (completion candidates): dicts of strokes, colour, alpha, width."""
        self.ghosts = ghosts
        self.refresh("ghosts")

    def set_overlay(self, rgba, extent=None) -> None:
        """An RGBA image (h, w, 4 floats 0-1) laid over the pad, or None; ``extent`` (left, right, bottom,
        top, in frame units, y down: as matplotlib's ``imshow``) says where, by default the 0-255 frame."""
        self.overlay = rgba
        self.overlay_extent = tuple(map(float, extent)) if extent is not None else (0.0, float(FRAME),
                                                                                   float(FRAME), 0.0)
        self.refresh("overlay")

    @property
    def view(self) -> tuple[float, float, float]:
        """The square of frame units the pad shows (x0, y0, side): the 0-255 frame, wider when the
        drawing reaches past it, so that the whole drawing stays in view."""
        points = [s for s in self.strokes if s.size]
        if not points:
            return 0.0, 0.0, float(FRAME)
        both = np.concatenate([np.array([[0.0, FRAME], [0.0, FRAME]]), *points], axis=1)
        low, high = both.min(axis=1), both.max(axis=1)
        if low.min() >= 0 and high.max() <= FRAME:
            return 0.0, 0.0, float(FRAME)
        side = float((high - low).max()) * 1.04
        centre = (low + high) / 2
        return float(centre[0] - side / 2), float(centre[1] - side / 2), side

    # ---- front ends ---------------------------------------------------------------------------
    def attach(self, view) -> None:
        """Show this pad in ``view`` (a front end); it hears ``refresh(parts)`` after each change."""
        self.views.append(view)

    def detach(self, view) -> None:
        """Stop showing this pad in ``view``."""
        if view in self.views:
            self.views.remove(view)

    def refresh(self, *parts: str) -> None:
        """Tell the front ends what changed: ink, live, title, info, status, panel, ghosts, overlay, layout."""
        for view in list(self.views):
            view.refresh(set(parts))

    def call_soon(self, callback) -> None:
        """Run ``callback`` where the front ends run (their event loop), or at once when none needs that."""
        for view in self.views:
            if getattr(view, "call_soon", None):
                view.call_soon(callback)
                return
        with self.lock:
            callback()

    def every(self, seconds: float, callback):
        """Call ``callback()`` every ``seconds`` while the pad is shown; returns a timer with ``start``/``stop``."""
        for view in self.views:
            if getattr(view, "new_timer", None):
                return view.new_timer(seconds, callback)
        return _ThreadTimer(self, seconds, callback)

    # ---- background work ----------------------------------------------------------------------
    def run_in_background(self, name: str, fn, done=None) -> Job:
        """Run ``fn(job)`` in the pad's worker thread and ``done(result)`` afterwards on the front end's thread.

        A job of the same ``name`` that has not finished is cancelled (its ``done`` is never called).
        ``result`` is what ``fn`` returned or the exception it raised.
        """
        with self.lock:
            old = self._jobs.get(name)
            if old is not None:
                old.cancelled = True
            job = Job(name, fn, done, self)
            self._jobs[name] = job
            if self._worker is None:
                self._worker = Worker()
            self._worker.submit(job)
            return job

    def cancel(self, name: str) -> None:
        """Cancel the background job ``name`` (it stops at its next check; its result is dropped)."""
        with self.lock:
            job = self._jobs.pop(name, None)
            if job is not None:
                job.cancelled = True

    def _finish(self, job: Job, result) -> None:
        with self.lock:
            if self._jobs.get(job.name) is job:
                del self._jobs[job.name]
            job.finished.set()
            if job.cancelled or job.done is None:
                return
            job.done(result)

    @property
    def busy(self) -> bool:
        """True while background work for the current drawing is pending (a replay waits for it)."""
        return bool(self._jobs)

    def settle(self, timeout: float = 60.0) -> None:
        """Wait until no background job is pending, running the results the front end would run.

        For scripts and tests without an event loop; a front end with a loop does this by itself.
        """
        import time

        deadline = time.monotonic() + timeout
        while self._jobs and time.monotonic() < deadline:
            for view in self.views:
                if getattr(view, "run_pending", None):
                    view.run_pending()
            time.sleep(0.002)
        if self._jobs:
            raise QuickDrawError(f"the model did not finish within {timeout:g} s")

    # ---- hooks for models ---------------------------------------------------------------------
    def on_strokes_changed(self, strokes: list[np.ndarray]) -> None:
        """After every finished stroke, undo, clear or loaded drawing, with the current strokes."""

    def on_pen_down(self) -> None:
        """When a stroke starts (stop anything that continues the old drawing)."""

    def on_key(self, key: str) -> bool:
        """A key the pad does not handle; return True when handled."""
        return False

    def on_close(self) -> None:
        """When the pad closes."""

    def panel_state(self) -> dict:
        """What the side panel shows, as plain values (the front ends draw it)."""
        return {}

    # ---- saving -------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike | None = None) -> Path:
        """Save the pad as a PNG at ``path`` (default ``out``) and the strokes as ndjson beside it.

        The PNG is the desktop window's picture of the pad; the ndjson holds the strokes in the
        simplified format (a drawing reaching past the 0-255 frame is brought into it by the format's
        own recipe, never clipped). Both are written under temporary names and renamed when complete.
        """
        from ..core.atomic import write_atomic
        from ..formats import write_path
        from ..formats.drawing import Drawing

        target = Path(path) if path is not None else self.out
        strokes_path = target.with_suffix(".ndjson")
        try:
            write_atomic(target, lambda tmp: self._picture(tmp))
            if self.strokes:
                write_path(strokes_path, [Drawing(self.saved_strokes(), word=self.word, recognized=False)])
        except (OSError, QuickDrawError) as err:
            self.set_status(f"could not save {target}: {getattr(err, 'strerror', None) or err}", "error")
            return target
        self.set_status(f"saved {target}" + (f" and {strokes_path.name}" if self.strokes else ""))
        return target

    def saved_strokes(self) -> list[np.ndarray]:
        """The strokes as the simplified format stores them: integers in the 0-255 frame."""
        strokes = [s for s in self.strokes if s.size]
        if not strokes:
            return []
        points = np.concatenate(strokes, axis=1)
        if points.min() < 0 or points.max() > FRAME:
            return [np.asarray(s, np.int64) for s in simplify(strokes)]
        return [np.round(s).astype(np.int64) for s in strokes]

    def _picture(self, path: Path) -> None:
        for view in self.views:
            if getattr(view, "save_picture", None):
                view.save_picture(path)
                return
        from .window import save_picture

        save_picture(self, path)

    # ---- showing ------------------------------------------------------------------------------
    def show(self) -> "Sketchpad":
        """Show the pad: in a notebook as a widget in the cell's output (returns at once), elsewhere in
        a desktop window (returns when it closes). Returns the pad."""
        if in_notebook():
            from IPython.display import display

            display(self.widget())
            return self
        from .window import open_window

        open_window(self)
        return self

    def widget(self):
        """The notebook widget showing this pad (one per pad)."""
        if getattr(self, "_widget", None) is None:
            from .notebook import PadWidget

            self._widget = PadWidget(self)
        return self._widget

    def _repr_mimebundle_(self, **kwargs):
        if in_notebook():
            return self.widget()._repr_mimebundle_(**kwargs)
        return {"text/plain": repr(self)}

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {len(self.strokes)} strokes>"

    # ---- helpers ------------------------------------------------------------------------------
    def _changed(self) -> None:
        self.changes += 1
        self.set_status("")
        self.refresh("ink")
        self.on_strokes_changed(list(self.strokes))


def _extend(live: list, points: list) -> None:
    """Append ``points`` to ``live``, leaving out a point that repeats the one before it."""
    for point in points:
        if not live or live[-1] != point:
            live.append(point)


def _pairs(points) -> list[tuple[float, float]]:
    a = np.asarray(points, dtype=np.float64)
    if a.size == 0:
        return []
    if a.ndim == 2 and a.shape[0] == 2 and a.shape[1] != 2:
        a = a.T
    elif a.ndim == 1:
        a = a.reshape(1, 2)
    if not np.isfinite(a).all():
        raise QuickDrawError("pen points must be finite numbers")
    return [(float(x), float(y)) for x, y in a[:, :2]]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Notebook, VS Code, Colab), where pads show as widgets."""
    shell = sys.modules.get("IPython") and getattr(sys.modules["IPython"], "get_ipython", lambda: None)()
    return shell is not None and hasattr(shell, "kernel")


class _ThreadTimer:
    """A timer on its own thread, for pads shown by front ends without one (the notebook widget)."""

    def __init__(self, pad: Sketchpad, seconds: float, callback):
        self.pad, self.seconds, self.callback = pad, seconds, callback
        self._stop = threading.Event()
        self._thread = None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="qd-pad-timer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            if self.pad.closed:
                return
            with self.pad.lock:
                self.callback()
