"""Classify while you draw: a pad whose side panel shows the classifier's guesses and the bitmap it sees.

``guess_pad(run)`` returns a ``GuessPad``: after every stroke the drawing is rendered exactly as the
training data was and the ``top`` likeliest classes appear as bars (``.guesses``). The model works in
the pad's worker thread, so the pen is never held up. ``.show()`` opens it in a desktop window (what
``qd classify RUN --draw`` does) or, in a notebook, as a widget in the cell's output.

>>> pad = guess_pad("runs/cnn1")  # doctest: +SKIP
>>> pad.show()                    # doctest: +SKIP
>>> pad.guesses                   # doctest: +SKIP
[('cat', 0.91), ('dog', 0.05), ('bird', 0.02)]
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from ..errors import QuickDrawError
from ..ui.pad import Sketchpad


class GuessPad(Sketchpad):
    """A pad whose model guesses what the drawing is after every stroke.

    ``classifier`` is a ``Classifier``; ``top`` guesses are shown; ``echo`` (e.g. ``print``) also
    receives each guess as one line of text. ``latencies`` keeps, per guess, the seconds from the
    change of the drawing to the guess being ready.
    """

    panel = "guesses"
    help = "e explain (saliency over the pad)"
    window_title = "qd classify"
    no_display_hint = "classify a file instead: qd classify RUNDIR drawing.ndjson"

    def __init__(self, classifier, *, top: int = 3, echo=None, title: str | None = None,
                 out: str | os.PathLike = "drawing.png"):
        if title is None:
            title = f"draw one of: {', '.join(classifier.classes)}"
            if classifier.synthetic:
                title += " (model trained on SYNTHETIC doodles)"
        super().__init__(title=title, out=out)
        self.classifier = classifier
        self.top = min(top, len(classifier.classes))
        self.echo = echo
        self.guesses: list[tuple[str, float]] = []
        self.bitmap: np.ndarray | None = None
        self.latencies: list[float] = []
        self.guessed_change = 0  # the drawing's change the guesses are for
        self.explaining = False  # the e key: the top guess's saliency map laid over the pad
        self.saliency: np.ndarray | None = None
        self.run_in_background("warm up", lambda job: classifier.warm_up())

    def on_strokes_changed(self, strokes, echo: bool = True) -> None:
        if not strokes:
            self.cancel("guess")
            self.guesses, self.bitmap = [], None
            self._show_saliency(None)
            self.refresh("panel")
            return
        changed, change = time.perf_counter(), self.changes
        strokes = [s.copy() for s in strokes]

        explaining = self.explaining

        def guess(job):
            bitmap = self.classifier.render(strokes)
            guesses = self.classifier.top_bitmap(bitmap, self.top)
            if not explaining:
                return bitmap, guesses, None
            from .saliency import pad_extent, saliency

            top = self.classifier.classes.index(guesses[0][0])
            return bitmap, guesses, (saliency(self.classifier, bitmap, top), pad_extent(strokes, len(bitmap)))

        def shown(result):
            if isinstance(result, QuickDrawError):
                self.set_status(str(result), "error")
                return
            if isinstance(result, BaseException):
                raise result
            self.bitmap, self.guesses, explained = result
            self._show_saliency(explained)
            self.guessed_change = change
            self.latencies.append(time.perf_counter() - changed)
            self.refresh("panel")
            if self.echo and echo:
                self.echo("   ".join(f"{name} {p:.0%}" for name, p in self.guesses))

        self.run_in_background("guess", guess, shown)

    def on_key(self, key: str) -> bool:
        if key != "e":
            return False
        self.explaining = not self.explaining
        if self.explaining:
            self.set_status("explaining: red where the ink counts for the top guess, blue against (SmoothGrad)")
            self.on_strokes_changed(list(self.strokes), echo=False)  # the same guesses, now explained
        else:
            self._show_saliency(None)
            self.set_status("")
        return True

    def _show_saliency(self, explained) -> None:
        from .saliency import overlay

        if explained is None:
            self.saliency = None
            if self.overlay is not None:
                self.set_overlay(None)
            return
        self.saliency, extent = explained
        self.set_overlay(overlay(self.saliency, opacity=0.5), extent)

    def panel_state(self) -> dict:
        from .saliency import overlay

        return {"guesses": list(self.guesses), "top": self.top, "bitmap": self.bitmap,
                "size": self.classifier.image_size, "for_change": self.guessed_change,
                "saliency_rgba": None if self.saliency is None else overlay(self.saliency)}


def guess_pad(run, drawing=None, *, top: int = 3, index: int = 0, out: str | os.PathLike = "drawing.png",
              echo=None) -> GuessPad:
    """A ``GuessPad`` of the classifier run ``run``: draw, and its ``top`` guesses follow every stroke.

    ``drawing`` is a drawing to begin from: a file qd reads (drawing ``index`` of it), a ``Drawing``
    or a list of strokes. ``.show()`` it (a desktop window, or a widget in a notebook), or keep
    drawing from code with ``pen_down``/``pen_moved``/``pen_up``; ``.save(path)`` writes a PNG and
    the strokes as ndjson beside it.

    >>> pad = guess_pad("runs/cnn1", "cat.ndjson", index=3)  # doctest: +SKIP
    >>> pad.show()                                           # doctest: +SKIP
    """
    from ..raster.frame import start_strokes
    from .predict import Classifier, check_top

    check_top(top)
    strokes = start_strokes(drawing, index)
    pad = GuessPad(Classifier(run), top=top, echo=echo, out=out)
    pad.window_title = f"qd classify {Path(str(run)).name}"
    if strokes:
        pad.set_strokes(strokes)
    return pad

