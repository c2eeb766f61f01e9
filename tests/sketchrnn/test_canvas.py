"""The drawing window and its completion panels, driven by real matplotlib mouse and key events on an Agg figure."""
import matplotlib.image
import numpy as np
import pytest
from matplotlib.backend_bases import KeyEvent, MouseEvent
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from quickdraw.errors import QuickDrawError
from quickdraw.ui.window import DrawingWindow
from sketchrnn.canvas import CompletionPanels


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


def make_canvas(completer=None, on_change=None, save_path="drawing.png", **settings):
    """A DrawingWindow on a small Agg figure, with CompletionPanels of ``completer`` when given."""
    fig = Figure(figsize=(12, 6), dpi=40)  # small: every event redraws an Agg figure
    FigureCanvasAgg(fig)
    plugin = CompletionPanels(completer, **settings) if completer else None
    return DrawingWindow(fig, plugin=plugin, on_change=on_change, out=save_path)


def mouse(canvas, name, x, y, button=1):
    """Dispatch a real MouseEvent at frame coordinates (x, y) of the drawing pad."""
    px, py = canvas.pad.transData.transform((x, y))
    event = MouseEvent(name, canvas.fig.canvas, px, py, button=button)
    canvas.fig.canvas.callbacks.process(name, event)


def key(canvas, k):
    canvas.fig.canvas.callbacks.process("key_press_event", KeyEvent("key_press_event", canvas.fig.canvas, k))


def drag(canvas, points):
    mouse(canvas, "button_press_event", *points[0])
    for p in points[1:]:
        mouse(canvas, "motion_notify_event", *p)
    mouse(canvas, "button_release_event", *points[-1])


LINE = [(40, 60), (80, 60), (120, 60), (160, 62)]
VEE = [(50, 120), (90, 200), (130, 120)]


def test_stroke_is_recorded_in_frame_units_and_reported():
    seen = []
    canvas = make_canvas(on_change=seen.append)
    drag(canvas, VEE)
    assert len(canvas.strokes) == 1
    stroke = canvas.strokes[0]
    assert stroke.shape[0] == 2
    assert np.allclose(stroke[:, 0], VEE[0], atol=1) and np.allclose(stroke[:, -1], VEE[-1], atol=1)
    assert np.allclose(stroke.min(axis=1), [50, 120], atol=1) and stroke[1].max() == pytest.approx(200, abs=1)
    assert len(seen) == 1 and len(seen[0]) == 1
    drag(canvas, LINE)
    assert len(canvas.strokes) == 2 and len(seen) == 2 and len(seen[-1]) == 2


def test_completions_grow_step_by_step_from_the_last_point():
    canvas = make_canvas(completer=echo_completer, n=4, temperature=0.5, seed=3)
    drag(canvas, LINE)
    assert canvas.plugin.completing
    assert canvas.plugin.advance(max_steps=2) == 2
    assert canvas.plugin.completing and sum(len(c) for c in canvas.plugin.completions) == 4
    canvas.plugin.advance()
    assert not canvas.plugin.completing
    expected = expected_echo(canvas.strokes[-1], 4, 0.5, 3)
    for got, want in zip(canvas.plugin.completions, expected):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert np.allclose(g, w)
    colours = {line.get_color() for ax in canvas.plugin._panels for line in ax.lines} - {"black"}
    assert len(colours) == 4
    assert all(sum(1 for line in ax.lines if line.get_color() == "black") == 1 for ax in canvas.plugin._panels)


def test_resample_temperature_and_candidate_keys():
    canvas = make_canvas(completer=echo_completer, n=4, temperature=0.4, seed=0)
    drag(canvas, LINE)
    canvas.plugin.advance()
    first = [s.copy() for s in canvas.plugin.completions[0]]
    key(canvas, "r")
    assert canvas.plugin.seed == 1 and canvas.plugin.completing
    canvas.plugin.advance()
    assert not np.allclose(first[0], canvas.plugin.completions[0][0])
    key(canvas, "up")
    assert canvas.plugin.temperature == pytest.approx(0.5)
    for _ in range(20):
        key(canvas, "down")
    assert canvas.plugin.temperature == pytest.approx(0.1)
    key(canvas, "7")
    assert canvas.plugin.n == 7 and len(canvas.plugin._panels) == 7
    canvas.plugin.advance()
    assert len(canvas.plugin.completions) == 7 and all(canvas.plugin.completions)
    assert "7 candidates" in canvas.info.get_text()


