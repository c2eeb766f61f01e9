"""The desktop front end of a ``Sketchpad``: a matplotlib figure with the pad on the left and the model's
side panel on the right.

``DrawingWindow`` works on any matplotlib figure: in a real window (``open_window``: TkAgg, QtAgg...)
for ``qd classify --draw``, ``qd complete --interactive`` and ``qd play``, or on an Agg figure in
tests, where real ``MouseEvent``/``KeyEvent`` objects are dispatched through ``fig.canvas.callbacks``,
and for the PNG a pad saves.

No pen sample waits for anything: everything that changes while the user draws (the stroke under the
pen, the ink, the lines of text, the side panel's bars, candidates and clock) is an animated artist,
blitted over a background saved at the last full draw, and the stroke under the pen is blitted alone
as it grows. The model works in the pad's worker thread; its results come back through ``call_soon``,
a queue this window empties on a 15 ms timer. A full draw happens only when the layout changes.

>>> from matplotlib.figure import Figure
>>> from quickdraw.ui.pad import Sketchpad
>>> window = DrawingWindow(Figure(), Sketchpad())
>>> window.pad.strokes
[]
"""
from __future__ import annotations

import json
import os
import queue
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..errors import QuickDrawError
from ..raster.frame import FRAME
from .panels import PANELS, _Was, draw_summary, frame_axes

TITLE_WIDTH = 56  # characters of the pad's title on a line (the pad is half of a 12-inch window)
SCRIPT_ENV = "QD_CANVAS_SCRIPT"
INK = "black"
STATUS_COLOURS = {"info": "#1a1a1a", "error": "#b00000"}
POLL_MS = 15
SWITCH_INTERVAL_S = 0.001  # how soon the window's thread gets Python back from the model's worker


