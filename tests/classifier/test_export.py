"""qd export-model for classifier runs (SavedModel, LiteRT, ONNX, TF.js), each run by its own runtime against
Keras on real mirror drawings; plain Keras loading; and what export-model refuses (both run kinds)."""
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")
from quickdraw.classifier import model as cnn_model  # noqa: E402
from quickdraw.formats import read_path  # noqa: E402
from quickdraw.raster.render import render  # noqa: E402
from tests.qd_command import fails, qd
from tests.unprivileged import qd_commands

ROOT = Path(__file__).resolve().parents[2]
CLASSES = ["eye", "monkey", "mouth"]
TOLERANCE = 1e-5  # the issue's bound on each runtime's probabilities against Keras'


def make_run(folder: Path, kind: str, classes=CLASSES, size: int = 28, seed: int = 0) -> Path:
    """A classifier run folder holding an untrained ``kind`` model with random weights and batch-norm
    statistics (so every layer matters to the probabilities), as ``runs.load`` reads it."""
    folder.mkdir(parents=True)
    keras.utils.set_random_seed(seed)
    model = cnn_model.build_model(kind, size, classes, augment=kind == "cnn", seed=seed)
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        if variable.path.endswith("moving_variance"):
            variable.assign(rng.uniform(0.5, 2.0, variable.shape))
        elif variable.path.endswith(("moving_mean", "beta")):
            variable.assign(rng.normal(0.0, 0.3, variable.shape))
    model.save(folder / "model.keras")
    (folder / "run.json").write_text(json.dumps({"kind": "cnn", "status": "done", "synthetic": False,
                                                 "settings": {"model": kind}}))
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("export-runs")
    return {kind: make_run(root / kind, kind) for kind in cnn_model.KINDS}


@pytest.fixture(scope="module")
def bitmaps(mirror):
    """60 real mirror drawings (20 per class) rendered by qd's recipe: uint8 (60, 28, 28, 1)."""
    drawings = []
    for name in CLASSES:
        for i, d in enumerate(read_path(mirror / "full" / "simplified" / f"{name}.ndjson")):
            if i >= 20:
                break
            drawings.append(d.strokes)
    return render(drawings, 28)[..., None]


def _keras(run, x):
    return np.asarray(keras.models.load_model(run / "model.keras").predict(x, verbose=0))


def _node_modules():
    """A node_modules folder holding @tensorflow/tfjs ($QD_JS_MODULES or tests/js.py's install), or None."""
    from tests.npm import node_modules

    return node_modules(required=False)


def tfjs_probabilities(folder: Path, x: np.ndarray, modules: Path) -> np.ndarray:
    """Run the TF.js layers model in ``folder`` with @tensorflow/tfjs in node (its pure-JS CPU backend)."""
    bits = folder / "input.bin"
    x.astype(np.uint8).tofile(bits)
    script = ROOT / "tests" / "js" / "tfjs_predict.js"
    done = subprocess.run(["node", str(script), str(folder), str(bits), str(len(x)), str(x.shape[1])],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "NODE_PATH": str(modules)})
    bits.unlink()
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return np.asarray(result["probabilities"], np.float32).reshape(len(x), -1), result


