"""The doodle classifier: qd train-cnn, qd evaluate (CNN side) and qd classify, on tiny real datasets."""
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from quickdraw.errors import QuickDrawError

keras = pytest.importorskip("keras")
from quickdraw import classifier  # noqa: E402
from quickdraw.builder.subset import build  # noqa: E402
from quickdraw.classifier import model as cnn_model  # noqa: E402
from quickdraw.formats import read_drawing  # noqa: E402
from tests.qd_command import qd

ROOT = Path(__file__).resolve().parents[2]
CLASSES = ["cat", "eye", "fish"]


def _build(out, mirror, classes=CLASSES, count=40):
    return build(classes, count, out, source="bitmap", mirror=str(mirror), quiet=True)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, mirror):
    return _build(tmp_path_factory.mktemp("data") / "three", mirror)


@pytest.fixture(scope="module")
def distributed_run(dataset, tmp_path_factory):
    """``qd train-cnn --distribute`` over two logical CPU devices (after refusing it with --xla), in a
    process of its own (TensorFlow's devices are fixed once it starts), started first so that it trains
    while this process does."""
    run = tmp_path_factory.mktemp("distributed") / "run"
    code = ("import sys, tensorflow as tf; cpu = tf.config.list_physical_devices('CPU')[0]; "
            "tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2); "
            "from cli.main import main; assert main(sys.argv[1:] + ['--xla']) == 1; sys.exit(main(sys.argv[1:]))")
    process = subprocess.Popen([sys.executable, "-c", code, "train-cnn", str(dataset), "--out", str(run),
                                "--model", "mlp", "--epochs", "1", "--distribute"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    yield process, run
    if process.poll() is None:
        process.kill()
        process.communicate()


@pytest.fixture(scope="module")
def cnn_run(dataset, distributed_run, tmp_path_factory):
    """A CNN trained for two epochs through the CLI: (run folder, what qd printed)."""
    run = tmp_path_factory.mktemp("runs") / "cnn1"
    status, out, err = qd("train-cnn", dataset, "--out", run, "--epochs", 2, "--batch-size", 32)
    assert status == 0, err
    return run, out


def _json(path):
    return json.loads(Path(path).read_text())


def test_train_cnn_leaves_a_complete_run_folder(cnn_run):
    run, out = cnn_run
    assert sorted(p.name for p in run.iterdir()) == sorted(
        ["run.json", "model.keras", "history.json", "curves.png", "confusion.png", "metrics.json"])
    info = _json(run / "run.json")
    assert info["kind"] == "cnn" and info["status"] == "done" and info["classes"] == CLASSES
    history = _json(run / "history.json")
    assert [h["epoch"] for h in history] == [1, 2]
    assert all(h["examples_per_s"] > 0 and 0 <= h["val_accuracy"] <= 1 and h["loss"] > 0 for h in history)
    # One epoch of warm-up to the peak learning rate, then cosine decay to zero by the last epoch.
    assert history[0]["lr"] == pytest.approx(0.002) and history[1]["lr"] == pytest.approx(0, abs=1e-9)
    m = _json(run / "metrics.json")
    assert m["split"] == "test" and m["examples"] == 12 and m["epochs_run"] == 2 and m["best_epoch"] in (1, 2)
    assert 0 <= m["accuracy"] <= 1 and "top3_accuracy" not in m  # three classes: top-3 would always hold the truth
    assert "top-3" not in out and f"loss {m['loss']:.3f}" in out
    assert sorted(m["per_class_accuracy"]) == CLASSES and np.sum(m["confusion"]) == 12
    # Keras prints a line per epoch off a terminal, with examples/s; then qd's summary.
    assert out.count("examples/s:") == 2 and "Epoch 2/2" in out
    assert f"test accuracy {m['accuracy']:.1%}" in out and f"best epoch {m['best_epoch']} of 2" in out


def test_plots_are_written_as_pngs(cnn_run):
    run, _ = cnn_run
    curves = matplotlib.image.imread(run / "curves.png")
    confusion = matplotlib.image.imread(run / "confusion.png")
    assert curves.shape[:2] == (400, 1000)
    assert confusion.shape[0] > 300 and confusion.shape[1] > confusion.shape[0]  # colour bar on the right
    for image in (curves, confusion):
        assert image[..., :3].std() > 0.05  # not blank
    blue = (confusion[..., 2] > 0.6) & (confusion[..., 0] < 0.3)
    assert blue.sum() > 500  # dark cells where the predictions of each class fell


def test_saved_model_takes_raw_bitmaps_and_knows_its_classes(cnn_run, dataset):
    run, _ = cnn_run
    model = keras.models.load_model(run / "model.keras", compile=False)
    assert model.input.dtype == "uint8" and tuple(model.input.shape) == (None, 28, 28, 1)
    assert cnn_model.class_names(model) == CLASSES
    from quickdraw.builder.folder import open_dataset

    folder = open_dataset(dataset)
    probs = model.predict(folder.bitmaps("test")[..., None], verbose=0)
    assert probs.dtype == np.float32 and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    accuracy = (probs.argmax(axis=1) == folder.labels("test")).mean()
    assert round(float(accuracy), 4) == _json(run / "metrics.json")["accuracy"]


def test_evaluate_prints_and_writes_metrics(cnn_run, dataset):
    run, _ = cnn_run
    status, out, err = qd("evaluate", run, dataset, "--split", "valid")
    assert status == 0, err
    printed = json.loads(out)
    assert printed["split"] == "valid" and printed["examples"] == 12 and "confusion" not in printed
    written = _json(run / "eval-three-valid.json")
    assert written["accuracy"] == printed["accuracy"] and np.sum(written["confusion"]) == 12
    assert (run / "eval-three-valid-confusion.png").stat().st_size > 1000
    # One "loss": the validation loss training recorded for the kept epoch is the plain cross-entropy that
    # evaluate computes with numpy on the same split (the label-smoothed objective is "smoothed_loss").
    best = _json(run / "metrics.json")["best_epoch"]
    recorded = _json(run / "history.json")[best - 1]
    assert printed["loss"] == pytest.approx(recorded["val_loss"], abs=2e-3)
    assert recorded["smoothed_loss"] != pytest.approx(recorded["loss"], abs=1e-3)


def test_evaluate_matches_classes_by_name_and_refuses_other_classes(cnn_run, dataset, mirror, tmp_path):
    run, _ = cnn_run
    reordered = _build(tmp_path / "reordered", mirror, ["fish", "cat", "eye"])
    from quickdraw.builder.folder import open_dataset

    folder = open_dataset(reordered)
    model = keras.models.load_model(run / "model.keras", compile=False)
    said = np.array(CLASSES)[model.predict(folder.bitmaps("test")[..., None], verbose=0).argmax(axis=1)]
    truth = np.array(folder.classes)[folder.labels("test")]
    assert classifier.evaluate_run(run, reordered)["accuracy"] == round(float((said == truth).mean()), 4)
    other = _build(tmp_path / "other", mirror, ["cat", "eye", "apple"], count=10)
    status, _, err = qd("evaluate", run, other)
    assert status == 1 and err.strip() == (
        "qd: the dataset's classes differ from the model's; missing: fish; unknown to the model: apple")


def test_bad_datasets_are_one_line_errors(tmp_path, mirror):
    status, _, err = qd("train-cnn", tmp_path, "--out", tmp_path / "run")
    assert status == 1 and "is not a qd dataset" in err and err.count("\n") == 1
    one = _build(tmp_path / "one", mirror, ["cat"], count=10)
    status, _, err = qd("train-cnn", one, "--out", tmp_path / "run")
    assert status == 1 and err.strip() == f"qd: {one} has 1 class; a classifier needs at least 2"
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("size, ok", [(7, False), (8, True), (28, True), (256, True), (257, False)])
def test_image_sizes_the_models_take(size, ok):
    if ok:
        cnn_model.check_image_size("cnn", size)
    else:
        with pytest.raises(QuickDrawError, match=f"takes bitmaps of 8 to 256 pixels a side; this dataset's are {size}x{size}"):
            cnn_model.check_image_size("cnn", size)


def test_dataset_with_an_image_size_the_model_cannot_take(tmp_path, dataset):
    # qd build makes no size under 8 (the model's least); a manifest edited to 4x4 is refused, with no run made.
    small = tmp_path / "small"
    shutil.copytree(dataset, small)
    manifest = _json(small / "dataset.json")
    manifest["image_size"] = 4
    (small / "dataset.json").write_text(json.dumps(manifest))
    with pytest.raises(QuickDrawError, match="this dataset's are 4x4: rebuild it with `qd build --size 28`"):
        cnn_model.check_image_size("cnn", 4)
    status, _, err = qd("train-cnn", small, "--out", tmp_path / "run")
    assert status == 1 and err.startswith("qd: ") and err.count("\n") == 1
    assert "4x4" in err or "is corrupt" in err
    assert not (tmp_path / "run").exists()


def test_cnn_is_sized_to_the_image():
    assert [cnn_model.conv_blocks(s) for s in (8, 28, 32, 64, 128, 256)] == [3, 3, 3, 4, 5, 5]
    model = cnn_model.build_model("cnn", 64, ["a", "b"])
    pools = [layer for layer in model.layers if isinstance(layer, keras.layers.MaxPooling2D)]
    assert len(pools) == 4 and tuple(pools[-1].output.shape) == (None, 4, 4, 256)
    assert model.output.shape == (None, 2)


def test_run_folders_are_not_overwritten(cnn_run, dataset, tmp_path):
    run, _ = cnn_run
    status, _, err = qd("train-cnn", dataset, "--out", run)
    assert status == 1 and err.strip() == f"qd: {run} already holds a cnn run; --resume continues it, --force replaces it"
    status, _, err = qd("train-cnn", dataset, "--out", run, "--resume")
    assert status == 1 and "has finished; nothing to resume (--force starts it over)" in err
    (tmp_path / "notes.txt").write_text("mine")
    status, _, err = qd("train-cnn", dataset, "--out", tmp_path)
    assert status == 1 and "is not empty and holds no training run" in err
    rnn = tmp_path / "rnn"
    rnn.mkdir()
    (rnn / "run.json").write_text(json.dumps({"kind": "sketchrnn"}))
    for extra in ([], ["--force"]):
        status, _, err = qd("train-cnn", dataset, "--out", rnn, *extra)
        assert status == 1 and "holds a sketchrnn run" in err
    assert (tmp_path / "notes.txt").read_text() == "mine" and (rnn / "run.json").exists()
    with pytest.raises(QuickDrawError, match="holds a 'sketchrnn' run, not a CNN classifier run"):
        classifier.evaluate_run(rnn, dataset)


def test_resume_continues_an_interrupted_run(dataset, tmp_path):
    run = tmp_path / "run"
    state = run / "checkpoint" / "state.json"

    def interrupt():
        deadline = time.monotonic() + 120
        while not state.exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(os.getpid(), signal.SIGINT)

    watcher = threading.Thread(target=interrupt)
    watcher.start()
    with pytest.raises(KeyboardInterrupt):
        classifier.train(dataset, run, model="mlp", epochs=4, patience=10, batch_size=16, mixed_precision=True,
                         verbose=0)
    watcher.join()
    saved = _json(state)["history"]
    assert 1 <= len(saved) < 4 and _json(run / "run.json")["status"] == "training"
    with pytest.raises(QuickDrawError, match="--resume continues with the run's own settings: --epochs is 4"):
        classifier.train(dataset, run, resume=True, epochs=6, verbose=0)
    resumed = classifier.train(dataset, run, resume=True, verbose=0)
    history = _json(run / "history.json")
    assert [h["epoch"] for h in history] == [1, 2, 3, 4] and history[:len(saved)] == saved
    # The optimizer's step count came back with the weights, so the schedule went on where it stopped:
    # peak after the warm-up epoch, then cosine decay to zero at the last.
    assert [h["lr"] for h in history] == pytest.approx([0.002, 0.0015, 0.0005, 0.0], abs=1e-7)
    assert resumed["epochs_run"] == 4 and not (run / "checkpoint").exists()
    model = keras.models.load_model(run / "model.keras", compile=False)
    assert model.get_layer("logits").compute_dtype == "bfloat16"  # CPU: bfloat16, GPUs: float16
    assert model.get_layer("classes").compute_dtype == "float32" and model.output.dtype == "float32"


def test_same_seed_same_start_and_data_order(dataset):
    from quickdraw.builder.folder import open_dataset

    folder = open_dataset(dataset)
    x, y = folder.bitmaps("train"), folder.labels("train")

    def start(seed):
        model = classifier.compiled_model(classifier.Settings(seed=seed, augment=True), 28, CLASSES, 3)
        order = np.concatenate([b.numpy() for _, b in classifier.bitmap_batches(x, y, 32, shuffle=True, seed=seed)])
        moved = model.get_layer("augment")(x[:4, ..., None].astype("float32"), training=True)
        return model.get_weights(), order, keras.ops.convert_to_numpy(moved)

    (w1, o1, a1), (w2, o2, a2), (w3, o3, a3) = start(3), start(3), start(4)
    assert all(np.array_equal(p, q) for p, q in zip(w1, w2)) and np.array_equal(o1, o2) and np.array_equal(a1, a2)
    assert not np.array_equal(w1[0], w3[0]) and not np.array_equal(o1, o3) and not np.array_equal(a1, a3)
    assert sorted(o1) == sorted(y)


def test_batch_norm_starts_from_the_statistics_of_a_training_batch(dataset):
    from quickdraw.builder.folder import open_dataset

    x = open_dataset(dataset).bitmaps("train")[:64, ..., None]
    model = classifier.compiled_model(classifier.Settings(), 28, CLASSES, 3)
    first = next(layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization))
    assert np.allclose(first.moving_variance.numpy(), 1)  # Keras' start, far from the data's
    classifier.prime_batch_norm(model, x)
    entering = keras.ops.convert_to_numpy(keras.Model(model.input, first.input)(x)).reshape(-1, 32)
    assert np.allclose(first.moving_mean.numpy(), entering.mean(axis=0), atol=1e-5)
    assert np.allclose(first.moving_variance.numpy(), entering.var(axis=0), rtol=1e-3, atol=1e-6)
    assert first.moving_variance.numpy().mean() < 0.1 and first.momentum == 0.9


def test_xla_flag_compiles_the_training_step_with_xla():
    assert classifier.compiled_model(classifier.Settings(xla=True), 28, CLASSES, 3).jit_compile is True
    assert classifier.compiled_model(classifier.Settings(), 28, CLASSES, 3).jit_compile is False


def test_distribute_over_two_logical_cpus(distributed_run):
    process, run = distributed_run
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-2000:]
    assert "2 CPU replicas" in out and _json(run / "metrics.json")["device"] == "2 x CPU"
    assert "qd: --xla cannot compile a step mirrored over CPU devices" in err


