"""The pads in a notebook: JupyterLab on 127.0.0.1, headless Chromium, real pointer events on the widget.

One server and one page for the module: guess while drawing, accept a completion, play a round. What the
kernel received is checked against what was injected; the widget's screenshot is the README's picture
(``QD_SCREENSHOTS=docs`` writes it there).
"""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.jupyter import Lab, draw

REPO = Path(__file__).resolve().parents[2]
MODELS = (REPO / ".." / "shared" / "quickdraw-models").resolve()


def _recognised(classifier, mirror, category, index_from=0):
    """A mirror drawing of ``category`` that the test CNN recognises, as [[xs], [ys]] strokes."""
    from quickdraw.formats import read_path

    for i, drawing in enumerate(read_path(mirror / "full" / "simplified" / f"{category}.ndjson")):
        if i >= index_from and classifier.top(drawing.strokes, 1)[0][0] == category:
            return [[list(map(float, s[0])), list(map(float, s[1]))] for s in drawing.strokes]
    pytest.fail(f"the test CNN recognises no mirror {category}")


@pytest.fixture(scope="module")
def notebook(browser, mirror_cnn, tmp_path_factory):  # noqa: F811
    """(lab, page): a notebook whose first cell sets up; cells 1-3 show a guess pad, a completion pad, a game."""
    pytest.importorskip("jupyterlab", reason="JupyterLab (the test extra) is absent")
    pytest.importorskip("anywidget", reason="anywidget (qd[notebook]) is absent")
    run, _ = mirror_cnn
    root = tmp_path_factory.mktemp("notebook")
    setup = (f"RUN, MODELS, OUT = {str(run)!r}, {str(MODELS)!r}, {str(root)!r}\n"
             "import json\nimport sketchrnn\nfrom quickdraw.classifier import game, guess_pad")
    cells = [setup, "pad = guess_pad(RUN)\npad",
             "done = sketchrnn.complete_pad('bird', n=2, model_mirror=MODELS, cache_dir=OUT + '/cache')\ndone",
             "g = game(RUN, rounds=1, seconds=60, out=OUT + '/game.ndjson')\ng"]
    with Lab(root) as lab:
        page = lab.open(browser, "pads.ipynb", cells)
        lab.run_cell(page, 0)
        lab.kernel(page, "print(RUN)")  # the set-up cell has run
        yield lab, page
        page.close()


def _widget(page, lab, cell):
    lab.run_cell(page, cell)
    widget = page.locator(".jp-Cell").nth(cell).locator(".qd-widget")
    widget.locator("canvas.qd-canvas").wait_for(timeout=120_000)
    widget.scroll_into_view_if_needed()
    return widget


def _state(lab, page, code):
    return json.loads(lab.kernel(page, f"print(json.dumps({code}))"))


def _until(lab, page, condition, timeout=60):
    """Wait until ``condition`` (Python, in the kernel) holds."""
    deadline = time.monotonic() + timeout
    while not _state(lab, page, f"bool({condition})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"{condition} still false after {timeout} s: "
                                 + lab.kernel(page, "print(repr(pad), pad.changes, pad.status)"))
        time.sleep(0.2)


def _near(points, stroke, tolerance):
    """Whether every point lies within ``tolerance`` of the polyline ``stroke`` ((2, k))."""
    a, b = stroke[:, :-1].T, stroke[:, 1:].T
    for p in np.asarray(points, float):
        if len(a) == 0:
            d = np.hypot(*(p - stroke[:, 0]))
        else:
            ab = b - a
            t = np.clip(((p - a) * ab).sum(1) / np.maximum((ab * ab).sum(1), 1e-12), 0, 1)
            d = np.hypot(*(a + t[:, None] * ab - p).T).min()
        if d > tolerance:
            return False
    return True


