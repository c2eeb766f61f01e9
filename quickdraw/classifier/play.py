"""``qd play``: the Quick, Draw! game against a trained classifier, guessing live while you draw.

Each round names a category of the run ("Draw: cat") and counts down. While the user draws, the CNN
guesses from the strokes so far, rendered exactly as its training data was: at every pen-up and at
most every 150 ms while the pen moves. "I see apple, or bat, or rainbow", then "Oh, I know, it's
cat!" once the top guess is the target with enough confidence; or "Sorry, I couldn't guess it" when
time runs out. At the end a summary picture is saved and shown, and every drawing is appended to an
ndjson file in the dataset's simplified layout, which ``qd info``, ``qd show`` and ``qd build`` read.

``Game`` is a ``quickdraw.ui.window.WindowPlugin`` driven by a clock it is given, so tests replay real
matplotlib events and move time themselves.

>>> play("runs/cnn1", out="my_doodles.ndjson", rounds=6, seconds=20)  # doctest: +SKIP
"""
from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import QuickDrawError
from ..ui.window import WindowPlugin

GUESS_EVERY_S = 0.15  # while the pen moves
TICK_MS = 50
CONFIDENCE = 0.5  # the target must be the top guess with at least this probability
BETWEEN_ROUNDS_S = 1.5
SEEN = 3  # guesses read out in "I see ..."


@dataclass
class Round:
    """One round: the category asked for, what was drawn, whether the model knew it and when."""

    category: str
    strokes: list = field(default_factory=list)
    recognized: bool = False
    seconds: float = 0.0
    skipped: bool = False
    timestamp: str = ""


def round_categories(classes, rounds: int, seed: int) -> list[str]:
    """The categories of ``rounds`` rounds: the run's classes in a seeded random order, repeated as needed."""
    rng = np.random.default_rng([seed, 17])
    order: list[str] = []
    while len(order) < rounds:
        order.extend(str(c) for c in rng.permutation(list(classes)))
    return order[:rounds]


def guess_line(guesses, target: str, confidence: float = CONFIDENCE) -> tuple[str, bool]:
    """What the game says for ``guesses`` [(name, p), ...], and whether that recognises ``target``."""
    if not guesses:
        return "", False
    best, p = guesses[0]
    if best == target and p >= confidence:
        return f"Oh, I know, it's {target}!", True
    names = [name for name, _ in guesses[:SEEN]]
    return "I see " + ", or ".join(names), False


