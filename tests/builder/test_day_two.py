"""Day two (issue 24), datasets: absurd coordinates refused, a damaged manifest refused in one line, short
classes said and counted per class, qd's own npz export read back, Python errors naming keyword arguments,
exports that refuse to replace without --force and leave no folder when they fail."""
from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest

from cli.main import main
from quickdraw.builder.subset import build
from quickdraw.errors import QuickDrawError
from tests.qd_command import fails


@pytest.fixture()
def far_mirror(mirror, tmp_path) -> Path:
    """A mirror folder whose cat.ndjson has a drawing with x = 1e300 (finite, absurd) on its second line."""
    root = tmp_path / "mirror"
    (root / "full/simplified").mkdir(parents=True)
    lines = (mirror / "full/simplified/cat.ndjson").read_text().splitlines()
    record = json.loads(lines[1])
    record["drawing"][0][0][0] = 1e300
    (root / "full/simplified/cat.ndjson").write_text("\n".join([lines[0], json.dumps(record), *lines[2:]]) + "\n")
    return root


def test_a_coordinate_of_1e300_is_refused_by_build_classify_and_complete(far_mirror, tmp_path, capsys):
    """It used to be stored as zeros (build, exit 0) and end in ZeroDivisionError (classify, complete)."""
    fails(["build", "cat", "--count", "5", "--mirror", far_mirror, "--out", tmp_path / "ds"],
           "line 2", "out of range")
    assert not (tmp_path / "ds").exists()
    one = tmp_path / "one.ndjson"
    one.write_text((far_mirror / "full/simplified/cat.ndjson").read_text().splitlines()[1] + "\n")
    fails(["info", one], "out of range")
    pytest.importorskip("keras")
    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    fails(["complete", fixtures / "eye_tiny_decoder.gen.json", one, "--out", tmp_path / "c.png"],
           "out of range")
    assert not (tmp_path / "c.png").exists()


@pytest.mark.parametrize("manifest", ["[]", "3", '"x"', '{"format_version": NaN}'])
def test_a_manifest_that_is_not_an_object_is_refused_in_one_line(synthetic_dataset, tmp_path, capsys, manifest):
    """dataset.json holding [] used to end in AttributeError in info, show, export, train-cnn and quickdraw.load."""
    ds = tmp_path / "ds"
    shutil.copytree(synthetic_dataset, ds)
    (ds / "dataset.json").write_text(manifest)
    for argv in (["info", ds], ["show", ds, "--out", tmp_path / "s.png"], ["export", ds, "--out", tmp_path / "e.npz"]):
        fails(argv, "dataset.json is corrupt")
    import quickdraw
    with pytest.raises(QuickDrawError, match="dataset.json is corrupt"):
        quickdraw.load(str(ds))
    pytest.importorskip("keras")
    fails(["train-cnn", ds, "--out", tmp_path / "run", "--model", "mlp"], "dataset.json is corrupt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_a_short_class_is_said_and_shown_per_class_and_split(mirror, tmp_path, capsys):
    """--allow-short: cat holds 25 drawings in the mirror, monkey 800."""
    assert main(["build", "cat", "monkey", "--count", "40", "--allow-short", "--mirror", str(mirror),
                 "--out", str(tmp_path / "ds"), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert "qd: the dataset is unbalanced: 1 of 2 classes ran short (cat 25 drawings; the others 40)" in err
    assert main(["info", str(tmp_path / "ds")]) == 0
    out = capsys.readouterr().out
    assert "UNBALANCED" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith("  ")}
    counts = {name: dict(zip(row[0::2], map(int, row[1::2]))) for name, row in rows.items()}
    assert sum(counts["cat"].values()) == 25 and sum(counts["monkey"].values()) == 40
    manifest = json.loads((tmp_path / "ds" / "dataset.json").read_text())
    assert counts == {c: {s: manifest["counts"][s][c] for s in ("train", "valid", "test")} for c in ("cat", "monkey")}
    with pytest.warns(UserWarning, match="unbalanced"):
        build(["cat", "monkey"], 40, tmp_path / "py", mirror=str(mirror), allow_short=True, quiet=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a balanced build says nothing
        build(["cat", "monkey"], 20, tmp_path / "even", mirror=str(mirror), quiet=True)


def test_info_reads_qds_own_npz_export(synthetic_dataset, tmp_path, capsys):
    npz = tmp_path / "homework.npz"
    assert main(["export", str(synthetic_dataset), "--out", str(npz)]) == 0
    capsys.readouterr()
    assert main(["info", str(npz)]) == 0
    out = capsys.readouterr().out
    assert "qd export npz" in out and "drawings:    60" in out and "train 48, valid 6, test 6" in out
    assert "  circle  train 16  valid 2  test 2" in out


def test_an_export_refuses_to_replace_without_force_and_leaves_no_folder_when_it_fails(synthetic_dataset, tmp_path,
                                                                                        capsys):
    npz = tmp_path / "homework.npz"
    assert main(["export", str(synthetic_dataset), "--out", str(npz)]) == 0
    before = npz.read_bytes()
    fails(["export", synthetic_dataset, "--out", npz], "exists; --force replaces it")
    assert npz.read_bytes() == before
    assert main(["export", str(synthetic_dataset), "--out", str(npz), "--force"]) == 0
    bitmaps_only = tmp_path / "bitmaps"
    shutil.copytree(synthetic_dataset, bitmaps_only)
    manifest = json.loads((bitmaps_only / "dataset.json").read_text())
    (bitmaps_only / "dataset.json").write_text(json.dumps({**manifest, "has_strokes": False}))
    fails(["export", bitmaps_only, "--format", "ndjson", "--out", tmp_path / "new" / "nd"], "no strokes")
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("kwargs, keyword, flag", [
    (dict(count=10 ** 6), "allow_short=True", "--allow-short"),
    (dict(count=5, size=3), "size must be at least 8", "--size must be at least 8"),
    (dict(count=5, splits="0.5,0.5,0.5"), "splits fractions must add up to 1", "--splits fractions must add up to 1"),
])
def test_errors_name_keyword_arguments_in_python_and_flags_in_qd(mirror, tmp_path, capsys, kwargs, keyword, flag):
    with pytest.raises(QuickDrawError) as raised:
        build(["cat"], out=tmp_path / "py", mirror=str(mirror), quiet=True, **kwargs)
    assert keyword in str(raised.value) and "--" not in str(raised.value), raised.value
    argv = ["build", "cat", "--mirror", mirror, "--out", tmp_path / "cli", "--quiet"]
    for key, value in kwargs.items():
        argv += [f"--{key}", value]
    fails(argv, flag)
