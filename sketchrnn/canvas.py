"""Live completions on a drawing pad: candidates that grow each time the pen lifts.

``CompletionPad`` is a ``quickdraw.ui.pad.Sketchpad`` whose side panel shows ``n`` candidate
completions. A completer is any callable ``completer(strokes, n, temperature, seed)`` returning an
iterator of steps; each step is an (n, 5) array of stroke-5 rows in dataset units, one row per
candidate, continuing from the last point of ``strokes[-1]``; a candidate's rows after its first
end-of-sketch row are ignored. The candidates grow in the pad's worker thread (never on the front
end's event loop) and show lightly on the pad itself, continuing from where the pen stopped;
left/right picks one and enter accepts it: its strokes become the user's and drawing goes on from there.

>>> pad = CompletionPad(lambda strokes, n, t, seed: iter(()))
>>> pad.completions
[[], [], [], []]
"""
from __future__ import annotations

import time

import numpy as np

from quickdraw.errors import QuickDrawError
from quickdraw.ui.pad import Sketchpad
from quickdraw.ui.panels import COLOURS

from .sample import Growth

HELP = "r resample   up/down temperature   1-9 candidates   left/right pick   enter accept"
GHOST_ALPHA, PICKED_ALPHA = 0.25, 0.6  # candidates drawn lightly on the pad; the picked one less so
TEMPERATURE_RANGE = (0.1, 1.5)
POST_EVERY_S = 0.04  # how often growing candidates are handed to the front end


