"""The interactive drawing window: draw in the dataset's 0-255 frame and watch completions grow.

``DrawingCanvas`` works on any matplotlib figure: in a real window (``window_figure``) for
``qd complete --interactive`` and ``qd classify --draw``, or on an Agg figure in tests, where real
``MouseEvent``/``KeyEvent`` objects are dispatched through ``fig.canvas.callbacks``.

A completer is any callable ``completer(strokes, n, temperature, seed)`` returning an iterator of
steps; each step is an (n, 5) array of stroke-5 rows in dataset units, one row per candidate,
continuing from the last point of ``strokes[-1]``; a candidate's rows after its first end-of-sketch
row are ignored. The canvas pulls steps on a timer, so the window stays responsive while they grow.

>>> from matplotlib.figure import Figure
>>> canvas = DrawingCanvas(Figure())
>>> canvas.strokes
[]
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from quickdraw.errors import QuickDrawError
from quickdraw.simplify import simplify_partial
from sketchrnn.complete import COLOURS, Growth

FRAME = 255
SCRIPT_ENV = "QD_CANVAS_SCRIPT"
HELP = "draw with the mouse   u undo   c clear   s save   q quit"
COMPLETION_HELP = ("draw with the mouse   r resample   up/down temperature   1-9 candidates   u undo   c clear   "
                   "s save   q quit")
TEMPERATURE_RANGE = (0.1, 1.5)
TICK_MS = 30
TICK_BUDGET_S = 0.04


def window_figure(title: str, no_display_hint: str):
    """Open an empty figure in an interactive window (TkAgg, QtAgg...), or raise ``QuickDrawError``.

    ``no_display_hint`` ends the error shown when there is no display, e.g. how to use file mode.
    """
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise QuickDrawError(f"no display for an interactive window (DISPLAY is not set); {no_display_hint}")
    import matplotlib

    matplotlib.rcParams["toolbar"] = "None"
    from matplotlib.backends import BackendFilter, backend_registry

    try:
        import matplotlib.pyplot as plt

        backend = plt.get_backend()
        if backend.lower() in backend_registry.list_builtin(BackendFilter.NON_INTERACTIVE):
            raise QuickDrawError(f"matplotlib backend '{backend}' cannot open a window; {no_display_hint}")
        fig = plt.figure(figsize=(12, 6))
    except (ImportError, RuntimeError) as err:
        raise QuickDrawError(f"cannot open a window ({str(err).splitlines()[0]}); {no_display_hint}") from None
    except Exception as err:  # tkinter.TclError and Qt errors have no common base
        if type(err).__name__ != "TclError":
            raise
        raise QuickDrawError(f"cannot open a window ({err}); {no_display_hint}") from None
    fig.canvas.manager.set_window_title(title)
    return fig


class DrawingCanvas:
    """A drawing pad on ``fig`` in the dataset's 0-255 frame (y down), with optional live completions.

    ``on_change(strokes)`` is called after every finished stroke, undo and clear with the current
    strokes (simplified as the dataset was, (2, k) arrays); ``set_status`` shows text under the pad.

    >>> from matplotlib.figure import Figure
    >>> canvas = DrawingCanvas(Figure(), on_change=lambda strokes: canvas.set_status(f"{len(strokes)} strokes"))
    """

    def __init__(self, fig, *, completer=None, on_change=None, n: int = 4, temperature: float = 0.4,
                 seed: int = 0, save_path: str | os.PathLike = "drawing.png"):
        self.fig = fig
        self.completer = completer
        self.on_change = on_change
        self.n = n
        self.temperature = temperature
        self.seed = seed
        self.save_path = Path(save_path)
        self.strokes: list[np.ndarray] = []
        self.status = ""
        self._points: list[tuple[float, float]] | None = None
        self._live = None
        self._steps = None
        self._growth = Growth((0, 0), n)
        self._panels = []
        self._lines: list[list] = []
        self._timer = fig.canvas.new_timer(interval=TICK_MS)
        self._timer.add_callback(self._tick)
        self._layout()
        self._connect()
        self._refresh_info()

    # ---- layout -------------------------------------------------------------------------------
    def _layout(self) -> None:
        grid = self.fig.add_gridspec(1, 2 if self.completer else 1, left=0.02, right=0.98, top=0.93,
                                     bottom=0.1, wspace=0.06)
        self._grid = grid
        self.pad = self.fig.add_subplot(grid[0, 0])
        self._frame(self.pad)
        self.pad.set_title("draw here", fontsize=10)
        self._info = self.fig.text(0.02, 0.055, "", fontsize=9)
        self._status_text = self.fig.text(0.02, 0.02, "", fontsize=9, color="#b00000")
        self.fig.text(0.98, 0.965, COMPLETION_HELP if self.completer else HELP, fontsize=8, ha="right",
                      color="#555555")
        if self.completer:
            self._build_panels()

    @staticmethod
    def _frame(ax) -> None:
        ax.set_xlim(0, FRAME)
        ax.set_ylim(FRAME, 0)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])

    def _build_panels(self) -> None:
        for ax in self._panels:
            ax.remove()
        cols = math.ceil(math.sqrt(self.n))
        rows = math.ceil(self.n / cols)
        sub = self._grid[0, 1].subgridspec(rows, cols, wspace=0.04, hspace=0.04)
        self._panels = [self.fig.add_subplot(sub[i // cols, i % cols]) for i in range(self.n)]
        for ax in self._panels:
            self._frame(ax)
        self._reset_panels()

    def _reset_panels(self) -> None:
        self._lines = [[] for _ in range(self.n)]
        self._growth = Growth((0, 0), self.n)
        for ax in self._panels:
            for line in list(ax.lines):
                line.remove()
            for s in self.strokes:
                ax.plot(s[0], s[1], color="black", lw=1.5, solid_capstyle="round")

    def _redraw_ink(self) -> None:
        for line in list(self.pad.lines):
            line.remove()
        for s in self.strokes:
            self.pad.plot(s[0], s[1], color="black", lw=2.5, solid_capstyle="round")

    # ---- events -------------------------------------------------------------------------------
    def _connect(self) -> None:
        manager = getattr(self.fig.canvas, "manager", None)
        if manager is not None and getattr(manager, "key_press_handler_id", None) is not None:
            self.fig.canvas.mpl_disconnect(manager.key_press_handler_id)
        self.fig.canvas.mpl_connect("button_press_event", self._press)
        self.fig.canvas.mpl_connect("motion_notify_event", self._motion)
        self.fig.canvas.mpl_connect("button_release_event", self._release)
        self.fig.canvas.mpl_connect("key_press_event", self._key)
        self.fig.canvas.mpl_connect("close_event", lambda event: self._stop())

    def _to_frame(self, event) -> tuple[float, float]:
        x, y = self.pad.transData.inverted().transform((event.x, event.y))
        return float(np.clip(x, 0, FRAME)), float(np.clip(y, 0, FRAME))

    def _press(self, event) -> None:
        if event.button != 1:
            return
        if event.inaxes is not self.pad:
            self.set_status("start your stroke inside the drawing frame on the left")
            return
        self._stop()
        self._points = [self._to_frame(event)]
        (self._live,) = self.pad.plot(*zip(*self._points), color="black", lw=2.5, solid_capstyle="round")
        self.fig.canvas.draw_idle()

    def _motion(self, event) -> None:
        if self._points is None:
            return
        point = self._to_frame(event)
        if point != self._points[-1]:
            self._points.append(point)
            self._live.set_data(*zip(*self._points))
            self.fig.canvas.draw_idle()

    def _release(self, event) -> None:
        if self._points is None or event.button != 1:
            return
        self._motion(event)
        points, self._points = np.array(self._points).T, None
        self._live.remove()
        self._live = None
        if np.ptp(points, axis=1).max() < 1:
            self.set_status("a single click is not a stroke: hold the button down and drag")
            self.fig.canvas.draw_idle()
            return
        self.strokes.append(np.asarray(simplify_partial([points])[0], dtype=np.float64))
        self._changed()

    def _key(self, event) -> None:
        key = event.key
        if key == "q":
            self._stop()
            import matplotlib.pyplot as plt

            plt.close(self.fig)
        elif key == "s":
            self.save()
        elif key == "u":
            if self.strokes:
                self.strokes.pop()
                self._changed()
        elif key == "c":
            self.strokes = []
            self._changed()
        elif key == "r" and self.completer:
            if not self.strokes:
                self.set_status("draw something first: completions start each time the pen lifts")
                return
            self.seed += 1
            self._restart()
        elif key in ("up", "down") and self.completer:
            step = 0.1 if key == "up" else -0.1
            self.temperature = round(float(np.clip(self.temperature + step, *TEMPERATURE_RANGE)), 2)
            self._restart()
        elif key is not None and len(key) == 1 and key in "123456789" and self.completer:
            self.n = int(key)
            self._stop()
            self._build_panels()
            self._restart()

    # ---- drawing state ------------------------------------------------------------------------
    def _changed(self) -> None:
        self.set_status("")
        self._redraw_ink()
        if self.on_change:
            self.on_change(list(self.strokes))
        self._restart()

    def set_status(self, text: str) -> None:
        """Show ``text`` (a result, a hint or an error) under the drawing pad."""
        self.status = text
        self._status_text.set_text(text)
        self.fig.canvas.draw_idle()

    def _refresh_info(self) -> None:
        if self.completer:
            state = "growing..." if self.completing else ""
            self._info.set_text(f"temperature {self.temperature:.2f}   {self.n} candidates   seed {self.seed}   {state}")

    @property
    def completions(self) -> list[list[np.ndarray]]:
        """Each candidate's completion strokes so far, (2, k) arrays in frame coordinates."""
        return self._growth.completions

    @property
    def completing(self) -> bool:
        """True while completions are still growing."""
        return self._steps is not None

    def save(self) -> Path:
        """Save the whole figure as a PNG at ``save_path`` (atomically) and return the path."""
        target = self.save_path
        tmp = target.with_name(target.name + ".part")
        try:
            self.fig.savefig(tmp, format="png", dpi=100)
            os.replace(tmp, target)
        except OSError as err:
            tmp.unlink(missing_ok=True)
            self.set_status(f"could not save {target}: {err.strerror}")
            return target
        self.set_status(f"saved {target}")
        return target

    # ---- completions --------------------------------------------------------------------------
    def _stop(self) -> None:
        self._timer.stop()
        if self._steps is not None:
            close = getattr(self._steps, "close", None)
            if close:
                close()
        self._steps = None
        self._refresh_info()

    def _restart(self) -> None:
        self._stop()
        if not self.completer:
            return
        self._reset_panels()
        if self.strokes:
            try:
                self._steps = iter(self.completer(list(self.strokes), self.n, self.temperature, self.seed))
            except QuickDrawError as err:
                self.set_status(str(err))
            else:
                self._growth = Growth(self.strokes[-1][:, -1], self.n)
                self._timer.start()
        self._refresh_info()
        self.fig.canvas.draw_idle()

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
                self.set_status(str(err))
                break
            self._grow(step)
            taken += 1
            if self._growth.finished.all():
                self._stop()
        if taken:
            self.fig.canvas.draw_idle()
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

    # ---- running in a window ------------------------------------------------------------------
    def show(self) -> None:
        """Run the window until the user quits; replays the script named by $QD_CANVAS_SCRIPT if set."""
        import matplotlib.pyplot as plt

        script = os.environ.get(SCRIPT_ENV)
        if script:
            actions = self.replay(json.loads(Path(script).read_text()))
            timer = self.fig.canvas.new_timer(interval=50)
            timer.add_callback(lambda: next(actions, False))
            timer.start()
            self._replay_timer = timer
        plt.show()

    def replay(self, script: dict):
        """Yield while replaying ``{"strokes": [[[xs], [ys]], ...], "keys": [...]}`` as real events.

        Each stroke is a press, motions and a release at frame coordinates; after each stroke and
        key the replay waits until completions finish. Used by the window test through $QD_CANVAS_SCRIPT.
        """
        from matplotlib.backend_bases import KeyEvent, MouseEvent

        for xs, ys in script.get("strokes", []):
            pixels = self.pad.transData.transform(np.column_stack([xs, ys]))
            names = ["button_press_event"] + ["motion_notify_event"] * (len(pixels) - 1) + ["button_release_event"]
            for name, (x, y) in zip(names, list(pixels) + [pixels[-1]]):
                MouseEvent(name, self.fig.canvas, x, y, button=1)._process()
                yield True
            while self.completing:
                yield True
        for key in script.get("keys", []):
            KeyEvent("key_press_event", self.fig.canvas, key)._process()
            yield True
            while self.completing:
                yield True
