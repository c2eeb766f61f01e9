"""``qd play``: the Quick, Draw! game against a trained classifier, guessing live while you draw.

Each round names a category of the run ("Draw: cat") and counts down. While the user draws, the CNN
guesses from the strokes so far, rendered exactly as its training data was: at every pen-up and at
most every 150 ms while the pen moves. "I see apple, or bat, or rainbow", then "Oh, I know, it's
cat!" once the top guess is the target with enough confidence; or "Sorry, I couldn't guess it" when
time runs out. At the end a summary picture is saved and shown, and every drawing is appended to an
ndjson file in the dataset's simplified layout, which ``qd info``, ``qd show`` and ``qd build`` read.

``game(run)`` returns the game as a ``Game``, a ``quickdraw.ui.pad.Sketchpad`` driven by a clock it is
given (so tests replay real events and move time themselves): ``.show()`` plays it in a desktop window
or a notebook widget. Guesses run in the pad's worker thread, never on the window's event loop.

>>> g = game("runs/cnn1", rounds=6, seconds=20)  # doctest: +SKIP
>>> g.show()                                    # doctest: +SKIP
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
from ..ui.pad import Sketchpad

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


class Game(Sketchpad):
    """The game on a pad: rules, countdown and guesses; ``clock()`` gives seconds (``time.monotonic`` live).

    ``rounds`` are the rounds played so far (``Round``); ``on_end(rounds)`` is called once when the
    last round ends, the game is quit or its pad closed. Guesses run in the pad's worker thread;
    ``tick()`` advances the clock (a timer calls it every 50 ms while the pad is shown).
    """

    panel = "game"
    help = "n next round"
    window_title = "qd play"
    wants_live_points = True
    no_display_hint = "classify a drawing from a file: qd classify RUNDIR drawing.ndjson"

    def __init__(self, classifier, categories, *, seconds: float = 20.0, confidence: float = CONFIDENCE,
                 clock=time.monotonic, speaker: Speaker | None = None, on_end=None, out="my_doodles.ndjson"):
        super().__init__(title="", out=Path(out).with_suffix(".window.png"))
        self.classifier = classifier
        self.categories = list(categories)
        self.seconds = float(seconds)
        self.confidence = confidence
        self.clock = clock
        self.speaker = speaker or Speaker(False)
        self.on_end = on_end
        self.rounds: list[Round] = []
        self.line = ""
        self.over = False
        self.summary: list[Round] | None = None
        self._clock_text = ""
        self._started = 0.0
        self._last_guess = -1e9
        self._ended_at: float | None = None
        self._timer = None
        self.run_in_background("warm up", lambda job: classifier.warm_up())

    # ---- pad plumbing -------------------------------------------------------------------------
    def attach(self, view) -> None:
        super().attach(view)
        self.start()

    def start(self) -> None:
        """Begin the first round and the clock (done when the game is first shown)."""
        if self.rounds or self.over:
            return
        self._start_round()
        self._timer = self.every(TICK_MS / 1000, self.tick)
        self._timer.start()

    @property
    def current(self) -> Round | None:
        """The round being played (None once the game is over)."""
        return None if self.over or not self.rounds else self.rounds[-1]

    def on_strokes_changed(self, strokes) -> None:
        if self.current is not None and self._ended_at is None:
            self._guess(strokes)

    def on_key(self, key: str) -> bool:
        if key == "n" and self.current is not None and self._ended_at is None:
            self.current.skipped = True
            self._end_round("Skipped.")
            return True
        return False

    def on_close(self) -> None:
        if not self.over:
            self.finish()

    def panel_state(self) -> dict:
        done = [r for r in self.rounds if r.timestamp]
        known = sum(r.recognized for r in done)
        prompt = f"Draw: {self.rounds[-1].category}" if self.rounds and not self.over else ""
        return {"prompt": prompt, "clock": self._clock_text, "line": self.line,
                "score": f"round {len(self.rounds)} of {len(self.categories)}   recognised {known} of {len(done)}",
                "summary": self.summary, "synthetic": self.classifier.synthetic}

    # ---- rules --------------------------------------------------------------------------------
    def _start_round(self) -> None:
        category = self.categories[len(self.rounds)]
        self.rounds.append(Round(category))
        self._started = self.clock()
        self._ended_at = None
        self.line = ""
        self.set_strokes([])
        self.set_title(f"Draw: {category}" + (" (a model of SYNTHETIC doodles)" if self.classifier.synthetic else ""))
        self.refresh("panel")
        self.speaker.say(f"Draw {category}")

    def tick(self) -> None:
        """Advance the game to ``clock()``: countdown, guesses while the pen moves, round changes."""
        if self.over or not self.rounds:
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
        text = f"{left:4.1f} s left"
        if text != self._clock_text:
            self._clock_text = text
            self.refresh("panel")
        live = self.drawing_stroke
        if live is not None and live.shape[1] > 1 and now - self._last_guess >= GUESS_EVERY_S:
            self._guess([*self.strokes, live])

    def _guess(self, strokes) -> None:
        self._last_guess = self.clock()
        if not strokes:
            return
        strokes = [np.array(s, dtype=np.float64) for s in strokes]
        this_round = len(self.rounds)

        def guess(job):
            return self.classifier.top(strokes, SEEN)

        def heard(guesses):
            if isinstance(guesses, QuickDrawError):
                return
            if isinstance(guesses, BaseException):
                raise guesses
            if self.over or len(self.rounds) != this_round or self._ended_at is not None:
                return
            self.line, known = guess_line(guesses, self.current.category, self.confidence)
            self.speaker.say(self.line)
            if known:
                self.current.recognized = True
                self._end_round(self.line)
            else:
                self.refresh("panel")

        self.run_in_background("guess", guess, heard)

    def _end_round(self, text: str) -> None:
        now = self.clock()
        current = self.current
        current.seconds = round(now - self._started, 2)
        live = self.take_stroke()  # a stroke under the pen belongs to this round
        current.strokes = [s.copy() for s in self.strokes] + ([live] if live is not None else [])
        current.timestamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
        self.cancel("guess")
        self._ended_at = now
        self.line = text
        self._clock_text = ""
        self.speaker.say(text)
        self.refresh("panel")

    def _next(self) -> None:
        if len(self.rounds) < len(self.categories):
            self._start_round()
        else:
            self.finish()

    def finish(self) -> None:
        """End the game: a round still open is kept as not recognised; ``on_end(rounds)`` is called."""
        if self.over:
            return
        if self.rounds and not self.rounds[-1].timestamp:
            if self.strokes or self.drawing_stroke is not None:
                self._end_round("Game over.")
            else:
                self.rounds.pop()
        self.over = True
        if self._timer is not None:
            self._timer.stop()
        self.cancel("guess")
        played = [r for r in self.rounds if r.timestamp]
        self.rounds = played
        if self.on_end:
            self.on_end(played)
        if played:
            self.summary = played
            self.refresh("panel")


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

    from ..ui.panels import draw_summary

    cols = min(max(len(rounds), 1), 4)
    rows = -(-max(len(rounds), 1) // cols)
    fig = Figure(figsize=(max(2.6 * cols, 5.2), 2.8 * rows + (1.2 if synthetic else 1.0)))
    draw_summary(fig, rounds, synthetic)
    return fig


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


def game(run, rounds: int = 6, seconds: float = 20.0, *, out="my_doodles.ndjson", seed: int = 0,
         speak: bool = False, confidence: float = CONFIDENCE, log=print) -> Game:
    """The Quick, Draw! game against the classifier run ``run``: ``rounds`` rounds of ``seconds`` each.

    Returns a ``Game`` pad: ``.show()`` plays it in a desktop window (what ``qd play`` does) or, in a
    notebook, as a widget in the cell's output. When the game ends (or its pad is closed) the
    drawings are appended to ``out`` (ndjson) and a summary picture is saved beside it (``.png``);
    ``.rounds`` holds the rounds played.

    >>> g = game("runs/cnn1", rounds=3, seconds=20)  # doctest: +SKIP
    >>> g.show()                                     # doctest: +SKIP
    >>> [(r.category, r.recognized) for r in g.rounds]  # doctest: +SKIP
    """
    from ..core.validate import integer, seed as check_seed
    from .predict import Classifier

    integer("rounds", rounds, 1, 100)
    if not 1 <= float(seconds) <= 600:
        raise QuickDrawError(f"seconds must be between 1 and 600, not {seconds}")
    check_seed(seed)
    out = check_output(out)
    classifier = Classifier(run)
    if len(classifier.classes) < 2:
        raise QuickDrawError(f"{run} knows {len(classifier.classes)} class; the game needs at least 2")
    pad = Game(classifier, round_categories(classifier.classes, rounds, seed), seconds=seconds,
               confidence=confidence, speaker=Speaker(speak, log), out=out)
    pad.window_title = f"qd play {Path(str(run)).name}"

    def ended(played):
        _leave(played, out, classifier.synthetic, seed, log)
        if played:
            pad.set_status(f"saved {out} and {out.with_suffix('.png').name}; close the window to quit")

    pad.on_end = ended
    return pad


def play(rundir, *, out="my_doodles.ndjson", rounds: int = 6, seconds: float = 20.0, seed: int = 0,
         speak: bool = False, confidence: float = CONFIDENCE, log=print) -> list[Round]:
    """Play the game in a window against the classifier of ``rundir``; return the rounds played.

    The drawings are appended to ``out`` (ndjson) and the summary saved beside it (``.png``), also
    when the window is closed or Ctrl-C stops the game halfway.
    """
    pad = game(rundir, rounds, seconds, out=out, seed=seed, speak=speak, confidence=confidence, log=log)
    pad.show()
    return pad.rounds


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
