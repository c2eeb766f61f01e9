"""The classifier's side of the drawing window: its guesses as probability bars and the bitmap it sees.

``GuessPanel`` plugs into ``quickdraw.ui.window.DrawingWindow``: after every change of the drawing it
renders the strokes exactly as the training data was rendered, shows that bitmap, and draws the
``top`` likeliest classes as labelled bars.

>>> panel = GuessPanel(Classifier("runs/cnn1"))  # doctest: +SKIP
"""
from __future__ import annotations

import numpy as np

from ..errors import QuickDrawError
from ..ui.window import WindowPlugin

BAR_COLOUR = "#3b7dd8"
TOP_COLOUR = "#1b9e3e"


class GuessPanel(WindowPlugin):
    """Probability bars of the ``top`` guesses and the model's own view of the drawing, beside the pad.

    ``echo`` (e.g. ``print``) also receives each guess as one line of text.
    """

    help = ""

    def __init__(self, classifier, *, top: int = 3, echo=None):
        self.classifier = classifier
        self.top = min(top, len(classifier.classes))
        self.echo = echo
        self.guesses: list[tuple[str, float]] = []
        self.window = None

    def attach(self, window, area) -> None:
        self.window = window
        sub = area.subgridspec(2, 1, height_ratios=(1, 1.2), hspace=0.35)
        self.seen = window.fig.add_subplot(sub[0, 0])
        self.bars = window.fig.add_subplot(sub[1, 0])
        size = self.classifier.image_size
        self._image = self.seen.imshow(np.zeros((size, size), np.uint8), cmap="gray", vmin=0, vmax=255)
        self.seen.set_xticks([])
        self.seen.set_yticks([])
        self.seen.set_title(f"what the model sees ({size}x{size})", fontsize=9)
        self._draw_bars([])

    def strokes_changed(self, strokes) -> None:
        if not strokes:
            self.guesses = []
            self._image.set_data(np.zeros_like(self._image.get_array()))
            self._draw_bars([])
            return
        try:
            bitmap = self.classifier.render(strokes)
            self.guesses = self.classifier.top_bitmap(bitmap, self.top)
        except QuickDrawError as err:
            self.window.set_status(str(err), "error")
            return
        self._image.set_data(bitmap)
        self._draw_bars(self.guesses)
        if self.echo:
            self.echo("   ".join(f"{name} {p:.0%}" for name, p in self.guesses))

    def _draw_bars(self, guesses) -> None:
        ax = self.bars
        ax.clear()
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.5, self.top - 0.5)
        ax.invert_yaxis()
        ax.set_xticks([0, 0.5, 1], ["0%", "50%", "100%"], fontsize=8)
        ax.set_yticks([])
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.set_title("the model's guesses", fontsize=9)
        if not guesses:
            ax.text(0.5, (self.top - 1) / 2, "draw, and after each stroke\nthe model guesses",
                    ha="center", va="center", fontsize=10, color="#777777")
            return
        for i, (name, p) in enumerate(guesses):
            ax.barh(i, p, color=TOP_COLOUR if i == 0 else BAR_COLOUR, height=0.7)
            ax.text(0.01, i, f"{name}  {p:.0%}", va="center", ha="left", fontsize=11,
                    color="white" if p > 0.35 else "#111111", fontweight="bold" if i == 0 else None)
