"""Live completions in the drawing window: candidate panels that grow each time the pen lifts.

``CompletionPanels`` plugs into ``quickdraw.window.DrawingWindow``. A completer is any callable
``completer(strokes, n, temperature, seed)`` returning an iterator of steps; each step is an (n, 5)
array of stroke-5 rows in dataset units, one row per candidate, continuing from the last point of
``strokes[-1]``; a candidate's rows after its first end-of-sketch row are ignored. The panels pull
steps on a timer, so the window stays responsive while they grow.

>>> from matplotlib.figure import Figure
>>> window = completion_window(Figure(), lambda strokes, n, t, seed: iter(()))
>>> window.plugin.completions
[[], [], [], []]
"""
from __future__ import annotations

import math
import time

import numpy as np

from quickdraw.errors import QuickDrawError
from quickdraw.window import DrawingWindow, WindowPlugin, frame_axes

from .sample import COLOURS, Growth

HELP = "r resample   up/down temperature   1-9 candidates"
TEMPERATURE_RANGE = (0.1, 1.5)
TICK_MS = 30
TICK_BUDGET_S = 0.04


class CompletionPanels(WindowPlugin):
    """``n`` candidate panels beside the pad, each a completion of the drawing by ``completer``."""

    help = HELP

    def __init__(self, completer, *, n: int = 4, temperature: float = 0.4, seed: int = 0):
        self.completer = completer
        self.n = n
        self.temperature = temperature
        self.seed = seed
        self.window: DrawingWindow | None = None
        self._steps = None
        self._growth = Growth((0, 0), n)
        self._panels = []
        self._lines: list[list] = []
        self._timer = None

    def attach(self, window, area) -> None:
        self.window, self._area = window, area
        self._timer = window.new_timer(TICK_MS, self._tick)
        self._build_panels()
        self._refresh_info()

    # ---- layout -------------------------------------------------------------------------------
    def _build_panels(self) -> None:
        for ax in self._panels:
            ax.remove()
        cols = math.ceil(math.sqrt(self.n))
        rows = math.ceil(self.n / cols)
        sub = self._area.subgridspec(rows, cols, wspace=0.04, hspace=0.04)
        self._panels = [self.window.fig.add_subplot(sub[i // cols, i % cols]) for i in range(self.n)]
        for ax in self._panels:
            frame_axes(ax)
        self._reset_panels()

    def _reset_panels(self) -> None:
        self._lines = [[] for _ in range(self.n)]
        self._growth = Growth((0, 0), self.n)
        for ax in self._panels:
            for line in list(ax.lines):
                line.remove()
            for s in self.window.strokes:
                ax.plot(s[0], s[1], color="black", lw=1.5, solid_capstyle="round")

    def _refresh_info(self) -> None:
        state = "growing..." if self.completing else ""
        self.window.set_info(f"temperature {self.temperature:.2f}   {self.n} candidates   seed {self.seed}   {state}")

    # ---- what the window tells ----------------------------------------------------------------
    def strokes_changed(self, strokes) -> None:
        self._restart()

    def pen_down(self) -> None:
        self._stop()

    def close(self) -> None:
        self._stop()

    @property
    def busy(self) -> bool:
        return self.completing

    def key(self, key: str) -> bool:
        if key == "r":
            if not self.window.strokes:
                self.window.set_status("draw something first: completions start each time the pen lifts", "error")
                return True
            self.seed += 1
            self._restart()
        elif key in ("up", "down"):
            step = 0.1 if key == "up" else -0.1
            self.temperature = round(float(np.clip(self.temperature + step, *TEMPERATURE_RANGE)), 2)
            self._restart()
        elif len(key) == 1 and key in "123456789":
            self.n = int(key)
            self._stop()
            self._build_panels()
            self._restart()
        else:
            return False
        return True

    # ---- completions --------------------------------------------------------------------------
    @property
    def completions(self) -> list[list[np.ndarray]]:
        """Each candidate's completion strokes so far, (2, k) arrays in frame coordinates."""
        return self._growth.completions

    @property
    def completing(self) -> bool:
        """True while completions are still growing."""
        return self._steps is not None

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        if self._steps is not None:
            close = getattr(self._steps, "close", None)
            if close:
                close()
        self._steps = None
        if self.window is not None:
            self._refresh_info()

    def _restart(self) -> None:
        self._stop()
        self._reset_panels()
        strokes = self.window.strokes
        if strokes:
            try:
                self._steps = iter(self.completer(list(strokes), self.n, self.temperature, self.seed))
            except QuickDrawError as err:
                self.window.set_status(str(err), "error")
            else:
                self._growth = Growth(strokes[-1][:, -1], self.n)
                self._timer.start()
        self._refresh_info()
        self.window.fig.canvas.draw_idle()

    def _tick(self) -> None:
        self.advance(budget_s=TICK_BUDGET_S)

    def advance(self, max_steps: int | None = None, budget_s: float | None = None) -> int:
        """Pull up to ``max_steps`` completion steps (all if None, or for ``budget_s`` seconds) and draw them.

        Returns the number of steps drawn. The window's timer calls this; tests call it directly.
        """
        taken = 0
        start = time.perf_counter()
        while self._steps is not None and (max_steps is None or taken < max_steps):
            if budget_s is not None and taken and time.perf_counter() - start > budget_s:
                break
            try:
                step = next(self._steps)
            except StopIteration:
                self._stop()
                break
            except QuickDrawError as err:
                self._stop()
                self.window.set_status(str(err), "error")
                break
            self._grow(step)
            taken += 1
            if self._growth.finished.all():
                self._stop()
        if taken:
            self.window.fig.canvas.draw_idle()
        return taken

    def _grow(self, rows) -> None:
        for i, new_stroke in self._growth.add(rows):
            stroke = self._growth.completions[i][-1]
            if new_stroke:
                (line,) = self._panels[i].plot(*stroke, color=COLOURS[i % len(COLOURS)], lw=1.5,
                                               solid_capstyle="round")
                self._lines[i].append(line)
            else:
                self._lines[i][-1].set_data(*stroke)


def completion_window(fig, completer, *, n: int = 4, temperature: float = 0.4, seed: int = 0,
                      title: str = "draw here", out="completion.png", word: str = "") -> DrawingWindow:
    """A ``DrawingWindow`` on ``fig`` with ``CompletionPanels`` of ``completer`` beside the pad."""
    panels = CompletionPanels(completer, n=n, temperature=temperature, seed=seed)
    return DrawingWindow(fig, plugin=panels, title=title, out=out, word=word)
