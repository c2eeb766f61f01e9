"""qd web: the static page in headless Chromium, driven with real pointer and touch events, against qd's Python.

One small CNN (eye, monkey, mouth; trained once) and the official bird Sketch-RNN of the offline model
mirror go into one site, built by `qd web --js-from` with the browser packages installed from npm
(tests/npm.py) and served on 127.0.0.1. Screenshots go to a temporary folder, or to
$QD_WEB_SCREENSHOTS (docs/ for the README) when it is set.
"""
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.browser import serve
from tests.npm import node_modules
from tests.web_page import as_lists, draw, open_page, settled_guesses, touch_draw

keras = pytest.importorskip("keras")
from cli.main import main  # noqa: E402
from quickdraw.formats import read_path  # noqa: E402
from quickdraw.raster.simplify import simplify, simplify_partial  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CLASSES = ["eye", "monkey", "mouth"]
MODELS = (ROOT / ".." / "shared" / "quickdraw-models").resolve()
HELD_OUT = {"eye": 1000, "monkey": 600, "mouth": 1000}  # mirror lines from here on are not in the training set


@pytest.fixture(scope="module")
def js_modules():
    return node_modules(required=True)


@pytest.fixture(scope="module")
def cnn(mirror, tmp_path_factory):
    """A small CNN on 200 mirror drawings per class (4 epochs, ~85% test accuracy)."""
    from quickdraw.builder.subset import build
    from quickdraw.classifier import train

    root = tmp_path_factory.mktemp("web-cnn")
    build(CLASSES, 200, root / "data", mirror=str(mirror), quiet=True, seed=0)
    train(root / "data", root / "cnn", epochs=4, batch_size=32, verbose=0, seed=0)
    return root / "cnn"


@pytest.fixture(scope="module")
def classifier(cnn):
    from quickdraw.classifier import Classifier

    return Classifier(cnn)


@pytest.fixture(scope="module")
def site(cnn, js_modules, tmp_path_factory):
    if not (MODELS / "sketchRNN" / "large_models" / "bird.gen.json").is_file():
        pytest.skip(f"no offline model mirror at {MODELS}")
    root = tmp_path_factory.mktemp("web-site")
    status = main(["web", str(cnn), "bird", "--out", str(root / "site"), "--js-from", str(js_modules),
                   "--model-mirror", str(MODELS), "--cache-dir", str(root / "cache")])
    assert status == 0
    return root / "site"


@pytest.fixture(scope="module")
def url(site):
    with serve(site) as base:
        yield base


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = os.environ.get("QD_WEB_SCREENSHOTS")
    return Path(folder) if folder else tmp_path_factory.mktemp("screenshots")


def held_out(mirror, name, count):
    """``count`` simplified mirror drawings of ``name`` that the CNN was not trained on, as [[xs], [ys]] lists."""
    out = []
    for i, d in enumerate(read_path(mirror / "full" / "simplified" / f"{name}.ndjson")):
        if i >= HELD_OUT[name]:
            out.append(as_lists(d.strokes))
        if len(out) == count:
            return out
    return out


def _polyline_distance(a, b) -> float:
    """The largest distance from a point of stroke ``a`` to the polyline ``b`` (frame units)."""
    pa, pb = np.asarray(a, float).T, np.asarray(b, float).T
    if len(pb) == 1:
        return float(np.hypot(*(pa - pb[0]).T).max())
    start, end = pb[:-1], pb[1:]
    seg = end - start
    length = np.maximum((seg ** 2).sum(1), 1e-12)
    t = np.clip(((pa[:, None, :] - start[None]) * seg[None]).sum(2) / length[None], 0, 1)
    nearest = start[None] + t[..., None] * seg[None]
    return float(np.sqrt(((pa[:, None, :] - nearest) ** 2).sum(2)).min(1).max())


def stroke_distance(page_strokes, qd_strokes) -> float:
    """How far apart two drawings' strokes are: the larger one-way polyline distance over all stroke pairs."""
    assert len(page_strokes) == len(qd_strokes)
    return max(max(_polyline_distance(a, b), _polyline_distance(b, a)) for a, b in zip(page_strokes, qd_strokes))


