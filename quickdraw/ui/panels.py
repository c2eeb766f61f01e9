"""The side panels of the desktop window, drawn with matplotlib from a pad's ``panel_state()``.

Three kinds, one per model front: ``guesses`` (the classifier's top guesses as bars and the bitmap it
sees), ``candidates`` (Sketch-RNN's completions, one small pad each) and ``game`` (the Quick, Draw!
game's prompt, clock, guesses and score; its summary at the end). Every artist that changes while the
user draws is *animated*: the window blits it over a saved background instead of redrawing the
figure, so a new guess or a grown candidate never holds up the pen. The notebook widget draws the
same states in the browser (``static/notebook.js``).
"""
from __future__ import annotations

import math

import numpy as np

from ..raster.frame import FRAME

BAR_COLOUR = "#3b7dd8"
TOP_COLOUR = "#1b9e3e"
COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#bcbd22")
PLACEHOLDER = "draw, and after each stroke\nthe model guesses"


def frame_axes(ax) -> None:
    """Show ``ax`` as the dataset's 0-255 frame: y down, square, no ticks."""
    ax.set_xlim(0, FRAME)
    ax.set_ylim(FRAME, 0)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


class Panel:
    """A side panel: ``update(state)`` changes its artists and returns what changed on the canvas (axes or
    artists, for the window to blit), or True when the layout changed (the window draws in full)."""

    def __init__(self, fig, area):
        self.fig, self.area = fig, area
        self.animated: list = []

    def update(self, state: dict) -> list | bool:
        return []

    def _animate(self, artist):
        artist.set_animated(True)
        self.animated.append(artist)
        return artist


class GuessesPanel(Panel):
    """The ``top`` guesses as labelled bars, and the bitmap the classifier sees, above them."""

    def __init__(self, fig, area, state: dict):
        super().__init__(fig, area)
        self.top = int(state.get("top", 3))
        size = int(state.get("size", 28))
        sub = area.subgridspec(2, 1, height_ratios=(1, 1.2), hspace=0.35)
        self.seen = fig.add_subplot(sub[0, 0])
        self.bars = fig.add_subplot(sub[1, 0])
        self.image = self._animate(self.seen.imshow(np.zeros((size, size), np.uint8), cmap="gray", vmin=0,
                                                    vmax=255))
        self.heat = self._animate(self.seen.imshow(np.zeros((size, size, 4)), interpolation="nearest"))
        self.seen.set_xticks([])
        self.seen.set_yticks([])
        self.seen.set_title(f"what the model sees ({size}x{size})", fontsize=9)
        ax = self.bars
        ax.set_xlim(0, 1)
        ax.set_ylim(self.top - 0.5, -0.5)
        ax.set_xticks([0, 0.5, 1], ["0%", "50%", "100%"], fontsize=8)
        ax.set_yticks([])
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.set_title("the model's guesses", fontsize=9)
        self.rects = [self._animate(r) for r in ax.barh(range(self.top), [0] * self.top, height=0.7,
                                                        color=BAR_COLOUR)]
        self.labels = [self._animate(ax.text(0.01, i, "", va="center", ha="left", fontsize=11))
                       for i in range(self.top)]
        self.placeholder = self._animate(ax.text(0.5, (self.top - 1) / 2, PLACEHOLDER, ha="center",
                                                 va="center", fontsize=10, color="#777777"))
        self.update(state)

    def update(self, state: dict) -> list | bool:
        guesses = state.get("guesses") or []
        bitmap = state.get("bitmap")
        self.image.set_data(np.zeros_like(self.image.get_array()) if bitmap is None else np.asarray(bitmap))
        overlay = state.get("saliency_rgba")
        self.heat.set_visible(overlay is not None)
        if overlay is not None:
            self.heat.set_data(np.asarray(overlay))
        self.placeholder.set_visible(not guesses)
        for i, (rect, label) in enumerate(zip(self.rects, self.labels)):
            name, p = guesses[i] if i < len(guesses) else ("", 0.0)
            rect.set_width(p)
            rect.set_color(TOP_COLOUR if i == 0 else BAR_COLOUR)
            label.set_text(f"{name}  {p:.0%}" if name else "")
            label.set_color("white" if p > 0.35 else "#111111")
            label.set_fontweight("bold" if i == 0 else "normal")
        return [self.seen, self.bars]


