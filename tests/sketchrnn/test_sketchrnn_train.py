"""Sketch-RNN training runs: overfitting real sketches, resume, Ctrl-C, run folders, commands, bad input."""
import json
from pathlib import Path

import numpy as np
import pytest

from cli.main import main
from quickdraw.formats.sketchrnn import load_splits
from sketchrnn.config import HParams
from sketchrnn.evaluate import evaluate_run
from sketchrnn.train import kl_weight, learning_rate, train

TINY = "enc_rnn_size=16,dec_rnn_size=32,z_size=8,num_mixture=3"
REPO = Path(__file__).resolve().parents[2]


def _write_npz(path, train, valid, test):
    def arr(seqs):
        a = np.empty(len(seqs), dtype=object)
        a[:] = [np.asarray(s, np.int16) for s in seqs]
        return a

    np.savez(path, train=arr(train), valid=arr(valid), test=arr(test))
    return path


@pytest.fixture(scope="module")
def eye_splits(mirror):
    with open(mirror / "sketchrnn/eye.npz", "rb") as f:
        return load_splits(f)


@pytest.fixture(scope="module")
def small_npz(tmp_path_factory, eye_splits):
    """60 / 12 / 12 real eye sketches of at most 60 points."""
    short = {k: [s for s in v if len(s) <= 60] for k, v in eye_splits.items()}
    return _write_npz(tmp_path_factory.mktemp("npz") / "eye.npz", short["train"][:60], short["valid"][:12],
                      short["test"][:12])


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, small_npz):
    out = tmp_path_factory.mktemp("runs") / "eye"
    summary = train(small_npz, out, steps=6, batch_size=20, hparams=TINY + ",save_every=3", seed=1)
    assert summary["step"] == 6 and not summary["interrupted"]
    return out


def _png_size(path):
    import matplotlib.image

    return matplotlib.image.imread(path).shape


def test_schedules_follow_magenta():
    hp = HParams()
    assert learning_rate(0, hp) == pytest.approx(1e-3)
    assert learning_rate(10_000, hp) == pytest.approx((1e-3 - 1e-5) * 0.9999 ** 10_000 + 1e-5)
    assert kl_weight(0, hp) == pytest.approx(0.01 * 0.5)
    assert kl_weight(100_000, hp) == pytest.approx(0.5 * (1 - 0.99 * 0.99995 ** 100_000))


def test_groups_of_a_batch_train_as_the_whole_batch_and_the_kl_floor_stops_its_gradient(eye_splits):
    import keras

    from quickdraw.formats.strokes import scale_factor
    from sketchrnn.data import TrainBatches
    from sketchrnn.model import build_model
    from sketchrnn.train import Steps, dropout_masks, make_optimizer

    hp = HParams().override(TINY + ",batch_size=20")
    seqs = [s for s in eye_splits["train"] if len(s) <= 120][:40]
    batch = TrainBatches(seqs, scale_factor(seqs), 20, seed=0).batch(0)
    rng = np.random.default_rng(0)
    eps = rng.standard_normal((20, hp.z_size)).astype(np.float32)
    keep = dropout_masks(rng, (20, batch.shape[1] - 1, hp.dec_rnn_size), 0.1)

    def updated(groups, weight, kl_tolerance=0.2):
        keras.utils.set_random_seed(0)
        model = build_model(hp.override(f"kl_tolerance={kl_tolerance}"))
        model.to_mu.bias.assign(np.ones(hp.z_size, np.float32))  # raw KL 0.5: above a 0.2 floor
        steps = Steps(model, make_optimizer(model, model.hp), model.hp, groups=groups)
        terms = steps.train(batch, eps, keep, weight)
        return terms, [v.numpy() for v in model.trainable_variables], model

    whole, w1, model = updated(1, 0.5)
    grouped, w3, _ = updated(3, 0.5)
    assert abs(whole["recon"] - grouped["recon"]) < 1e-5 and abs(whole["kl"] - grouped["kl"]) < 1e-6
    assert whole["kl"] > 0.4
    assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(w1, w3))
    # a KL under its floor gives the encoder's mean no gradient, whatever its weight
    floored, wf, _ = updated(3, 0.5, kl_tolerance=100.0)
    unweighted, w0, _ = updated(3, 0.0, kl_tolerance=100.0)
    names = [v.path for v in model.trainable_variables]
    assert all(np.allclose(a, b, atol=1e-7) for a, b in zip(wf, w0))
    moved = [n for n, a, b in zip(names, w1, wf) if not np.allclose(a, b, atol=1e-7)]
    assert "sketch_rnn/mu/bias" in moved


