"""Day two (issue 24), Sketch-RNN: numbers that reach sampling, training or a file are finite and within
range, checked before any work (temperatures; --hparams, hparams.json and .gen.json sizes and rates;
weights); refused trainings leave no folder; a run stopped before its first checkpoint can be restarted."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from cli.main import main
from tests.qd_command import fails, listing
from tests.sketch_run import tiny_run

pytest.importorskip("keras")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GEN_JSON = FIXTURES / "eye_tiny_decoder.gen.json"  # a sketch-rnn-js model file, as the official ones


@pytest.fixture(scope="module")
def run(mirror, tmp_path_factory) -> Path:
    return tiny_run(mirror, tmp_path_factory)


@pytest.mark.parametrize("temperature", ["inf", "nan", "-inf", "0", "-1", "1e-300", "1e300"])
@pytest.mark.parametrize("command", ["generate", "complete"])
@pytest.mark.parametrize("model", ["run", "gen.json"])
def test_a_temperature_that_samples_nothing_is_refused_before_any_file(run, mirror, tmp_path, capsys, temperature,
                                                                       command, model):
    """inf used to give exit 0, ``"drawing": []`` and -9223372036854775808 in the ndjson; a PNG, a traceback."""
    spec = run if model == "run" else GEN_JSON
    for out in ("out.png", "out.ndjson") if command == "generate" else ("out.png",):
        argv = [command, spec, *([mirror / "full/simplified/eye.ndjson"] if command == "complete" else []),
                f"--temperature={temperature}", "--out", tmp_path / out]
        fails(argv, "--temperature must be")
    assert listing(tmp_path) == []


def test_generated_drawings_at_the_highest_temperature_are_finite_and_in_range(run, tmp_path, capsys):
    assert main(["generate", str(run), "--temperature", "10", "--n", "4", "--out", str(tmp_path / "g.ndjson")]) == 0
    lines = (tmp_path / "g.ndjson").read_text().splitlines()
    values = [v for line in lines for stroke in json.loads(line)["drawing"] for row in stroke for v in row]
    assert len(lines) == 4 and values and all(np.isfinite(values)) and max(map(abs, values)) <= 2 ** 24
    assert main(["info", str(tmp_path / "g.ndjson")]) == 0


@pytest.mark.parametrize("hparams, needle", [
    ("dec_rnn_size=1000000000", "hparam dec_rnn_size must be at most 4096"),
    ("enc_rnn_size=99999", "hparam enc_rnn_size must be at most 4096"),
    ("max_seq_len=1000000000000", "hparam max_seq_len must be at most 10000"),
    ("learning_rate=nan", "hparam learning_rate must be a finite number"),
    ("learning_rate=inf", "hparam learning_rate must be a finite number"),
    ("grad_clip=-1", "hparam grad_clip must be above 0"),
    ("kl_weight=nan", "hparam kl_weight must be a finite number"),
])
def test_hparams_out_of_range_are_refused_before_allocating_and_leave_no_folder(run, tmp_path, capsys, hparams,
                                                                                 needle):
    out = tmp_path / "new" / "run"
    fails(["train-rnn", run.parent / "eye.npz", "--out", out, "--hparams", hparams, "--steps", "2"], needle)
    assert listing(tmp_path) == []


@pytest.mark.parametrize("change, needle", [({"dec_rnn_size": 10 ** 9}, "dec_rnn_size must be at most 4096"),
                                            ({"learning_rate": float("nan")}, "NaN"),
                                            ({"decay_rate": 0}, "decay_rate must be above 0")])
def test_an_edited_hparams_json_is_refused_in_one_line(run, tmp_path, capsys, change, needle):
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    values = json.loads((copy / "hparams.json").read_text())
    (copy / "hparams.json").write_text(json.dumps({**values, **change}))
    fails(["generate", copy, "--out", tmp_path / "g.png"], "hparams.json is corrupt", needle)
    fails(["train-rnn", run.parent / "eye.npz", "--out", copy, "--resume", "--steps", "100"], needle)


@pytest.mark.parametrize("info, needle", [({"max_seq_len": 10 ** 12}, "info max_seq_len must be at most 10000"),
                                          ({"scale_factor": -3}, "info scale_factor must be above 0"),
                                          ({"max_seq_len": 2.5}, "info max_seq_len must be a whole number")])
def test_a_gen_json_with_sizes_out_of_range_says_what_is_wrong(tmp_path, capsys, info, needle):
    head, shapes, weights = json.loads(GEN_JSON.read_text())
    crafted = tmp_path / "crafted.gen.json"
    crafted.write_text(json.dumps([{**head, **info}, shapes, weights]))
    err = fails(["generate", crafted, "--out", tmp_path / "g.png"], needle)
    assert "positive number" not in err


def test_weights_that_are_not_finite_are_refused_when_a_run_is_loaded(run, tmp_path, capsys):
    """A run that trained into NaN weights (learning_rate=nan used to) cannot be sampled into NaN drawings."""
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    with np.load(copy / "best.npz") as f:
        arrays = {k: f[k] for k in f.files}
    arrays["model/0"] = np.full_like(arrays["model/0"], np.nan)
    np.savez(copy / "best.npz", **arrays)
    fails(["generate", copy, "--out", tmp_path / "g.png"], "best.npz holds weights that are not finite")
    assert not (tmp_path / "g.png").exists()


def test_a_run_stopped_before_its_first_checkpoint_is_restarted_with_force(run, tmp_path, capsys):
    """A full disk used to leave a run.json without checkpoint that neither --resume nor a new training took,
    each message pointing to the other."""
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    for name in ("checkpoint.npz", "best.npz"):
        (copy / name).unlink()
    npz = run.parent / "eye.npz"
    fails(["train-rnn", npz, "--out", copy, "--resume", "--steps", "100"],
           "stopped before its first checkpoint", "--force")
    fails(["train-rnn", npz, "--out", copy, "--steps", "100"], "stopped before its first checkpoint",
           "--force starts it again")


def test_a_refused_training_leaves_no_folder(run, tmp_path, capsys):
    fails(["train-rnn", tmp_path / "missing.npz", "--out", tmp_path / "a" / "b", "--steps", "2"],
           "no such file")
    assert listing(tmp_path) == []
