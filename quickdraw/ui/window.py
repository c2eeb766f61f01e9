"""The one drawing window: a pad in the dataset's 0-255 frame (y down) that models plug into.

``DrawingWindow`` works on any matplotlib figure: in a real window (``window_figure``) for
``qd classify --draw``, ``qd complete --interactive`` and ``qd play``, or on an Agg figure in tests,
where real ``MouseEvent``/``KeyEvent`` objects are dispatched through ``fig.canvas.callbacks``.

The window owns the pad, the mouse and the keys ``u`` (undo), ``c`` (clear), ``s`` (save the
window as a PNG and the strokes as simplified ndjson beside it) and ``q`` (quit), a status line and
an info line. A model plugs in as a ``WindowPlugin``: it may take the right half of the window
(completion's candidate panels, the classifier's guesses), hears about every change of the
drawing and may handle more keys.

>>> from matplotlib.figure import Figure
>>> window = DrawingWindow(Figure())
>>> window.strokes
[]
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

from ..errors import QuickDrawError
from ..raster.frame import FRAME
from ..raster.simplify import simplify_partial

TITLE_WIDTH = 56  # characters of the pad's title on a line (the pad is half of a 12-inch window)
SCRIPT_ENV = "QD_CANVAS_SCRIPT"
HELP = "draw with the mouse   u undo   c clear   s save   q quit"
INK = "black"
STATUS_COLOURS = {"info": "#1a1a1a", "error": "#b00000"}


class WindowPlugin:
    """What a model adds to the drawing window; every method is optional.

    ``help`` names the keys it handles; ``side_panel`` asks for the right half of the window,
    which ``attach`` receives as a matplotlib ``SubplotSpec`` (None otherwise).
    """

    help = ""
    side_panel = True

    def attach(self, window: "DrawingWindow", area) -> None:
        """Called once, after the window laid out its pad; ``area`` is the plugin's part of the figure."""

    def strokes_changed(self, strokes: list[np.ndarray]) -> None:
        """Called after every finished stroke, undo, clear or loaded drawing, with the current strokes."""

    def pen_down(self) -> None:
        """Called when the user starts a stroke (stop anything that continues the old drawing)."""

    def key(self, key: str) -> bool:
        """Handle a key the window does not; return True when it was handled."""
        return False

    def close(self) -> None:
        """Called when the window closes or quits."""

    @property
    def busy(self) -> bool:
        """True while the plugin is still working on the current drawing (a replay waits for it)."""
        return False


def window_figure(title: str, no_display_hint: str, figsize=(12, 6)):
    """Open an empty figure in an interactive window (TkAgg, QtAgg...), or raise ``QuickDrawError``.

    ``no_display_hint`` ends the error shown when there is no display, e.g. how to use file mode.
    The figure is shrunk to fit the screen it opens on.
    """
    require_display(no_display_hint)
    import matplotlib

    matplotlib.rcParams["toolbar"] = "None"
    from matplotlib.backends import BackendFilter, backend_registry

    try:
        import matplotlib.pyplot as plt

        backend = plt.get_backend()
        if backend.lower() in backend_registry.list_builtin(BackendFilter.NON_INTERACTIVE):
            raise QuickDrawError(f"matplotlib backend '{backend}' cannot open a window; {no_display_hint}")
        fig = plt.figure(figsize=figsize)
    except (ImportError, RuntimeError) as err:
        raise QuickDrawError(f"cannot open a window ({str(err).splitlines()[0]}); {no_display_hint}") from None
    except Exception as err:  # tkinter.TclError and Qt errors have no common base
        if type(err).__name__ != "TclError":
            raise
        raise QuickDrawError(f"cannot open a window ({err}); {no_display_hint}") from None
    fig.canvas.manager.set_window_title(title)
    fit_to_screen(fig)
    return fig