class DrawingWindow:
    """``pad`` (a ``quickdraw.ui.pad.Sketchpad``) shown on ``fig``: the drawing area, the side panel its
    ``panel`` names, the text lines.

    >>> from matplotlib.figure import Figure
    >>> from quickdraw.ui.pad import Sketchpad
    >>> window = DrawingWindow(Figure(), Sketchpad(title="draw a cat"))
    """

    def __init__(self, fig, pad):
        self.fig = fig
        self.pad = pad
        self._calls: queue.SimpleQueue = queue.SimpleQueue()
        self._timers: list = []
        self._background = None
        self._ink: list = []
        self._ghosts: list = []
        self._view = (0.0, 0.0, float(FRAME))
        self._layout()
        self._connect()
        pad.attach(self)
        self.refresh({"ink", "ghosts", "overlay", "title", "info", "status", "panel"})

    # ---- layout -------------------------------------------------------------------------------
    def _layout(self) -> None:
        state = self.pad.panel_state() if self.pad.panel else {}
        if state.get("summary") is not None:
            self._layout_summary(state)
            return
        side = self.pad.panel in PANELS
        grid = self.fig.add_gridspec(1, 2 if side else 1, left=0.02, right=0.98, top=0.9, bottom=0.12, wspace=0.06)
        self.axes = self.fig.add_subplot(grid[0, 0])
        frame_axes(self.axes)
        self.animated: list = []
        self._title = self._animate(self.axes.set_title("", fontsize=11))
        self._info = self._animate(self.fig.text(0.02, 0.065, "", fontsize=9, color="#333333"))
        self._status = self._animate(self.fig.text(0.02, 0.02, "", fontsize=10, color=STATUS_COLOURS["info"]))
        self._frame = self._animate(self.axes.plot([0, FRAME, FRAME, 0, 0], [0, 0, FRAME, FRAME, 0], color="#cccccc",
                                                   lw=0.8)[0])
        self._frame.set_visible(False)
        (self._live,) = self.axes.plot([], [], color=INK, lw=2.5, solid_capstyle="round")
        self._animate(self._live)
        (self._segment,) = self.axes.plot([], [], color=INK, lw=2.5, solid_capstyle="round", animated=True)
        self._overlay = self._animate(self.axes.imshow(np.zeros((2, 2, 4)), extent=(0, FRAME, FRAME, 0),
                                                       interpolation="nearest", zorder=0.5))
        self._overlay.set_visible(False)
        help_text = "   ".join(part for part in ("draw with the mouse   " + self.pad.keys_help, self.pad.help) if part)
        self.fig.text(0.98, 0.965, help_text, fontsize=8, ha="right", color="#555555")
        self.panel = PANELS[self.pad.panel](self.fig, grid[0, 1], state) if side else None
        self._ink, self._ghosts = [], []

    def _layout_summary(self, state: dict) -> None:
        self.axes = None
        self.panel = None
        self.animated = []
        draw_summary(self.fig, state["summary"], state.get("synthetic", False))
        self._status = self._animate(self.fig.text(0.02, 0.005, self.pad.status, fontsize=9, color="#333333"))

    def _animate(self, artist):
        artist.set_animated(True)
        self.animated.append(artist)
        return artist

    # ---- what the pad tells -------------------------------------------------------------------
    def refresh(self, parts: set) -> None:
        """Redraw what changed (``Sketchpad.refresh`` names the parts): blit the areas it covers, or draw in
        full on a new layout."""
        if self.axes is None:  # showing a game's summary
            self._status.set_text(self.pad.status)
            self._blit_later([self._status])
            return
        layout = "layout" in parts
        dirty: list = []  # artists or axes whose area must reach the screen
        if "panel" in parts and self.panel is not None:
            state = self.pad.panel_state()
            if state.get("summary") is not None:
                self.fig.clear()
                self._layout()
                layout = True
            else:
                changed = self.panel.update(state)
                if changed is True:
                    layout = True
                else:
                    dirty += changed
        if parts & {"ink", "ghosts", "overlay", "live"}:
            dirty.append(self.axes)
        if "ink" in parts:
            self._lines(self._ink, self.pad.strokes, color=INK, lw=2.5)
            self._fit_view()
        if "ghosts" in parts:
            self._ghost_lines()
        if "overlay" in parts:
            self._overlay.set_visible(self.pad.overlay is not None)
            if self.pad.overlay is not None:
                self._overlay.set_data(self.pad.overlay)
                self._overlay.set_extent(self.pad.overlay_extent)
        if "live" in parts:
            live = self.pad.drawing_stroke
            self._live.set_data(*(live if live is not None else ([], [])))
        for part, artist, text in (("title", self._title, lambda: _wrapped(self.pad.title)),
                                   ("info", self._info, lambda: self.pad.info),
                                   ("status", self._status, lambda: self.pad.status)):
            if part in parts or layout:
                new = text()
                if new != artist.get_text():
                    dirty.append(_Was(artist.get_window_extent(self.fig.canvas.get_renderer())))
                    artist.set_text(new)
                    dirty.append(artist)
        self._status.set_color(STATUS_COLOURS.get(self.pad.status_kind, STATUS_COLOURS["info"]))
        if layout:
            self.fig.canvas.draw_idle()
        elif dirty:
            self._blit_later(dirty)

    def _lines(self, lines: list, strokes, **style) -> None:
        for line in lines:
            line.remove()
            self.animated.remove(line)
        lines.clear()
        for s in strokes:
            (line,) = self.axes.plot(s[0], s[1], solid_capstyle="round", **style)
            lines.append(self._animate(line))

    def _ghost_lines(self) -> None:
        """Candidate strokes on the pad, reusing the lines already there (growth changes them many times a second)."""
        wanted = [(s, g) for g in self.pad.ghosts for s in g["strokes"]]
        for line in self._ghosts[len(wanted):]:
            line.remove()
            self.animated.remove(line)
        del self._ghosts[len(wanted):]
        for k, (s, ghost) in enumerate(wanted):
            style = {"color": ghost.get("colour", "#888888"), "linewidth": ghost.get("width", 1.5),
                     "alpha": ghost.get("alpha", 0.3)}
            if k < len(self._ghosts):
                self._ghosts[k].set_data(s[0], s[1])
                self._ghosts[k].set(**style)
            else:
                (line,) = self.axes.plot(s[0], s[1], solid_capstyle="round", **style)
                self._ghosts.append(self._animate(line))

    def _fit_view(self) -> None:
        view = self.pad.view
        if view == self._view:
            return
        self._view = view
        x0, y0, side = view
        self.axes.set_xlim(x0, x0 + side)
        self.axes.set_ylim(y0 + side, y0)
        self._frame.set_visible(view != (0.0, 0.0, float(FRAME)))

    # ---- drawing: a saved background and animated artists --------------------------------------
    def _on_draw(self, event) -> None:
        canvas = self.fig.canvas
        if not hasattr(canvas, "copy_from_bbox"):
            return
        self._background = canvas.copy_from_bbox(self.fig.bbox)
        self._draw_animated()

    def _draw_animated(self) -> None:
        renderer = self.fig.canvas.get_renderer()
        for artist in sorted(self._all_animated(), key=lambda a: a.get_zorder()):
            if artist.get_visible() and artist.figure is not None:
                artist.draw(renderer)

    def _all_animated(self) -> list:
        return self.animated + (self.panel.animated if self.panel is not None else [])

    def _blit_later(self, dirty) -> None:
        self._dirty = getattr(self, "_dirty", []) + list(dirty)
        if not getattr(self, "_blit_pending", False):
            self._blit_pending = True
            self.call_soon(self._blit)

    def _blit(self) -> None:
        """Restore the background, draw the animated artists on it and send the changed areas to the screen."""
        self._blit_pending = False
        dirty, self._dirty = getattr(self, "_dirty", []), []
        canvas = self.fig.canvas
        if self._background is None or not hasattr(canvas, "restore_region"):
            canvas.draw_idle()
            return
        canvas.restore_region(self._background)
        self._draw_animated()
        renderer = canvas.get_renderer()
        boxes = []
        for item in dirty:
            box = item.bbox if hasattr(item, "patch") else item.get_window_extent(renderer)
            if box.width > 0 and box.height > 0:
                boxes.append(box.expanded(1.0, 1.0).padded(3))
        if boxes:
            from matplotlib.transforms import Bbox

            canvas.blit(Bbox.intersection(Bbox.union(boxes), self.fig.bbox) or self.fig.bbox)

    def _blit_live(self) -> None:
        """Draw the newest piece of the stroke under the pen over the canvas and blit that small area alone."""
        canvas = self.fig.canvas
        if self._background is None or not hasattr(canvas, "restore_region"):
            return
        xs, ys = self._live.get_data()
        tail = np.column_stack([xs[-2:], ys[-2:]])
        self._segment.set_data(tail[:, 0], tail[:, 1])
        self._segment.draw(canvas.get_renderer())
        from matplotlib.transforms import Bbox

        pixels = self.axes.transData.transform(tail)
        box = Bbox([pixels.min(axis=0), pixels.max(axis=0)]).padded(6)
        canvas.blit(Bbox.intersection(box, self.axes.bbox) or self.axes.bbox)

    @contextmanager
    def still(self):
        """Make every artist a plain one for a ``savefig`` (animated artists are left out of it)."""
        artists = [a for a in self._all_animated()]
        for a in artists:
            a.set_animated(False)
        try:
            yield
        finally:
            for a in artists:
                a.set_animated(True)

    def save_picture(self, path) -> None:
        """Write the window as a PNG to ``path``."""
        with self.still():
            self.fig.savefig(path, format="png", dpi=100)
        self.fig.canvas.draw_idle()

    # ---- events -------------------------------------------------------------------------------
    def _connect(self) -> None:
        manager = getattr(self.fig.canvas, "manager", None)
        if manager is not None and getattr(manager, "key_press_handler_id", None) is not None:
            self.fig.canvas.mpl_disconnect(manager.key_press_handler_id)
        self._cids = [self.fig.canvas.mpl_connect(name, fn) for name, fn in (
            ("button_press_event", self._press), ("motion_notify_event", self._motion),
            ("button_release_event", self._release), ("key_press_event", self._key),
            ("close_event", lambda event: self._closed()), ("draw_event", self._on_draw))]

    def _to_frame(self, event) -> tuple[float, float]:
        x, y = self.axes.transData.inverted().transform((event.x, event.y))
        x0, y0, side = self._view
        return float(np.clip(x, x0, x0 + side)), float(np.clip(y, y0, y0 + side))

    def _press(self, event) -> None:
        if event.button != 1 or self.axes is None:
            return
        if event.inaxes is not self.axes:
            self.pad.set_status("start your stroke inside the drawing frame on the left", "error")
            return
        point = self._to_frame(event)
        self.pad.pen_down(point)
        self._live.set_data([point[0]], [point[1]])
        self._blit_live()

    def _motion(self, event) -> None:
        if not self.pad.pen_is_down or self.axes is None:
            return
        point = self._to_frame(event)
        self.pad.pen_moved([point])
        live = self.pad.drawing_stroke
        if live is not None:
            self._live.set_data(live[0], live[1])
            self._blit_live()

    def _release(self, event) -> None:
        if not self.pad.pen_is_down or event.button != 1 or self.axes is None:
            return
        self._live.set_data([], [])
        self.pad.pen_up([self._to_frame(event)])
        self._blit_later([self.axes])

    def _key(self, event) -> None:
        if event.key is not None:
            self.pad.key(event.key)

    def _closed(self) -> None:
        for timer in self._timers:
            timer.stop()
        self.pad.detach(self)
        self.pad.close()

    # ---- the front end's loop -----------------------------------------------------------------
    def call_soon(self, callback) -> None:
        """Run ``callback`` on this window's thread at its next poll (from any thread)."""
        self._calls.put(callback)

    def run_pending(self) -> None:
        """Run the callbacks handed over by ``call_soon`` (the poll timer does this every 15 ms)."""
        while True:
            try:
                callback = self._calls.get_nowait()
            except queue.Empty:
                return
            callback()

    def new_timer(self, seconds: float, callback):
        """A figure timer calling ``callback`` every ``seconds``; stopped when the window closes."""
        timer = self.fig.canvas.new_timer(interval=max(1, int(seconds * 1000)))
        timer.add_callback(callback)
        self._timers.append(timer)
        return timer

    def pad_closed(self) -> None:
        """Close the window (the pad closed: ``q``, or the program ended it)."""
        import matplotlib.pyplot as plt

        for timer in self._timers:
            timer.stop()
        plt.close(self.fig)

    def show(self) -> None:
        """Run the window until the user quits; replays the script named by $QD_CANVAS_SCRIPT if set."""
        import matplotlib.pyplot as plt

        self.new_timer(POLL_MS / 1000, self.run_pending).start()
        script = os.environ.get(SCRIPT_ENV)
        if script:
            actions = self.replay(json.loads(Path(script).read_text()))
            self.new_timer(0.05, lambda: next(actions, False)).start()
        previous = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        try:
            plt.show()
        finally:
            sys.setswitchinterval(previous)

    def replay(self, script: dict):
        """Yield while replaying ``{"strokes": [[[xs], [ys]], ...], "keys": [...]}`` as real events.

        Each stroke is a press, motions and a release at frame coordinates; after each stroke and
        key the replay waits while the pad's model is busy. Used by window tests through $QD_CANVAS_SCRIPT.
        """
        from matplotlib.backend_bases import KeyEvent, MouseEvent

        for xs, ys in script.get("strokes", []):
            pixels = self.axes.transData.transform(np.column_stack([xs, ys]))
            names = ["button_press_event"] + ["motion_notify_event"] * (len(pixels) - 1) + ["button_release_event"]
            for name, (x, y) in zip(names, list(pixels) + [pixels[-1]]):
                MouseEvent(name, self.fig.canvas, x, y, button=1)._process()
                yield True
            while self.pad.busy:
                yield True
        for key in script.get("keys", []):
            KeyEvent("key_press_event", self.fig.canvas, key)._process()
            yield True
            while self.pad.busy:
                yield True


def open_window(pad, figsize=(12, 6)) -> DrawingWindow:
    """Show ``pad`` in a desktop window and run it until the user closes it (or raise ``QuickDrawError``)."""
    fig = window_figure(pad.window_title, getattr(pad, "no_display_hint", "work from a file instead"), figsize)
    window = DrawingWindow(fig, pad)
    try:
        window.show()
    finally:
        pad.close()
    return window


def save_picture(pad, path) -> None:
    """Write the picture of ``pad`` a desktop window would show, as a PNG, to ``path`` (no window needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 6))
    FigureCanvasAgg(fig)
    window = DrawingWindow(fig, pad)
    try:
        window.save_picture(path)
    finally:
        pad.detach(window)


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


def _wrapped(text: str, width: int = TITLE_WIDTH) -> str:
    import textwrap

    return "\n".join(textwrap.fill(line, width) for line in text.splitlines())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