def test_contract_js_gives_qds_numbers_exactly_on_mirror_drawings(browser, url, mirror):  # noqa: F811
    """The JavaScript frame mapping, simplification and raster recipe against qd's Python, value for value."""
    from quickdraw.classifier import seen

    raw = []
    for path in sorted((mirror / "full" / "raw").glob("*.ndjson"))[:50]:
        raw.extend(as_lists(d.strokes) for i, d in zip(range(2), read_path(path)))
    simplified = [d for name in CLASSES for d in held_out(mirror, name, 20)]
    rng = np.random.default_rng(0)
    pad_like = [[[list(np.asarray(xs) * 0.6 + 40 + rng.normal(0, 0.7, len(xs))),
                  list(np.asarray(ys) * 0.6 + 30 + rng.normal(0, 0.7, len(ys)))] for xs, ys in d] for d in simplified]
    pad_like = [as_lists(d) for d in pad_like]
    page = browser.new_page()
    page.goto(url + "index.html")
    got = page.evaluate("""async ([raw, simplified, padLike]) => {
        const c = await import('./contract.js');
        return {simplify: raw.map(c.simplify), partial: padLike.map(c.simplifyPartial),
                bitmaps: [...raw, ...simplified, ...padLike].map((d) => Array.from(c.bitmap(d, 28))),
                small: simplified.slice(0, 10).map((d) => Array.from(c.bitmap(d, 12)))};
    }""", [raw, simplified, pad_like])
    page.close()
    assert len(raw) == 100 and got["simplify"] == [simplify(d) for d in raw]
    assert got["partial"] == [simplify_partial(d) for d in pad_like]
    expected = [seen.bitmap(d, 28).ravel().tolist() for d in [*raw, *simplified, *pad_like]]
    assert got["bitmaps"] == expected  # every pixel of all 220 bitmaps
    assert got["small"] == [seen.bitmap(d, 12).ravel().tolist() for d in simplified[:10]]


def as_drawn(drawing, rng):
    """A dataset drawing as a person might draw it on the pad: smaller, off the frame's corner, the pen's
    positions not whole numbers (so qd brings it to the dataset's frame, as it does any drawing made on a pad)."""
    scale = rng.uniform(0.55, 0.85)
    dx, dy = rng.uniform(3, 252 - 255 * scale, size=2)  # inside the pad, which stops the pen at its edges
    return [[[round(x * scale + dx + rng.normal(0, 0.3), 3) for x in xs],
             [round(y * scale + dy + rng.normal(0, 0.3), 3) for y in ys]] for xs, ys in drawing]


def test_the_page_guesses_what_qd_classify_says_for_drawings_made_with_pointer_events(browser, url, mirror, cnn,  # noqa: F811
                                                                                        classifier, shots, tmp_path,
                                                                                        capsys):
    page = browser.new_page(viewport={"width": 1100, "height": 820})
    open_page(page, url + "index.html#draw")
    rng = np.random.default_rng(25)
    drawings = [as_drawn(d, rng) for name in CLASSES for d in held_out(mirror, name, 4)]
    for drawing in drawings:
        page.click("#clear")
        draw(page, drawing)
        state = settled_guesses(page)
        # what the page keeps: qd's simplification of the points it was given, in the simplified ndjson layout
        assert stroke_distance(state["strokes"], simplify_partial(drawing)) <= 2.0
        assert all(isinstance(v, int) and 0 <= v <= 255 for s in state["strokes"] for row in s for v in row)
        page_p = np.asarray(state["probabilities"])
        # the port alone: the same model on the page's own pen points (ONNX in wasm vs Keras)
        assert np.abs(page_p - classifier.probabilities(classifier.render(state["raw"]))).max() < 1e-5
        # qd classify on the injected drawing: frame mapping, simplification, rendering and model all compared
        truth = classifier.probabilities(classifier.render(drawing))
        assert int(np.argmax(page_p)) == int(np.argmax(truth)) and np.abs(page_p - truth).max() < 1e-3
        assert state["shown"][0] == f"{classifier.classes[int(np.argmax(page_p))]} {round(page_p.max() * 100)}%"
        assert all(re.fullmatch(r"(eye|monkey|mouth) \d{1,3}%", text) for text in state["shown"])
    page.screenshot(path=str(shots / "web-draw.png"))
    page.close()
    # and through the qd command itself, for the last one (a strokes JSON file of the injected points)
    path = tmp_path / "drawn.json"
    path.write_text(json.dumps(drawing))
    assert main(["classify", str(cnn), str(path), "--top", "1"]) == 0
    name = classifier.classes[int(np.argmax(truth))]
    assert name in capsys.readouterr().out and state["shown"][0].startswith(name + " ")


def test_a_completion_is_shown_and_accepted(browser, url, mirror, shots):  # noqa: F811
    page = browser.new_page(viewport={"width": 1100, "height": 820})
    open_page(page, url + "index.html#draw")
    bird = as_lists(next(iter(read_path(mirror / "full" / "simplified" / "bird.ndjson"))).strokes)[:2]
    draw(page, bird)
    settled_guesses(page)
    page.wait_for_function("window.qd.candidates.length === 4 && !window.qd.completing "
                           "&& window.qd.candidates.every((c) => c.length > 0)", timeout=90_000)
    candidates = page.evaluate("window.qd.candidates")
    before = page.evaluate("window.qd.strokes")
    lengths = [max(max(xs) - min(xs) for xs, _ in c) for c in candidates]
    assert all(0 < length < 4 * 255 for length in lengths)  # in the frame's units, as qd maps the official model
    assert page.locator("#completion .candidate").count() == 4
    page.screenshot(path=str(shots / "web-complete.png"))
    page.keyboard.press("ArrowRight")
    assert page.evaluate("window.qd.picked") == 1
    page.click("#accept")
    page.wait_for_function(f"window.qd.strokes.length === {len(before) + len(candidates[1])}")
    after = page.evaluate("window.qd.strokes")
    assert after[:len(before)] == before and after[len(before):] == simplify_partial(candidates[1])
    settled_guesses(page)  # the accepted drawing is guessed, and completion starts again from it
    page.wait_for_function("window.qd.completing || window.qd.candidates.some((c) => c.length)", timeout=30_000)
    page.close()


