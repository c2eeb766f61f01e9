"""Live completions in the drawing window: candidate panels that grow each time the pen lifts.

``CompletionPanels`` plugs into ``quickdraw.ui.window.DrawingWindow``. A completer is any callable
``completer(strokes, n, temperature, seed)`` returning an iterator of steps; each step is an (n, 5)
array of stroke-5 rows in dataset units, one row per candidate, continuing from the last point of
``strokes[-1]``; a candidate's rows after its first end-of-sketch row are ignored. The panels pull
steps on a timer, so the window stays responsive while they grow. The candidates also show lightly
on the pad itself, continuing from where the pen stopped; left/right picks one and enter accepts it:
its strokes become the user's and drawing goes on from there.

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
from quickdraw.raster.frame import FRAME
from quickdraw.ui.window import DrawingWindow, WindowPlugin, frame_axes

from .sample import COLOURS, Growth

HELP = "r resample   up/down temperature   1-9 candidates   left/right pick   enter accept"
GHOST_ALPHA, PICKED_ALPHA = 0.25, 0.6  # candidates drawn lightly on the pad; the picked one less so
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
        self._ghosts: list[list] = []
        self._timer = None
        self.picked = 0

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
        for line in [g for ghosts in self._ghosts for g in ghosts]:
            line.remove()
        self._ghosts = [[] for _ in range(self.n)]
        self.picked = min(self.picked, self.n - 1)
        self._growth = Growth((0, 0), self.n)
        for i, ax in enumerate(self._panels):
            for line in list(ax.lines):
                line.remove()
            frame_axes(ax)
            ax.set_title(f"{i + 1}", fontsize=8, color=COLOURS[i % len(COLOURS)])
            for s in self.window.strokes:
                ax.plot(s[0], s[1], color="black", lw=1.5, solid_capstyle="round")

    def _refresh_info(self) -> None:
        state = "growing..." if self.completing else ""
        self.window.set_info(f"temperature {self.temperature:.2f}   {self.n} candidates   seed {self.seed}   "
                             f"picked {self.picked + 1}   {state}")

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
        elif key in ("left", "right"):
            self.pick((self.picked + (1 if key == "right" else -1)) % self.n)
        elif key == "enter":
            self.accept()
        else:
            return False
        return True

    def pick(self, i: int) -> None:
        """Highlight candidate ``i`` (0-based) on the pad: the one ``accept`` takes."""
        self.picked = i
        for j, ghosts in enumerate(self._ghosts):
            for line in ghosts:
                line.set_alpha(PICKED_ALPHA if j == i else GHOST_ALPHA)
                line.set_linewidth(2.5 if j == i else 1.5)
        self._refresh_info()
        self.window.fig.canvas.draw_idle()

    def accept(self) -> None:
        """Make the picked candidate's strokes (as grown so far) the user's, and complete from there."""
        extra = self.completions[self.picked] if self.picked < len(self.completions) else []
        if not extra:
            self.window.set_status("nothing to accept: that candidate has not drawn anything", "error")
            return
        self._stop()
        self.window.set_strokes([*self.window.strokes, *[s.copy() for s in extra]])
        self.window.set_status(f"accepted candidate {self.picked + 1}: draw on, or enter again to accept more")

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
                self._note_empty()
                break
            except QuickDrawError as err:
                self._stop()
                self.window.set_status(str(err), "error")
                break
            self._grow(step)
            taken += 1
            if self._growth.finished.all():
                self._stop()
                self._note_empty()
        if taken:
            self.window.fig.canvas.draw_idle()
        return taken

    def _note_empty(self) -> None:
        for i, ax in enumerate(self._panels):
            if i < len(self.completions) and not self.completions[i]:
                ax.set_title(f"{i + 1}: ended at once, nothing added", fontsize=8, color="#777777")

    def _grow(self, rows) -> None:
        grown = set()
        for i, new_stroke in self._growth.add(rows):
            stroke = self._growth.completions[i][-1]
            colour = COLOURS[i % len(COLOURS)]
            if new_stroke:
                (line,) = self._panels[i].plot(*stroke, color=colour, lw=1.5, solid_capstyle="round")
                self._lines[i].append(line)
                alpha = PICKED_ALPHA if i == self.picked else GHOST_ALPHA
                (ghost,) = self.window.pad.plot(*stroke, color=colour, lw=2.5 if i == self.picked else 1.5,
                                                alpha=alpha, solid_capstyle="round", gid="ghost")
                self._ghosts[i].append(ghost)
            else:
                self._lines[i][-1].set_data(*stroke)
                self._ghosts[i][-1].set_data(*stroke)
            grown.add(i)
        for i in grown:
            self._fit(i)

    def _fit(self, i: int) -> None:
        """Widen panel ``i`` past the 0-255 frame when its candidate leaves it (nothing is clipped)."""
        points = np.concatenate([np.array([[0.0, FRAME], [0.0, FRAME]]), *self._growth.completions[i]], axis=1)
        low, high = points.min(axis=1), points.max(axis=1)
        side = (high - low).max() * 1.04
        centre = (low + high) / 2
        ax = self._panels[i]
        ax.set_xlim(centre[0] - side / 2, centre[0] + side / 2)
        ax.set_ylim(centre[1] + side / 2, centre[1] - side / 2)


def completion_window(fig, completer, *, n: int = 4, temperature: float = 0.4, seed: int = 0,
                      title: str = "draw here", out="completion.png", word: str = "") -> DrawingWindow:
    """A ``DrawingWindow`` on ``fig`` with ``CompletionPanels`` of ``completer`` beside the pad."""
    panels = CompletionPanels(completer, n=n, temperature=temperature, seed=seed)
    return DrawingWindow(fig, plugin=panels, title=title, out=out, word=word)