def test_run_folder_holds_model_curves_and_pictures(tiny_run):
    info = json.loads((tiny_run / "run.json").read_text())
    assert info["kind"] == "sketchrnn" and info["classes"] == ["eye"] and info["step"] == 6
    assert info["scale_factor"] > 1 and info["synthetic"] is False
    hp = json.loads((tiny_run / "hparams.json").read_text())
    assert hp["dec_rnn_size"] == 32 and hp["batch_size"] == 20 and hp["num_mixture"] == 3
    losses = json.loads((tiny_run / "losses.json").read_text())
    assert losses["train"]["step"] == list(range(6)) and losses["valid"]["step"] == [3, 6]
    assert all(np.isfinite(losses["train"]["recon"])) and all(v >= 0 for v in losses["valid"]["kl"])
    with np.load(tiny_run / "checkpoint.npz") as ckpt:
        assert int(ckpt["step"]) == 6
    for png in ("losses.png", "samples.png"):
        h, w = _png_size(tiny_run / png)[:2]
        assert h > 100 and w > 300
    assert not list(tiny_run.glob("*.part"))


def test_best_validated_weights_are_kept_and_loaded(tmp_path, tiny_run, small_npz):
    import shutil

    from sketchrnn.runs import load_run
    from sketchrnn.train import validation_cost

    hp = HParams().override(TINY)
    losses = json.loads((tiny_run / "losses.json").read_text())["valid"]
    costs = [validation_cost({"recon": r, "kl": k}, hp) for r, k in zip(losses["recon"], losses["kl"])]
    best = json.loads((tiny_run / "run.json").read_text())["best"]
    assert best["step"] == losses["step"][int(np.argmin(costs))]
    assert best["valid_cost"] == pytest.approx(min(costs)) and best["valid_recon"] in losses["recon"]
    with np.load(tiny_run / "best.npz") as saved:
        assert int(saved["step"]) == best["step"] and not any(k.startswith("optimizer/") for k in saved.files)
    # sampling and evaluation load best.npz, not the latest checkpoint
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    with np.load(run / "checkpoint.npz") as ckpt:
        weights = {k: ckpt[k] for k in ckpt.files if k.startswith("model/")}
    weights["model/0"] = np.zeros_like(weights["model/0"])
    np.savez(run / "best.npz", step=np.array(3), **weights)
    loaded = load_run(run)
    assert loaded.info["weights_step"] == 3 and not np.any(loaded.model.variables[0].numpy())
    assert evaluate_run(run, small_npz)["weights_step"] == 3
    (run / "best.npz").unlink()  # a run folder without best.npz falls back to its checkpoint
    assert load_run(run).info["weights_step"] == 6


def test_train_rnn_names_the_best_step_when_later_validations_are_no_better(tmp_path, small_npz, capsys):
    # a zero learning rate leaves the weights as they are, so every validation costs the same and the
    # first stays best (only a lower cost replaces it)
    run = tmp_path / "frozen"
    assert main(["train-rnn", str(small_npz), "--out", str(run), "--steps", "4", "--batch-size", "20",
                 "--hparams", TINY + ",save_every=2,learning_rate=0,min_learning_rate=0"]) == 0
    printed = capsys.readouterr().out
    assert "trained to step 4" in printed and "best validation at step 2" in printed
    assert json.loads((run / "run.json").read_text())["best"]["step"] == 2
    # It opens with what it trains and where, and names the losses as the paper does.
    first = printed.splitlines()[0]
    assert first.startswith("training a Sketch-RNN (vae, layer_norm decoder, ") and " weights) on 60 eye sketches" \
        in first and "validating on 12; step 0 to 4 in batches of 20; run in " in first
    assert "step 2: train reconstruction " in printed and "valid reconstruction " in printed
    assert " Lr " not in printed and "valid reconstruction loss" in printed
    with np.load(run / "best.npz") as best, np.load(run / "checkpoint.npz") as last:
        assert int(best["step"]) == 2 and int(last["step"]) == 4
        assert all(np.array_equal(best[k], last[k]) for k in best.files if k.startswith("model/"))


def test_force_replaces_a_sketch_rnn_run_and_nothing_else(tmp_path, small_npz, tiny_run, capsys):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    argv = ["train-rnn", str(small_npz), "--out", str(run), "--steps", "2", "--batch-size", "20",
            "--hparams", TINY + ",save_every=2"]
    assert main(argv) == 1 and "--force replaces it" in capsys.readouterr().err
    (run / "samples.png").write_bytes(b"old")
    assert main(argv + ["--force", "--seed", "3"]) == 0
    info = json.loads((run / "run.json").read_text())
    assert info["seed"] == 3 and info["step"] == 2 and (run / "samples.png").read_bytes() != b"old"
    (run / "notes.txt").write_text("mine")
    assert main(argv + ["--force"]) == 1 and (run / "notes.txt").read_text() == "mine"
    assert "also holds notes.txt" in capsys.readouterr().err and (run / "best.npz").is_file()
    cnn = tmp_path / "cnn"
    cnn.mkdir()
    (cnn / "run.json").write_text('{"kind": "cnn"}')
    assert main(["train-rnn", str(small_npz), "--out", str(cnn), "--force"]) == 1
    assert "not a Sketch-RNN" in capsys.readouterr().err and (cnn / "run.json").read_text() == '{"kind": "cnn"}'


