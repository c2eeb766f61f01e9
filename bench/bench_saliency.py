"""Why ``qd explain`` uses SmoothGrad: five saliency methods through the issue-26 checks, on one real CNN.

Run: ``python3 bench/bench_saliency.py [--drawings 50]`` (~2 min on 2 cores). Builds 5 mirror classes x 300
bitmaps, trains the test suite's small CNN (4 epochs, seed 0), then for each method:

- model randomisation (Adebayo et al. 2018): Spearman rank correlation of |saliency| over the ink pixels
  between the trained CNN and the same architecture re-initialised; median over the drawings (passes < 0.5);
- deletion: the explained class's probability after removing the 10% most salient ink pixels, median over the
  correctly classified drawings; the same with 10% of the ink at random is the baseline of the same run.
Methods: SmoothGrad (qd's), plain gradient, gradient x input, integrated gradients (black baseline, 32 steps),
occlusion (3x3 patches centred on each ink pixel).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MIRROR = (REPO / ".." / "shared" / "quickdraw").resolve()
CLASSES = ["apple", "eye", "fish", "house", "rainbow"]


def methods(keras_ops):
    from quickdraw.classifier import anatomy
    from quickdraw.classifier.saliency import saliency

    def gradient(model, bitmap, c):
        return saliency(model, bitmap, c, samples=1, noise=0.0)

    def integrated(model, bitmap, c, steps=32):
        from quickdraw.classifier.gradients import compiled_once, gradient_function
        from quickdraw.classifier.saliency import _logit

        fn = compiled_once(model, "logit", lambda: gradient_function(anatomy.scaled_model(model), _logit))
        x = bitmap.astype(np.float32) / 255
        path = ((np.arange(steps) + 0.5) / steps).astype(np.float32)[:, None, None, None] * x[None, :, :, None]
        return x * fn(path, np.full(steps, c, np.int32))[1].mean(0)[..., 0]

    def occlusion(model, bitmap, c):
        scaled = anatomy.scaled_model(model)
        x = bitmap.astype(np.float32) / 255
        rows, cols = np.nonzero(bitmap)
        batch = np.repeat(x[None], len(rows) + 1, 0)
        for k, (i, j) in enumerate(zip(rows, cols), start=1):
            batch[k, max(i - 1, 0):i + 2, max(j - 1, 0):j + 2] = 0
        logits = np.asarray(keras_ops.convert_to_numpy(scaled(batch[..., None], training=False)))[:, c]
        out = np.zeros_like(x)
        out[rows, cols] = logits[0] - logits[1:]
        return out

    return {"SmoothGrad (qd)": lambda m, b, c: saliency(m, b, c), "plain gradient": gradient,
            "gradient x input": lambda m, b, c: gradient(m, b, c) * b / 255,
            "integrated gradients": integrated, "occlusion 3x3": occlusion}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drawings", type=int, default=50)
    args = parser.parse_args()
    import keras
    from scipy.stats import spearmanr

    from quickdraw.builder.folder import open_dataset
    from quickdraw.builder.subset import build
    from quickdraw.classifier import Classifier, train
    from quickdraw.classifier.model import build_model

    with tempfile.TemporaryDirectory() as tmp:
        dataset = build(CLASSES, 300, Path(tmp) / "five", source="bitmap", mirror=str(MIRROR), quiet=True)
        train(dataset, Path(tmp) / "cnn", epochs=4, batch_size=32, seed=0, verbose=0)
        classifier = Classifier(Path(tmp) / "cnn")
        folder = open_dataset(dataset)
        x, y = folder.bitmaps("test"), folder.labels("test")
    model = classifier.model
    keras.utils.set_random_seed(12345)
    untrained = build_model("cnn", 28, CLASSES, seed=12345)
    probs = model.predict(x[..., None], verbose=0)
    shown = np.arange(args.drawings)
    right = np.flatnonzero(probs.argmax(1) == y)[:args.drawings]
    rng = np.random.default_rng(1)

    def without(bitmap, pixels):
        out = bitmap.copy().ravel()
        out[pixels] = 0
        return out.reshape(bitmap.shape)

    baseline = []
    for i in right:
        ink = np.flatnonzero(x[i].ravel() > 0)
        k = max(1, round(0.1 * len(ink)))
        baseline.append(np.mean([classifier.probabilities(without(x[i], rng.choice(ink, k, replace=False)))[y[i]]
                                 for _ in range(5)]))
    print(f"CNN test accuracy {np.mean(probs.argmax(1) == y):.1%}; {len(shown)} drawings for randomisation, "
          f"{len(right)} correctly classified for deletion")
    print(f"deletion baseline (10% of the ink at random): median p(class) {np.median(baseline):.3f}")
    print(f"{'method':<22} {'Spearman median':>16} {'deletion median p':>18} {'ms/map':>8}")
    for name, explain in methods(keras.ops).items():
        start = time.perf_counter()
        rhos = []
        for i in shown:
            c, ink = int(probs[i].argmax()), x[i] > 0
            rhos.append(spearmanr(np.abs(explain(model, x[i], c))[ink],
                                  np.abs(explain(untrained, x[i], c))[ink]).statistic)
        deleted = []
        for i in right:
            ink = np.flatnonzero(x[i].ravel() > 0)
            k = max(1, round(0.1 * len(ink)))
            top = ink[np.argsort(-explain(model, x[i], int(y[i])).ravel()[ink])[:k]]
            deleted.append(classifier.probabilities(without(x[i], top))[y[i]])
        ms = 1000 * (time.perf_counter() - start) / (2 * len(shown) + len(right))
        verdict = "passes" if np.median(rhos) < 0.5 else "FAILS"
        print(f"{name:<22} {np.median(rhos):>9.3f} {verdict:>6} {np.median(deleted):>18.3f} {ms:>8.1f}")


if __name__ == "__main__":
    main()
