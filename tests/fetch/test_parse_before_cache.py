"""Day two (issue 24), fetch stage: every whole file is parsed and range-checked before it is cached or
written, whatever the transport and whether or not an md5 came with it; a bad cache entry heals; mirror
URLs and --out paths that cannot work are refused in one line.

Every download runs against a real HTTP server on 127.0.0.1 (``tests.hostile_server``).
"""
from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from cli.main import main
from quickdraw.fetch import cache
from tests.hostile_server import hostile, replace  # noqa: F401
from tests.qd_command import fails


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


class _Evil:
    def __reduce__(self):
        import os
        return os.system, ("echo pwned",)


def _npz(**members: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(f"{name}.npy", data)
    return buf.getvalue()


def _npy_header(descr: str, shape) -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": descr, "fortran_order": False, "shape": shape})
    return out.getvalue()


PICKLE_NPZ = _npz(train=_npy_header("|O", (1,)) + pickle.dumps(_Evil(), protocol=2),
                  valid=_npy_header("|O", (0,)) + pickle.dumps(np.empty(0, object)),
                  test=_npy_header("|O", (0,)) + pickle.dumps(np.empty(0, object)))
HUGE_NPZ = _npz(train=_npy_header("<i2", (10 ** 12, 3)) + bytes(60), valid=_npy_header("<i2", (0, 3)),
                test=_npy_header("<i2", (0, 3)))


@pytest.mark.parametrize("rel, body, needle", [
    ("full/simplified/apple.ndjson", b"{\n", "line 1"),
    ("full/simplified/apple.ndjson", b"{}\n", "line 1"),
    ("full/simplified/apple.ndjson", b'{"word":"dog"}\n', "line 1"),
    ("sketchrnn/eye.npz", PICKLE_NPZ, "refusing to load"),
    ("sketchrnn/eye.npz", HUGE_NPZ, "declares an array of shape"),
], ids=["brace", "empty-object", "no-drawing", "npz-pickle", "npz-huge-shape"])
def test_a_whole_download_with_an_md5_is_parsed_before_it_is_cached(hostile, tmp_path, capsys, rel, body, needle):
    """The server sends the bad bytes with their own, correct md5: refused in one line, nothing cached."""
    replace(hostile, rel, body, md5=True)
    category, fmt = Path(rel).stem, "sketchrnn" if rel.endswith(".npz") else "simplified"
    fails(["download", category, "--format", fmt, "--mirror", hostile.url, "--cache-dir", tmp_path / "c"],
           needle)
    assert not [f for f in _files(tmp_path / "c") if Path(f).suffix in (".ndjson", ".npz", ".part")], \
        _files(tmp_path / "c")


def test_a_bad_file_already_in_the_cache_is_removed_and_fetched_anew(hostile, mirror, tmp_path, capsys):
    """A cache entry an older qd kept without parsing it (a ``{`` line) is parsed when served, fails,
    is removed and fetched again: the run that meets it heals the cache."""
    rel = "full/simplified/apple.ndjson"
    cached = cache.path_for(hostile.url + rel, hostile.url, tmp_path / "c")
    cached.parent.mkdir(parents=True)
    cached.write_bytes((mirror / rel).read_bytes()[:200].split(b"\n")[0] + b"\n{\n")
    assert main(["download", "apple", "--mirror", hostile.url, "--cache-dir", str(tmp_path / "c")]) == 0
    assert cached.read_bytes() == (mirror / rel).read_bytes()
    served = len(hostile.requests(rel))
    assert served == 1
    assert main(["download", "apple", "--mirror", hostile.url, "--cache-dir", str(tmp_path / "c")]) == 0
    assert len(hostile.requests(rel)) == served  # a good entry is served from the cache


@pytest.mark.parametrize("option", ["--mirror", "--model-mirror"])
def test_a_mirror_url_python_cannot_split_is_refused_in_one_line(tmp_path, capsys, option):
    if option == "--mirror":
        argv = ["download", "cat", "--mirror", "http://[::1", "--out", tmp_path / "d"]
    else:
        pytest.importorskip("keras")
        argv = ["generate", "bird", "--model-mirror", "http://[::1", "--cache-dir", tmp_path / "c",
                "--out", tmp_path / "g.png"]
    fails(argv, "'http://[::1' is not a usable URL")
    assert _files(tmp_path) == []


def test_a_download_out_name_too_long_for_the_file_system_is_refused_in_one_line(tmp_path, capsys, mirror):
    out = tmp_path / ("x" * 5000)
    fails(["download", "cat", "--mirror", mirror, "--out", out], "has a name of 5000 bytes")
    assert _files(tmp_path) == []


@pytest.mark.parametrize("shape, needle", [((-5, 784), "negative shape"),
                                           ((50, 785), "rows of 785 bytes; Quick, Draw! bitmaps are rows of 784")])
def test_a_bitmap_file_with_a_bad_header_is_described_as_it_is(hostile, tmp_path, capsys, shape, needle):
    rows = max(shape[0], 0)
    replace(hostile, "numpy_bitmap/cat.npy", _npy_header("|u1", shape) + bytes(rows * shape[1]), md5=True)
    fails(["download", "cat", "--format", "bitmap", "--mirror", hostile.url, "--out", tmp_path / "o"], needle)
    assert _files(tmp_path) == []