def litert_probabilities(path: Path, x: np.ndarray) -> np.ndarray:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    interpreter = Interpreter(model_path=str(path))
    entry, exit_ = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.resize_tensor_input(entry["index"], list(x.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(entry["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(exit_["index"])


def test_the_cnn_in_every_format_gives_keras_probabilities_with_its_classes_and_contract(runs, bitmaps, tmp_path):
    run = runs["cnn"]
    expected = _keras(run, bitmaps)
    out = tmp_path / "out"
    for fmt, name in (("saved_model", "cnn_saved"), ("litert", "cnn.tflite"), ("onnx", "cnn.onnx"), ("tfjs", "cnn_js")):
        status, text, err = qd("export-model", run, "--format", fmt, "--out", out / name)
        assert status == 0 and text.startswith(f"wrote {out / name}") and "class names" in text, err
    # SavedModel: TensorFlow's own loader, the labels and the contract inside the folder
    import tensorflow as tf

    saved = out / "cnn_saved"
    loaded = tf.saved_model.load(str(saved))  # kept: its functions reference its variables
    got = np.asarray(loaded.serve(tf.constant(bitmaps)))
    assert np.abs(got - expected).max() < TOLERANCE
    assert (saved / "labels.txt").read_text().split("\n")[:-1] == CLASSES
    info = json.loads((saved / "qd-model.json").read_text())
    assert info["classes"] == CLASSES and info["input"]["shape"] == [None, 28, 28, 1]
    assert info["recipe"]["simplify"] == {"side": 255.0, "spacing": 1.0, "epsilon": 2.0}
    assert "seen.bitmap(strokes, 28)" in (saved / "README.md").read_text()
    # LiteRT: the interpreter, labels beside the file
    assert np.abs(litert_probabilities(out / "cnn.tflite", bitmaps) - expected).max() < TOLERANCE
    assert (out / "cnn.tflite.labels.txt").read_text() == "eye\nmonkey\nmouth\n"
    assert "Interpreter" in (out / "cnn.tflite.README.md").read_text()
    # ONNX: onnxruntime, the classes and contract in its metadata
    import onnxruntime

    session = onnxruntime.InferenceSession(str(out / "cnn.onnx"))
    assert [(i.name, i.type) for i in session.get_inputs()] == [("bitmap", "tensor(uint8)")]
    assert np.abs(session.run(None, {"bitmap": bitmaps})[0] - expected).max() < TOLERANCE
    meta = session.get_modelmeta().custom_metadata_map
    assert json.loads(meta["qd.classes"]) == CLASSES and json.loads(meta["qd.contract"])["classes"] == CLASSES
    # TF.js: model.json + one shard, metadata kept by tf.loadLayersModel
    document = json.loads((out / "cnn_js" / "model.json").read_text())
    assert document["format"] == "layers-model" and document["userDefinedMetadata"]["classes"] == CLASSES
    kinds = [layer["class_name"] for layer in document["modelTopology"]["config"]["layers"]]
    assert "Dropout" not in kinds and kinds[-1] == "Activation" and kinds.count("Conv2D") == 6
    modules = _node_modules()
    if modules is None:
        pytest.skip("no npm (and no $QD_JS_MODULES): the TF.js export is not run in node")
    got, result = tfjs_probabilities(out / "cnn_js", bitmaps, modules)
    assert np.abs(got - expected).max() < TOLERANCE and result["classes"] == CLASSES


@pytest.mark.parametrize("kind", [k for k in cnn_model.KINDS if k != "cnn"])
def test_other_kinds_export_to_onnx_and_tfjs_with_the_same_probabilities(kind, runs, bitmaps, tmp_path):
    import onnxruntime

    expected = _keras(runs[kind], bitmaps)
    assert qd("export-model", runs[kind], "--format", "onnx", "--out", tmp_path / "m.onnx")[0] == 0
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"))
    assert np.abs(session.run(None, {"bitmap": bitmaps})[0] - expected).max() < TOLERANCE
    assert qd("export-model", runs[kind], "--format", "tfjs", "--out", tmp_path / "js")[0] == 0
    modules = _node_modules()
    if modules is None:
        pytest.skip("no npm: the TF.js export is not run in node")
    assert np.abs(tfjs_probabilities(tmp_path / "js", bitmaps, modules)[0] - expected).max() < TOLERANCE


def test_plain_keras_loads_a_qd_model_after_importing_quickdraw_classifier_in_either_order(runs):
    """`import quickdraw.classifier` stays light (no TensorFlow) yet registers qd's layers for keras.models.load_model."""
    path = runs["cnn"] / "model.keras"
    for imports in ("import quickdraw.classifier, sys; assert 'tensorflow' not in sys.modules; import keras",
                    "import keras; import quickdraw.classifier"):
        code = f"{imports}; m = keras.models.load_model({str(path)!r}); print(m.get_layer('classes').class_names)"
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        assert done.returncode == 0 and done.stdout.strip() == str(CLASSES), done.stderr[-1500:]
    done = subprocess.run([sys.executable, "-c", "import quickdraw, sys; "
                           "print('tensorflow' in sys.modules, 'keras' in sys.modules)"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["False", "False"], done.stderr


def test_export_refuses_in_one_line_and_writes_nothing(runs, tmp_path):
    run = runs["cnn"]
    out = tmp_path / "out"
    fails(["export-model", run, "--format", "pickle", "--out", out], "unknown --format 'pickle'")
    fails(["export-model", run, "--format", "onnx", "--out", out / "m.tflite"], "a onnx model is a file ending in .onnx")
    fails(["export-model", run, "--format", "tfjs", "--out", out / "m.onnx"], "writes a folder")
    fails(["export-model", run, "--format", "sketch-rnn-js", "--out", out / "m.gen.json"], "is a classifier run")
    rnn = tmp_path / "rnn"
    rnn.mkdir()
    (rnn / "run.json").write_text(json.dumps({"kind": "sketchrnn"}))
    fails(["export-model", rnn, "--format", "onnx", "--out", out / "m.onnx"],
           f"--format onnx exports classifier runs; {rnn} is a Sketch-RNN run")
    fails(["export-model", tmp_path / "nothing", "--out", out], "is not a run folder")
    corrupt = tmp_path / "corrupt"
    shutil.copytree(run, corrupt)
    (corrupt / "model.keras").write_bytes(b"PK\x03\x04 not a zip")
    fails(["export-model", corrupt, "--format", "onnx", "--out", out / "m.onnx"], "is corrupt")
    zipped = (run / "model.keras").read_bytes()
    (corrupt / "model.keras").write_bytes(zipped[: len(zipped) // 2])
    fails(["export-model", corrupt, "--out", out / "sm"], "is corrupt")
    assert not out.exists()  # nothing written, not even the folder
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary leftovers


def test_an_existing_out_is_replaced_only_with_force_and_only_if_it_is_an_export(runs, tmp_path):
    run = runs["linear"] if "linear" in runs else runs["mlp"]
    target = tmp_path / "m.onnx"
    target.write_bytes(b"mine")
    fails(["export-model", run, "--format", "onnx", "--out", target], f"--out {target} already exists; add --force")
    assert target.read_bytes() == b"mine" and sorted(os.listdir(tmp_path)) == ["m.onnx"]
    assert qd("export-model", run, "--format", "onnx", "--out", target, "--force")[0] == 0
    assert target.stat().st_size > 1000 and (tmp_path / "m.onnx.labels.txt").is_file()
    folder = tmp_path / "web"
    assert qd("export-model", run, "--format", "tfjs", "--out", folder)[0] == 0
    fails(["export-model", run, "--format", "tfjs", "--out", folder], "already exists; add --force")
    assert qd("export-model", run, "--format", "saved_model", "--out", folder, "--force")[0] == 0
    assert (folder / "saved_model.pb").is_file() and not (folder / "model.json").exists()
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "essay.txt").write_text("keep me")
    fails(["export-model", run, "--format", "tfjs", "--out", theirs, "--force"], "holds something qd did not write")
    assert os.listdir(theirs) == ["essay.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.fixture(scope="module")
def decoder_run(mirror, tmp_path_factory):
    """A tiny decoder-only plain-LSTM Sketch-RNN run (2 steps on the mirror's eyes): the kind .gen.json holds."""
    from sketchrnn.train import train

    run = tmp_path_factory.mktemp("decoder") / "run"
    train(mirror / "sketchrnn" / "eye.npz", run, mode="decoder", steps=2, progress=False,
          hparams="dec_model=lstm,dec_rnn_size=32,max_seq_len=80,batch_size=8,save_every=2")
    return run


def test_sketchrnn_export_refuses_an_existing_file_without_force(decoder_run, tmp_path):
    out = tmp_path / "eye.gen.json"
    out.write_text("mine")
    fails(["export-model", decoder_run, "--out", out], f"--out {out} already exists; add --force to replace it")
    assert out.read_text() == "mine"
    status, text, err = qd("export-model", decoder_run, "--out", out, "--force")
    assert status == 0 and json.loads(out.read_text())[0]["name"] == "eye", err
    fails(["export-model", decoder_run, "--format", "tfjs", "--out", tmp_path / "js"], "is a Sketch-RNN run")
    fails(["export-model", decoder_run, "--format", "gif", "--out", tmp_path / "x.gen.json"], "unknown --format 'gif'")
    assert sorted(os.listdir(tmp_path)) == ["eye.gen.json"]


def test_a_read_only_folder_is_refused_in_one_line_for_both_run_kinds(runs, decoder_run):
    """--out in a read-only folder (permissions enforced even for root: tests/unprivileged.py): one line,
    no traceback, nothing left."""
    shared = Path(tempfile.mkdtemp(prefix="qd-readonly-export-"))
    try:
        shutil.copytree(runs["cnn"], shared / "cnn")
        shutil.copytree(decoder_run, shared / "rnn")
        (shared / "ro").mkdir()
        for path in (shared, *shared.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
        (shared / "ro").chmod(0o555)
        commands = [["export-model", shared / "rnn", "--out", shared / "ro" / "eye.gen.json"],
                    ["export-model", shared / "cnn", "--format", "onnx", "--out", shared / "ro" / "cnn.onnx"],
                    ["export-model", shared / "cnn", "--out", shared / "ro" / "new" / "saved"]]
        done = qd_commands(commands, ROOT, timeout=120)
        left = os.listdir(shared / "ro")
    finally:
        shutil.rmtree(shared, ignore_errors=True)
    assert done.stdout.count("status 1") == 3, (done.stdout, done.stderr)
    errors = [line for line in done.stderr.splitlines() if line.startswith("qd: ")]
    assert "Traceback" not in done.stderr and len(errors) == 3, done.stderr
    assert all(f"the folder {shared / 'ro'} is not writable" in e for e in errors), errors
    assert left == []


def _limited(limit_bytes):
    def preexec():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return preexec


def test_a_failed_write_leaves_no_file_and_no_empty_folder(runs, decoder_run, tmp_path):
    """A disk that fills up mid-write (a file size limit: writes past 20 kB fail): one line, and neither the
    file, its temporary copy nor the folders made for it are left."""
    qd = [sys.executable, "-c", "import sys; from cli.main import main; sys.exit(main(sys.argv[1:]))"]
    cases = [["export-model", str(decoder_run), "--out", str(tmp_path / "new" / "deeper" / "eye.gen.json")],
             ["export-model", str(runs["cnn"]), "--format", "onnx", "--out", str(tmp_path / "new2" / "d" / "cnn.onnx")],
             ["export-model", str(runs["cnn"]), "--format", "tfjs", "--out", str(tmp_path / "new3" / "d" / "js")]]
    for argv in cases:
        done = subprocess.run([*qd, *argv], cwd=ROOT, capture_output=True, text=True, timeout=300,
                              preexec_fn=_limited(20_000), env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        lines = [line for line in done.stderr.splitlines() if line.startswith("qd: ")]
        assert done.returncode == 1 and len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
        assert "cannot write" in lines[0] or "failed" in lines[0], lines
        assert os.listdir(tmp_path) == [], (argv, list(tmp_path.rglob("*")))
