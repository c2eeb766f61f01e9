"""``qd play``: the game driven by real matplotlib events and a clock the test moves, then in a real window (Xvfb)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from matplotlib.backend_bases import CloseEvent, MouseEvent
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from quickdraw.errors import QuickDrawError

REPO = Path(__file__).resolve().parents[2]
CLASSES = ["cat", "eye", "fish"]


@pytest.fixture(scope="module")
def cnn(mirror_cnn):
    """A small CNN trained on real mirror drawings of CLASSES (built from strokes), and its Classifier."""
    return mirror_cnn


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def _recognised_drawing(classifier, mirror, category):
    """A mirror drawing of ``category`` whose top guess is ``category`` (so the game must recognise it)."""
    from quickdraw.formats import read_path

    for drawing in read_path(mirror / "full" / "simplified" / f"{category}.ndjson"):
        if classifier.top(drawing.strokes, 1)[0][0] == category:
            return [np.asarray(s, float) for s in drawing.strokes]
    pytest.fail(f"the test CNN recognises no mirror {category}")


def _game(classifier, categories, clock, tmp_path, **kwargs):
    from quickdraw.classifier.play import Game
    from quickdraw.ui.window import DrawingWindow

    fig = Figure(figsize=(10, 5), dpi=40)
    FigureCanvasAgg(fig)
    ended = []
    game = Game(classifier, categories, clock=clock, on_end=ended.append, out=tmp_path / "w.ndjson", **kwargs)
    window = DrawingWindow(fig, game)
    return game, window, ended


def _draw(window, strokes, clock=None, game=None, step_s=0.02):
    """Press, move point by point and release for each stroke, as a user's mouse does."""
    for xs, ys in strokes:
        pixels = window.axes.transData.transform(np.column_stack([xs, ys]))
        names = ["button_press_event"] + ["motion_notify_event"] * (len(pixels) - 1) + ["button_release_event"]
        for name, (x, y) in zip(names, [*pixels, pixels[-1]]):
            window.fig.canvas.callbacks.process(name, MouseEvent(name, window.fig.canvas, x, y, button=1))
            if clock is not None:
                clock.now += step_s
                game.tick()
                game.settle()  # the guess the tick asked for, from the pad's worker