def test_random_affine_resamples_like_keras_and_only_while_training():
    rng = np.random.default_rng(0)
    images = rng.random((4, 28, 28, 1)).astype("float32")
    angle, scale = rng.uniform(-0.3, 0.3, 4), rng.uniform(0.9, 1.1, 4)
    cos, sin, c = np.cos(angle) / scale, np.sin(angle) / scale, 13.5
    transform = np.stack([cos, -sin, c * (1 - cos + sin) + 2, sin, cos, c * (1 - sin - cos) - 1.5], 1).astype("float32")
    padded = np.concatenate([transform, np.zeros((4, 2), "float32")], axis=1)
    expected = keras.ops.image.affine_transform(images, padded, interpolation="bilinear", fill_mode="constant")
    mine = cnn_model._resample(images, transform)
    assert np.abs(keras.ops.convert_to_numpy(mine) - keras.ops.convert_to_numpy(expected)).max() < 1e-5
    layer = cnn_model.RandomAffine(seed=1)
    assert np.array_equal(keras.ops.convert_to_numpy(layer(images, training=False)), images)
    moved = keras.ops.convert_to_numpy(layer(images, training=True))
    assert moved.shape == images.shape and not np.allclose(moved, images)


def test_cli_help_defaults_are_the_training_defaults():
    from cli.cnn import DEFAULTS

    settings = classifier.Settings()
    assert DEFAULTS == {k: getattr(settings, k) for k in DEFAULTS}