def test_resume_continues_exactly_where_a_straight_run_would_be(tmp_path, small_npz, tiny_run):
    out = tmp_path / "split"
    train(small_npz, out, steps=3, batch_size=20, hparams=TINY + ",save_every=3", seed=1)
    assert json.loads((out / "losses.json").read_text())["train"]["step"] == [0, 1, 2]
    train(small_npz, out, steps=6, resume=True)
    a, b = np.load(tiny_run / "checkpoint.npz"), np.load(out / "checkpoint.npz")
    assert sorted(a.files) == sorted(b.files) and int(b["step"]) == 6
    for k in a.files:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-4, atol=1e-6, err_msg=k)
    la = json.loads((tiny_run / "losses.json").read_text())
    lb = json.loads((out / "losses.json").read_text())
    assert lb["train"]["step"] == list(range(6)) and lb["valid"]["step"] == [3, 6]
    np.testing.assert_allclose(la["train"]["recon"], lb["train"]["recon"], rtol=1e-4)
    np.testing.assert_allclose(la["valid"]["recon"], lb["valid"]["recon"], rtol=1e-4)
    ba, bb = (json.loads((d / "run.json").read_text())["best"] for d in (tiny_run, out))
    assert ba["step"] == bb["step"] and ba["valid_cost"] == pytest.approx(bb["valid_cost"], rel=1e-4)


