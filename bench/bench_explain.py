"""``qd explain``'s costs on this CPU: a saliency map per call (what a live overlay pays), a dream step.

Run: ``python3 bench/bench_explain.py [--backend tensorflow|jax|both]``. On the default 28x28 CNN (5 classes,
untrained weights: the cost does not depend on them), per backend:

- baseline: one guess, ``Classifier.probabilities``' call (Keras' compiled ``predict_on_batch`` on one bitmap);
- saliency: ``quickdraw.classifier.saliency.saliency`` (SmoothGrad, 32 noisy copies forward and back in one
  batch), median and p95 over 50 calls after the first (which traces the gradient; its time is printed too);
- a dream step: one gradient of the dream objective (8 rotated copies through the soft raster recipe);
  a dream is 200 of them.
Each figure is also given as a ratio to the baseline of the same run. Target (issue 26): a saliency map fast
enough to follow a drawing live, well under the 150 ms between guesses.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CLASSES = ["apple", "eye", "fish", "house", "rainbow"]


def measure() -> dict:
    """This process's backend: the timings in milliseconds."""
    import keras

    from quickdraw.classifier import dreams
    from quickdraw.classifier.model import build_model
    from quickdraw.classifier.saliency import saliency
    from quickdraw.classifier.seen import bitmap

    model = build_model("cnn", 28, CLASSES, seed=0)
    picture = bitmap([[[10, 120, 240, 120, 10], [128, 20, 128, 236, 128]], [[80, 160], [128, 128]]], 28)
    x = picture[None, :, :, None]

    def timed(fn, n=50):
        times = []
        for _ in range(n):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return 1000 * float(np.median(times)), 1000 * float(np.percentile(times, 95))

    model.predict_on_batch(x)
    guess = timed(lambda: model.predict_on_batch(x))
    start = time.perf_counter()
    saliency(model, picture, 1)
    first = 1000 * (time.perf_counter() - start)
    smooth = timed(lambda: saliency(model, picture, 1))

    step = dreams._compile(model)
    points = dreams._start_points(None, 0)
    args = (np.repeat(points[None], dreams.COPIES, 0), np.zeros(dreams.COPIES, np.float32),
            np.ones((dreams.COPIES, 2), np.float32), np.zeros(dreams.COPIES, np.int32),
            np.array([0.74, 0.18], np.float32))
    step(*args)
    dream_step = timed(lambda: step(*args), n=20)
    return {"backend": keras.backend.backend(), "guess": guess, "first": first, "saliency": smooth,
            "dream_step": dream_step}


def report(m: dict) -> None:
    base = m["guess"][0]
    print(f"== {m['backend']}")
    print(f"one guess (baseline)       {m['guess'][0]:7.1f} ms median, {m['guess'][1]:6.1f} p95")
    print(f"saliency map (SmoothGrad)  {m['saliency'][0]:7.1f} ms median, {m['saliency'][1]:6.1f} p95   "
          f"{m['saliency'][0] / base:5.1f}x a guess   (first call, tracing: {m['first']:.0f} ms)")
    print(f"dream step                 {m['dream_step'][0]:7.1f} ms median   {m['dream_step'][0] / base:5.1f}x a guess"
          f"   (a 200-step dream: {0.2 * m['dream_step'][0]:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["tensorflow", "jax", "both"], default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure()))
        return
    for backend in (["tensorflow", "jax"] if args.backend == "both" else [args.backend]):
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
        done = subprocess.run([sys.executable, __file__, "--child"], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"== {backend}: could not run ({(done.stderr.strip().splitlines() or ['?'])[-1]})")
            continue
        report(json.loads(done.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
