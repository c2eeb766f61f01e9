"""``qd download`` and ``quickdraw.download``: whole files, first-N files, errors, Ctrl-C, progress."""
from __future__ import annotations

import fcntl
import json
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import numpy as np
import pytest
from urllib3.util.retry import Retry

from cli.main import main
from quickdraw.errors import QuickDrawError
from quickdraw.fetch import cache, partial, remote
from quickdraw.fetch.download import download, drawings
from quickdraw.formats.drawing import Drawing
from tests.httpserver import http_mirror, serve  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[2]


def _prefix(mirror: Path, rel: str, fmt: str, n: int) -> bytes:
    whole = (mirror / rel).read_bytes()
    return whole[:partial.CUTTERS[fmt](bytearray(whole), 0, n, True)[1]]


@pytest.mark.parametrize("fmt, category, rel", [
    ("simplified", "the eiffel tower", "full/simplified/The Eiffel Tower.ndjson"),
    ("raw", "cat", "full/raw/cat.ndjson"),
    ("binary", "eye", "full/binary/eye.bin"),
])
def test_count_writes_the_exact_record_prefix(http_mirror, mirror, tmp_path, fmt, category, rel):
    [fetched] = download([category], format=fmt, count=20, out=tmp_path, mirror=http_mirror.url)
    assert fetched.path == tmp_path / Path(rel).name and fetched.count == 20 and not fetched.note
    assert fetched.path.read_bytes() == _prefix(mirror, rel, fmt, 20)
    assert [p.name for p in tmp_path.iterdir()] == [Path(rel).name]


def test_count_bitmap_rewrites_the_npy_header(http_mirror, mirror, tmp_path):
    [fetched] = download(["eye"], format="bitmap", count=30, out=tmp_path, mirror=http_mirror.url)
    rows = np.load(fetched.path)
    assert fetched.path.name == "eye.npy" and rows.shape == (30, 784)
    assert np.array_equal(rows, np.load(mirror / "full/numpy_bitmap/eye.npy")[:30])
    assert http_mirror.sent("eye.npy") == partial.NPY_HEAD + 30 * 784


def test_count_sketchrnn_keeps_the_first_n_of_each_split(http_mirror, mirror, tmp_path):
    [fetched] = download(["mouth"], format="sketchrnn", count=7, out=tmp_path / "out",
                         mirror=http_mirror.url, cache_dir=tmp_path / "cache")
    with np.load(fetched.path, allow_pickle=True) as got, \
            np.load(mirror / "sketchrnn/mouth.npz", allow_pickle=True, encoding="latin1") as want:
        assert sorted(got.files) == sorted(want.files)
        for split in want.files:
            assert len(got[split]) == 7
            assert all(np.array_equal(a, b) for a, b in zip(got[split], want[split][:7]))
    assert fetched.count == 21 and not fetched.note


def test_a_short_file_writes_what_there_is_and_says_so(http_mirror, mirror, tmp_path):
    [fetched] = download(["The Eiffel Tower"], count=5000, out=tmp_path, mirror=http_mirror.url)
    whole = (mirror / "full/simplified/The Eiffel Tower.ndjson").read_bytes()
    assert fetched.path.read_bytes() == whole
    assert fetched.count == whole.count(b"\n")
    assert fetched.note == f"The Eiffel Tower: the simplified file holds only {fetched.count} drawings (asked for 5000)"


def test_whole_files_go_to_the_cache_and_are_fetched_once(http_mirror, mirror, tmp_path):
    names = ["eye", "mouth", "the great wall of china", "apple"]
    got = download(names, format="binary", mirror=http_mirror.url, cache_dir=tmp_path)
    assert [f.category for f in got] == ["eye", "mouth", "The Great Wall of China", "apple"]
    for f in got:
        assert f.path.read_bytes() == (mirror / "full/binary" / f.path.name).read_bytes()
        assert f.path.is_relative_to(tmp_path) and f.count is None
    assert len(http_mirror.requests()) == 4
    again = download(names, format="binary", mirror=http_mirror.url, cache_dir=tmp_path)
    assert [f.path for f in again] == [f.path for f in got] and len(http_mirror.requests()) == 4
    assert not list(tmp_path.rglob("*.part"))


