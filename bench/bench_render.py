"""Rendering: fidelity to the official bitmaps, speed against pycairo, and the tf.data batch path.

1. Fidelity. The mirror holds official 28x28 bitmaps whose row i is the bitmap of line i of the
   simplified file (apple, bicycle, cat, diamond, eye, fish; first 25 lines each). TARGET: mean
   absolute difference <= 1.0 gray level, 99th percentile <= 16. Also printed: agreement with a
   pycairo rendering of the same recipe at other sizes (cairo reproduces the official bitmaps).
2. Speed. All simplified eye and mouth drawings (~8,000) rendered by a pycairo implementation of
   the recipe (A8 surface; and the widely copied ARGB32 version) and by ``quickdraw.render``, from
   the same Python lists, interleaved, best of several repeats, CPU seconds (the machine may be
   shared). TARGET: ``render`` >= 5x pycairo A8. The flat-array kernel (``render_points``, lists
   already converted) is printed too.
3. Batch path. ``tf_render_batch`` with augmentation inside a tf.data pipeline: batches of 256
   stroke-3 drawings gathered from an in-memory ragged table, new distortions every epoch.
   TARGET: >= 40,000 bitmaps/s (wall clock, whole pipeline). Also the rendering alone, outside tf.data.

    python3 bench/bench_render.py
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from quickdraw.raster.render import augment_strokes, flatten, render, render_points, stroke3_points

MIRROR = (REPO / ".." / "shared" / "quickdraw").resolve()
OFFICIAL = ["apple", "bicycle", "cat", "diamond", "eye", "fish"]
REPEATS = 5
BATCH = 256


def simplified(name: str, n: int | None = None) -> list:
    with open(MIRROR / "full" / "simplified" / f"{name}.ndjson") as f:
        lines = f.read().splitlines()[:n]
    return [json.loads(line)["drawing"] for line in lines]


def cairo_a8(drawings, size: int = 28) -> np.ndarray:
    """The official recipe in pycairo on an 8-bit alpha surface (the fast way)."""
    import cairo

    surface = cairo.ImageSurface(cairo.FORMAT_A8, size, size)
    ctx = cairo.Context(surface)
    ctx.set_antialias(cairo.ANTIALIAS_BEST)
    ctx.set_line_cap(cairo.LINE_CAP_ROUND)
    ctx.set_line_join(cairo.LINE_JOIN_ROUND)
    ctx.set_line_width(16)
    pad = 2 * 16 + 16
    ctx.scale(size / (256 + pad), size / (256 + pad))
    ctx.translate(pad / 2, pad / 2)
    stride = surface.get_stride()
    out = np.empty((len(drawings), size, size), np.uint8)
    for i, drawing in enumerate(drawings):
        ctx.set_operator(cairo.OPERATOR_CLEAR)
        ctx.paint()
        ctx.set_operator(cairo.OPERATOR_OVER)
        if drawing:
            ox = (256 - max(max(s[0]) for s in drawing)) / 2
            oy = (256 - max(max(s[1]) for s in drawing)) / 2
            for xs, ys in drawing:
                ctx.move_to(xs[0] + ox, ys[0] + oy)
                for x, y in zip(xs, ys):
                    ctx.line_to(x + ox, y + oy)
                ctx.stroke()
        surface.flush()
        out[i] = np.frombuffer(surface.get_data(), np.uint8).reshape(size, stride)[:, :size]
    return out


def cairo_argb(drawings, size: int = 28) -> np.ndarray:
    """The same recipe as it is usually copied: ARGB32 surface, numpy bounding box per drawing."""
    import cairo

    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, size, size)
    ctx = cairo.Context(surface)
    ctx.set_antialias(cairo.ANTIALIAS_BEST)
    ctx.set_line_cap(cairo.LINE_CAP_ROUND)
    ctx.set_line_join(cairo.LINE_JOIN_ROUND)
    ctx.set_line_width(16)
    pad = 2 * 16 + 16
    ctx.scale(size / (256 + pad), size / (256 + pad))
    ctx.translate(pad / 2, pad / 2)
    out = []
    for drawing in drawings:
        ctx.set_source_rgb(0, 0, 0)
        ctx.paint()
        offset = ((256, 256) - np.hstack(drawing).max(axis=1)) / 2
        ctx.set_source_rgb(1, 1, 1)
        for xs, ys in drawing:
            ctx.move_to(xs[0] + offset[0], ys[0] + offset[1])
            for x, y in zip(xs, ys):
                ctx.line_to(x + offset[0], y + offset[1])
            ctx.stroke()
        out.append(np.copy(np.asarray(surface.get_data())[::4]))
    return np.array(out).reshape(-1, size, size)


def fidelity() -> None:
    print("1. fidelity to the official 28x28 bitmaps (first 25 drawings of each category)")
    diffs = []
    for name in OFFICIAL:
        official = np.load(MIRROR / "full" / "numpy_bitmap" / f"{name}.npy")[:25].reshape(-1, 28, 28)
        diff = np.abs(render(simplified(name, 25)).astype(int) - official)
        diffs.append(diff)
        print(f"   {name:<10} mean {diff.mean():5.2f}  p99 {np.percentile(diff, 99):5.1f}  max {diff.max():4d}")
    diff = np.concatenate(diffs)
    mean, p99 = diff.mean(), np.percentile(diff, 99)
    ok = "ok" if mean <= 1.0 and p99 <= 16 else "MISSED"
    print(f"   all        mean {mean:5.2f}  p99 {p99:5.1f}  max {diff.max():4d}   "
          f"(TARGET mean <= 1.0, p99 <= 16: {ok})")
    try:
        import cairo  # noqa: F401
    except ImportError:
        print("   (pycairo not installed: no comparison at other sizes)")
        return
    sample = simplified("cat", 25) + simplified("bicycle", 25)
    for size in (14, 28, 64, 128, 256):
        diff = np.abs(render(sample, size).astype(int) - cairo_a8(sample, size))
        print(f"   vs pycairo at {size:>3}x{size:<3} mean {diff.mean():5.2f}  p99 {np.percentile(diff, 99):5.1f}")


def best_cpu(jobs: dict) -> dict:
    """Run each job REPEATS times, interleaved; return {name: best CPU seconds}."""
    best = {name: float("inf") for name in jobs}
    for _ in range(REPEATS):
        for name, job in jobs.items():
            start = time.process_time()
            job()
            best[name] = min(best[name], time.process_time() - start)
    return best


def speed() -> None:
    drawings = simplified("eye") + simplified("mouth")
    n = len(drawings)
    print(f"\n2. speed: {n} simplified eye + mouth drawings, 28x28, best of {REPEATS} (CPU seconds)")
    flat = flatten(drawings)
    render(drawings[:10])  # build the tables once
    jobs = {"qd render (from lists)": lambda: render(drawings),
            "qd render_points (flat arrays)": lambda: render_points(*flat)}
    try:
        import cairo  # noqa: F401
        jobs = {"pycairo A8 (baseline)": lambda: cairo_a8(drawings),
                "pycairo ARGB32 (usual recipe)": lambda: cairo_argb(drawings), **jobs}
    except ImportError:
        print("   pycairo is not installed: no baseline")
    seconds = best_cpu(jobs)
    base = seconds.get("pycairo A8 (baseline)")
    for name, s in seconds.items():
        ratio = f"{base / s:6.1f}x" if base else ""
        print(f"   {name:<36}{s:8.3f} s {n / s:>10,.0f}/s {ratio}")
    if base:
        ratio = base / seconds["qd render (from lists)"]
        print(f"   TARGET render >= 5x pycairo A8: {ratio:.1f}x {'ok' if ratio >= 5 else 'MISSED'}")


def batch_path() -> None:
    print(f"\n3. batch path: stroke-3 eye + mouth drawings, batches of {BATCH}, augmented")
    rows = []
    for name in ("eye", "mouth"):
        data = np.load(MIRROR / "sketchrnn" / f"{name}.npz", allow_pickle=True, encoding="latin1")
        rows += [np.asarray(s) for split in ("train", "valid", "test") for s in data[split]]
    lengths = np.array([len(r) for r in rows])
    values = np.concatenate(rows)
    splits = np.concatenate([[0], np.cumsum(lengths)])
    parts = [(values[splits[i]:splits[i + BATCH]], splits[i:i + BATCH + 1] - splits[i])
             for i in range(0, len(rows) - BATCH, BATCH)]

    def outside_tf():
        for k, (v, s) in enumerate(parts):
            points, ends = stroke3_points(v, s)
            render_points(augment_strokes(points, s, seed=k), ends, s)

    start, wall = time.process_time(), time.perf_counter()
    outside_tf()
    print(f"   stroke3 -> augment -> render, one thread: "
          f"{len(parts) * BATCH / (time.perf_counter() - wall):>9,.0f}/s wall "
          f"{len(parts) * BATCH / (time.process_time() - start):>9,.0f}/s CPU")
    try:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf
    except ImportError:
        print("   TensorFlow is not installed: no pipeline figure")
        return
    from quickdraw.raster.render import tf_render_batch

    table = tf.RaggedTensor.from_row_lengths(values, lengths)
    labels = tf.zeros(len(rows), tf.int32)
    count = len(rows) // BATCH

    def epoch(e):  # a new order each epoch; each batch gathered from the table in one op
        order = tf.random.experimental.stateless_shuffle(tf.range(len(rows)), seed=tf.stack([1, e]))
        return tf.data.Dataset.range(count).map(
            lambda i: (tf.gather(table, order[i * BATCH:(i + 1) * BATCH]),
                       tf.gather(labels, order[i * BATCH:(i + 1) * BATCH])))

    batches = tf.data.Dataset.range(1 << 30).flat_map(epoch)
    seeds = tf.data.Dataset.random(seed=7, rerandomize_each_iteration=True)
    ds = tf.data.Dataset.zip(batches, seeds).map(
        lambda b, s: (tf_render_batch(b[0], 28, augment=True, seed=s), b[1]),
        num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
    it = iter(ds)
    for _ in range(10):
        next(it)
    done, wall = 0, time.perf_counter()
    while time.perf_counter() - wall < 10:
        x, _ = next(it)
        done += int(x.shape[0])
    rate = done / (time.perf_counter() - wall)
    print(f"   tf.data pipeline (gather batch -> tf_render_batch, augment, AUTOTUNE): {rate:>9,.0f}/s wall")
    print(f"   TARGET >= 40,000 bitmaps/s: {'ok' if rate >= 40_000 else 'MISSED'} "
          f"(on {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")


def main() -> int:
    if not MIRROR.is_dir():
        print(f"offline mirror not found at {MIRROR}")
        return 1
    fidelity()
    speed()
    batch_path()
    return 0


if __name__ == "__main__":
    sys.exit(main())