def test_undo_and_clear():
    seen = []
    canvas = make_canvas(completer=echo_completer, on_change=seen.append)
    drag(canvas, LINE)
    drag(canvas, VEE)
    canvas.plugin.advance()
    origin = canvas.strokes[-1][:, -1]
    key(canvas, "u")
    assert len(canvas.strokes) == 1 and len(seen[-1]) == 1
    canvas.plugin.advance()
    expected = expected_echo(canvas.strokes[0], canvas.plugin.n, canvas.plugin.temperature, canvas.plugin.seed)
    assert np.allclose(canvas.plugin.completions[0][0], expected[0][0])
    assert not np.allclose(canvas.plugin.completions[0][0][:, 0], origin)
    key(canvas, "c")
    assert canvas.strokes == [] and seen[-1] == []
    assert not canvas.plugin.completing and all(c == [] for c in canvas.plugin.completions)
    assert not [line for line in canvas.pad.lines if line.get_gid() == "ink"]
    key(canvas, "u")  # undo on an empty pad is harmless
    assert canvas.strokes == []


def test_drawing_again_cancels_growing_completions():
    closed = []

    def completer(strokes, n, temperature, seed):
        try:
            yield from echo_completer(strokes, n, temperature, seed)
        finally:
            closed.append(len(strokes))

    canvas = make_canvas(completer=completer)
    drag(canvas, LINE)
    canvas.plugin.advance(max_steps=1)
    mouse(canvas, "button_press_event", 30, 30)
    assert closed == [1] and not canvas.plugin.completing
    mouse(canvas, "motion_notify_event", 60, 30)
    mouse(canvas, "button_release_event", 60, 30)
    canvas.plugin.advance()
    assert len(canvas.strokes) == 2 and closed == [1, 2]


def test_single_click_outside_press_and_empty_resample_show_a_message():
    canvas = make_canvas(completer=echo_completer)
    key(canvas, "r")
    assert "draw something first" in canvas.status and canvas.plugin.seed == 0
    drag(canvas, [(100, 100), (100, 100)])
    assert canvas.strokes == [] and "single click" in canvas.status
    mouse(canvas, "button_press_event", 400, 100)  # right of the pad, over the candidate panels
    mouse(canvas, "button_release_event", 400, 100)
    assert canvas.strokes == [] and "inside the drawing frame" in canvas.status


def test_strokes_leaving_the_frame_are_clipped_to_it():
    canvas = make_canvas()
    drag(canvas, [(200, 100), (250, 100), (300, 100), (400, -50)])
    stroke = canvas.strokes[0]
    assert stroke.min() >= 0 and stroke.max() <= 255
    assert stroke[0].max() == pytest.approx(255, abs=1)


def test_completer_errors_appear_in_the_status_line():
    def refuses(strokes, n, temperature, seed):
        raise QuickDrawError("the drawing is too long for this model")

    canvas = make_canvas(completer=refuses)
    drag(canvas, LINE)
    assert canvas.status == "the drawing is too long for this model" and not canvas.plugin.completing


def test_save_writes_a_png_with_ink_and_colour(tmp_path):
    out = tmp_path / "canvas.png"
    canvas = make_canvas(completer=echo_completer, save_path=out)
    drag(canvas, VEE)
    canvas.plugin.advance()
    key(canvas, "s")
    assert "saved" in canvas.status
    image = matplotlib.image.imread(out)[..., :3]
    dark = (image.max(axis=2) < 0.2).sum()
    coloured = (image.max(axis=2) - image.min(axis=2) > 0.4).sum()
    assert dark > 200 and coloured > 200
    assert sorted(p.name for p in tmp_path.iterdir()) == ["canvas.ndjson", "canvas.png"]