def test_categories_download_at_the_same_time(http_mirror, mirror, tmp_path):
    http_mirror.faults.delay, http_mirror.faults.chunk = 0.1, 1024  # 0.3 s a file
    names = ["apple", "anvil", "axe"]
    got = download(names, format="binary", out=tmp_path, mirror=http_mirror.url, quiet=True)
    assert [f.path.read_bytes() for f in got] == [(mirror / f"full/binary/{n}.bin").read_bytes() for n in names]
    log = http_mirror.requests()
    assert len(log) == 3 and max(r.began for r in log) < min(r.ended for r in log)


def test_whole_files_with_out_and_a_resumed_part(http_mirror, mirror, tmp_path):
    whole = (mirror / "full/simplified/mouth.ndjson").read_bytes()
    (tmp_path / "mouth.ndjson.part").write_bytes(whole[:100_000])
    [fetched] = download(["mouth"], out=tmp_path, mirror=http_mirror.url)
    assert fetched.path.read_bytes() == whole
    assert [r.range for r in http_mirror.requests("mouth")] == ["bytes=100000-"]
    assert http_mirror.sent("mouth") == len(whole) - 100_000


@pytest.mark.parametrize("as_url", [True, False])
def test_file_url_and_folder_mirrors(mirror, tmp_path, as_url):
    base = mirror.as_uri() if as_url else str(mirror)
    [part] = download(["eye"], count=50, out=tmp_path / "out", mirror=base)
    assert part.path.read_bytes() == _prefix(mirror, "full/simplified/eye.ndjson", "simplified", 50)
    [whole] = download(["eye"], format="bitmap", mirror=base, cache_dir=tmp_path / "cache")
    assert whole.path.read_bytes() == (mirror / "full/numpy_bitmap/eye.npy").read_bytes()


def test_environment_picks_mirror_and_cache(monkeypatch, http_mirror, mirror, tmp_path):
    monkeypatch.setenv("QD_MIRROR", http_mirror.url)
    monkeypatch.setenv("QD_CACHE", str(tmp_path))
    [fetched] = download(["apple"])
    assert fetched.path == tmp_path / cache.mirror_folder(http_mirror.url) / "full/simplified/apple.ndjson"
    assert fetched.path.read_bytes() == (mirror / "full/simplified/apple.ndjson").read_bytes()
    assert http_mirror.requests("apple")


@pytest.mark.parametrize("kwargs, words", [
    (dict(categories=["eyee"]), "unknown category 'eyee' \\(did you mean: eye\\?\\)"),
    (dict(categories=["eye"], format="png"), "unknown format 'png'"),
    (dict(categories=["eye"], count=5), "count needs out"),  # Python names keyword arguments (issue 24)
    (dict(categories=["eye"], count=0, out="x"), "count must be at least 1"),
    (dict(categories=[]), "name at least one category"),
])
def test_bad_requests_are_one_line_errors_and_write_nothing(http_mirror, tmp_path, kwargs, words):
    kwargs.setdefault("mirror", http_mirror.url)
    kwargs.setdefault("cache_dir", tmp_path)
    if "out" in kwargs:
        kwargs["out"] = tmp_path / kwargs["out"]
    with pytest.raises(QuickDrawError, match=words) as err:
        download(**kwargs)
    assert "\n" not in str(err.value)
    assert list(tmp_path.iterdir()) == [] and http_mirror.requests() == []


