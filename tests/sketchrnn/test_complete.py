"""Completion in file mode: reading partial drawings, checks, PNG grid and ndjson outputs, ``qd complete``."""
import json

import matplotlib.image
import numpy as np
import pytest

from cli.main import main
from quickdraw.errors import QuickDrawError
from quickdraw.formats.strokes import from_stroke3
from sketchrnn.complete import grow, load_completer, prepare, read_partial
from sketchrnn.plots import write_grid
from sketchrnn.sample import Growth
from tests.sketch_run import tiny_run


@pytest.fixture(scope="module")
def run(mirror, tmp_path_factory):
    """A Sketch-RNN trained here on a few real eye sketches."""
    return tiny_run(mirror, tmp_path_factory)


def first_record(path, index=0):
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i == index:
                return json.loads(line)


def test_reads_a_simplified_ndjson_line_and_keeps_the_first_strokes(mirror):
    path = mirror / "full/simplified/cat.ndjson"
    record = first_record(path, index=3)
    strokes = read_partial(path, index=3, keep_strokes=2)
    assert len(strokes) == 2
    for got, want in zip(strokes, record["drawing"]):
        assert np.array_equal(got, np.array(want))
    assert len(read_partial(path)) == len(first_record(path)["drawing"])


def test_raw_ndjson_is_brought_into_the_frame_before_strokes_are_kept(mirror):
    path = mirror / "full/raw/cat.ndjson"
    record = first_record(path)
    strokes = read_partial(path, keep_strokes=3)
    assert len(strokes) == 3 and all(s.shape[0] == 2 for s in strokes)
    whole = np.concatenate(read_partial(path), axis=1)
    assert whole.min() >= 0 and whole.max() <= 255 and whole.max() >= 250
    assert np.array(record["drawing"][0][0]).max() > 255  # the raw file really is in screen units


def test_reads_stroke3_npy_and_strokes_json(mirror, tmp_path):
    s3 = np.load(mirror / "sketchrnn/eye.npz", allow_pickle=True)["test"][0]
    np.save(tmp_path / "eye.npy", s3)
    strokes = read_partial(tmp_path / "eye.npy")
    assert [s.tolist() for s in strokes] == [s.tolist() for s in from_stroke3(s3)]
    (tmp_path / "two.json").write_text("[[[10, 20, 30], [5, 5, 9]], [[40, 41], [50, 90]]]")
    strokes = read_partial(tmp_path / "two.json", keep_strokes=1)
    assert len(strokes) == 1 and strokes[0].tolist() == [[10, 20, 30], [5, 5, 9]]


@pytest.mark.parametrize("name, content, message", [
    ("cat.svg", "<svg/>", "unknown drawing file type '.svg'"),
    ("bad.json", "{not json", "is not strokes JSON"),
    ("flat.json", "[[1, 2, 3]]", "is not strokes JSON"),
    ("missing.ndjson", None, "no such file"),
])
def test_unreadable_inputs_raise_a_clear_error(tmp_path, name, content, message):
    if content is not None:
        (tmp_path / name).write_text(content)
    with pytest.raises(QuickDrawError, match=message):
        read_partial(tmp_path / name)


def test_bad_index_keep_strokes_and_npy_shape(mirror, tmp_path):
    with pytest.raises(QuickDrawError, match=r"holds 25 drawing\(s\); index=999 is past the end"):
        read_partial(mirror / "full/simplified/cat.ndjson", index=999)
    with pytest.raises(QuickDrawError, match="--keep-strokes must be at least 1"):
        read_partial(mirror / "full/simplified/cat.ndjson", keep_strokes=0)
    np.save(tmp_path / "flat.npy", np.zeros((4, 2)))
    with pytest.raises(QuickDrawError, match=r"shape \(4, 2\)"):
        read_partial(tmp_path / "flat.npy", index=2)
    with pytest.raises(QuickDrawError, match=r"shape \(4, 2\)"):
        read_partial(tmp_path / "flat.npy")


@pytest.mark.parametrize("strokes, message", [
    ([], "the drawing is empty"),
    ([np.zeros((2, 0))], "the drawing is empty"),
    ([np.array([[100], [100]])], "single point"),
    ([np.array([[100, 100], [50, 50]])], "single point"),
    ([np.array([[1000, 1200], [50, 60]])], "outside the 0-255 frame"),
    ([np.array([[10, 20], [-300, 60]])], "outside the 0-255 frame"),
])
def test_prepare_refuses_drawings_that_cannot_be_completed(strokes, message):
    with pytest.raises(QuickDrawError, match=message):
        prepare(strokes)


def test_prepare_simplifies_without_moving_or_rescaling():
    xs = np.linspace(30, 90, 61)
    strokes = prepare([np.stack([xs, 40 + 0.2 * (xs - 30)])])
    assert len(strokes) == 1 and strokes[0].shape[1] < 10
    assert np.allclose(strokes[0][:, 0], [30, 40], atol=1) and np.allclose(strokes[0][:, -1], [90, 52], atol=1)


