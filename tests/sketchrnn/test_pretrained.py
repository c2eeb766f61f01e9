"""Google's pretrained Sketch-RNN models in qd: the same numbers as Magenta's sketch-rnn-js, fetched through
qd's one downloader from a real HTTP server on 127.0.0.1, bad files refused, runs exported to the JS format.

The models are read from the read-only ``../shared/quickdraw-models`` (never copied into the repository);
``tests/fixtures/sketchrnn_js_bird.json`` holds what ``@magenta/sketch`` computed for bird (see its README).
"""
import base64
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from quickdraw.errors import QuickDrawError
from tests import gen_json_reference as ref
from tests.httpserver import serve

REPO = Path(__file__).resolve().parents[2]
MODELS = (REPO / ".." / "shared" / "quickdraw-models").resolve()
FIXTURE = REPO / "tests" / "fixtures" / "sketchrnn_js_bird.json"
TOL = 1e-4
JS_NAMES = {"mu1": "mu_x", "mu2": "mu_y", "sigma1": "sigma_x", "sigma2": "sigma_y", "corr": "rho"}


@pytest.fixture(scope="module")
def models() -> Path:
    if not (MODELS / "sketchRNN" / "large_models" / "bird.gen.json").exists():
        pytest.skip(f"the pretrained models folder {MODELS} is not present")
    return MODELS


@pytest.fixture(scope="module")
def bird_run(models):
    from sketchrnn import official

    return official.load_file(models / "sketchRNN" / "large_models" / "bird.gen.json")


def _qd(*args, env=None, cwd=None):
    import os

    done = subprocess.run([sys.executable, "-m", "cli.main", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})}, cwd=cwd, timeout=300)
    return done.returncode, done.stdout, done.stderr


def _heads(run, inputs):
    """qd's raw head outputs after each of ``inputs`` (stroke-5 rows in model units), from the zero state."""
    from sketchrnn.sample import Sampler

    sampler = Sampler.from_run(run)
    points = np.asarray(inputs, np.float32)[None]
    zeros = np.zeros((1, run.hp.dec_rnn_size), np.float32)
    head, _ = sampler._decode(points, None, zeros, zeros)
    return np.asarray(head)[0]


def test_qd_gives_sketch_rnn_js_mixture_parameters_and_the_numpy_reference_agrees(bird_run, models):
    from sketchrnn.sample import mixture

    fixture = json.loads(FIXTURE.read_text())
    heads = _heads(bird_run, fixture["inputs_model_units"])
    reference = ref.run(ref.load_gen_json(models / "sketchRNN/large_models/bird.gen.json"),
                        fixture["inputs_model_units"], temperatures=fixture["temperatures"])
    for name, js in fixture["outputs"].items():
        temperature = float(name)
        mine = mixture(heads, 20, temperature, rule="sketch-rnn-js")
        for key, values in js.items():
            got = mine[JS_NAMES.get(key, key)]
            assert np.abs(got - np.asarray(values)).max() < TOL, (temperature, key)
            numpy_ref = reference["params"][float(temperature)][key]
            assert np.abs(got - numpy_ref).max() < TOL, (temperature, key)
    # A wrong rule (Magenta's Python one) really does miss the JS numbers at temperature 0.5.
    wrong = mixture(heads, 20, 0.5, rule="magenta")["pi"]
    assert np.abs(wrong - np.asarray(fixture["outputs"]["0.5"]["pi"])).max() > 100 * TOL


def test_plain_lstm_cell_matches_a_numpy_basic_lstm_step():
    import keras

    from sketchrnn.cells import LSTMCell

    rng = np.random.default_rng(0)
    cell = LSTMCell(6)
    cell.build((None, 5))
    for variable in (cell.kernel, cell.recurrent_kernel, cell.bias):
        variable.assign(rng.normal(0, 0.5, variable.shape).astype(np.float32))
    x, h, c = (rng.normal(size=(3, n)).astype(np.float32) for n in (5, 6, 6))
    got_h, got_c = (keras.ops.convert_to_numpy(v) for v in cell.step(cell.project(x), h, c))
    for i in range(3):
        model = {"lstm_kernel_x": np.asarray(cell.kernel), "lstm_kernel_h": np.asarray(cell.recurrent_kernel),
                 "lstm_bias": np.asarray(cell.bias)}
        want_h, want_c = ref.lstm_step(model, x[i], h[i].astype(np.float64), c[i].astype(np.float64))
        assert np.allclose(got_h[i], want_h, atol=1e-5) and np.allclose(got_c[i], want_c, atol=1e-5)


