"""Bitmaps per second through quickdraw.load, beside tf.data baselines measured in the same run.

Targets (2-core machine): >= 200,000 bitmaps/s from a built dataset; >= 40,000/s with on-the-fly
rendering and augmentation from strokes.

    python3 bench/bench_pipeline.py [--count 4000]
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def rate(ds, seconds=4.0):
    """Examples per second over whole passes of ``ds`` (at least ``seconds`` of work, after one warm-up)."""
    for _ in ds.take(5):
        pass
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for x, _ in ds:
            n += int(x.shape[0])
    return n / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=4000, help="drawings per class (8 synthetic classes)")
    args = parser.parse_args()
    import tensorflow as tf

    from quickdraw import synthetic
    from quickdraw.builder.folder import open_dataset
    from quickdraw.builder.subset import build
    from quickdraw.pipeline.tfdata import load

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        path = build(list(synthetic.CLASSES[:8]), args.count, Path(tmp) / "ds", synthetic=True, quiet=True,
                     splits=(1.0, 0.0, 0.0))
        n = open_dataset(path).count("train")
        print(f"built {n} SYNTHETIC drawings in {time.perf_counter() - t0:.1f} s")
        x = open_dataset(path).bitmaps("train")[..., None]
        y = open_dataset(path).labels("train")
        baseline = (tf.data.Dataset.from_tensor_slices((x, y)).shuffle(20_000).batch(256)
                    .prefetch(tf.data.AUTOTUNE))
        base = rate(baseline)
        print(f"baseline from_tensor_slices(uint8 in memory) + shuffle + batch 256: {base:10,.0f} bitmaps/s")
        ours = rate(load(path, "bitmap", split="train", batch_size=256))
        print(f"quickdraw.load bitmaps, shuffled, batch 256:                 {ours:10,.0f} bitmaps/s "
              f"({ours / base:.2f}x baseline; target >= 200,000)")
        aug = rate(load(path, "bitmap", split="train", batch_size=256, augment=True))
        print(f"quickdraw.load rendered on the fly + augmentation, batch 256: {aug:10,.0f} bitmaps/s "
              f"({aug / base:.2f}x baseline; target >= 40,000)")
        strokes = rate(load(path, "strokes", split="train", batch_size=100))
        print(f"quickdraw.load stroke-5 padded batches of 100:               {strokes:10,.0f} sketches/s")


if __name__ == "__main__":
    main()
