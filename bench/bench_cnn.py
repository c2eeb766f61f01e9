"""Training examples/s of the doodle CNN on whatever accelerator is present, beside baselines from the same run.

    python3 bench/bench_cnn.py [--examples N] [--batch-size 128]

Times one epoch (after a warm-up epoch that compiles) of the same compiled model ``qd train-cnn``
trains, on the mirror's 28x28 numpy bitmaps (random bitmaps if the mirror is absent: speed only).
Baselines measured here: the input pipeline alone (tf.data from memory as training feeds it, or numpy
batches on other backends), which must run several times faster than training, and the MLP. On a
GPU it adds mixed precision; on TensorFlow, XLA. Without TensorFlow it runs on the JAX backend with
numpy inputs, so the same model can be timed on a GPU machine that has only JAX.
"""
import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if "KERAS_BACKEND" not in os.environ and importlib.util.find_spec("tensorflow") is None:
    os.environ["KERAS_BACKEND"] = "jax"

import quickdraw  # noqa: E402,F401  (before TensorFlow, so its settings apply as in qd)
import keras  # noqa: E402  (the backend is chosen above)
import numpy as np  # noqa: E402

from quickdraw.classifier import Settings, accelerators, bitmap_batches, compiled_model  # noqa: E402

BITMAPS = ROOT / ".." / "shared" / "quickdraw" / "full" / "numpy_bitmap"


def load(n: int, seed: int = 0):
    """``n`` bitmaps (N, 28, 28) uint8 with labels and class names: the mirror's, else random ones."""
    files = sorted(BITMAPS.glob("*.npy"))
    rng = np.random.default_rng(seed)
    if not files:
        print("mirror not found: timing on random bitmaps (speed only)")
        return rng.integers(0, 256, (n, 28, 28), np.uint8), rng.integers(0, 19, n).astype(np.int32), \
            [f"class{i}" for i in range(19)]
    per_class = -(-n // len(files))
    xs = [np.load(f)[:per_class] for f in files]
    x = np.concatenate(xs).reshape(-1, 28, 28)
    y = np.concatenate([np.full(len(a), i, np.int32) for i, a in enumerate(xs)])
    order = rng.permutation(len(y))[:n]
    return x[order], y[order], [f.stem for f in files]


class EpochClock(keras.callbacks.Callback):
    """Seconds of each epoch's training steps (validation excluded)."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = self._end = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._end = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(self._end - self._start)


def training_rate(x, y, classes, settings: Settings) -> float:
    """Examples/s of the second training epoch (the first compiles)."""
    steps = -(-len(y) // settings.batch_size)
    model = compiled_model(settings, 28, classes, steps)
    clock = EpochClock()
    if keras.backend.backend() == "tensorflow":
        feed = {"x": bitmap_batches(x, y, settings.batch_size, shuffle=True), "shuffle": False}
    else:
        feed = {"x": x[..., None], "y": y, "batch_size": settings.batch_size, "shuffle": True}
    model.fit(**feed, epochs=2, callbacks=[clock], verbose=0)
    return len(y) / clock.seconds[-1]


def pipeline_rate(x, y, batch_size: int) -> float:
    """Examples/s of the input pipeline alone over two epochs, after a warm-up pass."""
    if keras.backend.backend() == "tensorflow":
        ds = bitmap_batches(x, y, batch_size, shuffle=True)
        for _ in ds:
            pass
        start = time.perf_counter()
        for _ in range(2):
            for xb, yb in ds:
                xb.numpy(), yb.numpy()
    else:
        rng = np.random.default_rng(0)
        start = time.perf_counter()
        for _ in range(2):
            order = rng.permutation(len(y))
            for i in range(0, len(y), batch_size):
                xb, yb = x[order[i:i + batch_size], ..., None], y[order[i:i + batch_size]]
    return 2 * len(y) / (time.perf_counter() - start)


def main():
    devices = accelerators()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=40_000 if devices[0] == "GPU" else 4096)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    x, y, classes = load(args.examples)
    print(f"keras {keras.__version__} on {keras.backend.backend()}, {len(devices)} x {devices[0]}; "
          f"{len(y)} bitmaps 28x28, batch {args.batch_size}")
    pipeline = pipeline_rate(x, y, args.batch_size)
    print(f"{'input pipeline alone':<34} {pipeline:>10,.0f} examples/s")
    runs = [("mlp (baseline)", Settings(model="mlp", batch_size=args.batch_size)),
            ("cnn", Settings(batch_size=args.batch_size))]
    if devices[0] == "GPU":
        runs.append(("cnn --mixed-precision", Settings(batch_size=args.batch_size, mixed_precision=True)))
    if keras.backend.backend() == "tensorflow":
        runs.append(("cnn --xla", Settings(batch_size=args.batch_size, xla=True)))
    runs.append(("cnn --augment", Settings(batch_size=args.batch_size, augment=True)))
    rates = {}
    for name, settings in runs:
        rates[name] = training_rate(x, y, classes, settings)
        print(f"{'train ' + name:<34} {rates[name]:>10,.0f} examples/s")
    cnn = rates["cnn"]
    print(f"pipeline / cnn training: {pipeline / cnn:.1f}x (target: several times, so the pipeline is not "
          "the bottleneck)")
    for name, rate in rates.items():
        if name != "cnn":
            print(f"{name} / cnn: {rate / cnn:.2f}x")


if __name__ == "__main__":
    main()
