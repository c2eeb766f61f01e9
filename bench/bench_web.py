"""Issue 25's numbers: export parity of every format in its own runtime, and the web page against qd's Python.

Run: ``python3 bench/bench_web.py [--drawings 200] [--bitmaps 500]`` (needs node and npm, Debian's
chromium, and the test extra: onnxruntime, ai-edge-litert, playwright). It trains a CNN on the offline
mirror's eye, monkey and mouth drawings (500 each, 5 epochs), then:

- export parity: the run exported as SavedModel, LiteRT, ONNX and TF.js, each run by its own runtime
  (TensorFlow, the LiteRT interpreter, onnxruntime, @tensorflow/tfjs in node) on held-out bitmaps;
  the largest difference from Keras' probabilities (target: within 1e-5), and one bitmap's latency in
  each runtime (the baseline: Keras' compiled predict_on_batch, as ``qd classify`` runs it);
- page parity: ``qd web`` (with the official bird Sketch-RNN, libraries copied in by --js-from) in
  headless Chromium, held-out mirror drawings drawn on the pad with pointer events (smaller and off the
  frame's corner, at positions that are not whole numbers, as a person draws on a pad): the page's top
  guess against ``qd classify`` on the injected drawing (target: at least 99% equal), probabilities
  within 1e-3, the page's strokes within 2 frame units of qd's simplification of the injected points,
  pen-up to guesses shown (median, p95; target under 30 ms), and the bytes a first visit loads.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MIRROR = (REPO / ".." / "shared" / "quickdraw").resolve()
MODELS = (REPO / ".." / "shared" / "quickdraw-models").resolve()
CLASSES = ("eye", "monkey", "mouth")
TRAINED = 500  # the first drawings of each class go into training; the page and the bitmaps use later ones
HELD_OUT = {"eye": 1000, "monkey": 600, "mouth": 1000}


def held_out(total: int) -> list[tuple[str, list]]:
    """``total`` mirror drawings the CNN never saw, spread over the classes, as (class, [[xs], [ys]] strokes)."""
    from quickdraw.formats import read_path

    per = {name: [] for name in CLASSES}
    for name in CLASSES:
        for i, d in enumerate(read_path(MIRROR / "full" / "simplified" / f"{name}.ndjson")):
            if i >= HELD_OUT[name]:
                per[name].append([[[float(v) for v in s[0]], [float(v) for v in s[1]]] for s in d.strokes])
    out = []
    while len(out) < total and any(per.values()):
        for name in CLASSES:
            if per[name] and len(out) < total:
                out.append((name, per[name].pop(0)))
    return out


def median_ms(fn, repeats: int = 200) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.median(times))


def export_parity(run: Path, root: Path, bitmaps: np.ndarray, modules: Path) -> None:
    import keras
    import onnxruntime
    import tensorflow as tf

    import quickdraw.classifier  # noqa: F401 - registers qd's layers for plain Keras loading
    from cli.main import main
    from tests.classifier.test_export import litert_probabilities

    model = keras.models.load_model(run / "model.keras")
    expected = np.asarray(model.predict(bitmaps, verbose=0))
    one = bitmaps[:1]
    keras_ms = median_ms(lambda: model.predict_on_batch(one))
    rows = []
    for fmt, name in (("saved_model", "sm"), ("litert", "cnn.tflite"), ("onnx", "cnn.onnx"), ("tfjs", "js")):
        assert main(["export-model", str(run), "--format", fmt, "--out", str(root / name)]) == 0
    loaded = tf.saved_model.load(str(root / "sm"))
    got = np.asarray(loaded.serve(tf.constant(bitmaps)))
    rows.append(("SavedModel", "TensorFlow", got, median_ms(lambda: loaded.serve(tf.constant(one)))))
    got = litert_probabilities(root / "cnn.tflite", bitmaps)
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(root / "cnn.tflite"))
    interpreter.allocate_tensors()
    entry, exit_ = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]

    def litert_one():
        interpreter.set_tensor(entry, one)
        interpreter.invoke()
        return interpreter.get_tensor(exit_)

    rows.append(("LiteRT", "ai-edge-litert interpreter", got, median_ms(litert_one)))
    session = onnxruntime.InferenceSession(str(root / "cnn.onnx"))
    got = session.run(None, {"bitmap": bitmaps})[0]
    rows.append(("ONNX", "onnxruntime", got, median_ms(lambda: session.run(None, {"bitmap": one}))))
    got, result = tfjs_probabilities_timed(root / "js", bitmaps, modules)
    rows.append(("TF.js", "@tensorflow/tfjs (node, pure-JS CPU backend)", got, result["median_ms"]))
    print(f"\nexport parity on {len(bitmaps)} held-out bitmaps (largest |p - Keras p|; target < 1e-5), "
          f"one bitmap's latency (Keras predict_on_batch baseline: {keras_ms:.2f} ms, same run):")
    for fmt, runtime, probs, ms in rows:
        diff = float(np.abs(np.asarray(probs) - expected).max())
        same = float(np.mean(np.argmax(probs, 1) == np.argmax(expected, 1)))
        print(f"  {fmt:<10} {runtime:<46} max diff {diff:.2e}  top-1 equal {same:.1%}  {ms:7.2f} ms "
              f"({ms / keras_ms:.2f}x Keras)")


def tfjs_probabilities_timed(folder: Path, x: np.ndarray, modules: Path):
    bits = folder / "input.bin"
    x.astype(np.uint8).tofile(bits)
    done = subprocess.run(["node", str(REPO / "tests" / "js" / "tfjs_predict.js"), str(folder), str(bits), str(len(x)),
                           str(x.shape[1]), "50"], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NODE_PATH": str(modules)})
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return np.asarray(result["probabilities"], np.float32).reshape(len(x), -1), result


def page_parity(run: Path, root: Path, drawings, modules: Path) -> None:
    from playwright.sync_api import sync_playwright

    from cli.main import main
    from quickdraw.classifier import Classifier
    from quickdraw.raster.simplify import simplify_partial
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, serve
    from tests.ui.test_web import as_drawn, stroke_distance
    from tests.web_page import draw, open_page, settled_guesses

    site = root / "site"
    assert main(["web", str(run), "bird", "--out", str(site), "--js-from", str(modules), "--model-mirror", str(MODELS),
                 "--cache-dir", str(root / "cache")]) == 0
    classifier = Classifier(run)
    rng = np.random.default_rng(25)
    drawings = [(name, as_drawn(strokes, rng)) for name, strokes in drawings]  # drawn smaller, off the corner
    tops, gaps, exact, distances, latencies = [], [], [], [], []
    with sync_playwright() as p, serve(site) as url:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 820})
        loaded = []
        page.on("response", lambda r: loaded.append(r))
        open_page(page, url + "index.html#draw")
        page.wait_for_timeout(1500)  # the Sketch-RNN worker loads its model too
        first_visit = sum(len(r.body()) for r in loaded if r.ok)
        by_kind = {}
        for r in loaded:
            if r.ok:
                kind = "models" if "/models/" in r.url else "libraries" if "/lib/" in r.url else "page"
                by_kind[kind] = by_kind.get(kind, 0) + len(r.body())
        t0 = time.perf_counter()
        for name, strokes in drawings:
            page.click("#clear")
            draw(page, strokes)
            state = settled_guesses(page)
            page_p = np.asarray(state["probabilities"])
            truth = classifier.probabilities(classifier.render(strokes))  # qd classify on the injected drawing
            same_strokes = classifier.probabilities(classifier.render(state["raw"]))
            tops.append(int(np.argmax(page_p)) == int(np.argmax(truth)))
            gaps.append(float(np.abs(page_p - truth).max()))
            exact.append(float(np.abs(page_p - same_strokes).max()))
            distances.append(stroke_distance(state["strokes"], simplify_partial(strokes)))
        latencies = page.evaluate("window.qd.latencies")
        seconds = time.perf_counter() - t0
        browser.close()
    gaps, latencies = np.asarray(gaps), np.asarray(latencies)
    print(f"\npage parity: {len(drawings)} held-out mirror drawings drawn with pointer events in headless Chromium "
          f"({seconds:.0f} s):")
    print(f"  top guess equal to qd classify on the injected drawing: {np.mean(tops):.1%} (target >= 99%)")
    print(f"  probabilities vs qd classify: max diff {gaps.max():.2e}, median {np.median(gaps):.2e}, "
          f"within 1e-3 for {np.mean(gaps <= 1e-3):.1%}")
    print(f"  probabilities vs qd on the page's own pen points (the port alone): max diff {max(exact):.2e}")
    print(f"  window.qd.strokes vs qd's simplification of the injected points: max distance {max(distances):.2f} "
          f"frame units (target <= 2)")
    print(f"  pen-up to guesses shown: median {np.median(latencies):.1f} ms, p95 {np.percentile(latencies, 95):.1f} ms "
          f"over {len(latencies)} strokes (target < 30 ms)")
    print(f"  a first visit loads {first_visit / 1e6:.2f} MB: " +
          ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in sorted(by_kind.items())) +
          " (uncompressed; the CDN serves the libraries compressed)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drawings", type=int, default=200)
    parser.add_argument("--bitmaps", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from quickdraw.builder.subset import build
    from quickdraw.classifier import train
    from quickdraw.raster.render import render
    from tests.npm import node_modules

    modules = node_modules(required=False)
    if modules is None:
        print("bench_web: skipped, it needs node and npm (or $QD_JS_MODULES)")
        return
    with tempfile.TemporaryDirectory(prefix="qd-bench-web-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        build(list(CLASSES), TRAINED, root / "data", mirror=str(MIRROR), quiet=True, seed=0)
        metrics = train(root / "data", root / "cnn", epochs=args.epochs, batch_size=64, verbose=0, seed=0)
        print(f"CNN on the mirror's {', '.join(CLASSES)} ({TRAINED} each, {args.epochs} epochs): test accuracy "
              f"{metrics['accuracy']:.1%}, trained in {time.perf_counter() - t0:.0f} s")
        bitmaps = render([s for _, s in held_out(args.bitmaps)], 28)[..., None]
        export_parity(root / "cnn", root, bitmaps, modules)
        page_parity(root / "cnn", root, held_out(args.drawings), modules)


if __name__ == "__main__":
    main()
