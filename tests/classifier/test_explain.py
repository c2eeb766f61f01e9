"""``qd explain`` (issue 26): linear templates, filters and activations, SmoothGrad saliency and dreams, checked
as the literature checks explanations (model randomisation, deletion), on small models trained on real mirror
bitmaps once for the module."""
import json
import os
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

keras = pytest.importorskip("keras")
from quickdraw.classifier import Classifier, anatomy, explain, model as cnn_model, train  # noqa: E402  # noqa: E402
from quickdraw.classifier.saliency import overlay, pad_extent, saliency  # noqa: E402
from tests.qd_command import qd

ROOT = Path(__file__).resolve().parents[2]
CLASSES = ["apple", "eye", "fish", "house", "rainbow"]
CHECKED = 50  # drawings in the randomisation and deletion checks, as the issue asks


@pytest.fixture(scope="module")
def dataset(mirror, tmp_path_factory):
    """300 real bitmaps a class from the mirror's numpy_bitmap files: 1,200 train, 150 valid, 150 test."""
    from quickdraw.builder.subset import build

    return build(CLASSES, 300, tmp_path_factory.mktemp("explain") / "five", source="bitmap", mirror=str(mirror),
                 quiet=True)


def _trained(dataset, tmp_path_factory, name, **settings):
    run = tmp_path_factory.mktemp("explain-runs") / name
    train(dataset, run, verbose=0, batch_size=32, **settings)
    return run, Classifier(run)


@pytest.fixture(scope="module")
def cnn(dataset, tmp_path_factory):
    return _trained(dataset, tmp_path_factory, "cnn", epochs=4, seed=0)


@pytest.fixture(scope="module")
def cnn_seed1(dataset, tmp_path_factory):
    """The same CNN trained with another seed: the second opinion on dreams."""
    return _trained(dataset, tmp_path_factory, "cnn-seed1", epochs=4, seed=1)


@pytest.fixture(scope="module")
def linear(dataset, tmp_path_factory):
    return _trained(dataset, tmp_path_factory, "linear", model="linear", epochs=8, seed=0)