class Speaker:
    """Says lines through the system's text-to-speech (espeak-ng, espeak, say, spd-say), or nothing."""

    COMMANDS = ("espeak-ng", "espeak", "say", "spd-say")

    def __init__(self, enabled: bool, log=print):
        self.command = next((c for c in self.COMMANDS if shutil.which(c)), None) if enabled else None
        self._last = ""
        if enabled and self.command is None:
            log("qd: --speak: no text-to-speech found (install espeak-ng); playing silently")

    def say(self, text: str) -> None:
        """Speak ``text`` in the background, unless it repeats the last line."""
        if self.command is None or not text or text == self._last:
            return
        self._last = text
        try:
            subprocess.Popen([self.command, text], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError:
            self.command = None


class Game(WindowPlugin):
    """The game's side panel and rules; ``clock()`` gives seconds (``time.monotonic`` in a real window)."""

    help = "n next round"

    def __init__(self, classifier, categories, *, seconds: float = 20.0, confidence: float = CONFIDENCE,
                 clock=time.monotonic, speaker: Speaker | None = None, on_end=None):
        self.classifier = classifier
        self.categories = list(categories)
        self.seconds = float(seconds)
        self.confidence = confidence
        self.clock = clock
        self.speaker = speaker or Speaker(False)
        self.on_end = on_end
        self.rounds: list[Round] = []
        self.window = None
        self.line = ""
        self.over = False
        self._started = 0.0
        self._last_guess = -1e9
        self._ended_at: float | None = None
        self._timer = None

    # ---- window plumbing ----------------------------------------------------------------------
    def attach(self, window, area) -> None:
        self.window = window
        self.panel = window.fig.add_subplot(area)
        self.panel.set_axis_off()
        self._prompt = self.panel.text(0.5, 0.85, "", ha="center", fontsize=22, fontweight="bold")
        self._clock_text = self.panel.text(0.5, 0.7, "", ha="center", fontsize=14, color="#555555")
        self._guess_text = self.panel.text(0.5, 0.45, "", ha="center", fontsize=15, wrap=True)
        self._score_text = self.panel.text(0.5, 0.1, "", ha="center", fontsize=10, color="#555555")
        self._timer = window.new_timer(TICK_MS, self.tick)
        self._start_round()
        self._timer.start()

    @property
    def current(self) -> Round | None:
        """The round being played (None once the game is over)."""
        return None if self.over else self.rounds[-1]

    def strokes_changed(self, strokes) -> None:
        if self.current is not None and self._ended_at is None:
            self._guess(strokes)

    def key(self, key: str) -> bool:
        if key == "n" and self.current is not None and self._ended_at is None:
            self.current.skipped = True
            self._end_round("Skipped.")
            return True
        return False

    def close(self) -> None:
        if not self.over:
            self.finish()

    # ---- rules --------------------------------------------------------------------------------
    def _start_round(self) -> None:
        category = self.categories[len(self.rounds)]
        self.rounds.append(Round(category))
        self._started = self.clock()
        self._ended_at = None
        self.line = ""
        self.window.set_strokes([])
        self.window.set_title(f"Draw: {category}" + (" (a model of SYNTHETIC doodles)"
                                                     if self.classifier.synthetic else ""))
        self._prompt.set_text(f"Draw: {category}")
        self._guess_text.set_text("")
        self._score()
        self.speaker.say(f"Draw {category}")

    def tick(self) -> None:
        """Advance the game to ``clock()``: countdown, guesses while the pen moves, round changes."""
        if self.over:
            return
        now = self.clock()
        if self._ended_at is not None:
            if now - self._ended_at >= BETWEEN_ROUNDS_S:
                self._next()
            return
        left = self.seconds - (now - self._started)
        if left <= 0:
            self._end_round("Sorry, I couldn't guess it.")
            return
        self._clock_text.set_text(f"{left:4.1f} s left")
        live = self.window.drawing_stroke
        if live is not None and live.shape[1] > 1 and now - self._last_guess >= GUESS_EVERY_S:
            self._guess([*self.window.strokes, live])
        self.window.fig.canvas.draw_idle()

    def _guess(self, strokes) -> None:
        self._last_guess = self.clock()
        if not strokes:
            return
        try:
            guesses = self.classifier.top(strokes, SEEN)
        except QuickDrawError:
            return
        self.line, known = guess_line(guesses, self.current.category, self.confidence)
        self._guess_text.set_text(self.line)
        self.speaker.say(self.line)
        if known:
            self.current.recognized = True
            self._end_round(self.line)
        self.window.fig.canvas.draw_idle()

    def _end_round(self, text: str) -> None:
        now = self.clock()
        current = self.current
        current.seconds = round(now - self._started, 2)
        live = self.window.cancel_stroke()  # a stroke under the pen belongs to this round
        current.strokes = [s.copy() for s in self.window.strokes] + ([live] if live is not None else [])
        current.timestamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
        self._ended_at = now
        self.line = text
        self._guess_text.set_text(text)
        self._clock_text.set_text("")
        self.speaker.say(text)
        self._score()
        self.window.fig.canvas.draw_idle()

    def _next(self) -> None:
        if len(self.rounds) < len(self.categories):
            self._start_round()
        else:
            self.finish()

    def _score(self) -> None:
        done = [r for r in self.rounds if r.timestamp]
        known = sum(r.recognized for r in done)
        self._score_text.set_text(f"round {len(self.rounds)} of {len(self.categories)}   "
                                  f"recognised {known} of {len(done)}")

    def finish(self) -> None:
        """End the game: a round still open is kept as not recognised; ``on_end(rounds)`` is called."""
        if self.over:
            return
        if self.rounds and not self.rounds[-1].timestamp:
            if self.window.strokes:
                self._end_round("Game over.")
            else:
                self.rounds.pop()
        self.over = True
        if self._timer is not None:
            self._timer.stop()
        if self.on_end:
            self.on_end([r for r in self.rounds if r.timestamp])


# ---- what the game leaves ---------------------------------------------------------------------

def to_drawings(rounds, seed: int = 0):
    """The rounds as ``Drawing`` records in the official simplified layout (strokes simplified as the dataset's)."""
    from ..formats.drawing import Drawing
    from ..raster.simplify import simplify

    rng = np.random.default_rng([seed, 18, len(rounds)])
    out = []
    for r in rounds:
        strokes = simplify([np.asarray(s) for s in r.strokes]) if r.strokes else []
        key_id = str(int(rng.integers(10 ** 15, 10 ** 16)))
        out.append(Drawing([np.asarray(s, np.int64) for s in strokes], word=r.category, key_id=key_id,
                           countrycode="", timestamp=r.timestamp, recognized=r.recognized))
    return out


def save_rounds(rounds, out: Path, seed: int = 0) -> Path:
    """Append the rounds' drawings to the ndjson file ``out`` (created if missing); return it.

    An existing file must already read as Quick, Draw! ndjson; the result is written beside it and
    renamed into place, so a failure leaves the old file as it was.
    """
    from ..formats import read_path, write_path

    out = Path(out)
    old = list(read_path(out)) if out.exists() else []
    drawings = [d for d in to_drawings(rounds, seed) if d.strokes]
    write_path(out, [*old, *drawings])
    return out


def summary_figure(rounds, synthetic: bool = False):
    """A Figure of every round: the drawing, its category, recognised or not, and the seconds it took."""
    from matplotlib.figure import Figure

    cols = min(max(len(rounds), 1), 4)
    rows = -(-max(len(rounds), 1) // cols)
    fig = Figure(figsize=(max(2.6 * cols, 5.2), 2.8 * rows + 0.8))
    draw_summary(fig, rounds, synthetic)
    return fig


def draw_summary(fig, rounds, synthetic: bool = False) -> None:
    """Draw the summary of ``rounds`` onto ``fig`` (a new Figure, or the game's window at its end)."""
    n = max(len(rounds), 1)
    cols = min(n, 4)
    rows = -(-n // cols)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax in axes:
        ax.set_axis_off()
    for ax, r in zip(axes, rounds):
        ax.set_xlim(0, 255)
        ax.set_ylim(255, 0)
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
    fig.suptitle(f"qd play: the model recognised {known} of {len(rounds)} drawings{note}", fontsize=11)


def save_summary(rounds, path: Path, synthetic: bool = False) -> Path:
    """Write ``summary_figure`` to ``path`` (PNG), atomically."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = summary_figure(rounds, synthetic)
    FigureCanvasAgg(fig)
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    try:
        fig.savefig(tmp, format="png", dpi=90)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise QuickDrawError(f"cannot write {path}: {err.strerror or err}") from None
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output(out) -> Path:
    """The ndjson file the game appends to: refuse a folder, a non-ndjson name or a file qd cannot read."""
    from ..formats import read_path

    out = Path(out)
    if out.suffix.lower() != ".ndjson":
        raise QuickDrawError(f"--out {out}: the drawings are saved as ndjson; give a name ending in .ndjson")
    if out.is_dir():
        raise QuickDrawError(f"--out {out} is a folder; give an .ndjson file")
    if out.exists():
        sum(1 for _ in read_path(out))  # raises a one-line error for a damaged or foreign file
    if not out.parent.exists() or not os.access(out.parent, os.W_OK):
        raise QuickDrawError(f"cannot write to {out.parent} (missing or read-only)")
    return out


def play(rundir, *, out="my_doodles.ndjson", rounds: int = 6, seconds: float = 20.0, seed: int = 0,
         speak: bool = False, confidence: float = CONFIDENCE, log=print) -> list[Round]:
    """Play the game in a window against the classifier of ``rundir``; return the rounds played.

    The drawings are appended to ``out`` (ndjson) and the summary saved beside it (``.png``), also
    when the window is closed or Ctrl-C stops the game halfway.
    """
    from ..core.validate import integer, seed as check_seed
    from ..ui.window import DrawingWindow, window_figure
    from .predict import Classifier

    integer("--rounds", rounds, 1, 100)
    if not 1 <= float(seconds) <= 600:
        raise QuickDrawError(f"--seconds must be between 1 and 600, not {seconds}")
    check_seed(seed)
    out = check_output(out)
    classifier = Classifier(rundir)
    if len(classifier.classes) < 2:
        raise QuickDrawError(f"{rundir} knows {len(classifier.classes)} class; the game needs at least 2")
    fig = window_figure(f"qd play {Path(rundir).name}",
                        "or classify a drawing from a file: qd classify RUNDIR drawing.ndjson")
    played: list[Round] = []

    def ended(rounds_played):
        played[:] = rounds_played
        _leave(rounds_played, out, classifier.synthetic, seed, log)
        window.set_status(f"saved {out} and {out.with_suffix('.png').name}; close the window to quit")
        _show_summary(window.fig, rounds_played, classifier.synthetic)

    game = Game(classifier, round_categories(classifier.classes, rounds, seed), seconds=seconds,
                confidence=confidence, speaker=Speaker(speak, log), on_end=ended)
    window = DrawingWindow(fig, plugin=game, title="", out=out.with_suffix(".window.png"))
    try:
        window.show()
    finally:  # closed, quit or Ctrl-C: what was drawn is saved
        game.finish()
    return played


def _leave(rounds, out: Path, synthetic: bool, seed: int, log) -> None:
    if not rounds:
        log("no drawing to save")
        return
    drawn = [r for r in rounds if r.strokes]
    if drawn:
        save_rounds(drawn, out, seed)
    summary = save_summary(rounds, out.with_suffix(".png"), synthetic)
    known = sum(r.recognized for r in rounds)
    empty = len(rounds) - len(drawn)
    saved = (f"appended {len(drawn)} drawing{'s' * (len(drawn) != 1)} to {out}" if drawn
             else f"nothing drawn to save in {out}")
    if drawn and empty:
        saved += f" ({empty} round{'s' * (empty != 1)} with nothing drawn left out)"
    log(f"recognised {known} of {len(rounds)}: {saved}, summary in {summary}")


def _show_summary(fig, rounds, synthetic: bool) -> None:
    """Replace the game in the window by its summary picture."""
    if rounds:
        fig.clear()
        draw_summary(fig, rounds, synthetic)
        fig.canvas.draw_idle()