class CompletionPad(Sketchpad):
    """A pad whose Sketch-RNN grows ``n`` candidate completions of the drawing each time the pen lifts."""

    panel = "candidates"
    help = HELP
    window_title = "qd complete"
    no_display_hint = "use file mode instead: qd complete RUNDIR drawing.ndjson --out completion.png"

    def __init__(self, completer, *, n: int = 4, temperature: float = 0.4, seed: int = 0, title: str = "draw here",
                 out="completion.png", word: str = ""):
        super().__init__(title=title, out=out, word=word)
        self.completer = completer
        self.n = n
        self.temperature = temperature
        self.seed = seed
        self.picked = 0
        self.completions: list[list[np.ndarray]] = [[] for _ in range(n)]
        self.ended = [False] * n
        self.first_points_s: list[float] = []  # per growth: seconds from the change to the first points shown
        self.grown_change = 0  # the drawing's change the candidates continue
        self._refresh_info()

    def warm_up(self, job) -> None:
        """Run the completer a few steps on drawings of two lengths (a background job, ``run_in_background``):
        compiling and tracing a model holds Python's interpreter, which must happen before the first
        stroke, not while the pen moves."""
        for points in (3, 9):
            stroke = np.stack([np.linspace(20, 200, points), np.linspace(40, 90, points)])
            try:
                steps = iter(self.completer([stroke], self.n, self.temperature, self.seed))
                for _, _ in zip(range(2), steps):
                    if job.cancelled:
                        return
            except QuickDrawError:
                return

    # ---- what the pad tells -------------------------------------------------------------------
    def on_strokes_changed(self, strokes) -> None:
        self.restart()

    def on_pen_down(self) -> None:
        self.stop()

    def on_close(self) -> None:
        self.stop()

    def on_key(self, key: str) -> bool:
        if key == "r":
            if not self.strokes:
                self.set_status("draw something first: completions start each time the pen lifts", "error")
                return True
            self.seed += 1
            self.restart()
        elif key in ("up", "down"):
            step = 0.1 if key == "up" else -0.1
            self.temperature = round(float(np.clip(self.temperature + step, *TEMPERATURE_RANGE)), 2)
            self.restart()
        elif len(key) == 1 and key in "123456789":
            self.n = int(key)
            self.picked = min(self.picked, self.n - 1)
            self.restart()
        elif key in ("left", "right"):
            self.pick((self.picked + (1 if key == "right" else -1)) % self.n)
        elif key == "enter":
            self.accept()
        else:
            return False
        return True

    def panel_state(self) -> dict:
        return {"n": self.n, "strokes": list(self.strokes), "candidates": self.completions, "ended": self.ended,
                "picked": self.picked, "colours": [COLOURS[i % len(COLOURS)] for i in range(self.n)],
                "for_change": self.grown_change}

    # ---- picking and accepting ----------------------------------------------------------------
    def pick(self, i: int) -> None:
        """Highlight candidate ``i`` (0-based) on the pad: the one ``accept`` takes."""
        self.picked = i
        self._show_ghosts()
        self._refresh_info()

    @property
    def candidates(self) -> list[list[np.ndarray]]:
        """Each candidate's completion strokes so far: (2, k) arrays in frame units, one list per candidate."""
        return self.completions

    def accept(self, i: int | None = None) -> None:
        """Make candidate ``i`` (default: the picked one) the user's strokes, as grown so far, and complete
        from there."""
        if i is not None:
            if not 0 <= i < self.n:
                raise QuickDrawError(f"there are {self.n} candidates; pick one of 0-{self.n - 1}")
            self.picked = i
        extra = self.completions[self.picked] if self.picked < len(self.completions) else []
        if not extra:
            self.set_status("nothing to accept: that candidate has not drawn anything", "error")
            return
        picked = self.picked
        self.stop()
        self.set_strokes([*self.strokes, *[s.copy() for s in extra]])
        self.set_status(f"accepted candidate {picked + 1}: draw on, or enter again to accept more")

    # ---- growing ------------------------------------------------------------------------------
    @property
    def completing(self) -> bool:
        """True while completions are still growing."""
        return "grow" in self._jobs

    def stop(self) -> None:
        """Stop growing (the candidates grown so far stay)."""
        self.cancel("grow")
        self._refresh_info()

    def restart(self) -> None:
        """Start the candidates afresh from the current drawing (none when it is empty)."""
        self.cancel("grow")
        self.completions = [[] for _ in range(self.n)]
        self.ended = [False] * self.n
        self._show_ghosts()
        self.refresh("panel")
        strokes = [s.copy() for s in self.strokes]
        if strokes:
            try:
                steps = iter(self.completer(strokes, self.n, self.temperature, self.seed))
            except QuickDrawError as err:
                self.set_status(str(err), "error")
            else:
                self._grow(steps, strokes[-1][:, -1], self.n)
        self._refresh_info()

    def _grow(self, steps, origin, n: int) -> None:
        started, change = time.perf_counter(), self.changes
        shown_first = []

        def grow(job):
            growth = Growth(origin, n)
            last_post = time.perf_counter()
            try:
                for step in steps:
                    if job.cancelled:
                        return None
                    growth.add(step)
                    finished = bool(growth.finished.all())
                    now = time.perf_counter()
                    if finished or now - last_post >= POST_EVERY_S:
                        job.post(lambda snapshot=_snapshot(growth): show(snapshot))
                        last_post = now
                    if finished:
                        break
                job.post(lambda snapshot=_snapshot(growth): show(snapshot))
            finally:
                close = getattr(steps, "close", None)
                if close:
                    close()
            return None

        def show(snapshot):
            completions, finished = snapshot
            if not shown_first and any(completions):
                shown_first.append(True)
                self.first_points_s.append(time.perf_counter() - started)
            self.completions = completions
            self.ended = finished
            self.grown_change = change
            self._show_ghosts()
            self.refresh("panel")

        def done(result):
            if isinstance(result, QuickDrawError):
                self.set_status(str(result), "error")
            elif isinstance(result, BaseException):
                raise result
            self._refresh_info()

        self.run_in_background("grow", grow, done)

    # ---- showing ------------------------------------------------------------------------------
    def _show_ghosts(self) -> None:
        ghosts = []
        for i, strokes in enumerate(self.completions):
            if strokes:
                picked = i == self.picked
                ghosts.append({"strokes": strokes, "colour": COLOURS[i % len(COLOURS)],
                               "alpha": PICKED_ALPHA if picked else GHOST_ALPHA, "width": 2.5 if picked else 1.5})
        self.set_ghosts(ghosts)

    def _refresh_info(self) -> None:
        state = "growing..." if self.completing else ""
        self.set_info(f"temperature {self.temperature:.2f}   {self.n} candidates   seed {self.seed}   "
                      f"picked {self.picked + 1}   {state}")


def _snapshot(growth: Growth) -> tuple[list[list[np.ndarray]], list[bool]]:
    """A copy of the candidates grown so far (the worker goes on growing its own)."""
    return [[s.copy() for s in strokes] for strokes in growth.completions], [bool(f) for f in growth.finished]

