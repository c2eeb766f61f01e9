"""A tiny Sketch-RNN run trained on a few real mirror sketches, shared by the completion tests."""
from pathlib import Path

import numpy as np

TINY = "enc_rnn_size=16,dec_rnn_size=48,z_size=8,num_mixture=4,max_seq_len=80,batch_size=16,save_every=6"
_RUNS: dict = {}


def tiny_run(mirror: Path, tmp_path_factory) -> Path:
    """Train (once per test session) a small VAE on 64 eye sketches of the mirror; return its RUNDIR."""
    if "vae" not in _RUNS:
        from sketchrnn.train import train

        root = tmp_path_factory.mktemp("tiny-sketch-run")
        eyes = np.load(mirror / "sketchrnn/eye.npz", allow_pickle=True)
        few = {split: np.empty(n, dtype=object) for split, n in (("train", 64), ("valid", 16), ("test", 16))}
        for split, array in few.items():
            array[:] = list(eyes[split][: len(array)])
        np.savez(root / "eye.npz", **few)
        train(root / "eye.npz", root / "run", mode="vae", steps=6, hparams=TINY, seed=0, progress=False)
        _RUNS["vae"] = root / "run"
    return _RUNS["vae"]
