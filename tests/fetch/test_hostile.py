"""Hostile networks and faults (issue 15): nothing bad is ever cached or written as if it were data.

Every test runs against a real HTTP server on 127.0.0.1 (``tests.hostile_server``); the lock tests
run real ``qd download`` processes side by side.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from cli.main import main
from quickdraw.errors import QuickDrawError
from quickdraw.fetch import cache, partial, remote
from quickdraw.fetch.download import Interrupted, download, drawings
from quickdraw.formats import bitmap
from tests.hostile_server import (  # noqa: F401
    PORTAL_PAGE,
    die_mid_body,
    flip_byte,
    hostile,
    ignore_range,
    portal,
    replace,
    stall,
    throttle,
)

REPO = Path(__file__).resolve().parents[2]
EYE = "full/simplified/eye.ndjson"


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _prefix(mirror: Path, rel: str, n: int) -> bytes:
    whole = (mirror / rel).read_bytes()
    return whole[:partial.ndjson_cut(bytearray(whole), 0, n, True)[1]]


def _qd(*args, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cli.main", *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


# --- 1. a captive portal is refused, never cached ----------------------------------------------

@pytest.mark.parametrize("fmt, count", [("simplified", None), ("binary", None), ("sketchrnn", 5)])
def test_a_portal_page_is_refused_and_never_cached(hostile, mirror, tmp_path, fmt, count):
    portal(hostile)
    out = tmp_path / "out" if count else None
    with pytest.raises(QuickDrawError, match=r"http://127.0.0.1.*eye\.\w+ answered with a web page.*login page") as err:
        download(["eye"], format=fmt, count=count, out=out, mirror=hostile.url, cache_dir=tmp_path / "c")
    assert "\n" not in str(err.value)
    assert _files(tmp_path) == []
    hostile.reset()  # the network is fixed: the real file comes, not a cached page
    [got] = download(["eye"], format=fmt, count=count, out=out, mirror=hostile.url, cache_dir=tmp_path / "c")
    if count is None:
        rel = {"simplified": EYE, "binary": "full/binary/eye.bin"}[fmt]
        assert got.path.read_bytes() == (mirror / rel).read_bytes()
    else:
        assert got.count == 15


def test_a_portal_page_sent_as_octet_stream_is_refused_by_its_first_bytes(hostile, tmp_path, capsys):
    replace(hostile, "eye.bin", PORTAL_PAGE)
    assert main(["download", "eye", "--format", "binary", "--mirror", hostile.url, "--cache-dir",
                 str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("qd: http://127.0.0.1")
    assert "eye.bin sent a web page where binary drawings was expected: a login page" in err
    assert _files(tmp_path) == []


def test_a_page_cached_by_an_older_qd_is_removed_and_fetched_again(hostile, mirror, tmp_path):
    path = cache.path_for(hostile.url + EYE, hostile.url, tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(PORTAL_PAGE)
    [got] = download(["eye"], mirror=hostile.url, cache_dir=tmp_path)
    assert got.path == path and path.read_bytes() == (mirror / EYE).read_bytes()
    assert len(hostile.requests("eye")) == 1


@pytest.mark.parametrize("md5, words", [(True, "failed its md5 check"), (False, "does not parse")])
def test_a_flipped_byte_is_never_cached(hostile, mirror, tmp_path, md5, words):
    whole = (mirror / EYE).read_bytes()
    flip_byte(hostile, whole.index(b":", 1000), md5=md5)  # ':' -> ';' breaks a line's JSON
    with pytest.raises(QuickDrawError, match=words):
        download(["eye"], mirror=hostile.url, cache_dir=tmp_path)
    assert _files(tmp_path) == []


# --- 2. --count parses every byte before writing it ---------------------------------------------

def _npy_785(rows: int = 40) -> bytes:
    return bitmap.header(rows, 785) + bytes(rows * 785)


@pytest.mark.parametrize("fmt, suffix, body, words", [
    ("simplified", "eye.ndjson", PORTAL_PAGE, "sent a web page where ndjson was expected"),
    ("simplified", "eye.ndjson", "cut", "does not parse.*line 4"),
    ("simplified", "eye.ndjson", "flip", "does not parse.*line 3"),
    ("binary", "eye.bin", b'{"error": "quota"}\n', "sent JSON text where binary drawings was expected"),
    ("bitmap", "eye.npy", _npy_785(), "rows of 785 bytes, expected 784"),
])
def test_count_refuses_what_does_not_parse_and_writes_nothing(hostile, mirror, tmp_path, fmt, suffix, body,
                                                              words, capsys):
    lines = (mirror / EYE).read_bytes().split(b"\n")
    if body == "cut":  # three lines and half of the fourth: the file ends mid-drawing
        body = b"\n".join(lines[:3]) + b"\n" + lines[3][:len(lines[3]) // 2]
    elif body == "flip":
        third = bytearray(lines[2])
        third[third.index(b":")] ^= 1
        body = b"\n".join(lines[:2] + [bytes(third)] + lines[3:20]) + b"\n"
    replace(hostile, suffix, body)
    out = tmp_path / "out"
    assert main(["download", "eye", "--format", fmt, "--count", "10", "--out", str(out),
                 "--mirror", hostile.url, "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"qd: {hostile.url}")
    assert re.search(words, err), err
    assert _files(tmp_path) == []


# --- 3. one lock per cache file: a second process waits, no .part is shared --------------------

def test_two_downloads_into_one_cache_share_one_transfer(hostile, mirror, tmp_path):
    whole = (mirror / EYE).read_bytes()
    throttle(hostile, 1_500_000, chunk=32768)  # about 1.4 s for eye
    args = ("download", "eye", "--mirror", hostile.url, "--cache-dir", str(tmp_path), "--quiet")
    procs = [_qd(*args), _qd(*args)]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    paths = {out.strip() for out, _ in results}
    assert len(paths) == 1 and Path(paths.pop()).read_bytes() == whole
    assert [err for _, err in results] == ["", ""]
    assert hostile.sent("eye") == len(whole)  # one transfer; the other process served its copy
    assert _files(tmp_path) == [f"{cache.mirror_folder(hostile.url)}/{EYE}"]


def test_a_second_process_waits_and_keeps_the_first_ones_part(hostile, mirror, tmp_path):
    whole = (mirror / EYE).read_bytes()
    path = cache.path_for(hostile.url + EYE, hostile.url, tmp_path)
    path.parent.mkdir(parents=True)
    part = path.with_name(path.name + ".part")
    part.write_bytes(whole[:300_000])
    with cache.locked(path):  # this process is fetching eye
        assert path.with_name("eye.ndjson.lock").read_text() == str(os.getpid())
        proc = _qd("download", "eye", "--mirror", hostile.url, "--cache-dir", str(tmp_path), "--quiet")
        time.sleep(1.5)
        assert proc.poll() is None and part.read_bytes() == whole[:300_000] and hostile.requests() == []
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and out.strip() == str(path) and path.read_bytes() == whole
    assert [r.range for r in hostile.requests("eye")] == ["bytes=300000-"]
    assert _files(tmp_path) == [f"{cache.mirror_folder(hostile.url)}/{EYE}"]


# --- 5. Ctrl-C is honoured within a second and says what was kept -------------------------------

def _interrupt_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def test_ctrl_c_during_count_stops_at_once_and_writes_nothing(hostile, tmp_path):
    throttle(hostile, 300_000)  # eye would take 7 s
    out = tmp_path / "out"
    proc = _qd("download", "eye", "--count", "4000", "--out", str(out), "--mirror", hostile.url, "--quiet")
    deadline = time.monotonic() + 20
    while hostile.sent("eye") < 50_000 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    pressed = time.monotonic()
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - pressed < 1.5
    assert proc.returncode == 130 and err.startswith("qd: interrupted")
    assert _files(tmp_path) == []


@pytest.mark.parametrize("count", [None, 4000])
def test_ctrl_c_names_what_was_kept(hostile, tmp_path, count):
    throttle(hostile, 300_000)
    timer = _interrupt_after(0.8)
    began = time.monotonic()
    with pytest.raises(Interrupted) as err:
        download(["eye"], count=count, out=tmp_path / "out" if count else None, mirror=hostile.url,
                 cache_dir=tmp_path / "c", quiet=True)
    timer.join()
    assert time.monotonic() - began < 2.5
    if count is None:
        [part] = (tmp_path / "c").rglob("*.part")
        assert str(err.value) == f"interrupted; kept {part} ({part.stat().st_size} bytes; the next run resumes it)"
        assert _files(tmp_path) == [str(part.relative_to(tmp_path))]
    else:
        assert str(err.value) == "interrupted; nothing was kept" and _files(tmp_path) == []


# --- 6. partial reads resume after a cut or stalled body ----------------------------------------

@pytest.mark.parametrize("fault", ["die", "stall", "die, no Range"])
def test_partial_reads_resume_like_whole_files(hostile, mirror, monkeypatch, fault):
    monkeypatch.setattr(remote, "TIMEOUT", (5, 0.5))
    if fault == "stall":
        stall(hostile, 5000, seconds=3)
    else:
        die_mid_body(hostile, 5000)
    if "no Range" in fault:
        ignore_range(hostile)
    reader = partial.RecordPrefix(remote.open_mirror(hostile.url), hostile.url + EYE, "simplified")
    data, n = reader.take(100)
    assert n == 100 and data == _prefix(mirror, EYE, 100)
    ranges = [r.range for r in hostile.requests("eye")]
    assert ranges[:2] == [f"bytes=0-{partial.FIRST_WINDOW - 1}", f"bytes=5000-{partial.FIRST_WINDOW - 1}"]


def test_first_n_drawings_and_bitmap_rows_survive_a_cut(hostile, mirror, tmp_path):
    die_mid_body(hostile, 3000)
    got = list(drawings("eye", count=50, recognized=None, mirror=hostile.url))
    assert len(got) == 50
    die_mid_body(hostile, 10_000)
    [fetched] = download(["eye"], format="bitmap", count=30, out=tmp_path, mirror=hostile.url, quiet=True)
    assert np.array_equal(np.load(fetched.path), np.load(mirror / "full/numpy_bitmap/eye.npy")[:30])


def test_partial_reads_give_up_with_the_url_after_endless_cuts(hostile):
    die_mid_body(hostile, 1000, times=100)
    reader = partial.RecordPrefix(remote.open_mirror(hostile.url), hostile.url + EYE, "simplified")
    with pytest.raises(QuickDrawError, match=r"transfer of http://127.0.0.1.*eye.ndjson kept breaking off"):
        reader.take(100)


# --- 19. a mirror never leads the cache out of its folder ---------------------------------------

@pytest.mark.parametrize("bad", ["http://../", "http://./", "https://..:80/x"])
def test_a_mirror_without_a_host_is_refused_before_any_folder_is_made(tmp_path, capsys, bad):
    cache_dir = tmp_path / "a" / "cache"
    assert main(["download", "eye", "--mirror", bad, "--cache-dir", str(cache_dir), "--quiet"]) == 1
    assert capsys.readouterr().err.startswith(f"qd: mirror {bad!r} has no valid host name")
    assert list(tmp_path.rglob("*")) == []


def test_cache_paths_stay_inside_the_cache(tmp_path):
    assert cache.mirror_folder("http://../") == "mirror" and cache.mirror_folder("http://./") == "mirror"
    base = "http://127.0.0.1:1/"
    with pytest.raises(QuickDrawError, match="cannot be cached"):
        cache.path_for(base + "full/%2E%2E/%2E%2E/x.ndjson", base, tmp_path)