class CandidatesPanel(Panel):
    """One small pad per candidate completion: the user's strokes in black, the candidate in colour."""

    def __init__(self, fig, area, state: dict):
        super().__init__(fig, area)
        self.n = 0
        self.axes: list = []
        self.update(state)

    def _layout(self, n: int) -> None:
        for ax in self.axes:
            ax.remove()
        self.n = n
        cols = math.ceil(math.sqrt(n))
        rows = math.ceil(n / cols)
        sub = self.area.subgridspec(rows, cols, wspace=0.04, hspace=0.04)
        self.axes = [self.fig.add_subplot(sub[i // cols, i % cols]) for i in range(n)]
        self.animated = []
        self.given: list[list] = [[] for _ in range(n)]
        self.grown: list[list] = [[] for _ in range(n)]
        self.titles = []
        for i, ax in enumerate(self.axes):
            frame_axes(ax)
            self.titles.append(self._animate(ax.set_title(f"{i + 1}", fontsize=8, color=COLOURS[i % len(COLOURS)])))

    def update(self, state: dict) -> list | bool:
        n = int(state.get("n", 4))
        layout = n != self.n
        if layout:
            self._layout(n)
        strokes = state.get("strokes") or []
        candidates = state.get("candidates") or []
        ended = state.get("ended") or []
        for i, ax in enumerate(self.axes):
            self._lines(ax, self.given[i], strokes, "black", 1.5)
            mine = candidates[i] if i < len(candidates) else []
            self._lines(ax, self.grown[i], mine, COLOURS[i % len(COLOURS)], 1.5)
            self._fit(ax, mine)
            if i < len(ended) and ended[i] and not mine:
                self.titles[i].set_text(f"{i + 1}: ended at once, nothing added")
                self.titles[i].set_color("#777777")
            else:
                self.titles[i].set_text(f"{i + 1}")
                self.titles[i].set_color(COLOURS[i % len(COLOURS)])
        return True if layout else list(self.axes) + self.titles

    def _lines(self, ax, lines: list, strokes, colour: str, width: float) -> None:
        for line, stroke in zip(lines, strokes):
            line.set_data(stroke[0], stroke[1])
        for stroke in strokes[len(lines):]:
            (line,) = ax.plot(stroke[0], stroke[1], color=colour, lw=width, solid_capstyle="round")
            lines.append(self._animate(line))
        while len(lines) > len(strokes):
            line = lines.pop()
            self.animated.remove(line)
            line.remove()

    @staticmethod
    def _fit(ax, strokes) -> None:
        """Widen a candidate's pad past the 0-255 frame when the candidate leaves it (nothing is clipped)."""
        points = np.concatenate([np.array([[0.0, FRAME], [0.0, FRAME]]), *[np.asarray(s) for s in strokes]],
                                axis=1)
        low, high = points.min(axis=1), points.max(axis=1)
        side = (high - low).max() * 1.04 if (low.min() < 0 or high.max() > FRAME) else FRAME
        centre = (low + high) / 2 if side != FRAME else np.array([FRAME / 2, FRAME / 2])
        ax.set_xlim(centre[0] - side / 2, centre[0] + side / 2)
        ax.set_ylim(centre[1] + side / 2, centre[1] - side / 2)


class GamePanel(Panel):
    """The game's prompt, countdown, guesses and score; its summary replaces the window at the end."""

    def __init__(self, fig, area, state: dict):
        super().__init__(fig, area)
        self.ax = fig.add_subplot(area)
        self.ax.set_axis_off()
        self.prompt = self._animate(self.ax.text(0.5, 0.85, "", ha="center", fontsize=22, fontweight="bold"))
        self.clock = self._animate(self.ax.text(0.5, 0.7, "", ha="center", fontsize=14, color="#555555"))
        self.line = self._animate(self.ax.text(0.5, 0.45, "", ha="center", fontsize=15, wrap=True))
        self.score = self._animate(self.ax.text(0.5, 0.1, "", ha="center", fontsize=10, color="#555555"))
        self.summary_shown = False
        self.update(state)

    def update(self, state: dict) -> list | bool:
        if state.get("summary") is not None and not self.summary_shown:
            self.summary_shown = True
            return True  # the window replaces itself by the summary
        changed = []
        renderer = self.fig.canvas.get_renderer() if hasattr(self.fig.canvas, "get_renderer") else None
        for artist, key in ((self.prompt, "prompt"), (self.clock, "clock"), (self.line, "line"), (self.score, "score")):
            text = state.get(key, "")
            if text != artist.get_text():
                if renderer is not None and artist.get_text():
                    changed.append(_Was(artist.get_window_extent(renderer)))
                artist.set_text(text)
                changed.append(artist)
        return changed


class _Was:
    """Where an artist was on the canvas before it changed: its old pixels reach the screen too."""

    def __init__(self, box):
        self.box = box

    def get_window_extent(self, renderer=None):
        return self.box


PANELS = {"guesses": GuessesPanel, "candidates": CandidatesPanel, "game": GamePanel}


def draw_summary(fig, rounds, synthetic: bool = False) -> None:
    """Draw a game's ``rounds`` onto ``fig``: each drawing, its category, recognised or not, the seconds.

    A round is anything with ``category``, ``strokes``, ``recognized``, ``skipped`` and ``seconds``.
    The title sits above the drawings' own captions, whatever the number of rounds.
    """
    n = max(len(rounds), 1)
    cols = min(n, 4)
    rows = -(-n // cols)
    width, height = fig.get_size_inches()
    title_in = 0.75 if synthetic else 0.5
    top = 1 - title_in / height
    grid = fig.add_gridspec(rows, cols, left=0.03, right=0.97, bottom=0.03, top=top - 0.42 / height,
                            hspace=0.45, wspace=0.1)
    axes = [fig.add_subplot(grid[i // cols, i % cols]) for i in range(rows * cols)]
    for ax in axes:
        ax.set_axis_off()
    for ax, r in zip(axes, rounds):
        ax.set_xlim(0, FRAME)
        ax.set_ylim(FRAME, 0)
        ax.set_aspect("equal")
        for s in r.strokes:
            ax.plot(s[0], s[1], color="black", lw=2, solid_capstyle="round")
        if not r.strokes:
            ax.text(127, 127, "(nothing drawn)", ha="center", va="center", fontsize=9, color="#777777")
        verdict = "recognised" if r.recognized else ("skipped" if r.skipped else "not recognised")
        ax.set_title(f"{r.category}: {verdict}\n{r.seconds:.1f} s", fontsize=10,
                     color="#1b7e34" if r.recognized else "#b00000")
    known = sum(r.recognized for r in rounds)
    note = "\n(model trained on SYNTHETIC doodles)" if synthetic else ""
    fig.suptitle(f"qd play: the model recognised {known} of {len(rounds)} drawings{note}", fontsize=11,
                 y=1 - 0.12 / height, va="top")
