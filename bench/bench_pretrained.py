"""Sampling speed of an official 512-unit Sketch-RNN (bird) in qd, beside @magenta/sketch on node in the same run.

Run: ``python3 bench/bench_pretrained.py``. It loads ``bird.gen.json`` from the read-only
``../shared/quickdraw-models`` and prints, for 1, 4 and 9 candidates, the points qd samples per
second (candidates x steps / s, temperature 0.25, as the window samples: one compiled decoder step
and a numpy draw per point), the time from pen-up to the first new point of every candidate
(priming the decoder on a real partial drawing, then one step), and the time 4 candidates take
to draw up to ``max_seq_len`` points. Then it runs ``tools/sketchrnn_js/sample_speed.js`` (Magenta's
own JS code, one candidate, as the demos sample) for the same model and prints the ratio per
sampled point. The JS side needs ``npm install`` in tools/sketchrnn_js once; without it, or without
node, the bench says so and prints qd's figures alone.
Targets (issue 14): >= 10x the JS figure per point with 4 candidates; first points within 100 ms of
pen-up; 4 candidates of max_seq_len points within 1 s.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MODEL = (REPO / ".." / "shared" / "quickdraw-models" / "sketchRNN" / "large_models" / "bird.gen.json").resolve()
PARTIAL = (REPO / ".." / "shared" / "quickdraw" / "full" / "simplified" / "bird.ndjson").resolve()
JS = REPO / "tools" / "sketchrnn_js"
SECONDS = 5.0
TEMPERATURE = 0.25


def qd_points_per_second(sampler, n: int) -> float:
    """Candidates x decoder steps per second, sampling from the start for about SECONDS."""
    steps, start = 0, time.perf_counter()
    seed = 0
    while time.perf_counter() - start < SECONDS:
        state = sampler.prime(None, None, n)
        state.done[:] = False
        for _ in sampler.stream(state, TEMPERATURE, seed):
            steps += 1
        seed += 1
    return n * steps / (time.perf_counter() - start)


def first_points_ms(sampler, partials, n: int) -> list[float]:
    """Milliseconds from pen-up (a partial drawing handed over) to the first new point of all n candidates."""
    times = []
    for i, strokes in enumerate(partials):
        start = time.perf_counter()
        next(iter(sampler.complete(strokes, n, TEMPERATURE, i)))
        times.append(1000 * (time.perf_counter() - start))
    return times


def full_length_seconds(sampler, n: int = 4) -> float:
    """Seconds for n candidates to draw max_seq_len points each (end-of-sketch ignored)."""
    import numpy as np

    from sketchrnn.sample import draw

    state = sampler.prime(None, None, n)
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(sampler.hp.max_seq_len):
        rows = draw(state.head, sampler.hp.num_mixture, TEMPERATURE, rng, sampler.temperature_rule)
        head, (h, c) = sampler._step(rows, None, state.h, state.c)
        state.head, state.h, state.c = np.asarray(head), np.asarray(h), np.asarray(c)
    return time.perf_counter() - start


def js_points_per_second() -> dict | None:
    if shutil.which("node") is None:
        print("node is not installed: no @magenta/sketch figure")
        return None
    if not (JS / "node_modules" / "@magenta" / "sketch").is_dir():
        print(f"@magenta/sketch is not installed: run `npm install` in {JS} for the JS figure")
        return None
    done = subprocess.run(["node", "sample_speed.js", str(MODEL), str(SECONDS * 2)], cwd=JS, capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        print(f"sample_speed.js failed: {done.stderr.strip()[-300:]}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    import numpy as np

    import quickdraw  # noqa: F401  (oneDNN setting before TensorFlow)
    from quickdraw.formats import read_path
    from sketchrnn import official
    from sketchrnn.complete import prepare
    from sketchrnn.sample import Sampler

    if not MODEL.exists():
        sys.exit(f"{MODEL} not found: the bench needs the read-only models folder ../shared/quickdraw-models")
    sampler = Sampler.from_run(official.load_file(MODEL))
    partials = [prepare(d.strokes[:2]) for d in list(read_path(PARTIAL))[:20]]
    sampler.sample(2, TEMPERATURE, 0)  # compile
    print(f"official bird model: {sampler.hp.dec_rnn_size} units, max_seq_len {sampler.hp.max_seq_len}; "
          f"temperature {TEMPERATURE}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    rates = {}
    for n in (1, 4, 9):
        rates[n] = qd_points_per_second(sampler, n)
        times = first_points_ms(sampler, partials, n)
        print(f"qd {n} candidate(s): {rates[n]:8.0f} points/s; pen-up to first points: median "
              f"{np.median(times):.1f} ms, max {max(times):.1f} ms")
    print(f"qd 4 candidates x max_seq_len ({sampler.hp.max_seq_len}) points: {full_length_seconds(sampler):.2f} s")
    js = js_points_per_second()
    if js:
        print(f"@magenta/sketch {js['version']} on node, 1 candidate: {js['points_per_second']:.0f} points/s")
        for n, rate in rates.items():
            print(f"  qd {n} candidate(s) / JS: {rate / js['points_per_second']:.1f}x per sampled point")


if __name__ == "__main__":
    main()
