"""Sketch-RNN training runs end to end: overfitting real sketches, Ctrl-C, decoder mode, synthetic data, JAX."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from cli.main import main
from sketchrnn.evaluate import evaluate_run
from sketchrnn.train import train
from tests.sketchrnn.test_sketchrnn_train import REPO, TINY, _write_npz, eye_splits, small_npz  # noqa: F401  (fixtures)


def test_small_model_overfits_a_handful_of_real_sketches(tmp_path, eye_splits):
    sketches = [s for s in eye_splits["train"] if 20 <= len(s) <= 40][:10]
    npz = _write_npz(tmp_path / "eye.npz", sketches, sketches, sketches)
    hparams = ("enc_rnn_size=32,dec_rnn_size=64,z_size=8,num_mixture=5,max_seq_len=40,recurrent_dropout=0,"
               "random_scale_factor=0,augment_stroke_prob=0,learning_rate=0.01,save_every=80")
    summary = train(npz, tmp_path / "run", steps=80, batch_size=10, hparams=hparams, seed=0)
    curve = json.loads((tmp_path / "run/losses.json").read_text())["train"]["recon"]
    start, end = np.mean(curve[:3]), np.mean(curve[-10:])
    assert end < 0.2 * start, (start, end)             # about 2.8 -> 0.28
    assert summary["valid"]["recon"] < 0.2 * start


def test_ctrl_c_finishes_the_step_and_saves_a_checkpoint(tmp_path, small_npz):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "cli.main", "train-rnn", str(small_npz), "--out", str(out), "--steps", "100000",
           "--batch-size", "20", "--hparams", TINY + ",save_every=1000"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (out / "hparams.json").exists() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(6)  # let it run some steps
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr[-2000:]
    assert "interrupted at step" in stdout and "--resume" in stdout
    assert "Traceback" not in stderr
    step = int(np.load(out / "checkpoint.npz")["step"])
    assert step >= 1
    assert json.loads((out / "run.json").read_text())["step"] == step
    losses = json.loads((out / "losses.json").read_text())
    assert losses["train"]["step"] == list(range(step)) and losses["valid"]["step"] == [step]


def test_decoder_mode_on_a_synthetic_dataset_folder_drops_long_sketches_and_says_synthetic(tmp_path, capsys):
    from quickdraw.builder.subset import open_dataset

    ds = tmp_path / "ds"
    assert main(["build", "--synthetic", "circle", "square", "--count", "50", "--out", str(ds), "--quiet"]) == 0
    folder = open_dataset(ds)
    circles = [len(q) for q, lab in zip(folder.strokes3("train"), folder.labels("train")) if lab == 0]
    limit = int(np.median(circles))
    run = tmp_path / "run"
    assert main(["train-rnn", str(ds), "--category", "circle", "--out", str(run), "--mode", "decoder", "--steps", "2",
                 "--batch-size", "10", "--hparams", TINY + f",max_seq_len={limit}"]) == 0
    printed = capsys.readouterr().out
    assert "SYNTHETIC" in printed and "dropped" in printed and "longer than max_seq_len" in printed
    info = json.loads((run / "run.json").read_text())
    assert info["synthetic"] is True and info["classes"] == ["circle"] and info["mode"] == "decoder"
    assert info["dropped"]["train"] == sum(n > limit for n in circles) > 0
    assert info["train_count"] == sum(n <= limit for n in circles)
    assert json.loads((run / "hparams.json").read_text())["mode"] == "decoder"
    assert main(["generate", str(run), "--n", "2", "--out", str(tmp_path / "g.png")]) == 0
    assert "SYNTHETIC" in capsys.readouterr().out
    assert main(["reconstruct", str(run), str(ds), "--out", str(tmp_path / "r.png")]) == 1
    assert "has no encoder" in capsys.readouterr().err
    metrics = evaluate_run(run, ds)
    assert metrics["classes"] == ["circle"] and "SYNTHETIC" in metrics["note"] and metrics["kl"] == 0


@pytest.mark.skipif(__import__("importlib").util.find_spec("jax") is None,
                    reason="jax is not installed: the JAX-backend check runs where it is")
def test_training_and_sampling_run_on_the_jax_backend(tmp_path, small_npz):
    code = ("import sys\n"  # as on a machine without TensorFlow: importing it fails
            "class NoTensorFlow:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] == 'tensorflow':\n"
            "            raise ImportError('TensorFlow is blocked in this test')\n"
            "sys.meta_path.insert(0, NoTensorFlow())\n"
            f"from sketchrnn.train import train\n"
            f"from sketchrnn.evaluate import evaluate_run\n"
            f"from sketchrnn.models import sampler\n"
            f"s = train({str(small_npz)!r}, {str(tmp_path / 'run')!r}, steps=3, batch_size=20, "
            f"hparams={TINY + ',save_every=3'!r})\n"
            f"assert s['step'] == 3\n"
            f"print(evaluate_run({str(tmp_path / 'run')!r}, {str(small_npz)!r})['recon'])\n"
            f"print(len(sampler({str(tmp_path / 'run')!r}).sample(2, seed=1)))\n"
            f"import sys, keras; print('tensorflow' in sys.modules, keras.backend.backend())\n")
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-2:] == ["False", "jax"]