def test_a_replayed_real_drawing_is_recognised_and_saved_as_drawn(cnn, mirror, tmp_path):
    from quickdraw.classifier.play import save_rounds, save_summary
    from quickdraw.formats import read_path
    from quickdraw.raster.simplify import simplify

    run, classifier = cnn
    strokes = _recognised_drawing(classifier, mirror, "eye")
    clock = Clock()
    game, window, ended = _game(classifier, ["eye"], clock, tmp_path, confidence=0.0)
    assert "Draw: eye" in game.title and "Draw: eye" in window._title.get_text()
    _draw(window, strokes, clock, game)
    assert game.rounds[0].recognized and "Oh, I know, it's eye!" in game.line
    drawn = [s.copy() for s in game.rounds[0].strokes]
    clock.now += 2
    game.tick()  # the pause after the round: the game ends (one round)
    assert game.over and len(ended) == 1
    out = save_rounds(ended[0], tmp_path / "mine.ndjson")
    [saved] = list(read_path(out))
    assert saved.word == "eye" and saved.recognized and saved.countrycode == "" and len(saved.key_id) == 16
    assert [s.tolist() for s in saved.strokes] == simplify(drawn)
    summary = save_summary(ended[0], tmp_path / "mine.png")
    image = matplotlib.image.imread(summary)[..., :3]
    assert (image.max(axis=2) < 0.2).sum() > 200  # the drawing, in black
    assert oct(summary.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_guesses_come_while_the_pen_moves_at_most_every_150_ms(cnn, mirror, tmp_path):
    run, classifier = cnn
    calls = []
    clock = Clock()
    game, window, _ = _game(classifier, ["cat"], clock, tmp_path, confidence=1.01)
    original = game._guess

    def counting(strokes):
        calls.append(clock.now)
        original(strokes)

    game._guess = counting
    xs = list(np.linspace(20, 230, 60))
    _draw(window, [[xs, [128 + 40 * np.sin(x / 20) for x in xs]]], clock, game, step_s=0.02)
    during = [t for t in calls[:-1]]
    assert len(calls) >= 5 and all(b - a >= 0.15 - 1e-9 for a, b in zip(during, during[1:]))
    assert game.line.startswith("I see ")  # never "I know" at confidence above 1


def test_a_round_that_times_out_is_kept_as_not_recognised(cnn, tmp_path):
    from quickdraw.classifier.play import save_rounds
    from quickdraw.formats import read_path

    run, classifier = cnn
    clock = Clock()
    game, window, ended = _game(classifier, ["cat", "fish"], clock, tmp_path, seconds=5, confidence=1.01)
    _draw(window, [[[30, 200, 120], [40, 60, 220]]])
    game.settle()
    clock.now += 5.1
    game.tick()
    assert "Sorry, I couldn't guess it" in game.line and not game.rounds[0].recognized
    clock.now += 2
    game.tick()
    assert game.title.startswith("Draw: fish") and game.strokes == []
    window.fig.canvas.callbacks.process("key_press_event", _key(window, "n"))  # skip the second round
    clock.now += 2
    game.tick()
    assert game.over and [r.category for r in ended[0]] == ["cat", "fish"] and ended[0][1].skipped
    [first] = list(read_path(save_rounds(ended[0], tmp_path / "t.ndjson")))  # the skipped round drew nothing
    assert first.word == "cat" and first.recognized is False


def _key(window, k):
    from matplotlib.backend_bases import KeyEvent

    return KeyEvent("key_press_event", window.fig.canvas, k)


def test_closing_mid_round_keeps_what_was_drawn(cnn, tmp_path):
    run, classifier = cnn
    game, window, ended = _game(classifier, ["cat", "eye"], Clock(), tmp_path, confidence=1.01)
    _draw(window, [[[30, 200], [40, 60]]])
    window.fig.canvas.callbacks.process("close_event", CloseEvent("close_event", window.fig.canvas))
    assert game.over and len(ended[0]) == 1 and not ended[0][0].recognized and ended[0][0].strokes


def test_a_round_ending_mid_stroke_keeps_the_stroke_under_the_pen(cnn, tmp_path):
    run, classifier = cnn
    clock = Clock()
    game, window, ended = _game(classifier, ["cat"], clock, tmp_path, seconds=5, confidence=1.01)
    xs, ys = [30, 80, 130, 180], [40, 90, 60, 120]
    pixels = window.axes.transData.transform(np.column_stack([xs, ys]))
    names = ["button_press_event"] + ["motion_notify_event"] * 3
    for name, (x, y) in zip(names, pixels):
        window.fig.canvas.callbacks.process(name, MouseEvent(name, window.fig.canvas, x, y, button=1))
    clock.now += 5.1
    game.tick()  # time is up while the pen is still down
    [stroke] = game.rounds[0].strokes
    assert stroke[:, 0] == pytest.approx([30, 40], abs=2) and stroke[:, -1] == pytest.approx([180, 120], abs=2)
    assert not game.pen_is_down and len(window._live.get_xdata()) == 0  # the pad let go of it


def test_closing_the_notebook_widget_mid_game_saves_what_was_drawn(cnn, tmp_path):
    pytest.importorskip("anywidget", reason="anywidget (qd[notebook]) is absent")
    from quickdraw.classifier import game
    from quickdraw.formats import read_path

    run, _ = cnn
    out = tmp_path / "notebook.ndjson"
    pad = game(run, rounds=3, seconds=60, out=out, log=lambda line: None)
    widget = pad.widget()  # what a notebook shows: the game starts
    assert widget.panel_state["prompt"].startswith("Draw: ")
    pad.pen_down((30, 40))
    pad.pen_up([[30, 90, 150, 200], [40, 120, 60, 180]], whole=True)
    widget.close()  # the user closes the output (or the notebook) mid-round
    assert pad.closed and pad.over
    [saved] = list(read_path(out))
    assert saved.word == pad.rounds[0].category and len(saved.strokes) == 1
    assert out.with_suffix(".png").is_file()


def test_appending_to_an_existing_file_and_refusing_a_foreign_one(cnn, tmp_path, mirror):
    from quickdraw.classifier.play import Round, check_output, save_rounds
    from quickdraw.formats import read_path

    target = tmp_path / "mine.ndjson"
    target.write_bytes((mirror / "full/simplified/cat.ndjson").read_bytes())
    before = len(list(read_path(target)))
    save_rounds([Round("eye", [np.array([[10.0, 90, 200], [10, 100, 40]])], True, 3.0, timestamp="x")], target)
    assert len(list(read_path(target))) == before + 1
    (tmp_path / "junk.ndjson").write_text("hello\n")
    with pytest.raises(QuickDrawError, match="junk.ndjson"):
        check_output(tmp_path / "junk.ndjson")
    with pytest.raises(QuickDrawError, match="ending in .ndjson"):
        check_output(tmp_path / "mine.png")


def test_round_order_is_seeded_and_covers_the_classes():
    from quickdraw.classifier.play import guess_line, round_categories

    a = round_categories(CLASSES, 6, seed=3)
    assert a == round_categories(CLASSES, 6, seed=3) and sorted(a[:3]) == CLASSES and sorted(a[3:]) == CLASSES
    assert round_categories(CLASSES, 6, seed=4) != a or round_categories(CLASSES, 6, seed=5) != a
    assert guess_line([("apple", 0.4), ("bat", 0.3), ("rainbow", 0.1)], "cat") == \
        ("I see apple, or bat, or rainbow", False)
    assert guess_line([("cat", 0.8), ("bat", 0.1)], "cat") == ("Oh, I know, it's cat!", True)


def _qd(*args, env=None):
    done = subprocess.run([sys.executable, "-m", "cli.main", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})}, timeout=300)
    return done.returncode, done.stdout, done.stderr