def test_sampler_is_seeded_and_completes_step_by_step(tiny_run, eye_splits):
    from quickdraw.formats.strokes import from_stroke3
    from sketchrnn.models import sampler as load_sampler

    sampler = load_sampler(tiny_run)
    assert sampler.conditional and sampler.classes == ["eye"] and not sampler.synthetic
    a, b = sampler.sample(3, seed=2), sampler.sample(3, seed=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert any(not np.array_equal(x, y) for x, y in zip(a, sampler.sample(3, seed=3)))
    assert all(len(x) <= 250 and x.shape[1:] == (3,) for x in a)
    # completion: the given strokes prime the decoder, candidates grow point by point
    given = eye_splits["test"][0]
    strokes = from_stroke3(given)[:2]
    steps = list(sampler.complete(strokes, n=3, temperature=0.5, seed=0))
    assert steps and all(r.shape == (3, 5) for r in steps)
    rows = np.stack(steps)
    assert np.all(rows[..., 2:].sum(-1) == 1)
    ended = np.maximum.accumulate(rows[..., 4], axis=0)
    assert np.all(rows[..., :4][ended > 0] == 0)                          # nothing after the end
    assert len(steps) <= 250 - sum(s.shape[1] for s in strokes)
    # the same through prime + stream, with the partial drawing's own code for every candidate
    from quickdraw.formats.strokes import to_stroke3

    z = np.repeat(sampler.encode([to_stroke3(strokes)]), 3, axis=0)
    again = list(sampler.stream(sampler.prime(to_stroke3(strokes), z), 0.5, seed=0))
    encoded = list(sampler.complete(strokes, n=3, temperature=0.5, seed=0, z="encode"))
    np.testing.assert_allclose(np.stack(again), np.stack(encoded), atol=1e-4)
    assert len(list(sampler.stream(sampler.prime(None, sampler.random_z(2, 0)), 1.0, 0, max_steps=5))) <= 5


def test_evaluate_reports_magenta_losses_deterministically(tiny_run, small_npz):
    first = evaluate_run(tiny_run, small_npz)
    assert first["split"] == "test" and first["sketches"] == 12 and first["classes"] == ["eye"]
    assert first["recon"] == pytest.approx(first["offset"] + first["pen"], abs=1e-5)
    assert first["kl"] >= 0
    assert evaluate_run(tiny_run, small_npz) == first


def test_generate_reconstruct_interpolate_commands(tiny_run, small_npz, tmp_path, capsys):
    png = tmp_path / "g.png"
    assert main(["generate", str(tiny_run), "--n", "5", "--out", str(png)]) == 0
    assert _png_size(png)[0] > 50
    nd = tmp_path / "g.ndjson"
    assert main(["generate", str(tiny_run), "--n", "3", "--seed", "4", "--out", str(nd)]) == 0
    records = [json.loads(line) for line in nd.read_text().splitlines()]
    assert len(records) == 3 and all(r["word"] == "eye" for r in records)
    for r in records:
        xs = np.concatenate([s[0] for s in r["drawing"]]) if r["drawing"] else np.zeros(0)
        assert xs.size == 0 or (xs.min() == 0 and xs.max() <= 255)
    rec = tmp_path / "r.png"
    assert main(["reconstruct", str(tiny_run), str(small_npz), "--n", "3", "--out", str(rec)]) == 0
    assert _png_size(rec)[1] > _png_size(rec)[0] * 0.8
    inter = tmp_path / "i.png"
    assert main(["interpolate", str(tiny_run), f"{small_npz}:0", f"{small_npz}:3", "--steps", "4",
                 "--out", str(inter)]) == 0
    h, w = _png_size(inter)[:2]
    assert w > 3 * h
    out = capsys.readouterr().out
    assert "wrote 5 generated sketches" in out and "wrote 4 interpolated sketches" in out


def test_bad_input_gives_one_line_errors(tiny_run, small_npz, tmp_path, capsys):
    cases = [
        (["train-rnn", str(small_npz), "--out", str(tmp_path / "a"), "--hparams", "dec_size=3"],
         "unknown hparam dec_size; valid ones: mode, max_seq_len"),
        (["train-rnn", str(small_npz), "--out", str(tiny_run), "--batch-size", "20"], "already holds a run"),
        (["train-rnn", str(small_npz), "--out", str(tiny_run), "--resume", "--hparams", "num_mixture=5"],
         "cannot resume"),
        (["train-rnn", str(small_npz), "--out", str(tmp_path / "b"), "--resume"], "holds no run to resume"),
        (["train-rnn", str(small_npz), "--out", str(tmp_path / "c"), "--category", "cat"], "holds only 'eye'"),
        (["train-rnn", str(tmp_path / "missing.npz"), "--out", str(tmp_path / "d")], "no such file"),
        (["generate", str(tiny_run), "--temperature", "0"], "--temperature must be at least 0.01"),
        (["generate", str(tiny_run), "--out", str(tmp_path / "x.jpg")], "must end in .png or .ndjson"),
        (["interpolate", str(tiny_run), f"{small_npz}:0", f"{small_npz}:99"], "there is no number 99"),
    ]
    only_train = tmp_path / "eye.npz"
    np.savez(only_train, train=np.array([np.zeros((n, 3), np.int16) for n in (3, 4, 5)], dtype=object))
    cases.append((["train-rnn", str(only_train), "--out", str(tmp_path / "e")], "has no valid, test split"))
    cnn = tmp_path / "cnn"
    cnn.mkdir()
    (cnn / "run.json").write_text('{"kind": "cnn"}')
    cases += [(["generate", str(cnn)], "not a Sketch-RNN"), (["evaluate", str(cnn), str(small_npz)], "cnn")]
    for argv, message in cases:
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert message in err and err.startswith("qd: ") and err.count("\n") == 1, (argv, err)




def test_dataset_folders_give_only_the_models_classes(tiny_run, mirror, tmp_path, capsys):
    from quickdraw.builder.folder import open_dataset
    from quickdraw.builder.subset import build
    from sketchrnn.generate import read_sketch

    mixed = build(["cat", "eye"], 12, tmp_path / "mixed", mirror=str(mirror), quiet=True, allow_short=True, seed=0)
    folder = open_dataset(mixed)
    eyes = [s for s, label in zip(folder.strokes3("test"), folder.labels("test")) if folder.classes[label] == "eye"]
    assert len(eyes) < folder.count("test")
    # Interpolation end points count the run's class only: number 0 is the first eye, not the first drawing.
    assert np.array_equal(read_sketch(f"{mixed}:0", ["eye"]), np.asarray(eyes[0], np.float32))
    assert evaluate_run(tiny_run, mixed)["sketches"] == len(eyes)
    assert main(["reconstruct", str(tiny_run), str(mixed), "--n", "99", "--out", str(tmp_path / "r.png")]) == 0
    assert f"wrote {len(eyes)} sketches and their reconstructions" in capsys.readouterr().out
    others = build(["cat", "fish"], 5, tmp_path / "others", mirror=str(mirror), quiet=True, allow_short=True)
    for argv in (["reconstruct", str(tiny_run), str(others)], ["interpolate", str(tiny_run), f"{others}:0", f"{others}:1"],
                 ["evaluate", str(tiny_run), str(others)]):
        assert main(argv + ["--out", str(tmp_path / "x.png")] if argv[0] != "evaluate" else argv) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "holds none of the model's classes (eye); it has cat, fish" in err, err