@pytest.fixture(scope="module")
def checked(dataset):
    """CHECKED test drawings, 10 a class: (uint8 bitmaps, labels)."""
    from quickdraw.builder.folder import open_dataset

    folder = open_dataset(dataset)
    x, y = folder.bitmaps("test"), folder.labels("test")
    assert [folder.classes[i] for i in range(len(CLASSES))] == CLASSES
    index = np.concatenate([np.flatnonzero(y == c)[:CHECKED // len(CLASSES)] for c in range(len(CLASSES))])
    return x[index], y[index]


def _first_drawing(mirror, category):
    from quickdraw.formats import read_drawing

    return read_drawing(mirror / "full" / "simplified" / f"{category}.ndjson")


# ---- the linear model: its weights are the class templates, and they give the logits exactly -------------------

def test_linear_templates_are_the_saved_kernel_and_give_the_logits(linear, checked, tmp_path):
    run, classifier = linear
    saved = keras.models.load_model(run / "model.keras", compile=False)  # not through qd's loader
    kernel, bias = saved.get_layer("logits").get_weights()
    assert kernel.shape == (28 * 28, len(CLASSES))
    e = explain(run)
    assert e.kind == "linear" and e.classes == CLASSES and e.bitmap is None
    for c in range(len(CLASSES)):
        assert np.array_equal(e.templates[c], kernel[:, c].reshape(28, 28))
    assert np.array_equal(e.bias, bias)
    drawn = [ax.images[0].get_array() for ax in e.figure.axes if ax.images and ax.get_title()]
    assert len(drawn) == len(CLASSES) and all(np.array_equal(d, t) for d, t in zip(drawn, e.templates))
    # template . (bitmap / 255) + bias is the logit the saved model computes, and its softmax the output
    x, _ = checked
    logits = keras.Model(saved.input, saved.get_layer("logits").output).predict(x[..., None], verbose=0)
    mine = np.einsum("chw,nhw->nc", e.templates.astype(np.float64), x / 255.0) + e.bias
    assert np.abs(mine - logits).max() < 1e-4
    probs = np.exp(mine - mine.max(1, keepdims=True))
    assert np.allclose(probs / probs.sum(1, keepdims=True), saved.predict(x[..., None], verbose=0), atol=1e-5)
    print(f"\n[issue 26] linear templates: kernel columns exact; logits within {np.abs(mine - logits).max():.1e}")
    # the picture: red and blue (a colour map centred on zero), one titled panel per class
    image = matplotlib.image.imread(e.save(tmp_path / "templates.png"))[..., :3]
    red = (image[..., 0] > 0.6) & (image[..., 2] < 0.45)
    blue = (image[..., 2] > 0.6) & (image[..., 0] < 0.45)
    assert red.sum() > 500 and blue.sum() > 500


def test_saliency_of_a_linear_model_is_its_template(linear, checked):
    """The logit's gradient of a linear model is its template, whatever the input or the noise."""
    _, classifier = linear
    e = explain(classifier)
    x, y = checked
    for i in (0, 17, 49):
        assert np.abs(saliency(classifier, x[i], int(y[i])) - e.templates[y[i]]).max() < 1e-5


def test_a_linear_run_explains_a_drawing_exactly(linear, mirror, tmp_path):
    run, classifier = linear
    drawing = _first_drawing(mirror, "house")
    e = explain(run, mirror / "full" / "simplified" / "house.ndjson", class_name="eye")
    assert e.explained == "eye" and np.array_equal(e.bitmap, classifier.render(drawing.strokes))
    c = CLASSES.index("eye")
    logit = (e.templates[c] * e.bitmap / 255).sum() + e.bias[c]
    assert f"logit {logit:+.2f}" in " ".join(ax.get_title() for ax in e.figure.axes)


# ---- every classifier command takes a linear run -----------------------------------------------------------

def test_classify_evaluate_and_play_take_a_linear_run(linear, dataset, mirror):
    run, classifier = linear
    status, out, err = qd("classify", run, mirror / "full" / "simplified" / "eye.ndjson", "--top", 2)
    assert status == 0, err
    assert len(out.splitlines()) == 2 and out.split()[0] in CLASSES
    status, out, err = qd("evaluate", run, dataset)
    assert status == 0, err
    metrics = json.loads(out)
    assert metrics["examples"] == 150 and metrics["accuracy"] > 0.6  # five classes: chance is 0.2
    assert json.loads((run / "run.json").read_text())["settings"]["model"] == "linear"
    # the game's logic: its rounds cover the run's classes, and a drawing the model knows is recognised
    from quickdraw.classifier.play import guess_line, round_categories
    from quickdraw.formats import read_path

    assert sorted(round_categories(classifier.classes, 5, seed=0)) == CLASSES
    for drawing in read_path(mirror / "full" / "simplified" / "eye.ndjson"):
        guesses = classifier.top(drawing.strokes, 3)
        if guesses[0][0] == "eye" and guesses[0][1] >= 0.5:
            break
    else:
        pytest.fail("the linear model recognises none of the mirror's eyes")
    assert guess_line(guesses, "eye") == ("Oh, I know, it's eye!", True)


# ---- a CNN: filters, activation maps, the float copy of the model ------------------------------------------

def test_cnn_anatomy_matches_the_saved_model(cnn, checked):
    run, classifier = cnn
    saved = keras.models.load_model(run / "model.keras", compile=False)
    x, _ = checked
    e = explain(run, x[3])
    first = [layer for layer in saved.layers if isinstance(layer, keras.layers.Conv2D)][0]
    assert np.array_equal(e.filters, np.moveaxis(first.get_weights()[0][:, :, 0, :], -1, 0))
    ends = [saved.layers[i] for i in range(len(saved.layers) - 1)
            if isinstance(saved.layers[i + 1], keras.layers.MaxPooling2D)]
    maps = keras.Model(saved.input, [layer.output for layer in ends]).predict(x[3][None, ..., None], verbose=0)
    assert [m.shape for m in e.activations] == [(28, 28, 32), (14, 14, 64), (7, 7, 128)]
    for mine, theirs in zip(e.activations, maps):
        assert np.abs(mine - theirs[0]).max() < 1e-4
    assert np.allclose(e.probabilities, saved.predict(x[3][None, ..., None], verbose=0)[0], atol=1e-5)
    # the float copy that gradients run through gives the saved model's logits
    logits = anatomy.scaled_model(classifier.model)(x[..., None].astype(np.float32) / 255, training=False)
    probs = np.exp(np.asarray(logits) - np.asarray(logits).max(1, keepdims=True))
    assert np.allclose(probs / probs.sum(1, keepdims=True), saved.predict(x[..., None], verbose=0), atol=1e-5)


def test_gradients_agree_with_finite_differences(cnn, checked):
    """saliency with one noiseless sample is the plain gradient: check it pixel by pixel (central differences of
    the model's logits; one pixel at a time, so that the step rarely crosses a ReLU's or a pooling's kink)."""
    _, classifier = cnn
    x, y = checked
    scaled = anatomy.scaled_model(classifier.model)
    eps = 1e-2
    for i in (1, 22, 40):
        grad = saliency(classifier, x[i], int(y[i]), samples=1, noise=0.0)
        base = x[i].astype(np.float32) / 255
        pixels = np.argsort(-np.abs(grad).ravel())[:6]
        ends = np.repeat(base[None], 2 * len(pixels), 0).reshape(2 * len(pixels), -1)
        for k, p in enumerate(pixels):
            ends[2 * k, p] += eps
            ends[2 * k + 1, p] -= eps
        logits = np.asarray(scaled.predict(ends.reshape(-1, 28, 28, 1), verbose=0), np.float64)[:, y[i]]
        numeric = (logits[0::2] - logits[1::2]) / (2 * eps)
        assert np.all(np.abs(numeric - grad.ravel()[pixels]) < 0.01 + 0.05 * np.abs(numeric)), (numeric, grad)


# ---- saliency checked as the literature checks it ----------------------------------------------------------

def test_saliency_passes_the_model_randomisation_check(cnn, checked):
    """Adebayo et al. 2018: on the ink, the trained model's |saliency| and a re-initialised one's rank-differ."""
    from scipy.stats import spearmanr

    _, classifier = cnn
    keras.utils.set_random_seed(12345)
    untrained = cnn_model.build_model("cnn", 28, CLASSES, seed=12345)
    x, _ = checked
    rhos = []
    for bitmap in x:
        c = int(np.argmax(classifier.probabilities(bitmap)))
        ink = bitmap > 0
        trained_map = np.abs(saliency(classifier, bitmap, c))[ink]
        random_map = np.abs(saliency(untrained, bitmap, c))[ink]
        rhos.append(spearmanr(trained_map, random_map).statistic)
    median = float(np.median(rhos))
    print(f"\n[issue 26] randomisation: Spearman median {median:.3f} over {len(rhos)} drawings "
          f"(quartiles {np.percentile(rhos, 25):.3f}, {np.percentile(rhos, 75):.3f})")
    assert len(rhos) == CHECKED and median < 0.5


def test_deleting_the_most_salient_ink_hurts_more_than_random_ink(cnn, dataset):
    from quickdraw.builder.folder import open_dataset

    _, classifier = cnn
    folder = open_dataset(dataset)
    x = np.concatenate([folder.bitmaps("test"), folder.bitmaps("valid")])
    y = np.concatenate([folder.labels("test"), folder.labels("valid")])
    right = [i for i in range(len(y)) if np.argmax(classifier.probabilities(x[i])) == y[i]][:CHECKED]
    assert len(right) == CHECKED
    rng = np.random.default_rng(0)
    after_salient, after_random = [], []
    for i in right:
        c = int(y[i])
        ink = np.flatnonzero(x[i].ravel() > 0)
        k = max(1, round(0.1 * len(ink)))
        most = ink[np.argsort(-saliency(classifier, x[i], c).ravel()[ink])[:k]]
        after_salient.append(classifier.probabilities(_without(x[i], most))[c])
        after_random.append(np.mean([classifier.probabilities(_without(x[i], rng.choice(ink, k, replace=False)))[c]
                                     for _ in range(5)]))
    salient, random = float(np.median(after_salient)), float(np.median(after_random))
    print(f"\n[issue 26] deletion of 10% of the ink: median p(class) {salient:.3f} (most salient) vs "
          f"{random:.3f} (random) over {len(right)} correctly classified drawings")
    assert salient < random


def _without(bitmap, pixels):
    out = bitmap.copy().ravel()
    out[pixels] = 0
    return out.reshape(bitmap.shape)


# ---- dreams ------------------------------------------------------------------------------------------------

def test_dreams_are_their_class_for_the_dreamer_and_for_another_seed(cnn, cnn_seed1):
    from quickdraw.raster.render import render

    run, classifier = cnn
    _, second = cnn_seed1
    saved = keras.models.load_model(run / "model.keras", compile=False)
    e = explain(classifier, dream="all")
    assert [d.class_name for d in e.dreams] == CLASSES
    figures = []
    for c, d in enumerate(e.dreams):
        assert np.array_equal(d.bitmap, render([d.strokes], 28)[0])  # a drawing, seen through the exact recipe
        own = float(saved.predict(d.bitmap[None, ..., None], verbose=0)[0, c])
        other = float(second.probabilities(d.bitmap)[c])
        assert abs(own - d.probability) < 1e-5
        figures.append(f"{d.class_name} {own:.3f}/{other:.3f}")
        assert own >= 0.9 and other >= 0.5, figures
    print("\n[issue 26] dreams, p(class) by the dreamer / by the seed-1 model: " + ", ".join(figures))


# ---- the command ---------------------------------------------------------------------------------------------

def test_qd_explain_a_drawing_writes_the_picture_and_prints_the_guesses(cnn, mirror, tmp_path):
    run, classifier = cnn
    out = tmp_path / "why.png"
    drawing = mirror / "full" / "simplified" / "eye.ndjson"
    status, printed, err = qd("explain", run, drawing, "--index", 2, "--out", out)
    assert status == 0, err
    guesses = classifier.top(_first_drawing_at(drawing, 2).strokes, 3)
    assert [line.split()[0] for line in printed.splitlines()[:3]] == [g[0] for g in guesses]
    assert f"wrote {out}: why the cnn says {guesses[0][0]}" in printed
    image = matplotlib.image.imread(out)
    assert image.shape[1] == 1300 and image.shape[0] > 900 and image[..., :3].std() > 0.1
    status, _, err = qd("explain", run, drawing, "--index", 2, "--out", out)
    assert status == 1 and err.startswith("qd: --out") and "--force" in err
    bitmaps = mirror / "full" / "numpy_bitmap" / "eye.npy"  # an official bitmap row is explained as it is
    status, printed, err = qd("explain", run, bitmaps, "--index", 7, "--out", out, "--force")
    row = np.load(bitmaps, mmap_mode="r")[7].reshape(28, 28)
    assert status == 0 and printed.split()[0] == classifier.top_bitmap(row, 1)[0][0], err


def _first_drawing_at(path, index):
    from quickdraw.formats import read_drawing

    return read_drawing(path, index)


def test_qd_explain_dream_writes_drawings_that_qd_classify_reads(cnn, tmp_path):
    from cli.explain import STEPS
    from quickdraw.classifier import dreams

    assert STEPS == dreams.STEPS  # --help shows the library's default without importing Keras
    run, _ = cnn
    out = tmp_path / "dream.png"
    status, printed, err = qd("explain", run, "--dream", "house", "--steps", 80, "--out", out)
    assert status == 0, err
    assert out.is_file() and "dream of house" in printed
    from quickdraw.formats import read_path

    [drawing] = list(read_path(out.with_suffix(".ndjson")))
    assert drawing.word == "house" and drawing.num_points > 10
    status, printed, err = qd("classify", run, out.with_suffix(".ndjson"))
    assert status == 0 and printed.split()[0] in CLASSES


def test_qd_explain_without_a_drawing_draws_filters_and_mlp_units(cnn, synthetic_dataset, checked, tmp_path):
    run, _ = cnn
    status, printed, err = qd("explain", run, "--out", tmp_path / "filters.png")
    assert status == 0 and "first-layer filters" in printed and "SYNTHETIC" not in printed, err
    mlp = tmp_path / "mlp"
    train(synthetic_dataset, mlp, model="mlp", epochs=1, batch_size=16, verbose=0)
    status, printed, err = qd("explain", mlp, "--out", tmp_path / "units.png")
    assert status == 0 and "first-layer units" in printed and "SYNTHETIC doodles" in printed, err
    e = explain(mlp)
    saved = keras.models.load_model(mlp / "model.keras", compile=False)
    kernel = next(la for la in saved.layers if isinstance(la, keras.layers.Dense)).get_weights()[0]
    assert e.filters.shape == (32, 28, 28) and np.array_equal(e.filters[5], kernel[:, 5].reshape(28, 28))
    assert "SYNTHETIC" in e.figure.get_suptitle()
    on_drawing = explain(mlp, checked[0][0])
    assert on_drawing.saliency.shape == (28, 28) and on_drawing.activations is None and on_drawing.explained


def test_bad_input_is_one_line(cnn, linear, mirror, tmp_path):
    run, _ = cnn
    sketch = tmp_path / "rnn"
    sketch.mkdir()
    (sketch / "run.json").write_text(json.dumps({"kind": "sketchrnn"}))
    empty = tmp_path / "empty.ndjson"
    empty.write_text(json.dumps({"word": "eye", "countrycode": "", "timestamp": "", "recognized": True,
                                 "key_id": "1", "drawing": []}) + "\n")
    out = tmp_path / "never.png"
    cases = {
        (sketch,): "not a CNN classifier run",
        (run, "--dream", "hous"): "did you mean: house",
        (run, empty): "no points",
        (linear[0], "--dream", "eye"): "templates",
        (run, "--class", "eye"): "give a DRAWING",
        (run, "--class", "eye", "--dream", "fish"): "give one of them",
        (run, mirror / "full" / "numpy_bitmap" / "eye.npy", "--dream", "eye"): "holds bitmaps",
        (run, "--out", tmp_path / "x.jpg"): "PNG",
    }
    for args, words in cases.items():
        status, printed, err = qd("explain", *args, *([] if "--out" in args else ["--out", out]))
        assert status == 1 and err.startswith("qd: ") and len(err.strip().splitlines()) == 1, (args, err)
        assert words in err, (args, err)
    assert not out.exists()


def test_pad_extent_lays_the_bitmap_under_the_strokes(mirror):
    from quickdraw.classifier.seen import bitmap

    strokes = [np.asarray(s, float) for s in _first_drawing(mirror, "fish").strokes]
    for drawn in (strokes, [s * 0.43 + np.array([[61.5], [20.25]]) for s in strokes]):  # in frame; elsewhere
        image = bitmap(drawn, 28)
        left, right, bottom, top = pad_extent(drawn, 28)
        pixel = (right - left) / 28
        assert (bottom - top) == pytest.approx(right - left)
        rows, cols = np.nonzero(image > 200)
        centres = np.stack([left + (cols + 0.5) * pixel, top + (rows + 0.5) * pixel], 1)
        near = np.array([_distance_to_strokes(p, drawn) for p in centres])
        assert len(near) > 30 and near.max() < 0.8 * pixel
    rgba = overlay(np.array([[2.0, -1.0], [0.0, 0.5]]), scale=2.0)
    assert rgba.shape == (2, 2, 4) and rgba[0, 0, 0] > rgba[0, 0, 2] and rgba[0, 1, 2] > rgba[0, 1, 0]
    assert rgba[0, 0, 3] == pytest.approx(0.85) and rgba[1, 0, 3] == 0 and rgba[0, 1, 3] == pytest.approx(0.425)


def _distance_to_strokes(point, strokes):
    best = np.inf
    for s in strokes:
        a, b = s[:2, :-1].T, s[:2, 1:].T
        ab = b - a
        t = np.clip(((point - a) * ab).sum(1) / np.maximum((ab * ab).sum(1), 1e-12), 0, 1)
        best = min(best, float(np.hypot(*(point - a - t[:, None] * ab).T).min()))
    return best


# ---- the JAX backend ---------------------------------------------------------------------------------------

def test_jax_backend_explains_alike(cnn, mirror, tmp_path):
    """The JAX gradient module, in a process of its own (Keras' backend is fixed at import): same saliency map,
    and the whole command (filters, activations, a short dream) runs."""
    pytest.importorskip("jax", reason="jax is in the test extra; install it to check the JAX path")
    run, classifier = cnn
    drawing = mirror / "full" / "simplified" / "house.ndjson"
    code = ("import sys, numpy as np; from quickdraw.classifier import Classifier; "
            "from quickdraw.classifier.saliency import saliency; from quickdraw.formats import read_drawing; "
            "import keras; assert keras.backend.backend() == 'jax'; c = Classifier(sys.argv[1]); "
            "b = c.render(read_drawing(sys.argv[2]).strokes); np.save(sys.argv[3], saliency(c, b, 3)); "
            "from cli.main import main; sys.exit(main(['explain', sys.argv[1], sys.argv[2], '--out', sys.argv[4]]) "
            "or main(['explain', sys.argv[1], '--dream', 'eye', '--steps', '20', '--out', sys.argv[5]]))")
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    done = subprocess.run([sys.executable, "-c", code, run, drawing, tmp_path / "jax.npy", tmp_path / "jax.png",
                           tmp_path / "dream.png"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    mine = saliency(classifier, classifier.render(_first_drawing(mirror, "house").strokes), 3)
    assert np.abs(np.load(tmp_path / "jax.npy") - mine).max() < 1e-4 * max(1.0, np.abs(mine).max())
    assert (tmp_path / "jax.png").is_file() and (tmp_path / "dream.ndjson").is_file()


def test_explain_shows_itself_inline_in_a_notebook(linear, monkeypatch, tmp_path):
    """In a real Jupyter kernel, a cell ending in explain(...) shows the picture (image/png)."""
    import base64

    nbclient = pytest.importorskip("nbclient", reason="nbclient (the test extra) is absent")
    nbformat = pytest.importorskip("nbformat")
    run, _ = linear
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        f"from quickdraw.classifier import explain\ne = explain({str(run)!r})\ne")])
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the kernel inherits this process's environment
    monkeypatch.setenv("MPLBACKEND", "agg")
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = [o for o in nb.cells[0].outputs if o.output_type == "execute_result" and "image/png" in o.data]
    assert len(shown) == 1
    png = base64.b64decode(shown[0].data["image/png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20000