def test_guess_pad_in_a_notebook_keeps_every_point_and_shows_the_guesses(notebook, mirror_cnn, mirror, tmp_path):
    from quickdraw.raster.simplify import simplify_partial

    lab, page = notebook
    _, classifier = mirror_cnn
    widget = _widget(page, lab, 1)
    eye = _recognised(classifier, mirror, "eye")
    injected = draw(page, widget.locator("canvas.qd-canvas"), eye, step_ms=10)
    _until(lab, page, f"pad.changes == {len(eye)} and pad.guessed_change == {len(eye)}")
    state = _state(lab, page, "{'raw': [s.tolist() for s in pad.raw_strokes], 'strokes': [s.tolist() for s in "
                              "pad.strokes], 'guesses': pad.guesses}")
    assert len(state["raw"]) == len(injected)
    for raw, points in zip(state["raw"], injected):
        raw = np.array(raw)
        assert raw.shape[1] == len(points)  # every injected sample arrived, none merged or lost
        assert np.abs(raw.T - np.array(points)).max() <= 1.0  # where it was injected (pixel rounding)
    for saved, points in zip(state["strokes"], injected):
        saved, reference = np.array(saved), np.asarray(simplify_partial([np.array(points).T])[0], float)
        assert _near(np.array(points), saved, 2.0) and _near(saved.T, reference, 2.0)  # no chord across a gap
    shown = widget.locator("ol.qd-guesses li").all_inner_texts()
    assert shown == [f"{name} {round(p * 100)}%" for name, p in state["guesses"]] and state["guesses"][0][0] == "eye"
    assert lab.kernel(page, "print(6 * 7)").strip() == "42"  # the kernel is free while the pad lives
    shot = tmp_path / "notebook-widget.png"
    widget.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("QD_SCREENSHOTS") == "docs":
        shutil.copy(shot, REPO / "docs" / "notebook-widget.png")
    widget.locator("button[data-key='e']").click()  # explain: the top guess's saliency over the pad
    _until(lab, page, "pad.saliency is not None")
    assert _state(lab, page, "pad.widget().overlay.startswith('data:image/png;base64,')")


def test_a_completion_is_accepted_in_a_notebook(notebook, mirror):
    from quickdraw.formats import read_path

    lab, page = notebook
    widget = _widget(page, lab, 2)
    bird = next(iter(read_path(mirror / "full" / "simplified" / "bird.ndjson")))
    first = [[list(map(float, bird.strokes[0][0])), list(map(float, bird.strokes[0][1]))]]
    draw(page, widget.locator("canvas.qd-canvas"), first, step_ms=10)
    page.wait_for_function("() => window.qdNotebook.latencies.candidates.length >= 1", timeout=120_000)
    _until(lab, page, "not done.completing", timeout=120)
    candidate = _state(lab, page, "[s.tolist() for s in done.candidates[0]]")
    assert candidate and widget.locator(".qd-candidate").count() == 2
    widget.locator("button[data-key='enter']").click()
    _until(lab, page, f"len(done.strokes) >= {1 + len(candidate)}")
    strokes = _state(lab, page, "[s.tolist() for s in done.strokes]")
    assert len(strokes) == 1 + len(candidate)
    assert all(np.allclose(a, b) for a, b in zip(strokes[1:], candidate))  # the picked candidate became ink
    assert "accepted candidate 1" in widget.locator(".qd-status").inner_text()


def test_a_game_round_in_a_notebook_ends_with_its_summary_and_file(notebook, mirror_cnn, mirror):
    lab, page = notebook
    _, classifier = mirror_cnn
    widget = _widget(page, lab, 3)
    target = _state(lab, page, "g.rounds[0].category")
    assert widget.locator(".qd-prompt").inner_text() == f"Draw: {target}"
    drawing = _recognised(classifier, mirror, target)
    draw(page, widget.locator("canvas.qd-canvas"), drawing, step_ms=10, pause_s=0.2)
    widget.locator("img.qd-summary").wait_for(state="visible", timeout=60_000)
    state = _state(lab, page, "{'over': g.over, 'rounds': [(r.category, r.recognized, len(r.strokes)) "
                              "for r in g.rounds], 'saved': sum(1 for _ in open(OUT + '/game.ndjson'))}")
    assert state["over"] and state["rounds"][0][:2] == [target, True] and state["saved"] == 1


def test_without_anywidget_a_pad_says_what_to_install():
    code = ("import sys; sys.modules['anywidget'] = None\n"
            "from quickdraw.ui.pad import Sketchpad\nfrom quickdraw.errors import QuickDrawError\n"
            "try:\n    Sketchpad().widget()\nexcept QuickDrawError as err:\n    print(err)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.stdout.strip() == "the notebook pad needs anywidget: pip install 'qd[notebook]' (then restart the kernel)"