def require_display(no_display_hint: str) -> None:
    """Raise ``QuickDrawError`` (ending in ``no_display_hint``) when there is no display to open a window on."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise QuickDrawError(f"no display for an interactive window (DISPLAY is not set); run it under a "
                             f"virtual display (xvfb-run qd ...) or {no_display_hint}")


def fit_to_screen(fig, margin: float = 0.9) -> None:
    """Shrink ``fig`` (keeping its shape) so that its window fits ``margin`` of the screen, where known."""
    screen = _screen_size(fig)
    if screen is None:
        return
    width, height = fig.get_size_inches() * fig.dpi
    factor = min(1.0, margin * screen[0] / width, margin * screen[1] / height)
    if factor < 1.0:
        fig.set_size_inches(fig.get_size_inches() * factor, forward=True)
        manager = getattr(fig.canvas, "manager", None)
        window = getattr(manager, "window", None)
        if hasattr(window, "wm_geometry"):  # Tk keeps the first, too large window size otherwise
            toolbar = 45 if getattr(manager, "toolbar", None) is not None else 0
            window.wm_geometry(f"{int(width * factor)}x{int(height * factor) + toolbar}")


def _screen_size(fig) -> tuple[int, int] | None:
    window = getattr(getattr(fig.canvas, "manager", None), "window", None)
    if hasattr(window, "winfo_screenwidth"):  # Tk
        return int(window.winfo_screenwidth()), int(window.winfo_screenheight())
    if callable(getattr(window, "screen", None)):  # Qt
        geometry = window.screen().availableGeometry()
        return int(geometry.width()), int(geometry.height())
    return None


def frame_axes(ax) -> None:
    """Show ``ax`` as the dataset's 0-255 frame: y down, square, no ticks."""
    ax.set_xlim(0, FRAME)
    ax.set_ylim(FRAME, 0)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