def test_an_unwritable_output_folder_is_refused_before_any_transfer(http_mirror, tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(QuickDrawError, match="cannot create folder"):
        download(["eye"], count=5, out=tmp_path / "file" / "out", mirror=http_mirror.url)
    with pytest.raises(QuickDrawError, match="is a file, not a folder"):
        download(["eye"], count=5, out=tmp_path / "file", mirror=http_mirror.url)
    assert http_mirror.requests() == [] and [p.name for p in tmp_path.iterdir()] == ["file"]


def test_a_category_missing_from_the_mirror_says_so(http_mirror, tmp_path):
    with pytest.raises(QuickDrawError, match="dog.npz is not in mirror http://127.0.0.1.*404"):
        download(["dog"], format="sketchrnn", count=3, out=tmp_path / "out", mirror=http_mirror.url,
                 cache_dir=tmp_path / "cache")
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_one_failing_category_fails_the_run_with_its_message(http_mirror, tmp_path):
    with pytest.raises(QuickDrawError, match="axe.ndjson is not in mirror"):
        download(["cat", "axe", "apple"], format="raw", out=tmp_path, mirror=http_mirror.url)
    assert not list(tmp_path.glob("axe*"))


# --- the command line --------------------------------------------------------------------------

def test_cli_prints_paths_and_notes(http_mirror, mirror, tmp_path, capsys):
    assert main(["download", "eye", "the eiffel tower", "--count", "100", "--out", str(tmp_path),
                 "--mirror", http_mirror.url, "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [str(tmp_path / "eye.ndjson"), str(tmp_path / "The Eiffel Tower.ndjson")]
    assert err.startswith("qd: note: The Eiffel Tower: the simplified file holds only")
    assert main(["download", "eye", "--format", "binary", "--mirror", str(mirror),
                 "--cache-dir", str(tmp_path / "c")]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path.read_bytes() == (mirror / "full/binary/eye.bin").read_bytes()


@pytest.mark.parametrize("argv, words", [
    (["download", "eye", "--format", "svg"], "qd: unknown format 'svg'"),
    (["download", "dragonn"], "qd: unknown category 'dragonn'"),
    (["download", "eye", "--mirror", "http://127.0.0.1:9/"],
     "qd: cannot reach http://127.0.0.1:9/full/simplified/eye.ndjson ([Errno 111] Connection refused)"),
    (["download", "eye", "--mirror", "/no/such/mirror"], "qd: mirror folder /no/such/mirror does not exist"),
])
def test_cli_errors_are_one_line(monkeypatch, tmp_path, capsys, argv, words):
    monkeypatch.setattr(remote, "RETRY", Retry(total=1, backoff_factor=0))
    assert main(argv + ["--cache-dir", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(words) and err.count("\n") == 1
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_failed_download_leaves_no_new_out_folder(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(remote, "RETRY", Retry(total=1, backoff_factor=0))
    out = tmp_path / "new" / "data"
    assert main(["download", "eye", "--count", "5", "--out", str(out), "--mirror", "http://127.0.0.1:9/"]) == 1
    assert capsys.readouterr().err.startswith("qd: cannot reach") and not out.exists()
    (tmp_path / "kept").mkdir()  # a folder that was there before stays
    assert main(["download", "eye", "--count", "5", "--out", str(tmp_path / "kept"),
                 "--mirror", "http://127.0.0.1:9/"]) == 1
    assert (tmp_path / "kept").is_dir()


def _qd(*args, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cli.main", *args], cwd=REPO, **kwargs)


def test_ctrl_c_keeps_the_part_and_the_next_run_resumes(mirror, tmp_path):
    whole = (mirror / "full/simplified/eye.ndjson").read_bytes()
    with serve(mirror) as server:
        server.faults.delay, server.faults.chunk = 0.02, 8192  # about 400 KB/s: 5 s for eye
        part = tmp_path / f"127.0.0.1_{server.url.rsplit(':', 1)[1].strip('/')}" / \
            "full/simplified/eye.ndjson.part"
        proc = _qd("download", "eye", "--mirror", server.url, "--cache-dir", str(tmp_path), "--quiet",
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not (part.exists() and part.stat().st_size >= 100_000) and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130 and out == ""
        kept = part.read_bytes()
        assert err.strip() in (  # the second: once cli/data.py prints download.Interrupted's message
            "qd: interrupted (partial downloads are kept as .part files and resume next time)",
            f"qd: interrupted; kept {part} ({len(kept)} bytes; the next run resumes it)")
        assert 100_000 <= len(kept) < len(whole) and whole.startswith(kept)
        assert not part.with_suffix("").exists()

        server.reset()
        [fetched] = download(["eye"], mirror=server.url, cache_dir=tmp_path, quiet=True)
        assert fetched.path.read_bytes() == whole and not part.exists()
        assert [r.range for r in server.requests("eye")] == [f"bytes={len(kept)}-"]
        assert server.sent("eye") == len(whole) - len(kept)


def _stderr_on_a_terminal(*args) -> str:
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 24 x 100 chars
    proc = _qd(*args, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the terminal closes when the command exits
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(timeout=30) == 0
    return b"".join(chunks).decode(errors="replace")


def test_progress_bars_show_on_a_terminal_unless_quiet(mirror, tmp_path):
    shown = _stderr_on_a_terminal("download", "mouth", "--mirror", str(mirror), "--cache-dir", str(tmp_path / "a"))
    assert "mouth" in shown and "100%" in shown and "B/s" in shown
    quiet = _stderr_on_a_terminal("download", "mouth", "--mirror", str(mirror), "--cache-dir",
                                  str(tmp_path / "b"), "--quiet")
    assert quiet == ""


def test_progress_is_silent_when_stderr_is_not_a_terminal(mirror, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "cli.main", "download", "mouth", "--mirror", str(mirror),
                           "--cache-dir", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == ""


# --- drawings(): Drawing objects straight from the mirror ---------------------------------------

def _records(mirror: Path, rel: str) -> list[Drawing]:
    return [Drawing.from_json(json.loads(line)) for line in (mirror / rel).read_text().splitlines()]


def test_drawings_come_with_metadata_for_little_transfer(http_mirror, mirror):
    want = [d for d in _records(mirror, "full/simplified/eye.ndjson") if d.recognized][:100]
    got = list(drawings("eye", count=100, recognized=True, mirror=http_mirror.url))
    assert got == want and got[0].key_id and got[0].countrycode and got[0].timestamp
    assert http_mirror.sent("eye") <= len(_prefix(mirror, "full/simplified/eye.ndjson", "simplified", 110)) + 65536


@pytest.mark.parametrize("recognized", [False, None])
def test_drawings_filter_on_recognized(http_mirror, mirror, recognized):
    records = _records(mirror, "full/simplified/eye.ndjson")
    want = [d for d in records if recognized is None or d.recognized == recognized][:40]
    assert list(drawings("eye", count=40, recognized=recognized, mirror=http_mirror.url)) == want


def _seconds(timestamp: str) -> str:
    return timestamp.removesuffix(" UTC").split(".")[0]


def _same_but_whole_seconds(a: Drawing, b: Drawing) -> bool:
    """The binary format keeps timestamps to the second: compare everything else exactly."""
    return (a.key_id, a.countrycode, a.recognized, a.word) == (b.key_id, b.countrycode, b.recognized, b.word) \
        and _seconds(a.timestamp) == _seconds(b.timestamp) \
        and len(a.strokes) == len(b.strokes) and all(np.array_equal(s, t) for s, t in zip(a.strokes, b.strokes))


def test_drawings_from_binary_and_raw(http_mirror, mirror):
    simplified = list(drawings("mouth", count=30, recognized=None, mirror=http_mirror.url))
    binary = list(drawings("mouth", count=30, recognized=None, format="binary", mirror=http_mirror.url))
    assert len(binary) == 30 and all(map(_same_but_whole_seconds, simplified, binary))
    raw = list(drawings("cat", count=None, recognized=None, format="raw", mirror=str(mirror)))
    assert raw == _records(mirror, "full/raw/cat.ndjson") and raw[0].strokes[0].shape[0] == 3


def test_drawings_to_the_end_of_the_file(http_mirror, mirror):
    got = list(drawings("eye", count=None, recognized=None, format="binary", mirror=http_mirror.url))
    want = _records(mirror, "full/simplified/eye.ndjson")
    assert len(got) == len(want) and all(map(_same_but_whole_seconds, want, got))


def test_drawings_as_bitmaps(http_mirror, mirror):
    got = list(drawings("cat", count=5, format="bitmap", mirror=http_mirror.url))
    rows = np.load(mirror / "full/numpy_bitmap/cat.npy")[:5]
    assert [d.word for d in got] == ["cat"] * 5
    assert all(np.array_equal(d.bitmap, r.reshape(28, 28)) for d, r in zip(got, rows))
    assert http_mirror.sent("cat.npy") == partial.NPY_HEAD + 5 * 784


def test_drawings_of_a_short_file_end_with_an_error_unless_allowed(http_mirror, mirror):
    held = len(_records(mirror, "full/simplified/cat.ndjson"))
    got = []
    with pytest.raises(QuickDrawError, match=rf"cat.ndjson holds only {held} drawings \(asked for 100\)"):
        for d in drawings("cat", count=100, mirror=http_mirror.url):
            got.append(d)
    assert len(got) == held  # what there is comes first, as from build with --allow-short
    assert len(list(drawings("cat", count=100, mirror=http_mirror.url, allow_short=True))) == held


def test_drawings_errors_are_raised_at_the_call(http_mirror):
    with pytest.raises(QuickDrawError, match="not sketchrnn"):
        drawings("eye", format="sketchrnn")
    with pytest.raises(QuickDrawError, match="recognized=None"):
        drawings("eye", format="bitmap", recognized=False)
    with pytest.raises(QuickDrawError, match="unknown category"):
        drawings("eyee")
    assert http_mirror.requests() == []
    with pytest.raises(QuickDrawError, match="axe.ndjson is not in mirror"):
        next(drawings("axe", format="raw", mirror=http_mirror.url))
