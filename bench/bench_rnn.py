"""Sketch-RNN training speed: steps/s at the reduced and default sizes, against Magenta's batch layout.

Run: ``python3 bench/bench_rnn.py``. For each model size it times training steps on random batches
of 100 real eye sketches (the offline mirror; synthetic doodles if the mirror is absent), laid out
three ways in the same process, alternating so that load from other processes hits all alike:

- ``pad 250``: every sketch padded to max_seq_len = 250, as Magenta and the reference do;
- ``pad batch``: the batch padded only to its own longest sketch;
- ``groups``: the batch cut into up to three groups of similar lengths, each run only as long as
  its longest sketch, side by side in one graph (what ``qd train-rnn`` does on TensorFlow with
  its default random batches);
- ``buckets``: ``--hparams length_buckets=10``: batches cut from runs of 10 batches sorted by
  length (other batches than the rest, so take its figure as an average over such runs), grouped.

It prints steps/s, the ratio to ``pad 250`` measured here, the ratio to the reference measured on
this machine (public PyTorch Sketch-RNN: 0.60 steps/s reduced, 0.26 default, 2.1 GB RSS), and
the peak memory of each size's process. The load average is printed too: the figures are only as
steady as the machine.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MIRROR_NPZ = REPO.parent / "shared" / "quickdraw" / "sketchrnn" / "eye.npz"
SIZES = {
    "reduced": ("enc_rnn_size=128,dec_rnn_size=256,z_size=64,num_mixture=10", 0.60),
    "default": ("", 0.26),
}
REFERENCE_RSS_GB = 2.1
LAYOUTS = ("pad 250", "pad batch", "groups", "buckets")


def _sequences():
    """Training sketches: the mirror's eye.npz, or synthetic doodles when the mirror is absent."""
    from sketchrnn.data import load_source

    if MIRROR_NPZ.exists():
        return load_source(MIRROR_NPZ).splits["train"], "eye (mirror, real data)"
    from quickdraw.formats.strokes import to_stroke3
    from quickdraw.synthetic import LABEL, generate

    return [to_stroke3(d.strokes) for d in generate("house", 2000, seed=0)], f"house ({LABEL})"


def measure(size: str, steps: int) -> dict:
    """Time ``steps`` training steps of each layout at ``size``; return steps/s per layout."""
    import keras
    import numpy as np

    from quickdraw.formats.strokes import scale_factor  # before TensorFlow, so qd's settings apply
    from sketchrnn.config import HParams
    from sketchrnn.data import TrainBatches
    from sketchrnn.model import build_model
    from sketchrnn.train import Steps, cpu_threads, dropout_masks, make_optimizer

    sequences, what = _sequences()
    hp = HParams().override(SIZES[size][0])
    cpu_threads()
    keras.utils.set_random_seed(0)
    model = build_model(hp)
    optimizer = make_optimizer(model, hp)
    runners = {"pad 250": Steps(model, optimizer, hp, groups=1), "pad batch": Steps(model, optimizer, hp, groups=1),
               "groups": Steps(model, optimizer, hp), "buckets": Steps(model, optimizer, hp)}
    batches = TrainBatches(sequences, scale_factor(sequences), hp.batch_size, seed=0)
    bucketed = TrainBatches(sequences, scale_factor(sequences), hp.batch_size, seed=0,
                            length_buckets=10)
    rng = np.random.default_rng(0)

    def run(layout, step):
        batch = (bucketed if layout == "buckets" else batches).batch(step)
        if layout == "pad 250":
            pad = np.zeros((len(batch), hp.max_seq_len + 2 - batch.shape[1], 5), np.float32)
            pad[..., 4] = 1
            batch = np.concatenate([batch, pad], axis=1)
        eps = rng.standard_normal((len(batch), hp.z_size)).astype(np.float32)
        keep = dropout_masks(rng, (len(batch), batch.shape[1] - 1, hp.dec_rnn_size), hp.recurrent_dropout)
        start = time.perf_counter()
        runners[layout].train(batch, eps, keep, 0.01)
        return time.perf_counter() - start

    for layout in LAYOUTS:  # tracing and first-call costs
        run(layout, 0)
    spent = dict.fromkeys(LAYOUTS, 0.0)
    for step in range(1, steps + 1):
        for layout in LAYOUTS:
            spent[layout] += run(layout, step)
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
    return {"data": what, "steps_per_s": {k: steps / v for k, v in spent.items()}, "rss_gb": rss_gb,
            "backend": keras.backend.backend(), "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS")}


def main() -> int:
    if len(sys.argv) == 3:  # child process: one size
        print(json.dumps(measure(sys.argv[1], int(sys.argv[2]))))
        return 0
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    for size, steps in (("reduced", 10), ("default", 10)):
        load = os.getloadavg()[0]
        done = subprocess.run([sys.executable, __file__, size, str(steps)], cwd=REPO, env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr[-3000:])
            return 1
        r = json.loads(done.stdout.strip().splitlines()[-1])
        reference = SIZES[size][1]
        print(f"== {size} model ({SIZES[size][0] or 'Magenta defaults'}), batch 100, {r['data']}, "
              f"backend {r['backend']} (TF_ENABLE_ONEDNN_OPTS={r['onednn']}), load average {load:.1f} "
              f"on {os.cpu_count()} CPUs")
        base = r["steps_per_s"]["pad 250"]
        for layout in LAYOUTS:
            rate = r["steps_per_s"][layout]
            print(f"   {layout:9s} {rate:6.2f} steps/s   x{rate / base:4.2f} vs pad 250 here   "
                  f"x{rate / reference:4.2f} vs reference {reference:.2f} steps/s")
        print(f"   peak RSS {r['rss_gb']:.2f} GB (all layouts in one process; reference "
              f"{REFERENCE_RSS_GB} GB at the default size)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