def test_models_are_fetched_from_a_mirror_over_http_once_and_found_by_forgiving_names(models, tmp_path):
    from sketchrnn import models as loader, official

    with serve(models) as server:
        run = loader.load("Palm-Tree", model_mirror=server.url, cache_dir=tmp_path)
        assert run.info["classes"] == ["palm tree"] and run.hp.dec_model == "lstm"
        assert run.hp.max_seq_len == 151
        fetched = server.requests("palm_tree.gen.json")
        assert len(fetched) == 1
        loader.load("palm tree", model_mirror=server.url, cache_dir=tmp_path)
        assert len(server.requests("palm_tree.gen.json")) == 1  # the second load reads the cache
        cached = official.cached_path("palm_tree", server.url, tmp_path)
        assert cached.is_file() and cached.read_bytes() == (models / "sketchRNN/large_models/palm_tree.gen.json").read_bytes()
    with pytest.raises(QuickDrawError, match=r"unknown pretrained Sketch-RNN model 'brid' \(did you mean: .*bird"):
        official.resolve("brid")


def test_no_network_and_nothing_cached_is_one_line_naming_the_url_and_option(tmp_path):
    status, out, err = _qd("generate", "bird", "--model-mirror", "http://127.0.0.1:9/", "--cache-dir", tmp_path,
                           "--out", tmp_path / "b.png")
    assert status == 1 and err.count("\n") == 1
    assert "http://127.0.0.1:9/sketchRNN/large_models/bird.gen.json" in err
    assert not list(tmp_path.rglob("*.gen.json*"))


def _model_file(models, tmp_path, name: str, mutate) -> Path:
    data = json.loads((models / "sketchRNN/large_models/key.gen.json").read_text())
    path = tmp_path / name
    text = mutate(data)
    path.write_text(text if isinstance(text, str) else json.dumps(text))
    return path


@pytest.mark.parametrize("mutate, message", [
    (lambda d: json.dumps(d)[:5000], "not JSON"),
    (lambda d: "<html><body>Sign in to the network</body></html>", "an HTML page, not a sketch-rnn model"),
    (lambda d: [d[0], d[1], [w[:-8] for w in d[2]]], "base64 characters"),
    (lambda d: [d[0], [[10 ** 6, 123], [123], [5, 4 * 10 ** 6], [10 ** 6, 4 * 10 ** 6], [4 * 10 ** 6]], d[2]],
     "refused before allocating"),
    (lambda d: [d[0], [[512, 63], [63], [5, 2048], [512, 2048], [2048]], d[2]], "decoder-only"),
    (lambda d: [{**d[0], "scale_factor": "big"}, d[1], d[2]], "scale_factor"),
    (lambda d: {"not": "a model"}, r"expected \[info, shapes, weights\]"),
])
def test_bad_model_files_are_one_clear_error(models, tmp_path, mutate, message):
    from sketchrnn import official

    path = _model_file(models, tmp_path, "bad.gen.json", mutate)
    with pytest.raises(QuickDrawError, match=message):
        official.load_file(path)


def test_a_corrupt_answer_from_the_mirror_is_never_cached(models, tmp_path):
    bad = tmp_path / "mirror" / "sketchRNN" / "large_models"
    bad.mkdir(parents=True)
    (bad / "bird.gen.json").write_text("<html>captive portal</html>")
    cache = tmp_path / "cache"
    with serve(tmp_path / "mirror") as server:
        status, _, err = _qd("generate", "bird", "--model-mirror", server.url, "--cache-dir", cache,
                             "--out", tmp_path / "b.png")
    assert status == 1 and "HTML page" in err and err.count("\n") == 1
    assert not [p for p in cache.rglob("*") if p.is_file()]


def test_encoder_commands_refuse_a_decoder_only_model(models, tmp_path, mirror):
    status, _, err = _qd("reconstruct", "bird", mirror / "sketchrnn/eye.npz", "--model-mirror", models,
                         "--cache-dir", tmp_path, "--out", tmp_path / "r.png")
    assert status == 1 and "bird is a decoder-only model" in err and err.count("\n") == 1


