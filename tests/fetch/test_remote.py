"""URLs, mirrors, the cache folder, partial fetch and whole-file fetch against a real HTTP server."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import requests
from urllib3.util.retry import Retry

from quickdraw.errors import QuickDrawError
from quickdraw.fetch import cache, partial, remote
from tests.httpserver import http_mirror  # noqa: F401  (fixture)

KIB = 1024


def _file(mirror: Path, rel: str) -> bytes:
    return (mirror / rel).read_bytes()


# --- URLs and mirrors -------------------------------------------------------------------------

def test_urls_follow_the_bucket_layout_and_quote_names(monkeypatch):
    monkeypatch.delenv("QD_MIRROR", raising=False)
    assert remote.url_for("the-eiffel-tower") == (
        "https://storage.googleapis.com/quickdraw_dataset/full/simplified/The%20Eiffel%20Tower.ndjson")
    base = "http://example.org/qd"
    assert remote.url_for("cat", "raw", base) == "http://example.org/qd/full/raw/cat.ndjson"
    assert remote.url_for("cat", "binary", base).endswith("/full/binary/cat.bin")
    assert remote.url_for("smiley face", "bitmap", base).endswith("/full/numpy_bitmap/smiley%20face.npy")
    assert remote.url_for("eye", "sketchrnn", base).endswith("/sketchrnn/eye.npz")


def test_mirror_comes_from_argument_then_environment(monkeypatch, mirror):
    monkeypatch.setenv("QD_MIRROR", "https://mirror.example/qd/")
    assert remote.resolve_mirror() == "https://mirror.example/qd/"
    assert remote.resolve_mirror(str(mirror)) == mirror.as_uri() + "/"
    assert remote.resolve_mirror(mirror.as_uri()) == mirror.as_uri() + "/"
    assert isinstance(remote.open_mirror(str(mirror)), remote.FolderMirror)
    assert isinstance(remote.open_mirror(), remote.HttpMirror)


@pytest.mark.parametrize("bad, words", [("/no/such/folder", "does not exist"),
                                        ("ftp://example.org/", r"not an http\(s\) URL")])
def test_bad_mirrors_are_user_errors(bad, words):
    with pytest.raises(QuickDrawError, match=words) as err:
        remote.resolve_mirror(bad)
    assert "\n" not in str(err.value)


def test_unknown_format_is_a_user_error():
    with pytest.raises(QuickDrawError, match="unknown format 'png'.*simplified"):
        remote.url_for("cat", "png")


def test_cache_folder_from_argument_environment_or_platform(monkeypatch, tmp_path):
    monkeypatch.delenv("QD_CACHE", raising=False)
    assert cache.root().name == "qd"
    monkeypatch.setenv("QD_CACHE", str(tmp_path / "env"))
    assert cache.root() == tmp_path / "env"
    assert cache.root(tmp_path / "flag") == tmp_path / "flag"
    base = "http://127.0.0.1:8000/"
    path = cache.path_for(base + "full/simplified/The%20Eiffel%20Tower.ndjson", base)
    assert path == tmp_path / "env" / "127.0.0.1_8000" / "full/simplified/The Eiffel Tower.ndjson"
    assert cache.mirror_folder(remote.DEFAULT_MIRROR) == "storage.googleapis.com_quickdraw_dataset"


def test_ensure_folder_refuses_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(QuickDrawError, match="is a file"):
        cache.ensure_folder(tmp_path / "f")
    with pytest.raises(QuickDrawError, match="cannot create folder"):
        cache.ensure_folder(tmp_path / "f" / "sub")


# --- the test server itself ------------------------------------------------------------------

def test_server_answers_ranges_with_206_and_md5(http_mirror, mirror):
    url = http_mirror.url + "full/simplified/The%20Eiffel%20Tower.ndjson"
    whole = _file(mirror, "full/simplified/The Eiffel Tower.ndjson")
    r = requests.get(url, headers={"Range": "bytes=10-19"})
    assert r.status_code == 206 and r.content == whole[10:20]
    assert r.headers["Content-Range"] == f"bytes 10-19/{len(whole)}"
    assert requests.get(url, headers={"Range": f"bytes={len(whole)}-"}).status_code == 416
    assert requests.get(http_mirror.url + "full/simplified/nothing.ndjson").status_code == 404
    r = requests.get(url)
    assert r.content == whole and "md5=" in r.headers["x-goog-hash"]
    assert http_mirror.sent("Eiffel") == 10 + len(whole)


# --- record cutting and partial fetch ----------------------------------------------------------

def test_cutters_find_every_record(mirror):
    lines = _file(mirror, "full/simplified/eye.ndjson")
    records = _file(mirror, "full/binary/eye.bin")
    n_lines = lines.count(b"\n")
    assert partial.ndjson_cut(bytearray(lines), 0, 10**9, True) == (n_lines, len(lines))
    assert partial.binary_cut(bytearray(records), 0, 10**9, True) == (n_lines, len(records))
    assert partial.ndjson_cut(bytearray(b'{"a":1}\n{"b"'), 0, 5, False) == (1, 8)
    assert partial.ndjson_cut(bytearray(b'{"a":1}\n{"b":2}'), 0, 5, True) == (2, 15)
    assert partial.binary_cut(bytearray(records[:100]), 0, 5, False)[0] < 5


@pytest.mark.parametrize("fmt, rel", [("simplified", "full/simplified/eye.ndjson"),
                                      ("binary", "full/binary/eye.bin"),
                                      ("simplified", "full/simplified/mouth.ndjson")])
@pytest.mark.parametrize("n", [5, 100, 1000])
def test_prefix_costs_about_the_records(http_mirror, mirror, fmt, rel, n):
    whole = _file(mirror, rel)
    source = remote.open_mirror(http_mirror.url)
    data, got = partial.RecordPrefix(source, http_mirror.url + rel, fmt).take(n)
    _, end = partial.CUTTERS[fmt](bytearray(whole), 0, n, True)
    assert got == n and data == whole[:end]
    sent = http_mirror.sent(rel)
    assert len(data) <= sent <= len(data) + 64 * KIB
    assert sent < len(whole) / 2


def test_prefix_takes_continue_and_stop_at_the_end(http_mirror, mirror):
    rel = "full/simplified/The Eiffel Tower.ndjson"
    whole = _file(mirror, rel)
    reader = partial.RecordPrefix(remote.open_mirror(http_mirror.url), http_mirror.url + rel, "simplified")
    first, n1 = reader.take(3)
    rest, n2 = reader.take(1000)
    assert (n1, n2) == (3, whole.count(b"\n") - 3)
    assert first + rest == whole
    assert reader.take(5) == (b"", 0)


def test_prefix_is_exact_when_the_server_ignores_range(http_mirror, mirror):
    http_mirror.faults.ignore_range = True
    rel = "full/simplified/eye.ndjson"
    whole = _file(mirror, rel)
    data, got = partial.RecordPrefix(remote.open_mirror(http_mirror.url), http_mirror.url + rel,
                                     "simplified").take(300)
    assert got == 300 and data == whole[:partial.ndjson_cut(bytearray(whole), 0, 300, True)[1]]
    assert all(r.status == 200 for r in http_mirror.requests(rel))


def test_prefix_from_a_folder_mirror(mirror):
    rel = "full/binary/eye.bin"
    source = remote.open_mirror(str(mirror))
    data, got = partial.RecordPrefix(source, source.url("eye", "binary"), "binary").take(50)
    whole = _file(mirror, rel)
    assert got == 50 and data == whole[:partial.binary_cut(bytearray(whole), 0, 50, True)[1]]


def test_truncated_binary_file_is_a_user_error(tmp_path, mirror):
    (tmp_path / "full/binary").mkdir(parents=True)
    (tmp_path / "full/binary/eye.bin").write_bytes(_file(mirror, "full/binary/eye.bin")[:1000])
    source = remote.open_mirror(str(tmp_path))
    with pytest.raises(QuickDrawError, match="ends in the middle of a drawing"):
        partial.RecordPrefix(source, source.url("eye", "binary"), "binary").take(100)


def test_npy_prefix_costs_header_plus_rows(http_mirror, mirror):
    source = remote.open_mirror(http_mirror.url)
    data, rows = partial.npy_prefix(source, source.url("eye", "bitmap"), 100)
    expected = np.load(mirror / "full/numpy_bitmap/eye.npy")
    got = np.load(io.BytesIO(data))
    assert rows == 100 and got.dtype == np.uint8 and np.array_equal(got, expected[:100])
    assert http_mirror.sent("eye.npy") == partial.NPY_HEAD + 100 * 784
    data, rows = partial.npy_prefix(source, source.url("cloud", "bitmap"), 10**6)
    assert np.array_equal(np.load(io.BytesIO(data)), np.load(mirror / "full/numpy_bitmap/cloud.npy"))


# --- whole-file fetch: resume, retries, checks ----------------------------------------------

def _fetch(server, tmp_path, rel="full/simplified/eye.ndjson"):
    dest = tmp_path / Path(rel).name
    return remote.open_mirror(server.url).fetch(server.url + rel, dest), dest


def test_fetch_is_byte_identical(http_mirror, mirror, tmp_path):
    path, dest = _fetch(http_mirror, tmp_path)
    assert path == dest and dest.read_bytes() == _file(mirror, "full/simplified/eye.ndjson")
    assert not list(tmp_path.glob("*.part"))


def test_fetch_retries_503_then_succeeds(http_mirror, mirror, tmp_path):
    http_mirror.faults.fail_first = 2
    _, dest = _fetch(http_mirror, tmp_path)
    assert dest.read_bytes() == _file(mirror, "full/simplified/eye.ndjson")
    assert [r.status for r in http_mirror.requests("eye")] == [503, 503, 200]


def test_fetch_gives_up_on_endless_503_leaving_nothing(http_mirror, tmp_path):
    http_mirror.faults.fail_first = 100
    with pytest.raises(QuickDrawError, match="503.*after 5 tries") as err:
        _fetch(http_mirror, tmp_path)
    assert "\n" not in str(err.value)
    assert list(tmp_path.iterdir()) == []
    assert len(http_mirror.requests("eye")) == remote.RETRY.total + 1


def test_fetch_resumes_a_body_cut_mid_way(http_mirror, mirror, tmp_path):
    http_mirror.faults.cut_after = 300_000
    _, dest = _fetch(http_mirror, tmp_path)
    whole = _file(mirror, "full/simplified/eye.ndjson")
    assert dest.read_bytes() == whole
    log = http_mirror.requests("eye")
    assert [(r.status, r.range) for r in log] == [(200, None), (206, "bytes=300000-")]
    assert http_mirror.sent("eye") == len(whole)


def test_fetch_keeps_a_resumable_part_when_cuts_never_stop(http_mirror, mirror, tmp_path):
    http_mirror.faults.cut_after, http_mirror.faults.cut_times = 1000, 100
    with pytest.raises(QuickDrawError, match="kept breaking off.*next run resumes"):
        _fetch(http_mirror, tmp_path)
    part = tmp_path / "eye.ndjson.part"
    assert not (tmp_path / "eye.ndjson").exists()
    assert part.read_bytes() == _file(mirror, "full/simplified/eye.ndjson")[:remote.RESUMES * 1000]
    http_mirror.reset()
    _, dest = _fetch(http_mirror, tmp_path)
    assert dest.read_bytes() == _file(mirror, "full/simplified/eye.ndjson") and not part.exists()
    assert http_mirror.requests("eye")[0].range == f"bytes={remote.RESUMES * 1000}-"


def test_fetch_restarts_when_the_server_ignores_range(http_mirror, mirror, tmp_path):
    whole = _file(mirror, "full/simplified/eye.ndjson")
    (tmp_path / "eye.ndjson.part").write_bytes(whole[:5000])
    http_mirror.faults.ignore_range = True
    _, dest = _fetch(http_mirror, tmp_path)
    assert dest.read_bytes() == whole
    assert [r.status for r in http_mirror.requests("eye")] == [200]


def test_fetch_starts_again_when_the_part_is_already_whole(http_mirror, mirror, tmp_path):
    whole = _file(mirror, "full/simplified/eye.ndjson")
    (tmp_path / "eye.ndjson.part").write_bytes(whole)
    _, dest = _fetch(http_mirror, tmp_path)
    assert dest.read_bytes() == whole
    assert [r.status for r in http_mirror.requests("eye")] == [416, 200]


def test_fetch_rejects_a_wrong_md5_and_removes_the_part(http_mirror, tmp_path):
    http_mirror.faults.wrong_md5 = True
    with pytest.raises(QuickDrawError, match="md5"):
        _fetch(http_mirror, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_fetch_reports_404_as_missing_from_the_mirror(http_mirror, tmp_path):
    with pytest.raises(QuickDrawError, match="axe.ndjson is not in mirror.*404"):
        _fetch(http_mirror, tmp_path, "full/raw/axe.ndjson")
    assert list(tmp_path.iterdir()) == []


def test_unreachable_mirror_names_the_url_and_the_remedy(monkeypatch, tmp_path):
    monkeypatch.setattr(remote, "RETRY", Retry(total=1, backoff_factor=0))
    with pytest.raises(QuickDrawError, match=r"cannot reach http://127\.0\.0\.1:9/.*--mirror or QD_MIRROR"):
        remote.open_mirror("http://127.0.0.1:9/").fetch("http://127.0.0.1:9/full/binary/cat.bin",
                                                        tmp_path / "cat.bin")
    assert list(tmp_path.iterdir()) == []


def test_folder_fetch_copies_through_a_part(mirror, tmp_path):
    source = remote.open_mirror(mirror.as_uri())
    dest = source.fetch(source.url("mouth", "sketchrnn"), tmp_path / "mouth.npz")
    assert dest.read_bytes() == _file(mirror, "sketchrnn/mouth.npz")
    with pytest.raises(QuickDrawError, match="dog.npz is not in mirror"):
        source.fetch(source.url("dog", "sketchrnn"), tmp_path / "dog.npz")