def _guesses(out):
    """[(name, share)] from `qd classify` lines like 'cat    81.2%'."""
    rows = [line.rsplit(None, 1) for line in out.strip().splitlines()]
    return [(name.strip(), float(share.rstrip("%")) / 100) for name, share in rows]


def test_classify_an_ndjson_drawing(cnn_run, mirror):
    run, _ = cnn_run
    cats = mirror / "full" / "simplified" / "cat.ndjson"
    status, out, err = qd("classify", run, cats)
    assert status == 0, err
    guesses = _guesses(out)
    assert sorted(name for name, _ in guesses) == CLASSES
    shares = [p for _, p in guesses]
    assert shares == sorted(shares, reverse=True) and sum(shares) == pytest.approx(1, abs=0.002)
    status, out, _ = qd("classify", run, cats, "--index", 3, "--top", 2)
    assert status == 0 and len(_guesses(out)) == 2


def test_classify_renders_drawings_as_the_training_bitmaps_were(cnn_run, mirror):
    run, _ = cnn_run
    model = classifier.Classifier(run)
    official = np.load(mirror / "full" / "numpy_bitmap" / "cat.npy", mmap_mode="r")
    for index in (0, 7):  # row i of cat.npy is line i of the official simplified file
        strokes = read_drawing(mirror / "full" / "simplified" / "cat.ndjson", index).strokes
        mine = model.render(strokes).astype(int)
        assert mine.shape == (28, 28) and np.abs(mine - official[index].reshape(28, 28)).mean() < 3
        from_strokes = dict(model.top(strokes))
        from_bitmap = dict(model.top_bitmap(official[index].reshape(28, 28)))
        assert all(abs(from_strokes[c] - from_bitmap[c]) < 0.1 for c in CLASSES)
        # The raw version of the same drawing (screen units, with times) is simplified first, as qd build does.
        raw = read_drawing(mirror / "full" / "raw" / "cat.ndjson", index).strokes
        assert raw[0].shape[0] == 3 and np.abs(model.render(raw).astype(int) - mine).mean() < 1