def test_complete_and_generate_with_an_official_model(models, tmp_path, mirror):
    out = tmp_path / "done.png"
    status, text, err = _qd("complete", "bird", mirror / "full/simplified/bird.ndjson", "--keep-strokes", 2,
                            "--n", 4, "--seed", 1, "--temperature", 0.25, "--out", out, "--out-ndjson",
                            tmp_path / "done.ndjson", "--model-mirror", models, "--cache-dir", tmp_path / "c")
    assert status == 0, err
    from quickdraw.formats import read_path

    drawings = list(read_path(tmp_path / "done.ndjson"))
    assert len(drawings) == 4 and all(d.word == "bird" for d in drawings)
    given = len([s for s in json.loads((mirror / "full/simplified/bird.ndjson").read_text().splitlines()[0])["drawing"]][:2])
    assert all(len(d.strokes) > given for d in drawings)  # each candidate added strokes
    for d in drawings:
        points = np.concatenate(d.strokes, axis=1)
        assert np.ptp(points, axis=1).max() <= 255  # completions in the dataset's frame
    status, text, err = _qd("generate", "bird", "--n", 8, "--out", tmp_path / "g.ndjson", "--model-mirror", models,
                            "--cache-dir", tmp_path / "c")
    assert status == 0, err
    sizes = [np.ptp(np.concatenate(d.strokes, axis=1), axis=1).max() for d in read_path(tmp_path / "g.ndjson")]
    assert 100 < np.median(sizes) <= 255  # official models draw at the frame's size once mapped onto it


def test_evaluate_an_official_model_with_its_own_max_seq_len(models, tmp_path):
    from quickdraw.formats import read_path
    from quickdraw.formats.strokes import to_stroke3
    from sketchrnn.evaluate import evaluate_run

    drawings = list(read_path(REPO / ".." / "shared" / "quickdraw" / "full" / "simplified" / "bird.ndjson"))
    sketches = np.empty(len(drawings), dtype=object)
    sketches[:] = [to_stroke3(d.strokes).astype(np.int16) for d in drawings]
    npz = tmp_path / "bird.npz"
    np.savez(npz, train=sketches[:5], valid=sketches[5:10], test=sketches[10:])
    metrics = evaluate_run(models / "sketchRNN/large_models/bird.gen.json", npz)
    assert metrics["model"] == "bird" and metrics["classes"] == ["bird"]
    assert metrics["sketches"] + metrics["dropped_too_long"] == len(sketches) - 10
    assert np.isfinite(metrics["recon"]) and metrics["recon"] < 2.0  # a trained model, not noise (untrained: > 4)


def test_export_round_trip_and_refusal(tmp_path, mirror):
    from sketchrnn import official
    from sketchrnn.evaluate import evaluate_run
    from sketchrnn.train import train

    npz = mirror / "sketchrnn" / "eye.npz"
    run_dir = tmp_path / "run"
    train(npz, run_dir, mode="decoder", steps=2, hparams="dec_model=lstm,dec_rnn_size=32,max_seq_len=80,"
          "batch_size=8,save_every=2", progress=False)
    status, text, err = _qd("export-model", run_dir, "--out", tmp_path / "eye.gen.json")
    assert status == 0, err
    info, shapes, weights = json.loads((tmp_path / "eye.gen.json").read_text())
    assert shapes == [[32, 123], [123], [5, 128], [32, 128], [128]] and info["name"] == "eye"
    assert all(len(base64.b64decode(w)) == 2 * int(np.prod(s)) for w, s in zip(weights, shapes))
    assert np.asarray(ref.load_gen_json(tmp_path / "eye.gen.json")["output_bias"]).shape == (123,)
    before = evaluate_run(run_dir, npz)
    after = evaluate_run(tmp_path / "eye.gen.json", npz)
    assert abs(before["recon"] - after["recon"]) < 0.01 and before["sketches"] == after["sketches"]
    vae = tmp_path / "vae"
    train(npz, vae, steps=1, hparams="enc_rnn_size=8,dec_rnn_size=16,z_size=4,num_mixture=20,max_seq_len=80,"
          "batch_size=8,save_every=1", progress=False)
    status, _, err = _qd("export-model", vae, "--out", tmp_path / "vae.gen.json")
    assert status == 1 and "decoder-only models with a plain LSTM and 20 mixtures" in err
    assert not (tmp_path / "vae.gen.json").exists()
    assert official.quantise(np.array([10.0, -10.0, 0.0, 25.0])).tolist() == [32767, -32767, 0, 32767]