def test_a_round_of_the_game(browser, url, mirror, classifier, shots, tmp_path):  # noqa: F811
    page = browser.new_page(viewport={"width": 1100, "height": 820})
    open_page(page, url + "index.html?rounds=2&seconds=30")
    target = page.evaluate("window.qd.game.rounds[0].category")
    assert page.inner_text("#prompt") == f"Draw: {target}"
    known = next(d for d in held_out(mirror, target, 40)
                 if (top := classifier.top(d, 1)[0])[0] == target and top[1] > 0.8)
    draw(page, known[:1])
    if len(known) > 1:
        page.screenshot(path=str(shots / "web-game.png"))
        draw(page, known[1:])
    page.wait_for_function("window.qd.game.rounds[0].done", timeout=30_000)
    assert page.inner_text("#line") == f"Oh, I know, it's {target}!"
    page.wait_for_function("window.qd.game.rounds.length === 2", timeout=10_000)
    assert page.evaluate("window.qd.strokes") == []
    page.click("#skip")
    page.wait_for_function("window.qd.game.over", timeout=10_000)
    rounds = page.evaluate("window.qd.game.rounds")
    assert [r["recognized"] for r in rounds] == [True, False] and rounds[1]["skipped"]
    assert page.locator("#summary figure").count() == 2
    assert "recognised 1 of your 2" in page.inner_text("#line")
    # the drawings to take home, in the simplified ndjson layout qd reads (the skipped round drew nothing)
    text = page.evaluate("fetch(document.getElementById('download').href).then((r) => r.text())")
    page.close()
    saved = tmp_path / "my_doodles.ndjson"
    saved.write_text(text)
    records = list(read_path(saved))
    assert [(r.word, r.recognized) for r in records] == [(target, True)]
    assert [np.asarray(s).tolist() for s in records[0].strokes] == simplify(rounds[0]["strokes"])


def test_the_page_fits_a_phone_and_draws_by_touch(browser, url, mirror, shots):  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    open_page(page, url + "index.html#draw")
    box = page.locator("#pad").bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844
    assert box["width"] >= 300  # most of the screen's width
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing scrolls sideways
    eye = held_out(mirror, "eye", 1)[0]
    touch_draw(page, eye)
    state = settled_guesses(page)
    assert len(state["strokes"]) == len(eye) and stroke_distance(state["strokes"], simplify_partial(eye)) <= 2.0
    assert len(state["shown"]) == 3
    page.screenshot(path=str(shots / "web-phone.png"))
    context.close()


def test_without_js_from_the_page_loads_pinned_libraries_from_the_cdn(cnn, tmp_path, capsys):
    from quickdraw.ui.site import LIBRARIES

    assert main(["web", str(cnn), "--out", str(tmp_path / "site")]) == 0
    config = json.loads((tmp_path / "site" / "qd-site.json").read_text())
    assert config["libraries"]["ort"] == f"https://cdn.jsdelivr.net/npm/onnxruntime-web@{LIBRARIES['ort']['version']}/dist/"
    assert config["sketch"] is None and not (tmp_path / "site" / "lib").exists()
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == [
        "app.js", "contract.js", "index.html", "models", "pad.js", "qd-site.json", "sketch-worker.js", "style.css"]


def test_qd_web_refuses_bad_input_in_one_line_and_writes_nothing(cnn, js_modules, tmp_path, capsys):
    def fails(argv, message):
        assert main([str(a) for a in argv]) == 1, argv
        err = capsys.readouterr().err
        assert err.startswith("qd: ") and err.count("\n") == 1 and message in err, err

    out = tmp_path / "site"
    empty = tmp_path / "node_modules"
    empty.mkdir()
    fails(["web", cnn, "--out", out, "--js-from", empty], "lacks onnxruntime-web/dist/ort.wasm.min.mjs")
    fails(["web", cnn, "--out", out, "--js-from", tmp_path / "nothing"], "is not a folder")
    fails(["web", tmp_path, "--out", out], "is not a training run")
    fails(["web", cnn, "no_such_model_zz", "--out", out], "no_such_model_zz")
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    fails(["web", cnn, "--out", out], "already exists; add --force")
    fails(["web", cnn, "--out", out, "--force"], "holds something qd did not write")
    assert os.listdir(out) == ["notes.txt"]
    shutil.rmtree(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["node_modules"]


def test_ci_installs_the_packages_the_page_and_the_tests_pin():
    from tests.npm import packages

    text = (ROOT / ".ci" / "run").read_text()
    assert all(f"{name}@{version}" in text for name, version in packages().items()), packages()
