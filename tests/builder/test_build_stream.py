"""The streaming builder (issue 18): exact seeded splits from the plan, spill buckets, --count all."""
import json

import numpy as np
import pytest

from cli.main import main
from quickdraw.builder import plan as build_plan, stream as build_stream
from quickdraw.builder.folder import open_dataset
from quickdraw.builder.subset import build
from quickdraw.errors import QuickDrawError


@pytest.mark.parametrize("n", [1, 2, 7, 10, 97, 1000, 4099])
def test_split_of_gives_exact_sizes_and_a_permutation(n):
    splits = (0.8, 0.1, 0.1)
    index = np.arange(n)
    ranks = build_plan.permute(index, n, seed=3, label=5)
    assert sorted(ranks.tolist()) == list(range(n))
    got = np.bincount(build_plan.split_of(index, n, splits, 3, 5), minlength=3).tolist()
    assert got == build_plan.split_sizes(n, splits)


def test_splits_depend_on_seed_and_class_but_not_on_order():
    n, index = 500, np.arange(500)
    a = build_plan.split_of(index, n, (0.6, 0.2, 0.2), 0, 1)
    assert not np.array_equal(a, build_plan.split_of(index, n, (0.6, 0.2, 0.2), 1, 1))
    assert not np.array_equal(a, build_plan.split_of(index, n, (0.6, 0.2, 0.2), 0, 2))
    backwards = build_plan.split_of(index[::-1], n, (0.6, 0.2, 0.2), 0, 1)
    np.testing.assert_array_equal(a, backwards[::-1])
    # the test split is not a block of the file: it is spread over it
    assert np.flatnonzero(a == 2).std() > n / 5


def test_shards_are_key_ranges_of_about_shard_size():
    keys = build_plan.sort_key(0, 1, np.arange(100_000))
    shards = build_plan.shard_count(100_000)
    assert shards == 5
    j = build_plan.shard_of(keys, shards)
    sizes = np.bincount(j.astype(np.int64), minlength=shards)
    assert sizes.sum() == 100_000 and abs(sizes - 20_000).max() < 1000
    order = np.argsort(keys)
    assert (np.diff(j[order].astype(np.int64)) >= 0).all()


def test_bucket_count_does_not_change_the_folder(tmp_path, monkeypatch):
    a = build(["circle", "star", "cloud"], 40, tmp_path / "a", synthetic=True, seed=4, quiet=True)
    monkeypatch.setattr(build_stream, "BUCKET_SIZE", 7)  # 18 buckets instead of 1
    assert build_stream.bucket_count(3, 40) == 18
    b = build(["circle", "star", "cloud"], 40, tmp_path / "b", synthetic=True, seed=4, quiet=True)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir()) and not any(n.startswith(".") for n in names)
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_several_shards_hold_each_split_once_in_key_order(tmp_path, monkeypatch):
    monkeypatch.setattr(build_plan, "SHARD_SIZE", 10)
    out = build(["circle", "star"], 60, tmp_path / "ds", synthetic=True, quiet=True)
    ds = open_dataset(out)
    shards = ds.manifest["shards"]
    assert len(shards["train"]) == 10 and len(shards["test"]) == 2
    assert ds.manifest["counts"]["train"] == {"circle": 48, "star": 48}
    assert sum(s["count"] for s in shards["train"]) == 96
    drawings = [d for split in ("train", "valid", "test") for d in ds.drawings(split)]
    assert len({d.key_id for d in drawings}) == 120
    assert sorted(np.bincount(ds.labels("train")).tolist()) == [48, 48]


def test_count_all_takes_every_drawing(mirror, tmp_path, capsys):
    out = tmp_path / "all"
    assert main(["build", "cat", "eye", "--count", "all", "--mirror", str(mirror), "--out", str(out),
                 "--quiet"]) == 0
    ds = open_dataset(out)
    for name in ("cat", "eye"):
        with open(mirror / "full/simplified" / f"{name}.ndjson") as f:
            keys = {json.loads(line)["key_id"] for line in f}
        mine = {d.key_id for s in ("train", "valid", "test") for d in ds.drawings(s) if d.word == name}
        assert mine == keys
        assert sum(ds.manifest["counts"][s][name] for s in ("train", "valid", "test")) == len(keys)
    assert ds.manifest["filters"]["count"] == "all"
    capsys.readouterr()
    assert main(["build", "--synthetic", "circle", "--count", "all", "--out", str(tmp_path / "s"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "synthetic doodles never run out" in err and err.count("\n") == 1
    assert not (tmp_path / "s").exists()


def test_random_sample_is_seeded_and_within_the_filtered_class(mirror, tmp_path):
    a = build(["cat"], 10, tmp_path / "a", sample="random", seed=1, mirror=str(mirror), quiet=True)
    b = build(["cat"], 10, tmp_path / "b", sample="random", seed=1, mirror=str(mirror), quiet=True)
    c = build(["cat"], 10, tmp_path / "c", sample="random", seed=2, mirror=str(mirror), quiet=True)

    def keys(path):
        return sorted(d.key_id for s in ("train", "valid", "test") for d in open_dataset(path).drawings(s))

    with open(mirror / "full/simplified/cat.ndjson") as f:
        every = [json.loads(line)["key_id"] for line in f]
    assert keys(a) == keys(b) and keys(a) != keys(c)
    assert set(keys(a)) <= set(every) and keys(a) != sorted(every[:10])


def test_unknown_runner_and_stray_beam_options_are_refused(tmp_path):
    with pytest.raises(QuickDrawError, match="unknown runner 'spark'; choose local or beam"):
        build(["circle"], 5, tmp_path / "x", synthetic=True, runner="spark")
    with pytest.raises(QuickDrawError, match="beam_options needs runner='beam'"):
        build(["circle"], 5, tmp_path / "x", synthetic=True, beam_options="--direct_num_workers=2")
    assert not (tmp_path / "x").exists()
