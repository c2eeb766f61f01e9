"""The notebook front end of a ``Sketchpad``: a widget in the cell's output (JupyterLab, Notebook 7, VS Code, Colab).

The pen is the browser's: the pad is drawn in the page (``static/pad.js``: pointer events for mouse,
pen and touch, every coalesced sample kept, the stroke drawn segment by segment), so no point waits
for the kernel. The kernel hears each stroke once, whole, when the pen lifts (and, while a game
guesses live, the points so far every 120 ms); the pad's model answers from its worker thread, and
what it shows (guesses, candidates, the game's clock, the summary) reaches the page as widget state,
which ``static/notebook.js`` draws. Built on anywidget, which also turns on Colab's custom widget
manager. ``pip install 'qd[notebook]'``.

>>> pad.widget()  # doctest: +SKIP   (a pad shows itself: ``pad`` alone as a cell's last line does too)
"""
from __future__ import annotations

import base64
import io
from importlib import resources

import numpy as np

from ..errors import QuickDrawError

INSTALL = "the notebook pad needs anywidget: pip install 'qd[notebook]' (then restart the kernel)"

DECIMALS = 2  # of frame coordinates sent to the page
KEY_BUTTONS = {"guesses": [["e", "explain"]], "game": [["n", "next round"]],
               "candidates": [["r", "resample"], ["down", "colder"], ["up", "warmer"], ["left", "◀ pick"],
                              ["right", "pick ▶"], ["enter", "accept"]]}


def _script() -> str:
    static = resources.files("quickdraw.ui") / "static"
    return (static / "pad.js").read_text("utf-8") + "\n" + (static / "notebook.js").read_text("utf-8")


def _style() -> str:
    return (resources.files("quickdraw.ui") / "static" / "notebook.css").read_text("utf-8")


def PadWidget(pad):
    """The widget showing ``pad`` (a ``quickdraw.ui.pad.Sketchpad``) in a notebook (an anywidget
    ``AnyWidget``); raises ``QuickDrawError`` naming what to install when anywidget is missing."""
    try:
        cls = _widget_class()
    except ImportError:
        raise QuickDrawError(INSTALL) from None
    return cls(pad)


