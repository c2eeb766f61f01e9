"""The desktop drawing window and the completion pad, driven by real matplotlib mouse and key events on an Agg figure."""
import threading

import matplotlib.image
import numpy as np
import pytest
from matplotlib.backend_bases import KeyEvent, MouseEvent
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from quickdraw.errors import QuickDrawError
from quickdraw.ui.pad import Sketchpad
from quickdraw.ui.window import DrawingWindow
from sketchrnn.canvas import CompletionPad


def echo_completer(strokes, n, temperature, seed):
    """A small real completer: candidate i redraws the last stroke shifted by a seeded offset, 1 or 2 times."""
    rng = np.random.default_rng(seed)
    shifts = rng.normal(0, 60 * temperature, size=(n, 2))
    last = np.asarray(strokes[-1], dtype=float)
    plans = []
    for i in range(n):
        rows, pen = [], last[:, -1]
        for copy in range(1 + i % 2):
            points = (last + shifts[i][:, None] * (copy + 1)).T
            for j, p in enumerate(points):
                end = j == len(points) - 1
                rows.append([*(p - pen), 1 - end, end, 0])
                pen = p
        rows.append([0, 0, 0, 0, 1])
        plans.append(np.array(rows))
    for t in range(max(len(p) for p in plans)):
        yield np.array([p[t] if t < len(p) else [0, 0, 0, 0, 1] for p in plans])


def expected_echo(stroke, n, temperature, seed):
    shifts = np.random.default_rng(seed).normal(0, 60 * temperature, size=(n, 2))
    return [[stroke + shifts[i][:, None] * (c + 1) for c in range(1 + i % 2)] for i in range(n)]