def test_qd_models_lists_names_and_marks_the_cached(models, tmp_path):
    status, text, err = _qd("models", "--search", "tree", "--model-mirror", models, "--cache-dir", tmp_path)
    assert status == 0 and text.split() == ["palm_tree"]
    _qd("generate", "palm_tree", "--n", 1, "--out", tmp_path / "p.png", "--model-mirror", models, "--cache-dir", tmp_path)
    status, text, _ = _qd("models", "--model-mirror", models, "--cache-dir", tmp_path)
    lines = text.splitlines()
    assert len(lines) == 114 and "* palm_tree" in lines and "  bird" in lines
    status, _, err = _qd("models", "--search", "zzz")
    assert status == 1 and err.count("\n") == 1


def test_an_accepted_bird_past_the_pad_stays_in_view_and_is_saved_in_the_frame(display, models, tmp_path, mirror):
    """Issue 24 point 10, in a real window: the official bird, started small on the pad, draws its
    candidate far past the 0-255 frame; enter accepts it, the pad widens to keep it all in view, and
    the saved ndjson holds the drawing brought into the frame by the simplified format's recipe."""
    import os

    import numpy as np

    first = json.loads((mirror / "full/simplified/bird.ndjson").read_text().splitlines()[3])["drawing"][:2]
    given = [[[x * 0.5 + 125 for x in xs], [y * 0.5 + 120 for y in ys]] for xs, ys in first]
    (tmp_path / "script.json").write_text(json.dumps({"strokes": given, "keys": ["enter", "s", "q"]}))
    out = tmp_path / "window.png"
    env = {"DISPLAY": display, "MPLBACKEND": "TkAgg", "QD_CANVAS_SCRIPT": str(tmp_path / "script.json"),
           "QD_MODEL_MIRROR": str(models), "QD_CACHE": str(tmp_path / "cache")}
    status, _, err = _qd("complete", "bird", "--interactive", "--n", 1, "--seed", 2, "--temperature", 0.25,
                         "--out", out, env={**os.environ, **env})
    assert status == 0, err[-2000:]
    from quickdraw.formats import read_path

    [saved] = list(read_path(out.with_suffix(".ndjson")))
    points = np.concatenate(saved.strokes, axis=1)
    assert len(saved.strokes) > 2 and points.min() == 0 and points.max() == 255  # the recipe's frame, not a clip
    drawn = [np.asarray(s, float) for s in given]
    assert [s.tolist() for s in saved.strokes[:2]] != [np.round(s).astype(int).tolist() for s in drawn]
    import matplotlib.image

    pad = matplotlib.image.imread(out)[..., :3]
    pad = pad[:, : pad.shape[1] // 2]
    grey = (np.abs(pad - 0.8).max(axis=2) < 0.03).sum()
    assert grey > 300  # the widened pad shows where the 0-255 frame lies (a light grey square) inside it


def test_complete_bird_in_a_real_window(display, models, tmp_path, mirror):
    import os

    first = json.loads((mirror / "full/simplified/bird.ndjson").read_text().splitlines()[3])["drawing"][:2]
    script = {"strokes": first, "keys": ["s", "q"]}
    (tmp_path / "script.json").write_text(json.dumps(script))
    out = tmp_path / "window.png"
    env = {"DISPLAY": display, "MPLBACKEND": "TkAgg", "QD_CANVAS_SCRIPT": str(tmp_path / "script.json"),
           "QD_MODEL_MIRROR": str(models), "QD_CACHE": str(tmp_path / "cache")}
    status, _, err = _qd("complete", "bird", "--interactive", "--n", 4, "--seed", 2, "--temperature", 0.25,
                         "--out", out, env={**os.environ, **env})
    assert status == 0, err[-2000:]
    import matplotlib.image

    image = matplotlib.image.imread(out)[..., :3]
    height, width = image.shape[:2]
    panels = image[: int(height * 0.88), width // 2:]
    assert (panels.max(axis=2) - panels.min(axis=2) > 0.4).sum() > 200  # coloured completions in the panels
    from quickdraw.formats import read_path

    [saved] = list(read_path(out.with_suffix(".ndjson")))
    assert saved.word == "bird" and len(saved.strokes) == 2
