"""qd build: balanced splits, manifest, shards, determinism, sources, bad input."""
import json

import numpy as np
import pytest

from cli.main import main
from quickdraw.builder.folder import open_dataset
from quickdraw.builder.subset import build, split_sizes
from quickdraw.core.validate import splits as parse_splits
from quickdraw.errors import QuickDrawError
from quickdraw.formats.strokes import to_stroke3
from tests.httpserver import http_mirror  # noqa: F401  (fixture)


def _first_lines(mirror, name, n):
    with open(mirror / "full/simplified" / f"{name}.ndjson") as f:
        return [json.loads(next(f)) for _ in range(n)]


@pytest.fixture(scope="module")
def synthetic_ds(tmp_path_factory):
    out = tmp_path_factory.mktemp("syn") / "ds"
    assert main(["build", "--synthetic", "circle", "square", "star", "--count", "20", "--out", str(out),
                 "--quiet"]) == 0
    return out


def test_synthetic_build_is_balanced_split_and_labelled(synthetic_ds):
    ds = open_dataset(synthetic_ds)
    m = ds.manifest
    assert ds.classes == ["circle", "square", "star"]
    assert m["counts"]["train"] == {"circle": 16, "square": 16, "star": 16}
    assert m["counts"]["valid"] == m["counts"]["test"] == {"circle": 2, "square": 2, "star": 2}
    assert m["synthetic"] is True and "SYNTHETIC" in m["attribution"]
    assert m["image_size"] == 28 and m["has_strokes"] and m["scale_factor"] > 1
    x, y = ds.bitmaps("train"), ds.labels("train")
    assert x.shape == (48, 28, 28) and x.dtype == np.uint8 and x.max() > 200
    assert sorted(np.bincount(y).tolist()) == [16, 16, 16]
    assert len(ds.strokes3("train")) == 48
    # shuffled across classes, not grouped
    assert len(set(y[:10].tolist())) > 1
    drawings = list(ds.drawings("test"))
    assert len(drawings) == 6 and {d.word for d in drawings} == set(ds.classes)
    assert all(d.countrycode == "ZZ" for d in drawings)


def test_same_command_gives_byte_identical_files(synthetic_ds, tmp_path):
    again = tmp_path / "again"
    assert main(["build", "--synthetic", "circle", "square", "star", "--count", "20", "--out", str(again),
                 "--quiet"]) == 0
    for f in sorted(synthetic_ds.iterdir()):
        assert (again / f.name).read_bytes() == f.read_bytes(), f.name


def test_build_from_http_mirror_takes_the_first_drawings(http_mirror, tmp_path):
    out = build(["eye", "the eiffel tower"], 10, tmp_path / "ds", mirror=http_mirror.url, quiet=True)
    ds = open_dataset(out)
    assert ds.classes == ["eye", "The Eiffel Tower"]
    drawings = [d for s in ("train", "valid", "test") for d in ds.drawings(s)]
    for name in ds.classes:
        official = {r["key_id"]: r for r in _first_lines(http_mirror.root, name, 10)}
        mine = [d for d in drawings if d.word == name]
        assert {d.key_id for d in mine} == set(official)
        for d in mine:
            np.testing.assert_array_equal(to_stroke3(d.strokes), to_stroke3(official[d.key_id]["drawing"]))
            assert d.countrycode == official[d.key_id]["countrycode"]
    assert ds.manifest["source"]["urls"]["The Eiffel Tower"].endswith("The%20Eiffel%20Tower.ndjson")
    # partial fetch: eye.ndjson is 2 MB, ten drawings and one read-ahead chunk went over the wire
    assert http_mirror.sent("eye") < 100_000


def test_bitmap_source_keeps_official_rows(mirror, tmp_path):
    out = build(["diamond"], 30, tmp_path / "bm", source="bitmap", mirror=str(mirror), quiet=True)
    ds = open_dataset(out)
    assert not ds.has_strokes
    official = np.load(mirror / "full/numpy_bitmap/diamond.npy")[:30].reshape(-1, 28, 28)
    mine = np.concatenate([ds.bitmaps(s) for s in ("train", "valid", "test")])
    assert sorted(map(bytes, mine)) == sorted(map(bytes, official))
    with pytest.raises(QuickDrawError, match="holds no strokes"):
        ds.strokes3("train")