class Recording(Sketchpad):
    """A pad that remembers every change it heard (as a model's would)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def on_strokes_changed(self, strokes):
        self.seen.append(strokes)


def make_canvas(completer=None, save_path="drawing.png", **settings):
    """A DrawingWindow on a small Agg figure, showing a CompletionPad of ``completer`` (or a plain pad)."""
    fig = Figure(figsize=(12, 6), dpi=40)
    FigureCanvasAgg(fig)
    pad = CompletionPad(completer, out=save_path, **settings) if completer else Recording(out=save_path)
    return DrawingWindow(fig, pad)


def mouse(window, name, x, y, button=1):
    """Dispatch a real MouseEvent at frame coordinates (x, y) of the drawing pad."""
    px, py = window.axes.transData.transform((x, y))
    event = MouseEvent(name, window.fig.canvas, px, py, button=button)
    window.fig.canvas.callbacks.process(name, event)


def key(window, k):
    window.fig.canvas.callbacks.process("key_press_event", KeyEvent("key_press_event", window.fig.canvas, k))


def drag(window, points):
    mouse(window, "button_press_event", *points[0])
    for p in points[1:]:
        mouse(window, "motion_notify_event", *p)
    mouse(window, "button_release_event", *points[-1])


def settle(window):
    window.pad.settle()
    window.run_pending()


LINE = [(40, 60), (80, 60), (120, 60), (160, 62)]
VEE = [(50, 120), (90, 200), (130, 120)]


def test_stroke_is_recorded_in_frame_units_and_reported():
    window = make_canvas()
    drag(window, VEE)
    pad = window.pad
    assert len(pad.strokes) == 1
    stroke = pad.strokes[0]
    assert stroke.shape[0] == 2
    assert np.allclose(stroke[:, 0], VEE[0], atol=1) and np.allclose(stroke[:, -1], VEE[-1], atol=1)
    assert np.allclose(stroke.min(axis=1), [50, 120], atol=1) and stroke[1].max() == pytest.approx(200, abs=1)
    assert len(pad.seen) == 1 and len(pad.seen[0]) == 1
    assert pad.raw_strokes[0].shape == (2, 3)  # every point that arrived, before simplification
    drag(window, LINE)
    assert len(pad.strokes) == 2 and len(pad.seen) == 2 and len(pad.seen[-1]) == 2


def test_completions_grow_in_the_worker_from_the_last_point():
    threads = []

    def watched(strokes, n, temperature, seed):
        for step in echo_completer(strokes, n, temperature, seed):
            threads.append(threading.current_thread().name)
            yield step

    window = make_canvas(completer=watched, n=4, temperature=0.5, seed=3)
    drag(window, LINE)
    assert window.pad.completing and "growing" in window.pad.info
    settle(window)
    assert not window.pad.completing and "growing" not in window.pad.info
    assert threads and set(threads) == {"qd-pad-worker"}  # never on the window's thread
    expected = expected_echo(window.pad.strokes[-1], 4, 0.5, 3)
    for got, want in zip(window.pad.completions, expected):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert np.allclose(g, w)
    axes = window.panel.axes
    colours = {line.get_color() for ax in axes for line in ax.lines} - {"black"}
    assert len(colours) == 4
    assert all(sum(1 for line in ax.lines if line.get_color() == "black") == 1 for ax in axes)


def test_resample_temperature_and_candidate_keys():
    window = make_canvas(completer=echo_completer, n=4, temperature=0.4, seed=0)
    pad = window.pad
    drag(window, LINE)
    settle(window)
    first = [s.copy() for s in pad.completions[0]]
    key(window, "r")
    assert pad.seed == 1 and pad.completing
    settle(window)
    assert not np.allclose(first[0], pad.completions[0][0])
    key(window, "up")
    assert pad.temperature == pytest.approx(0.5)
    for _ in range(20):
        key(window, "down")
    assert pad.temperature == pytest.approx(0.1)
    key(window, "7")
    assert pad.n == 7 and len(window.panel.axes) == 7
    settle(window)
    assert len(pad.completions) == 7 and all(pad.completions)
    assert "7 candidates" in window._info.get_text()


def test_undo_and_clear():
    window = make_canvas(completer=echo_completer)
    pad = window.pad
    drag(window, LINE)
    drag(window, VEE)
    settle(window)
    origin = pad.strokes[-1][:, -1]
    key(window, "u")
    assert len(pad.strokes) == 1
    settle(window)
    expected = expected_echo(pad.strokes[0], pad.n, pad.temperature, pad.seed)
    assert np.allclose(pad.completions[0][0], expected[0][0])
    assert not np.allclose(pad.completions[0][0][:, 0], origin)
    key(window, "c")
    assert pad.strokes == []
    assert not pad.completing and all(c == [] for c in pad.completions)
    assert not window._ink and not pad.ghosts
    key(window, "u")  # undo on an empty pad is harmless
    assert pad.strokes == []


def test_drawing_again_cancels_growing_completions():
    closed, started, release = [], threading.Event(), threading.Event()

    def completer(strokes, n, temperature, seed):
        try:
            for step in echo_completer(strokes, n, temperature, seed):
                started.set()
                release.wait(10)
                yield step
        finally:
            closed.append(len(strokes))

    window = make_canvas(completer=completer)
    drag(window, LINE)
    assert window.pad.completing and started.wait(10)
    mouse(window, "button_press_event", 30, 30)
    assert not window.pad.completing  # the pen came down: growth stops at once
    release.set()
    mouse(window, "motion_notify_event", 60, 30)
    mouse(window, "button_release_event", 60, 30)
    settle(window)
    assert len(window.pad.strokes) == 2 and closed == [1, 2]


def test_single_click_outside_press_and_empty_resample_show_a_message():
    window = make_canvas(completer=echo_completer)
    key(window, "r")
    assert "draw something first" in window.pad.status and window.pad.seed == 0
    drag(window, [(100, 100), (100, 100)])
    assert window.pad.strokes == [] and "single click" in window.pad.status
    mouse(window, "button_press_event", 400, 100)  # right of the pad, over the candidate panels
    mouse(window, "button_release_event", 400, 100)
    assert window.pad.strokes == [] and "inside the drawing frame" in window.pad.status


def test_strokes_leaving_the_frame_are_clipped_to_it():
    window = make_canvas()
    drag(window, [(200, 100), (250, 100), (300, 100), (400, -50)])
    stroke = window.pad.strokes[0]
    assert stroke.min() >= 0 and stroke.max() <= 255
    assert stroke[0].max() == pytest.approx(255, abs=1)


def test_completer_errors_appear_in_the_status_line():
    def refuses(strokes, n, temperature, seed):
        raise QuickDrawError("the drawing is too long for this model")

    window = make_canvas(completer=refuses)
    drag(window, LINE)
    assert window.pad.status == "the drawing is too long for this model" and not window.pad.completing

    def fails_later(strokes, n, temperature, seed):
        yield next(echo_completer(strokes, n, temperature, seed))
        raise QuickDrawError("the model ran out of steps")

    window = make_canvas(completer=fails_later)
    drag(window, LINE)
    settle(window)
    assert window.pad.status == "the model ran out of steps" and not window.pad.completing


def test_save_writes_a_png_with_ink_and_colour(tmp_path):
    out = tmp_path / "canvas.png"
    window = make_canvas(completer=echo_completer, save_path=out)
    drag(window, VEE)
    settle(window)
    key(window, "s")
    assert "saved" in window.pad.status
    image = matplotlib.image.imread(out)[..., :3]
    dark = (image.max(axis=2) < 0.2).sum()
    coloured = (image.max(axis=2) - image.min(axis=2) > 0.4).sum()
    assert dark > 200 and coloured > 200
    assert sorted(p.name for p in tmp_path.iterdir()) == ["canvas.ndjson", "canvas.png"]


def test_quit_closes_the_figure():
    import matplotlib.pyplot as plt

    plt.switch_backend("agg")
    fig = plt.figure()
    window = DrawingWindow(fig, CompletionPad(echo_completer))
    drag(window, LINE)
    key(window, "q")
    assert not plt.fignum_exists(fig.number) and not window.pad.completing and window.pad.closed


def test_a_plain_pad_has_no_side_panel_and_ignores_completion_keys():
    window = make_canvas()
    drag(window, LINE)
    window.pad.set_status(f"{len(window.pad.strokes)} strokes: cat 90%")
    assert window._status.get_text() == "1 strokes: cat 90%"
    key(window, "r")  # completion keys do nothing without a completer
    assert window.panel is None and len(window.fig.axes) == 1


def test_closing_the_window_stops_growing_completions():
    from matplotlib.backend_bases import CloseEvent

    window = make_canvas(completer=echo_completer)
    drag(window, LINE)
    assert window.pad.completing
    window.fig.canvas.callbacks.process("close_event", CloseEvent("close_event", window.fig.canvas))
    assert not window.pad.completing and window.pad.closed


def test_candidates_show_lightly_on_the_pad_and_enter_accepts_the_picked_one():
    window = make_canvas(completer=echo_completer, n=3, temperature=0.5, seed=4)
    pad = window.pad
    drag(window, LINE)
    settle(window)
    ghosts = window._ghosts
    assert len(ghosts) == sum(len(c) for c in pad.completions) and ghosts
    key(window, "right")
    assert pad.picked == 1
    picked = [line for line in window._ghosts if line.get_alpha() > 0.5]
    assert len(picked) == len(pad.completions[1])
    accepted = [s.copy() for s in pad.completions[1]]
    key(window, "enter")
    assert len(pad.strokes) == 1 + len(accepted)
    for got, want in zip(pad.strokes[1:], accepted):
        assert np.allclose(got, want)
    assert pad.completing and "accepted candidate 2" in pad.status  # goes on from there
    settle(window)
    expected = expected_echo(pad.strokes[-1], 3, 0.5, 4)
    assert np.allclose(pad.completions[0][0], expected[0][0])
    drag(window, VEE)  # and the user draws on
    assert len(pad.strokes) == 2 + len(accepted)


def test_panels_frame_a_candidate_leaving_the_frame_and_say_when_one_ended_at_once():
    def wanders(strokes, n, temperature, seed):
        yield np.array([[200, 0, 1, 0, 0], [0, 0, 0, 0, 1]][:n])
        yield np.array([[200, 0, 0, 1, 0], [0, 0, 0, 0, 1]][:n])
        yield np.array([[0, 0, 0, 0, 1]] * n)

    window = make_canvas(completer=wanders, n=2)
    drag(window, LINE)
    settle(window)
    first, second = window.panel.axes
    assert first.get_xlim()[1] >= 160 + 400  # the wandering candidate is framed whole
    assert "ended at once" in window.panel.titles[1].get_text() and window.pad.completions[1] == []
    key(window, "right")
    key(window, "enter")
    assert "nothing to accept" in window.pad.status and len(window.pad.strokes) == 1


def test_an_accepted_completion_past_the_frame_stays_in_view_and_is_saved_in_the_frame(tmp_path):
    def wanders(strokes, n, temperature, seed):
        yield np.array([[-100, -80, 1, 0, 0]] * n)
        yield np.array([[250, 20, 0, 1, 0]] * n)
        yield np.array([[0, 0, 0, 0, 1]] * n)

    window = make_canvas(completer=wanders, n=1, save_path=tmp_path / "far.png")
    drag(window, LINE)
    settle(window)
    key(window, "enter")
    (x0, x1), (y1, y0) = window.axes.get_xlim(), window.axes.get_ylim()
    points = np.concatenate(window.pad.strokes, axis=1)
    assert points.min() < 0 and points.max() > 255  # the candidate went past the frame...
    assert x0 <= points[0].min() and x1 >= points[0].max() and y0 <= points[1].min() and y1 >= points[1].max()
    assert x1 - x0 == pytest.approx(y1 - y0)  # ...and the pad widened, square, to keep it all in view
    key(window, "s")
    from quickdraw.formats import read_drawing

    saved = np.concatenate(read_drawing(tmp_path / "far.ndjson").strokes, axis=1)
    assert saved.min() == 0 and saved.max() == 255  # the simplified format's recipe, not a clip
    span = points.max(axis=1) - points.min(axis=1)
    assert (saved.max(axis=1) - saved.min(axis=1)).tolist() == pytest.approx((span * 255 / span.max()).tolist(),
                                                                               abs=2)


def test_a_long_title_is_wrapped_to_stay_inside_the_window():
    fig = Figure(figsize=(12, 6), dpi=100)
    FigureCanvasAgg(fig)
    names = ", ".join(["circle", "triangle", "star", "house", "fish", "sun", "The Great Wall of China"])
    pad = CompletionPad(echo_completer, title=f"draw one of: {names} (model trained on SYNTHETIC doodles)")
    window = DrawingWindow(fig, pad)
    with window.still():
        fig.canvas.draw()
    box = window._title.get_window_extent(fig.canvas.get_renderer())
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width / 2 + 40 and box.y1 <= fig.bbox.height
    assert "SYNTHETIC" in window._title.get_text() and window._title.get_text().count("\n") >= 1


def test_motion_blits_the_live_stroke_without_drawing_the_figure():
    window = make_canvas()
    fig = window.fig
    fig.canvas.draw()  # the first full draw saves the background
    draws, blits = [], []
    fig.canvas.mpl_connect("draw_event", lambda event: draws.append(1))
    original = fig.canvas.blit
    fig.canvas.blit = lambda bbox=None: (blits.append(bbox), original(bbox))
    mouse(window, "button_press_event", *LINE[0])
    for p in LINE[1:]:
        mouse(window, "motion_notify_event", *p)
    assert not draws and len(blits) == len(LINE)  # one small blit per sample, no full draw
    assert all(b.width < fig.bbox.width / 2 for b in blits)  # the pad's area only
    mouse(window, "button_release_event", *LINE[-1])
    window.run_pending()
    assert not draws and len(window.pad.strokes) == 1