def test_classify_a_strokes_json_file(cnn_run, tmp_path):
    run, _ = cnn_run
    path = tmp_path / "eye.json"
    path.write_text(json.dumps([[[0, 128, 255, 128, 0], [100, 0, 100, 200, 100]], [[128, 129], [100, 101]]]))
    status, out, err = qd("classify", run, path, "--top", 1)
    assert status == 0, err
    [(name, share)] = _guesses(out)
    assert name in CLASSES and 0 < share <= 1


@pytest.mark.parametrize("name, content, args, message", [
    ("drawing.ndjson", '{"word": "cat", "drawing": []}\n', [], "the drawing has no points"),
    ("drawing.json", '[[[], []]]', [], "the drawing has no points"),
    ("drawing.ndjson", '{"word": "cat", "drawing": [[[1, 2], [3, 4]]]}\n', ["--index", "5"],
     "holds 1 drawing(s); --index 5 is past the end"),
    ("drawing.json", '[[1, 2, 3]]', [], "each stroke must be [[x...], [y...]]"),
    ("drawing.ndjson", '[[1, 2, 3]]', [], "not a Quick, Draw! file"),
    ("drawing.ndjson", '{"word": "cat"}\n', [], 'line 1: not a drawing record (no "drawing" list)'),
    ("drawing.ndjson", 'not json', [], "not a Quick, Draw! file"),
    ("drawing.json", 'not json', [], "is not strokes JSON"),
    ("drawing.json", '[[[1], [2]]]', ["--top", "0"], "--top must be at least 1, not 0"),
])
def test_classify_bad_drawings_are_one_line_errors(cnn_run, tmp_path, name, content, args, message):
    run, _ = cnn_run
    path = tmp_path / name
    path.write_text(content)
    status, out, err = qd("classify", run, path, *args)
    assert status == 1 and out == "" and message in err and err.count("\n") == 1


