"""qd build --runner beam (issue 18): the same folder as the local builder, the same refusals, no half folder."""
import importlib.util
import sys

import pytest

from cli.main import main
from quickdraw.builder import beam as build_beam
from quickdraw.builder.subset import build
from quickdraw.errors import QuickDrawError

needs_beam = pytest.mark.skipif(importlib.util.find_spec("apache_beam") is None,
                                reason="apache-beam is not installed (pip install 'qd[beam]')")


def _same_folder(a, b):
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@needs_beam
@pytest.mark.parametrize("options", [
    dict(count=12, sample="random", seed=5),
    dict(count=4, recognized=True, countries=["us", "gb", "de"], splits=(0.5, 0.25, 0.25)),
])
def test_beam_writes_the_same_folder_as_the_local_builder(mirror, tmp_path, options):
    names = ["cat", "eye", "The Eiffel Tower"]
    local = build(names, out=tmp_path / "local", mirror=str(mirror), quiet=True, allow_short=True, **options)
    beam = build(names, out=tmp_path / "beam", mirror=str(mirror), quiet=True, allow_short=True, runner="beam",
                 **options)
    _same_folder(local, beam)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["beam", "local"]


@needs_beam
@pytest.mark.parametrize("argv, message", [
    (["cat", "--count", "30"], "class 'cat' has only 25 drawings after filtering (asked for 30)"),
    (["cat", "--count", "0"], "--count must be at least 1"),
    (["catt", "--count", "5"], "unknown category 'catt'"),
    (["cat", "--count", "5", "--beam-options", "--direct_num_workers=1 '"], "--beam-options cannot be parsed"),
])
def test_beam_refuses_what_the_local_builder_refuses(argv, message, mirror, tmp_path, capsys):
    code = main(["build", *argv, "--runner", "beam", "--mirror", str(mirror), "--out", str(tmp_path / "x"),
                 "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and err == f"qd: {message}" + err[len(message) + 4:] and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []


@needs_beam
def test_beam_failing_midway_leaves_no_folder(tmp_path, monkeypatch):
    old = tmp_path / "ds"
    build(["circle"], 10, old, synthetic=True, quiet=True)
    before = {p.name: p.read_bytes() for p in old.iterdir()}

    def broken(*args, **kwargs):
        raise QuickDrawError(f"cannot write {old}/train-00000.bitmaps: no space left on device")

    monkeypatch.setattr(build_beam, "write_shard", broken)
    with pytest.raises(QuickDrawError, match="^cannot write .*train-00000.bitmaps: no space left on device$"):
        build(["circle", "star"], 10, old, synthetic=True, quiet=True, runner="beam", force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]
    assert {p.name: p.read_bytes() for p in old.iterdir()} == before


def test_without_beam_the_runner_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "apache_beam", None)
    assert main(["build", "--synthetic", "circle", "--count", "5", "--runner", "beam", "--out",
                 str(tmp_path / "x"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err == "qd: --runner beam needs Apache Beam: pip install 'qd[beam]' (or pip install 'apache-beam>=2.50')\n"
    assert list(tmp_path.iterdir()) == []