def test_raw_source_is_simplified(mirror, tmp_path):
    out = build(["cat"], 10, tmp_path / "raw", source="raw", mirror=str(mirror), quiet=True)
    seqs = open_dataset(out).strokes3("train")
    xy = np.cumsum(np.concatenate(seqs)[:, :2], axis=0)
    assert seqs and all(len(s) < 400 for s in seqs)
    absolute = [np.cumsum(s[:, :2], axis=0) for s in seqs]
    assert all(a.min() >= 0 and a.max() <= 255 for a in absolute) and xy.dtype.kind == "i"


def test_filters_and_short_classes(mirror, tmp_path):
    with pytest.raises(QuickDrawError, match="only 25 drawings.*allow_short=True"):
        build(["cat"], 30, tmp_path / "short", mirror=str(mirror), quiet=True)
    assert not (tmp_path / "short").exists()
    out = build(["cat"], 30, tmp_path / "ok", mirror=str(mirror), allow_short=True, quiet=True)
    assert open_dataset(out).manifest["counts"]["train"]["cat"] == 20
    us = build(["cat"], 3, tmp_path / "us", mirror=str(mirror), countries=["us"], recognized=True, quiet=True)
    drawings = list(open_dataset(us).drawings("train"))
    assert all(d.countrycode == "US" and d.recognized for d in drawings)


def test_split_helpers():
    assert parse_splits("0.7,0.2,0.1") == (0.7, 0.2, 0.1)
    assert split_sizes(7, (0.8, 0.1, 0.1)) == [6, 0, 1]
    assert split_sizes(10, (0.8, 0.1, 0.1)) == [8, 1, 1]
    for bad in ["0.8,0.1", "0.5,0.5,0.5", "a,b,c", "1.2,-0.1,-0.1"]:
        with pytest.raises(QuickDrawError, match="splits"):
            parse_splits(bad)


@pytest.mark.parametrize("argv, message", [
    (["--count", "0"], "--count must be at least 1"),
    (["--count", "-3"], "--count must be at least 1"),
    (["--count", "5", "--splits", "0.5,0.2,0.2"], "must add up to 1"),
    (["--count", "5", "--splits", "nan,0.5,0.5"], "--splits must be a number from 0 to 1, not nan"),
    (["--count", "5", "--seed=-1"], "--seed must be at least 0, not -1"),
    (["--count", "99999999999999999999999", "--allow-short"], "--count must be at most 100000000"),
    (["catt", "--count", "5"], "unknown category 'catt'"),
])
def test_bad_build_arguments_give_one_line(argv, message, tmp_path, capsys, mirror):
    code = main(["build", *argv, "--out", str(tmp_path / "x"), "--mirror", str(mirror), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_out_folder_that_is_not_a_dataset_is_refused(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("precious")
    assert main(["build", "--synthetic", "circle", "--count", "5", "--out", str(out), "--quiet"]) == 1
    assert "not a qd dataset" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "precious"
    assert main(["build", "--synthetic", "circle", "--count", "5", "--out", str(out), "--quiet", "--force"]) == 1
    err = capsys.readouterr().err
    assert "not a qd dataset" in err and "--force" not in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_missing_or_corrupt_shard_is_named(synthetic_ds, tmp_path):
    import shutil
    broken = tmp_path / "broken"
    shutil.copytree(synthetic_ds, broken)
    shard = broken / "train-00000.bitmaps"
    shard.write_bytes(shard.read_bytes()[:-100])
    with pytest.raises(QuickDrawError, match="train-00000.bitmaps is corrupt"):
        open_dataset(broken).bitmaps("train")
    shard.unlink()
    with pytest.raises(QuickDrawError, match="train-00000.bitmaps is missing"):
        open_dataset(broken).bitmaps("train")
    with pytest.raises(QuickDrawError, match="not a qd dataset"):
        open_dataset(tmp_path)