def test_quit_closes_the_figure():
    import matplotlib.pyplot as plt

    plt.switch_backend("agg")
    fig = plt.figure()
    canvas = DrawingWindow(fig, plugin=CompletionPanels(echo_completer))
    drag(canvas, LINE)
    key(canvas, "q")
    assert not plt.fignum_exists(fig.number) and not canvas.plugin.completing


def test_classify_style_use_without_completer_shows_text():
    canvas = make_canvas()
    canvas.on_change = lambda strokes: canvas.set_status(f"{len(strokes)} strokes: cat 90%")
    drag(canvas, LINE)
    assert canvas.status == "1 strokes: cat 90%"
    key(canvas, "r")  # completion keys do nothing without a completer
    assert not hasattr(canvas.plugin, "seed") and len(canvas.fig.axes) == 1


def test_closing_the_window_stops_growing_completions():
    from matplotlib.backend_bases import CloseEvent

    canvas = make_canvas(completer=echo_completer)
    drag(canvas, LINE)
    assert canvas.plugin.completing
    canvas.fig.canvas.callbacks.process("close_event", CloseEvent("close_event", canvas.fig.canvas))
    assert not canvas.plugin.completing


def test_candidates_show_lightly_on_the_pad_and_enter_accepts_the_picked_one():
    canvas = make_canvas(completer=echo_completer, n=3, temperature=0.5, seed=4)
    drag(canvas, LINE)
    canvas.plugin.advance()
    ghosts = [line for line in canvas.pad.lines if line.get_gid() == "ghost"]
    assert len(ghosts) == sum(len(c) for c in canvas.plugin.completions) and ghosts
    key(canvas, "right")
    assert canvas.plugin.picked == 1
    picked = [line for line in ghosts if line.get_alpha() > 0.5]
    assert len(picked) == len(canvas.plugin.completions[1])
    accepted = [s.copy() for s in canvas.plugin.completions[1]]
    key(canvas, "enter")
    assert len(canvas.strokes) == 1 + len(accepted)
    for got, want in zip(canvas.strokes[1:], accepted):
        assert np.allclose(got, want)
    assert canvas.plugin.completing and "accepted candidate 2" in canvas.status  # goes on from there
    canvas.plugin.advance()
    expected = expected_echo(canvas.strokes[-1], 3, 0.5, 4)
    assert np.allclose(canvas.plugin.completions[0][0], expected[0][0])
    drag(canvas, VEE)  # and the user draws on
    assert len(canvas.strokes) == 2 + len(accepted)


def test_panels_frame_a_candidate_leaving_the_frame_and_say_when_one_ended_at_once():
    def wanders(strokes, n, temperature, seed):
        yield np.array([[200, 0, 1, 0, 0], [0, 0, 0, 0, 1]][:n])
        yield np.array([[200, 0, 0, 1, 0], [0, 0, 0, 0, 1]][:n])
        yield np.array([[0, 0, 0, 0, 1]] * n)

    canvas = make_canvas(completer=wanders, n=2)
    drag(canvas, LINE)
    canvas.plugin.advance()
    first, second = canvas.plugin._panels
    assert first.get_xlim()[1] >= 160 + 400  # the wandering candidate is framed whole
    assert "ended at once" in second.get_title() and canvas.plugin.completions[1] == []
    key(canvas, "right")
    key(canvas, "enter")
    assert "nothing to accept" in canvas.status and len(canvas.strokes) == 1


def test_a_long_title_is_wrapped_to_stay_inside_the_window():
    from quickdraw.ui.window import DrawingWindow, WindowPlugin

    class Panel(WindowPlugin):
        side_panel = True  # the pad takes the left half, as in qd classify --draw

    fig = Figure(figsize=(12, 6), dpi=100)
    FigureCanvasAgg(fig)
    names = ", ".join(["circle", "triangle", "star", "house", "fish", "sun", "The Great Wall of China"])
    window = DrawingWindow(fig, plugin=Panel(), title=f"draw one of: {names} (model trained on SYNTHETIC doodles)")
    fig.canvas.draw()
    box = window.pad.title.get_window_extent(fig.canvas.get_renderer())
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width / 2 + 40 and box.y1 <= fig.bbox.height
    assert "SYNTHETIC" in window.pad.get_title() and window.pad.get_title().count("\n") >= 1