class DrawingWindow:
    """A drawing pad on ``fig`` in the dataset's 0-255 frame (y down), with an optional ``plugin``.

    ``strokes`` are what the user drew, simplified as the dataset was ((2, k) float arrays);
    ``on_change(strokes)`` is called after every change, as the plugin's ``strokes_changed``.
    ``out`` is where ``s`` saves the window (PNG) and the strokes (the same name with ``.ndjson``);
    ``word`` is the category written into that ndjson.

    >>> from matplotlib.figure import Figure
    >>> window = DrawingWindow(Figure(), on_change=lambda strokes: window.set_status(f"{len(strokes)} strokes"))
    """

    def __init__(self, fig, *, plugin: WindowPlugin | None = None, on_change=None, title: str = "draw here",
                 out: str | os.PathLike = "drawing.png", word: str = ""):
        self.fig = fig
        self.plugin = plugin or WindowPlugin()
        self.on_change = on_change
        self.out = Path(out)
        self.word = word
        self.strokes: list[np.ndarray] = []
        self.status = ""
        self._points: list[tuple[float, float]] | None = None
        self._live = None
        self._timers = []
        self._layout(title, plugin is not None and plugin.side_panel)
        self._connect()
        self.plugin.attach(self, self._area)

    # ---- layout -------------------------------------------------------------------------------
    def _layout(self, title: str, side_panel: bool) -> None:
        grid = self.fig.add_gridspec(1, 2 if side_panel else 1, left=0.02, right=0.98, top=0.9,
                                     bottom=0.12, wspace=0.06)
        self.pad = self.fig.add_subplot(grid[0, 0])
        self._area = grid[0, 1] if side_panel else None
        frame_axes(self.pad)
        self.pad.set_title(_wrapped(title), fontsize=11)
        self.info = self.fig.text(0.02, 0.065, "", fontsize=9, color="#333333")
        self._status_text = self.fig.text(0.02, 0.02, "", fontsize=10, color=STATUS_COLOURS["info"])
        help_text = "   ".join(part for part in (HELP, self.plugin.help) if part)
        self.fig.text(0.98, 0.965, help_text, fontsize=8, ha="right", color="#555555")

    def set_title(self, text: str) -> None:
        """Set the text above the pad (what to draw, what the model is), wrapped to the pad's width."""
        self.pad.set_title(_wrapped(text), fontsize=11)
        self.fig.canvas.draw_idle()

    def set_info(self, text: str) -> None:
        """Set the info line (settings, progress) under the pad."""
        self.info.set_text(text)
        self.fig.canvas.draw_idle()

    def set_status(self, text: str, kind: str = "info") -> None:
        """Show ``text`` under the drawing pad; ``kind`` "error" shows it in red (hints, refusals)."""
        self.status = text
        self._status_text.set_text(text)
        self._status_text.set_color(STATUS_COLOURS[kind])
        self.fig.canvas.draw_idle()

    def _redraw_ink(self) -> None:
        for line in [line for line in self.pad.lines if line.get_gid() == "ink"]:
            line.remove()
        for s in self.strokes:
            self.pad.plot(s[0], s[1], color=INK, lw=2.5, solid_capstyle="round", gid="ink")

    # ---- events -------------------------------------------------------------------------------
    def _connect(self) -> None:
        manager = getattr(self.fig.canvas, "manager", None)
        if manager is not None and getattr(manager, "key_press_handler_id", None) is not None:
            self.fig.canvas.mpl_disconnect(manager.key_press_handler_id)
        self.fig.canvas.mpl_connect("button_press_event", self._press)
        self.fig.canvas.mpl_connect("motion_notify_event", self._motion)
        self.fig.canvas.mpl_connect("button_release_event", self._release)
        self.fig.canvas.mpl_connect("key_press_event", self._key)
        self.fig.canvas.mpl_connect("close_event", lambda event: self._closed())

    def _to_frame(self, event) -> tuple[float, float]:
        x, y = self.pad.transData.inverted().transform((event.x, event.y))
        return float(np.clip(x, 0, FRAME)), float(np.clip(y, 0, FRAME))

    def _press(self, event) -> None:
        if event.button != 1:
            return
        if event.inaxes is not self.pad:
            self.set_status("start your stroke inside the drawing frame on the left", "error")
            return
        self.plugin.pen_down()
        self._points = [self._to_frame(event)]
        (self._live,) = self.pad.plot(*zip(*self._points), color=INK, lw=2.5, solid_capstyle="round")
        self.fig.canvas.draw_idle()

    def _motion(self, event) -> None:
        if self._points is None:
            return
        point = self._to_frame(event)
        if point != self._points[-1]:
            self._points.append(point)
            self._live.set_data(*zip(*self._points))
            self.fig.canvas.draw_idle()

    @property
    def drawing_stroke(self) -> np.ndarray | None:
        """The stroke under the pen right now, as a (2, k) array of frame points, or None."""
        return None if self._points is None else np.array(self._points).T

    def cancel_stroke(self) -> np.ndarray | None:
        """End the stroke under the pen without adding it (e.g. when a game's round ends mid-stroke).

        Returns it simplified as a finished stroke would be, or None when the pen was up.
        """
        if self._points is None:
            return None
        points, self._points = np.array(self._points).T, None
        self._live.remove()
        self._live = None
        if np.ptp(points, axis=1).max() < 1:
            return None
        return np.asarray(simplify_partial([points])[0], dtype=np.float64)

    def _release(self, event) -> None:
        if self._points is None or event.button != 1:
            return
        self._motion(event)
        points, self._points = np.array(self._points).T, None
        self._live.remove()
        self._live = None
        if np.ptp(points, axis=1).max() < 1:
            self.set_status("a single click is not a stroke: hold the button down and drag", "error")
            return
        self.strokes.append(np.asarray(simplify_partial([points])[0], dtype=np.float64))
        self._changed()

    def _key(self, event) -> None:
        key = event.key
        if key == "q":
            self.quit()
        elif key == "s":
            self.save()
        elif key == "u":
            if self.strokes:
                self.strokes.pop()
                self._changed()
        elif key == "c":
            self.strokes = []
            self._changed()
        elif key is not None:
            self.plugin.key(key)

    def quit(self) -> None:
        """Close the window (the plugin hears ``close``)."""
        import matplotlib.pyplot as plt

        self._closed()
        plt.close(self.fig)

    def _closed(self) -> None:
        for timer in self._timers:
            timer.stop()
        self.plugin.close()

    # ---- drawing state ------------------------------------------------------------------------
    def set_strokes(self, strokes) -> None:
        """Replace the drawing by ``strokes`` ((2, k) frame points, as loaded from a file or accepted)."""
        self.strokes = [np.asarray(s, dtype=np.float64)[:2] for s in strokes if np.asarray(s).size]
        self._changed()

    def _changed(self) -> None:
        self.set_status("")
        self._redraw_ink()
        if self.on_change:
            self.on_change(list(self.strokes))
        self.plugin.strokes_changed(list(self.strokes))
        self.fig.canvas.draw_idle()

    def new_timer(self, interval_ms: int, callback):
        """A figure timer calling ``callback`` every ``interval_ms``; stopped when the window closes."""
        timer = self.fig.canvas.new_timer(interval=interval_ms)
        timer.add_callback(callback)
        self._timers.append(timer)
        return timer

    def save(self) -> Path:
        """Save the window as a PNG at ``out`` and the strokes as ndjson beside it; return the PNG's path.

        Both are written under temporary names and renamed when complete.
        """
        from ..formats import write_path
        from ..formats.drawing import Drawing

        target = self.out
        tmp = target.with_name(target.name + ".part")
        strokes_path = target.with_suffix(".ndjson")
        try:
            self.fig.savefig(tmp, format="png", dpi=100)
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, target)
            if self.strokes:
                write_path(strokes_path, [Drawing([np.round(s).astype(np.int64) for s in self.strokes],
                                                  word=self.word, recognized=False)])
        except OSError as err:
            tmp.unlink(missing_ok=True)
            self.set_status(f"could not save {target}: {err.strerror}", "error")
            return target
        self.set_status(f"saved {target}" + (f" and {strokes_path.name}" if self.strokes else ""))
        return target

    # ---- running in a window ------------------------------------------------------------------
    def show(self) -> None:
        """Run the window until the user quits; replays the script named by $QD_CANVAS_SCRIPT if set."""
        import matplotlib.pyplot as plt

        script = os.environ.get(SCRIPT_ENV)
        if script:
            actions = self.replay(json.loads(Path(script).read_text()))
            self.new_timer(50, lambda: next(actions, False)).start()
        plt.show()

    def replay(self, script: dict):
        """Yield while replaying ``{"strokes": [[[xs], [ys]], ...], "keys": [...]}`` as real events.

        Each stroke is a press, motions and a release at frame coordinates; after each stroke and
        key the replay waits while the plugin is busy. Used by window tests through $QD_CANVAS_SCRIPT.
        """
        from matplotlib.backend_bases import KeyEvent, MouseEvent

        for xs, ys in script.get("strokes", []):
            pixels = self.pad.transData.transform(np.column_stack([xs, ys]))
            names = ["button_press_event"] + ["motion_notify_event"] * (len(pixels) - 1) + ["button_release_event"]
            for name, (x, y) in zip(names, list(pixels) + [pixels[-1]]):
                MouseEvent(name, self.fig.canvas, x, y, button=1)._process()
                yield True
            while self.plugin.busy:
                yield True
        for key in script.get("keys", []):
            KeyEvent("key_press_event", self.fig.canvas, key)._process()
            yield True
            while self.plugin.busy:
                yield True


def _wrapped(text: str, width: int = TITLE_WIDTH) -> str:
    import textwrap

    return "\n".join(textwrap.fill(line, width) for line in text.splitlines())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