def test_bad_runs_and_no_display_are_one_line(cnn, tmp_path, synthetic_dataset):
    run, _ = cnn
    status, _, err = _qd("play", synthetic_dataset, "--out", tmp_path / "x.ndjson")
    assert status == 1 and "not a training run" in err and err.count("\n") == 1
    status, _, err = _qd("play", run, "--out", tmp_path / "x.ndjson", env={"DISPLAY": ""})
    assert status == 1 and "no display" in err and "xvfb-run" in err and err.count("\n") == 1
    status, _, err = _qd("play", run, "--rounds", 0, "--out", tmp_path / "x.ndjson")
    assert status == 1 and "--rounds must be at least 1" in err


def test_play_in_a_real_window(display, cnn, mirror, tmp_path):
    from quickdraw.classifier.play import round_categories
    from quickdraw.formats import read_path

    run, classifier = cnn
    [target] = round_categories(classifier.classes, 1, seed=5)
    strokes = _recognised_drawing(classifier, mirror, target)
    (tmp_path / "script.json").write_text(json.dumps({"strokes": [s.tolist() for s in strokes], "keys": ["q"]}))
    out = tmp_path / "game.ndjson"
    env = {"DISPLAY": display, "MPLBACKEND": "TkAgg", "QD_CANVAS_SCRIPT": str(tmp_path / "script.json")}
    status, text, err = _qd("play", run, "--rounds", 1, "--seed", 5, "--seconds", 60, "--out", out, env=env)
    assert status == 0, err[-2000:]
    [saved] = list(read_path(out))
    assert saved.word == target and "appended 1 drawing to" in text
    image = matplotlib.image.imread(out.with_suffix(".png"))[..., :3]
    assert (image.max(axis=2) < 0.2).sum() > 200


@pytest.mark.parametrize("rounds", [1, 2, 6])
def test_the_summary_title_fits_the_picture(rounds):
    from quickdraw.classifier.play import Round, summary_figure

    fig = summary_figure([Round("circle", [np.array([[10.0, 200], [10, 200]])], True, 3.0)] * rounds, synthetic=True)
    FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    title = fig._suptitle.get_window_extent(renderer)
    assert "SYNTHETIC" in fig._suptitle.get_text()
    assert title.x0 >= 0 and title.x1 <= fig.bbox.width and title.y1 <= fig.bbox.height
    captions = [ax.title.get_window_extent(renderer) for ax in fig.axes if ax.get_title()]
    assert len(captions) == rounds and all(title.y0 >= c.y1 for c in captions)  # above every round's caption
