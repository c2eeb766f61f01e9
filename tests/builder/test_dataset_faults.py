"""Hostile input and faults (issue 15): one-line errors naming the file, nothing half-written left behind."""
import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from cli.main import main
from quickdraw.builder.folder import open_dataset
from quickdraw.errors import QuickDrawError

ROOT = Path(__file__).resolve().parents[2]
QD = [sys.executable, "-c", "import sys; from cli.main import main; sys.exit(main(sys.argv[1:]))"]
LINE = ('{"word":"cat","countrycode":"US","timestamp":"t","recognized":true,"key_id":"1",'
        '"drawing":[[[1,%s],[2,3]]]}\n')
RAW = ('{"word":"cat","countrycode":"US","timestamp":"t","recognized":true,"key_id":"1",'
       '"drawing":[[[1.5,%s],[2,3],[0,10]]]}\n')


def _one_line_error(capsys, *names):
    err = capsys.readouterr().err
    assert err.startswith("qd: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for name in names:
        assert name in err, err
    return err


def _qd(*args, **kwargs):
    return subprocess.Popen([*QD, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **kwargs)


# --- readers: short and non-finite ndjson, hostile npz, wrong bitmaps ---------------------------------
@pytest.mark.parametrize("text", ["{}\n", '{"word":"cat"}', "{"])
def test_short_ndjson_is_one_line_in_info_and_build(text, tmp_path, capsys):
    path = tmp_path / "mirror" / "full" / "simplified" / "cat.ndjson"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    assert main(["info", str(path)]) == 1
    _one_line_error(capsys, "cat.ndjson", "line 1")
    assert main(["build", "cat", "--count", "1", "--mirror", str(tmp_path / "mirror"), "--out",
                 str(tmp_path / "out"), "--quiet"]) == 1
    _one_line_error(capsys, "cat.ndjson", "line 1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mirror"]


@pytest.mark.parametrize("folder, line", [
    ("simplified", LINE % "NaN"), ("simplified", LINE % "-Infinity"), ("raw", RAW % "Infinity"),
    ("raw", RAW % "1e999"), ("raw", RAW % ("9" * 400))])
def test_non_finite_coordinates_are_refused_naming_file_and_line(folder, line, tmp_path, capsys):
    path = tmp_path / "mirror" / "full" / folder / "cat.ndjson"
    path.parent.mkdir(parents=True)
    path.write_text(line.replace("NaN", "1").replace("Infinity", "1").replace("1e999", "1").replace("9" * 400, "1")
                    + line)
    assert main(["info", str(path)]) == 1
    _one_line_error(capsys, "cat.ndjson", "line 2", "finite")
    args = ["--source", "raw"] if folder == "raw" else []
    assert main(["build", "cat", "--count", "2", *args, "--mirror", str(tmp_path / "mirror"), "--out",
                 str(tmp_path / "out"), "--quiet"]) == 1
    _one_line_error(capsys, "cat.ndjson", "line 2", "finite")
    assert not (tmp_path / "out").exists()


def _npz(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)


def _npy_header(shape, descr):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def _shared_refs(n):
    """An object array of ``n`` references to one small sketch: a tiny pickle that unpacks to n sketches."""
    array = np.empty(n, dtype=object)
    one = np.zeros((1, 3), np.int16)
    array[:] = [one] * n
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, allow_pickle=True)
    return buf.getvalue()


@pytest.mark.parametrize("members, compression, message", [
    ({"train.npy": _npy_header((10 ** 12, 3), "<i2")}, zipfile.ZIP_STORED, "declares an array of shape"),
    ({"train.npy": _npy_header((10 ** 9,), "|O") + b"\x80\x02."}, zipfile.ZIP_STORED, "sketches, more than"),
    ({"train.npy": _npy_header((4_000_000, 3), "<i2") + bytes(24_000_000)}, zipfile.ZIP_DEFLATED, "zip bomb"),
    ({"train.npy": _shared_refs(300_000)}, zipfile.ZIP_DEFLATED, "more than its"),
])
def test_npz_sizes_are_checked_before_allocating(members, compression, message, tmp_path, capsys):
    path = tmp_path / "bomb.npz"
    _npz(path, members, compression)
    assert path.stat().st_size < 2_000_000
    assert main(["info", str(path)]) == 1
    _one_line_error(capsys, "bomb.npz", message)


def test_wide_bitmap_rows_are_one_line_in_build(tmp_path, capsys):
    path = tmp_path / "mirror" / "full" / "numpy_bitmap" / "cat.npy"
    path.parent.mkdir(parents=True)
    np.save(path, np.zeros((5, 785), np.uint8))
    assert main(["build", "cat", "--count", "2", "--source", "bitmap", "--mirror", str(tmp_path / "mirror"),
                 "--out", str(tmp_path / "out"), "--quiet"]) == 1
    _one_line_error(capsys, "cat.npy", "785")
    assert not (tmp_path / "out").exists()


# --- build targets ------------------------------------------------------------------------------------
def test_out_dot_and_root_are_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for out in (".", "/", ".."):
        assert main(["build", "--synthetic", "circle", "--count", "2", "--out", out, "--quiet"]) == 1
        _one_line_error(capsys, f"--out {out} is the current folder")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture()
def tmpfs(tmp_path):
    """Mount a tmpfs: yields mount(dir, options); skips when this process may not mount."""
    mounted = []

    def mount(folder, options):
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
        if done.returncode:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in reversed(mounted):
        subprocess.run(["umount", str(folder)], check=False)


def test_mount_point_and_read_only_out_are_refused_before_work(tmpfs, tmp_path, capsys):
    point = tmpfs(tmp_path / "mnt", "size=64k")
    nowhere = str(tmp_path / "no-mirror")  # any fetch would fail: the error must be about --out
    assert main(["build", "cat", "--count", "2", "--mirror", nowhere, "--out", str(point), "--quiet"]) == 1
    _one_line_error(capsys, "is a mount point", str(point / "dataset"))
    ro = tmpfs(tmp_path / "ro", "ro,size=64k")
    assert main(["build", "cat", "--count", "2", "--mirror", nowhere, "--out", str(ro / "ds"), "--quiet"]) == 1
    _one_line_error(capsys, f"cannot write to {ro}", "read-only")


def test_full_disk_names_the_file_and_leaves_nothing(tmpfs, tmp_path, capsys):
    disk = tmpfs(tmp_path / "small", "size=200k")
    assert main(["build", "--synthetic", "circle", "star", "--count", "400", "--out", str(disk / "ds"),
                 "--quiet"]) == 1
    _one_line_error(capsys, f"cannot write {disk / 'ds'}/", "no space left on device")
    assert list(disk.iterdir()) == []


def test_write_error_during_build_names_the_file(tmp_path):
    """A file-size limit (EFBIG) stands in for a full disk where no tmpfs can be mounted."""
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    out = tmp_path / "ds"
    p = _qd("build", "--synthetic", "circle", "star", "--count", "200", "--out", str(out), "--quiet",
            preexec_fn=limit)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 1 and err.startswith(f"qd: cannot write {out}/") and err.count("\n") == 1, err
    assert "file too large" in err
    assert list(tmp_path.iterdir()) == []


def _wait_for(predicate, timeout=30):
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            pytest.fail("timed out")
        time.sleep(0.02)


def test_two_builds_of_one_folder_do_not_both_win(tmp_path):
    out = tmp_path / "ds"
    first = _qd("build", "--synthetic", "--count", "2500", "--seed", "1", "--out", str(out), "--quiet")
    try:
        _wait_for(lambda: any(tmp_path.glob(".ds.partial-*")))
        second = _qd("build", "--synthetic", "circle", "--count", "5", "--seed", "2", "--out", str(out), "--quiet")
        _, err2 = second.communicate(timeout=120)
        _, err1 = first.communicate(timeout=120)
    finally:
        first.kill()
    assert first.returncode == 0, err1
    assert second.returncode == 1
    assert err2.splitlines() == [f"qd: --out {out} is being built by another qd (waiting for process {first.pid})",
                                 f"qd: --out {out} already holds a dataset; choose another folder or pass --force"]
    assert open_dataset(out).manifest["seed"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_killed_build_leaves_a_partial_that_the_next_build_removes(tmp_path, capsys):
    out = tmp_path / "ds"
    p = _qd("build", "--synthetic", "--count", "2500", "--out", str(out), "--quiet")
    try:
        _wait_for(lambda: any(tmp_path.glob(".ds.partial-*")))
    finally:
        p.kill()
        p.wait()
    assert [x.name for x in tmp_path.glob(".ds.partial-*")] == [f".ds.partial-{p.pid}"]
    assert main(["build", "--synthetic", "circle", "--count", "5", "--out", str(out), "--quiet"]) == 0
    assert sorted(x.name for x in tmp_path.iterdir()) == ["ds"]


# --- damaged dataset folders --------------------------------------------------------------------------
def _damage(folder, how):
    if how == "empty strokes":
        (folder / "train-00000.strokes").write_bytes(b"")
    elif how == "cut meta":
        meta = folder / "train-00000.meta.jsonl"
        meta.write_bytes(meta.read_bytes()[:-30])
    elif how == "fewer classes":  # a consistent manifest, but the shards hold labels it lacks
        m = json.loads((folder / "dataset.json").read_text())
        last = m["classes"].pop()
        for counts in m["counts"].values():
            counts[m["classes"][0]] += counts.pop(last)
        (folder / "dataset.json").write_text(json.dumps(m))


@pytest.mark.parametrize("how", ["empty strokes", "cut meta", "fewer classes"])
def test_damaged_dataset_is_one_line_and_export_leaves_no_part(synthetic_dataset, tmp_path, capsys, how):
    ds = tmp_path / "ds"
    shutil.copytree(synthetic_dataset, ds)
    _damage(ds, how)
    name = str(ds) if how == "fewer classes" else "train-00000"
    assert main(["show", str(ds), "--out", str(tmp_path / "grid.png")]) == 1
    _one_line_error(capsys, name, "rebuild")
    assert main(["export", str(ds), "--format", "ndjson", "--out", str(tmp_path / "nd")]) == 1
    _one_line_error(capsys, name, "rebuild")
    assert main(["export", str(ds), "--format", "npz", "--out", str(tmp_path / "x.npz")]) == 1
    _one_line_error(capsys, name, "rebuild")
    left = [p.name for p in tmp_path.rglob("*") if p.is_file() and ds not in p.parents]
    assert left == []


def test_manifest_pointing_outside_the_folder_is_refused(synthetic_dataset, tmp_path):
    ds = tmp_path / "ds"
    shutil.copytree(synthetic_dataset, ds)
    m = json.loads((ds / "dataset.json").read_text())
    m["shards"]["train"][0]["meta"] = "../../etc/passwd"
    (ds / "dataset.json").write_text(json.dumps(m))
    with pytest.raises(QuickDrawError, match="dataset.json is damaged"):
        open_dataset(ds)


# --- permissions, messages ----------------------------------------------------------------------------
def test_files_qd_writes_follow_the_umask(synthetic_dataset, tmp_path, capsys):
    from quickdraw.classifier.plots import plot_confusion, plot_curves
    from quickdraw.formats import read_path, write_path

    old = os.umask(0o022)
    try:
        assert main(["show", str(synthetic_dataset), "--n", "4", "--out", str(tmp_path / "g.png"),
                     "--animate", str(tmp_path / "a.gif")]) == 0
        assert main(["export", str(synthetic_dataset), "--format", "png", "--out", str(tmp_path / "s.png")]) == 0
        assert main(["export", str(synthetic_dataset), "--format", "npz", "--out", str(tmp_path / "x.npz")]) == 0
        assert main(["export", str(synthetic_dataset), "--format", "ndjson", "--out", str(tmp_path / "nd")]) == 0
        plot_curves([{"epoch": 1, "loss": 1.0, "val_loss": 1.0, "accuracy": 0.5, "val_accuracy": 0.5}],
                    tmp_path / "c.png")
        plot_confusion(np.eye(2, dtype=int), ["a", "b"], tmp_path / "m.png")
        write_path(tmp_path / "t.ndjson", read_path(tmp_path / "nd" / "test.ndjson"))
    finally:
        os.umask(old)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 10
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in files} == {p.name: "0o644" for p in files}


def test_write_errors_name_the_file(tmp_path):
    from quickdraw.core.atomic import write_atomic

    def fail(tmp):
        raise OSError(28, "No space left on device")

    with pytest.raises(QuickDrawError, match=f"^cannot write {tmp_path / 'f.png'}: no space left on device$"):
        write_atomic(tmp_path / "f.png", fail)
    assert list(tmp_path.iterdir()) == []


def test_category_search_without_match_says_so(capsys):
    assert main(["categories", "--search", "zzz"]) == 1
    _one_line_error(capsys, "no category name contains 'zzz'")