def test_growth_turns_stroke5_steps_into_absolute_strokes():
    g = Growth((100, 100), n=2)
    g.add([[10, 0, 1, 0, 0], [0, 5, 0, 1, 0]])
    g.add([[10, 0, 0, 1, 0], [0, 5, 0, 0, 1]])
    g.add([[0, 10, 0, 1, 0], [7, 7, 1, 0, 0]])
    g.add([[0, 0, 0, 0, 1], [7, 7, 1, 0, 0]])
    assert [s.tolist() for s in g.completions[0]] == [[[110, 120], [100, 100]], [[120], [110]]]
    assert [s.tolist() for s in g.completions[1]] == [[[100], [105]]]
    assert g.finished.tolist() == [True, True]


def test_grid_png_shows_black_ink_and_coloured_completions(tmp_path):
    user = [np.array([[20, 200], [128, 128]])]
    completions = [[np.array([[200, 200], [128, 20]])], [np.array([[20, 128], [128, 240]])], []]
    out = write_grid(user, completions, tmp_path / "grid.png", title="test")
    image = matplotlib.image.imread(out)[..., :3]
    dark = image.max(axis=2) < 0.25
    coloured = image.max(axis=2) - image.min(axis=2) > 0.4
    assert dark.sum() > 300 and coloured.sum() > 200
    columns_with_colour = np.flatnonzero(coloured.any(axis=0))
    assert columns_with_colour.min() < image.shape[1] / 3 < columns_with_colour.max()  # two panels coloured
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.png"]


def test_cli_needs_exactly_one_of_drawing_or_interactive(tmp_path, capsys):
    assert main(["complete", str(tmp_path)]) == 1
    assert "give a DRAWING file, or --interactive to draw in a window" in capsys.readouterr().err


@pytest.mark.parametrize("run_json, message", [
    (None, "not a training run"),
    ({"kind": "cnn"}, "holds a run of kind 'cnn', not a Sketch-RNN"),
])
def test_cli_refuses_a_folder_that_is_not_a_sketchrnn_run(tmp_path, capsys, mirror, run_json, message):
    if run_json is not None:
        (tmp_path / "run.json").write_text(json.dumps(run_json))
    code = main(["complete", str(tmp_path), str(mirror / "full/simplified/cat.ndjson"), "--out",
                 str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("qd: ") and message in err and "Traceback" not in err
    assert not (tmp_path / "x.png").exists()


def test_interactive_without_a_display_suggests_file_mode(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    (tmp_path / "run.json").write_text(json.dumps({"kind": "sketchrnn"}))
    assert main(["complete", str(tmp_path), "--interactive"]) == 1
    err = capsys.readouterr().err
    assert "no display" in err and "qd complete RUNDIR drawing.ndjson --out" in err


def test_file_mode_completes_a_real_drawing_with_a_trained_model(run, mirror, tmp_path, capsys):
    cat = mirror / "full/simplified/cat.ndjson"
    args = ["complete", str(run), str(cat), "--index", "2", "--keep-strokes", "3", "--n", "3", "--seed", "5"]
    assert main([*args, "--out", str(tmp_path / "a.png"), "--out-ndjson", str(tmp_path / "a.ndjson")]) == 0
    assert "wrote" in capsys.readouterr().out
    image = matplotlib.image.imread(tmp_path / "a.png")[..., :3]
    assert (image.max(axis=2) < 0.25).sum() > 300  # the cat's first strokes, in black
    assert (image.max(axis=2) - image.min(axis=2) > 0.4).sum() > 30  # coloured completions
    records = [json.loads(line) for line in (tmp_path / "a.ndjson").read_text().splitlines()]
    assert len(records) == 3 and {r["word"] for r in records} == {"eye"}
    assert len({json.dumps(r["drawing"]) for r in records}) == 3  # three different candidates
    for record in records:
        points = np.concatenate([np.array(s) for s in record["drawing"]], axis=1)
        assert len(record["drawing"]) >= 3 and points.dtype.kind == "i" and 0 <= points.min() <= points.max() <= 255

    assert main([*args, "--out", str(tmp_path / "b.png"), "--out-ndjson", str(tmp_path / "b.ndjson")]) == 0
    assert (tmp_path / "a.ndjson").read_bytes() == (tmp_path / "b.ndjson").read_bytes()
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ndjson", "a.png", "b.ndjson", "b.png"]


def test_candidates_depend_on_seed_and_latent_choice(run, mirror):
    strokes = prepare(read_partial(mirror / "full/simplified/cat.ndjson", keep_strokes=2))
    random_z, sampler = load_completer(run, z="random")
    encoded, _ = load_completer(run, z="encode")
    assert sampler.conditional
    runs = [grow(c, strokes, 4, 0.5, seed) for c, seed in ((random_z, 1), (random_z, 1), (random_z, 2), (encoded, 1))]
    flat = [[np.concatenate(c, axis=1) if c else np.zeros((2, 0)) for c in run] for run in runs]
    same = [all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(flat[0], other)) for other in flat[1:]]
    assert same == [True, False, False]
    assert any(c for c in runs[0])  # at least one candidate drew something


def test_demo_refuses_mirror_without_real_and_a_foreign_folder(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "d"), "--mirror", str(tmp_path)]) == 1
    assert "--mirror only applies with --real" in capsys.readouterr().err
    (tmp_path / "mine.txt").write_text("keep me")
    assert main(["demo", "--out", str(tmp_path)]) == 1
    assert "is not a qd demo folder" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]