def _widget_class():
    import anywidget
    import traitlets

    class SketchpadWidget(anywidget.AnyWidget):
        """A ``Sketchpad`` in a notebook cell: the page draws, the kernel's pad thinks."""

        _esm = _script()
        _css = _style()
        title = traitlets.Unicode("").tag(sync=True)
        info = traitlets.Unicode("").tag(sync=True)
        status = traitlets.Unicode("").tag(sync=True)
        status_kind = traitlets.Unicode("info").tag(sync=True)
        help = traitlets.Unicode("").tag(sync=True)
        strokes = traitlets.List([]).tag(sync=True)
        ghosts = traitlets.List([]).tag(sync=True)
        view = traitlets.List([0, 0, 255]).tag(sync=True)
        overlay = traitlets.Unicode("").tag(sync=True)
        overlay_extent = traitlets.List([0, 255, 255, 0]).tag(sync=True)
        panel = traitlets.Unicode("").tag(sync=True)
        panel_state = traitlets.Dict({}).tag(sync=True)
        buttons = traitlets.List([]).tag(sync=True)
        changes = traitlets.Int(0).tag(sync=True)
        live_every_ms = traitlets.Int(0).tag(sync=True)
        closed = traitlets.Bool(False).tag(sync=True)

        def __init__(self, pad):
            super().__init__()
            self.pad = pad
            self.panel = pad.panel or ""
            self.help = "draw with mouse, pen or finger   " + "   ".join(p for p in (pad.keys_help, pad.help) if p)
            self.buttons = ([["u", "undo"], ["c", "clear"], ["s", "save"]] + KEY_BUTTONS.get(pad.panel or "", [])
                            + [["q", "quit"]])
            self.live_every_ms = 120 if getattr(pad, "wants_live_points", False) else 0
            self.on_msg(self._message)
            pad.attach(self)
            self.refresh({"ink", "ghosts", "overlay", "title", "info", "status", "panel", "live"})

        # ---- the pad tells ----------------------------------------------------------------
        def refresh(self, parts: set) -> None:
            pad = self.pad
            with self.hold_sync():
                if "ink" in parts:
                    self.strokes = [_points(s) for s in pad.strokes]
                    self.view = [round(v, DECIMALS) for v in pad.view]
                    self.changes = pad.changes
                if "ghosts" in parts:
                    self.ghosts = [{"strokes": [_points(s) for s in g["strokes"]], "colour": g.get("colour", "#888"),
                                    "alpha": g.get("alpha", 0.3), "width": g.get("width", 1.5)} for g in pad.ghosts]
                if "overlay" in parts:
                    self.overlay = "" if pad.overlay is None else _png_url(pad.overlay)
                    self.overlay_extent = [round(v, DECIMALS) for v in pad.overlay_extent]
                if "title" in parts:
                    self.title = pad.title
                if "info" in parts:
                    self.info = pad.info
                if "status" in parts:
                    self.status, self.status_kind = pad.status, pad.status_kind
                if "live" in parts and not pad.pen_is_down:
                    self.send({"kind": "drop_live"})
                if "panel" in parts and pad.panel:
                    self.panel_state = _plain(pad.panel_state())

        def pad_closed(self) -> None:
            """The pad closed (``q``): the page greys the pad out and keeps what it shows (a game's summary)."""
            self.closed = True

        def close(self) -> None:
            """Close the widget (ipywidgets' close): the pad closes first, so a game saves what was drawn."""
            self.pad.close()
            super().close()

        # ---- the page tells ---------------------------------------------------------------
        def _message(self, _widget, content, _buffers) -> None:
            kind = content.get("kind")
            pad = self.pad
            if pad.closed:
                return
            try:
                if kind == "down":
                    pad.pen_down((content["x"], content["y"]))
                elif kind == "move":
                    pad.pen_moved(content["points"])
                elif kind == "up":
                    pad.pen_up(content["points"], whole=True)
                elif kind == "key":
                    pad.key(str(content["key"]))
                elif kind == "close":
                    pad.close()
            except QuickDrawError as err:
                pad.set_status(str(err), "error")

    return SketchpadWidget


def _points(stroke) -> list:
    a = np.asarray(stroke, dtype=np.float64)
    return [np.round(a[0], DECIMALS).tolist(), np.round(a[1], DECIMALS).tolist()]


def _png_url(rgba) -> str:
    import matplotlib.image

    buf = io.BytesIO()
    matplotlib.image.imsave(buf, np.clip(np.asarray(rgba, dtype=np.float64), 0, 1), format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _summary_url(rounds, synthetic: bool) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from .panels import draw_summary

    cols = min(max(len(rounds), 1), 4)
    rows = -(-max(len(rounds), 1) // cols)
    fig = Figure(figsize=(max(2.6 * cols, 5.2), 2.8 * rows + (1.2 if synthetic else 1.0)))
    FigureCanvasAgg(fig)
    draw_summary(fig, rounds, synthetic)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _plain(state: dict) -> dict:
    """A panel state as JSON values: arrays as lists, a bitmap as a PNG, a game's summary as a picture."""
    out = {}
    for key, value in state.items():
        if key == "summary":
            out[key] = None if value is None else _summary_url(value, bool(state.get("synthetic")))
        elif key == "bitmap":
            out[key] = None if value is None else _png_url(np.asarray(value, np.float64)[..., None].repeat(3, -1) / 255)
        elif key == "saliency_rgba":
            out[key] = None if value is None else _png_url(value)
        elif key in ("strokes",):
            out[key] = [_points(s) for s in value]
        elif key == "candidates":
            out[key] = [[_points(s) for s in strokes] for strokes in value]
        elif isinstance(value, np.ndarray):
            out[key] = value.tolist()
        elif isinstance(value, (list, tuple)):
            out[key] = [list(v) if isinstance(v, tuple) else v for v in value]
        else:
            out[key] = value
    return out
