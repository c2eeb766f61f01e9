"""guess_pad: guesses after every stroke from the pad's worker, and the e key's saliency laid over the pad."""
import numpy as np
import pytest
from matplotlib.backend_bases import KeyEvent, MouseEvent
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from quickdraw.formats import read_path


def _window(pad):
    from quickdraw.ui.window import DrawingWindow

    fig = Figure(figsize=(12, 6), dpi=40)
    FigureCanvasAgg(fig)
    return DrawingWindow(fig, pad)


def _draw(window, strokes):
    for xs, ys in strokes:
        pixels = window.axes.transData.transform(np.column_stack([xs, ys]))
        names = ["button_press_event"] + ["motion_notify_event"] * (len(pixels) - 1) + ["button_release_event"]
        for name, (x, y) in zip(names, [*pixels, pixels[-1]]):
            window.fig.canvas.callbacks.process(name, MouseEvent(name, window.fig.canvas, x, y, button=1))


def test_guesses_follow_each_stroke_and_equal_the_classifiers(mirror_cnn, mirror):
    from quickdraw.classifier import guess_pad

    run, classifier = mirror_cnn
    eye = next(iter(read_path(mirror / "full/simplified/eye.ndjson"))).strokes
    lines = []
    pad = guess_pad(run, top=2, echo=lines.append)
    window = _window(pad)
    _draw(window, [s.tolist() for s in eye])
    pad.settle()
    assert len(pad.strokes) == len(eye) and pad.guessed_change == pad.changes
    assert pad.guesses == classifier.top(pad.strokes, 2)  # the worker's answer is the classifier's
    assert np.array_equal(pad.bitmap, classifier.render(pad.strokes))
    assert lines and lines[-1].split()[0] == pad.guesses[0][0]
    labels = [t.get_text() for t in window.panel.labels]
    assert labels[0] == f"{pad.guesses[0][0]}  {pad.guesses[0][1]:.0%}"


def test_the_e_key_lays_the_top_guesss_saliency_over_the_pad(mirror_cnn, mirror):
    from quickdraw.classifier import guess_pad
    from quickdraw.classifier.saliency import overlay, pad_extent, saliency

    run, classifier = mirror_cnn
    fish = next(iter(read_path(mirror / "full/simplified/fish.ndjson"))).strokes
    pad = guess_pad(run, fish[:2])
    window = _window(pad)
    pad.settle()
    assert pad.overlay is None and not window._overlay.get_visible()
    window.fig.canvas.callbacks.process("key_press_event", KeyEvent("key_press_event", window.fig.canvas, "e"))
    pad.settle()
    top = classifier.classes.index(pad.guesses[0][0])
    expected = saliency(classifier, classifier.render(pad.strokes), top)
    assert np.allclose(pad.saliency, expected)  # the map of the top guess, same seed
    assert np.allclose(pad.overlay, overlay(expected, opacity=0.5))
    assert pad.overlay_extent == pytest.approx(pad_extent(pad.strokes, classifier.image_size))
    assert window._overlay.get_visible() and window._overlay.get_extent() == pytest.approx(list(pad.overlay_extent))
    _draw(window, [s.tolist() for s in fish[2:3]])  # updated as you draw
    pad.settle()
    assert pad.saliency is not None and not np.allclose(pad.saliency, expected)
    window.fig.canvas.callbacks.process("key_press_event", KeyEvent("key_press_event", window.fig.canvas, "e"))
    assert pad.overlay is None and not window._overlay.get_visible()
