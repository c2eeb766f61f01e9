"""Hostile run folders and arguments (issue 15/16): corrupt files, read-only folders, two trainers at once,
bad seeds and counts, and a resumed CNN run that trains what an uninterrupted one does."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from tests.sketch_run import tiny_run

keras = pytest.importorskip("keras")
from quickdraw import classifier  # noqa: E402
from quickdraw.classifier import training  # noqa: E402
from tests.qd_command import fails
from tests.unprivileged import qd_commands

ROOT = Path(__file__).resolve().parents[2]
QD = [sys.executable, "-c", "import sys; from cli.main import main; sys.exit(main(sys.argv[1:]))"]


@pytest.fixture(scope="module")
def sketch_run(mirror, tmp_path_factory):
    return tiny_run(mirror, tmp_path_factory)


@pytest.fixture(scope="module")
def cnn_runs(synthetic_dataset, tmp_path_factory):
    """The same 3-epoch classifier run (MLP: dropout; augmentation) trained straight and stopped after epoch 1, then resumed."""
    root = tmp_path_factory.mktemp("cnn-resume")
    settings = dict(model="mlp", augment=True, epochs=3, patience=10, batch_size=16, seed=5, verbose=0)
    classifier.train(synthetic_dataset, root / "straight", **settings)
    keep = training._RunKeeper.on_epoch_end

    def stop_after_first(self, epoch, logs=None):
        keep(self, epoch, logs)
        if epoch == 0:
            raise KeyboardInterrupt

    training._RunKeeper.on_epoch_end = stop_after_first
    try:
        with pytest.raises(KeyboardInterrupt):
            classifier.train(synthetic_dataset, root / "resumed", **settings)
    finally:
        training._RunKeeper.on_epoch_end = keep
    assert len(json.loads((root / "resumed" / "history.json").read_text())) == 1
    classifier.train(synthetic_dataset, root / "resumed", resume=True, verbose=0)
    return root / "straight", root / "resumed"


def test_a_resumed_cnn_run_trains_the_epochs_of_an_uninterrupted_one(cnn_runs):
    straight, resumed = cnn_runs
    a, b = (json.loads((run / "history.json").read_text()) for run in cnn_runs)
    assert [h["epoch"] for h in a] == [h["epoch"] for h in b] == [1, 2, 3]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert [h[key] for h in a] == pytest.approx([h[key] for h in b], rel=1e-4, abs=1e-5), key
    wa, wb = (keras.models.load_model(run / "model.keras", compile=False).get_weights() for run in cnn_runs)
    assert all(np.allclose(p, q, rtol=1e-4, atol=1e-5) for p, q in zip(wa, wb))


def test_counts_and_seeds_are_refused_before_any_work(sketch_run, synthetic_dataset, mirror, tmp_path, capsys):
    cat = mirror / "full/simplified/cat.ndjson"
    npz = sketch_run.parent / "eye.npz"
    # A model or sketch that does not exist: the count must be refused before either is looked at.
    fails(["interpolate", sketch_run, tmp_path / "no.npz", tmp_path / "no.npz", "--steps", 100000],
           "--steps must be at most 64, not 100000")
    fails(["generate", tmp_path / "nothing", "--n", 100000], "--n must be at most 256, not 100000")
    fails(["reconstruct", tmp_path / "nothing", npz, "--n", 100000], "--n must be at most 256")
    fails(["complete", sketch_run, cat, "--n", 1000], "--n must be at most 64, not 1000")
    fails(["generate", sketch_run, "--seed=-1", "--out", tmp_path / "g.png"], "--seed must be at least 0")
    fails(["complete", sketch_run, cat, "--seed=-1", "--out", tmp_path / "c.png"], "--seed must be at least 0")
    fails(["train-rnn", npz, "--out", tmp_path / "rnn", "--seed=-1"], "--seed must be at least 0")
    fails(["train-cnn", synthetic_dataset, "--out", tmp_path / "cnn", "--seed=-1"], "--seed must be at least 0")
    assert sorted(os.listdir(tmp_path)) == []  # no stub run left to block the folder


def test_corrupt_sketch_run_files_are_one_line_errors(sketch_run, mirror, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(sketch_run, run)
    npz = sketch_run.parent / "eye.npz"
    best = (run / "best.npz").read_bytes()
    (run / "best.npz").write_bytes(b"")
    fails(["generate", run, "--out", tmp_path / "g.png"], f"{run / 'best.npz'} is corrupt")
    fails(["complete", run, mirror / "full/simplified/cat.ndjson", "--out", tmp_path / "c.png"],
           f"{run / 'best.npz'} is corrupt")
    (run / "best.npz").write_bytes(best[: len(best) // 2])
    fails(["evaluate", run, npz], f"{run / 'best.npz'} is corrupt")
    checkpoint = run / "checkpoint.npz"
    checkpoint.write_bytes(checkpoint.read_bytes()[:-200])
    fails(["train-rnn", npz, "--out", run, "--resume", "--steps", 50], f"{checkpoint} is corrupt")
    (run / "run.json").write_text("[]")
    fails(["generate", run, "--out", tmp_path / "g.png"], f"{run / 'run.json'} is corrupt")
    assert not (tmp_path / "g.png").exists() and not (tmp_path / "c.png").exists()


def test_corrupt_cnn_run_files_are_one_line_errors(synthetic_dataset, tmp_path, capsys):
    drawing = tmp_path / "line.json"
    drawing.write_text("[[[0, 255], [0, 255]]]")
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text("[]")
    fails(["classify", run, drawing], f"{run / 'run.json'} is corrupt")
    info = {"kind": "cnn", "status": "training", "dataset": str(synthetic_dataset), "image_size": 28,
            "classes": ["circle", "square", "star"], "synthetic": True, "settings": {"model": "mlp", "epochs": 2}}
    (run / "run.json").write_text(json.dumps(info))
    (run / "checkpoint").mkdir()
    (run / "checkpoint" / "state.json").write_text("[]")
    (run / "checkpoint" / "last.weights.h5").write_bytes(b"\x89HDF\r\n")
    fails(["train-cnn", synthetic_dataset, "--out", run, "--resume"], "a checkpoint file is corrupt")
    (run / "run.json").write_text(json.dumps({**info, "status": "done"}))
    for content in (b"", b"PK\x03\x04 not really a zip", _zip_of_junk(tmp_path)):
        (run / "model.keras").write_bytes(content)
        err = fails(["classify", run, drawing], f"{run / 'model.keras'} is corrupt")
        assert "not found" not in err.lower()


def _zip_of_junk(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "junk.zip", "w") as z:
        z.writestr("config.json", "{not json")
    return (tmp_path / "junk.zip").read_bytes()


def test_out_folders_that_cannot_take_a_run(sketch_run, synthetic_dataset, tmp_path, capsys, monkeypatch):
    npz = sketch_run.parent / "eye.npz"
    (tmp_path / "file").write_text("mine")
    fails(["train-rnn", npz, "--out", tmp_path / "file"], "is a file")
    fails(["train-cnn", synthetic_dataset, "--out", tmp_path / "file"], "is a file")
    monkeypatch.chdir(tmp_path)
    fails(["train-rnn", npz, "--out", "."], ". is not empty and holds no training run")
    fails(["train-cnn", synthetic_dataset, "--out", "."], ". is not empty and holds no training run")
    assert sorted(os.listdir(tmp_path)) == ["file"] and (tmp_path / "file").read_text() == "mine"


def test_read_only_folders_are_refused_before_work_and_evaluate_still_prints(sketch_run, synthetic_dataset, mirror,
                                                                            cnn_runs, capsys):
    """Read-only --out of train-cnn, train-rnn, complete (permissions enforced even for root:
    tests/unprivileged.py); evaluate of a read-only run prints its metrics and one line saying the eval
    files were not written."""
    shared = Path(tempfile.mkdtemp(prefix="qd-readonly-"))
    try:
        for name, source in (("data", synthetic_dataset), ("rnn", sketch_run), ("cnn", cnn_runs[0])):
            shutil.copytree(source, shared / name)
        shutil.copy(mirror / "full/simplified/cat.ndjson", shared / "cat.ndjson")
        (shared / "ro").mkdir()
        for path in (shared, *shared.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
        (shared / "ro").chmod(0o555)
        (shared / "cnn").chmod(0o555)
        commands = [["train-cnn", shared / "data", "--out", shared / "ro" / "cnn", "--model", "mlp"],
                    ["train-rnn", sketch_run.parent / "eye.npz", "--out", shared / "ro"],
                    ["complete", shared / "rnn", shared / "cat.ndjson", "--out", shared / "ro" / "done.png"],
                    ["evaluate", shared / "cnn", shared / "data"]]
        # Permissions must hold for the child (root overrides them), and it must still read the checkout and
        # its .venv wherever they live (a clone in a folder only root may enter): tests/unprivileged.py.
        done = qd_commands(commands, shared, timeout=240)
    finally:
        shutil.rmtree(shared, ignore_errors=True)
    assert done.stdout.count("status 1") == 3 and done.stdout.count("status 0") == 1, (done.stdout, done.stderr)
    errors = [line for line in done.stderr.splitlines() if line.startswith("qd: ")]
    assert "Traceback" not in done.stderr and len(errors) == 4, done.stderr
    assert f"cannot create folder {shared / 'ro' / 'cnn'} (Permission denied)" in errors[0]
    assert f"folder {shared / 'ro'} is not writable" in errors[1]
    assert f"--out {shared / 'ro' / 'done.png'}: {shared / 'ro'} is not writable" in errors[2]
    assert "could not write the evaluation files" in errors[3]
    metrics = json.loads(done.stdout[done.stdout.index("{"):done.stdout.rindex("}") + 1])
    assert metrics["examples"] > 0 and 0 <= metrics["accuracy"] <= 1


def _wait_for(paths, process, seconds=60):
    deadline = time.monotonic() + seconds
    while not all(p.exists() for p in paths):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"no {' and '.join(map(str, paths))} after {seconds} s"
        time.sleep(0.05)


def test_a_second_trainer_of_a_run_folder_is_refused_naming_the_first(sketch_run, synthetic_dataset, tmp_path,
                                                                      capsys):
    npz = sketch_run.parent / "eye.npz"
    rnn, cnn = tmp_path / "rnn", tmp_path / "cnn"
    shutil.copytree(sketch_run, rnn)
    first_rnn = subprocess.Popen([*QD, "train-rnn", str(npz), "--out", str(rnn), "--resume", "--steps", "100000"],
                                 cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first_cnn = subprocess.Popen([*QD, "train-cnn", str(synthetic_dataset), "--out", str(cnn), "--model", "mlp",
                                  "--epochs", "10000", "--patience", "10000"],
                                 cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for([rnn / "run.json", rnn / ".train.lock"], first_rnn)
        _wait_for([cnn / "run.json", cnn / ".train.lock"], first_cnn)
        # Small --steps: a second trainer that were let in would stop soon instead of training on.
        fails(["train-rnn", npz, "--out", rnn, "--resume", "--steps", 7],
               f"{rnn} is in use: process {first_rnn.pid} is training it")
        second = subprocess.run([*QD, "train-cnn", str(synthetic_dataset), "--out", str(cnn), "--resume"], cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 1 and second.stderr.endswith(
            f"qd: {cnn} is in use: process {first_cnn.pid} is training it (its lock is {cnn / '.train.lock'}); "
            "wait for it or stop it\n"), second.stderr
    finally:
        for process in (first_rnn, first_cnn):
            process.send_signal(signal.SIGKILL)
            process.communicate()
    from quickdraw.classifier.runs import training_lock as cnn_lock
    from sketchrnn.runs import training_lock

    with training_lock(rnn), cnn_lock(cnn):  # a dead holder's lock file does not block
        pass