def test_classify_needs_a_run_and_one_drawing(cnn_run, tmp_path):
    run, _ = cnn_run
    assert qd("classify", run)[2] == "qd: give a drawing FILE, or --draw to draw one in a window\n"
    assert qd("classify", run, tmp_path / "x.ndjson", "--draw")[2] == f"qd: {tmp_path / 'x.ndjson'}: no such file\n"
    assert qd("classify", run, tmp_path / "missing.ndjson")[2] == f"qd: {tmp_path / 'missing.ndjson'}: no such file\n"
    status, _, err = qd("classify", tmp_path, tmp_path / "x.ndjson")
    assert status == 1 and "is not a training run (no run.json)" in err


def test_classify_draw_opens_a_window_and_guesses_after_each_stroke(cnn_run, display, tmp_path, mirror):
    run, _ = cnn_run
    script = {"strokes": [[[40, 128, 215, 128, 40], [128, 70, 128, 186, 128]], [[110, 146], [128, 128]]],
              "keys": ["s", "q"]}
    (tmp_path / "script.json").write_text(json.dumps(script))
    env = dict(os.environ, DISPLAY=display, MPLBACKEND="TkAgg", QD_CANVAS_SCRIPT=str(tmp_path / "script.json"))
    done = subprocess.run([sys.executable, "-m", "cli.main", "classify", str(run), "--draw", "--top", "2"],
                          cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 2  # one line of guesses per finished stroke
    for line in lines:
        names = line.split()[::2]
        assert len(names) == 2 and set(names) <= set(CLASSES)
    window = matplotlib.image.imread(tmp_path / "drawing.png")[..., :3]
    assert (window.max(axis=2) < 0.2).sum() > 200  # the strokes, drawn in the window that was saved
    saved = read_drawing(tmp_path / "drawing.ndjson")
    assert len(saved.strokes) == 2 and saved.strokes[1][0].tolist() == [110, 146]

    # Starting from a drawing file, saving where --out says: the file's strokes, then the ones drawn.
    start = mirror / "full" / "simplified" / "fish.ndjson"
    fish = read_drawing(start, 2)
    out = tmp_path / "mine" / "fish-more.png"
    out.parent.mkdir()
    done = subprocess.run([sys.executable, "-m", "cli.main", "classify", str(run), str(start), "--index", "2",
                           "--draw", "--out", str(out)], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(done.stdout.strip().splitlines()) == 3  # the start drawing is guessed at once, then each stroke
    saved = read_drawing(out.with_suffix(".ndjson"))
    assert len(saved.strokes) == len(fish.strokes) + 2
    assert all(np.array_equal(a, b) for a, b in zip(saved.strokes, fish.strokes))
    assert not (tmp_path / "drawing.png").stat().st_mtime > out.stat().st_mtime  # not written again
