"""``quickdraw.builder.info.summarise`` and ``qd info FILE`` on real mirror files."""
import json
from collections import Counter

import pytest

from cli.main import main
from quickdraw.builder.info import summarise
from quickdraw.errors import QuickDrawError


def test_summarise_ndjson_counts_everything(mirror):
    path = mirror / "full/simplified/eye.ndjson"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    s = summarise(path)
    assert s["format"] == "simplified" and s["drawings"] == len(records)
    assert s["categories"] == {"eye": len(records)}
    assert s["recognized"] == pytest.approx(sum(r["recognized"] for r in records) / len(records))
    countries = Counter(r["countrycode"] for r in records)
    assert s["countries"] == dict(countries.most_common())
    assert list(s["countries"])[0] == countries.most_common(1)[0][0]
    assert s["strokes"] == sum(len(r["drawing"]) for r in records)


def test_summarise_binary_agrees_with_simplified(mirror):
    a = summarise(mirror / "full/binary/The Mona Lisa.bin")
    b = summarise(mirror / "full/simplified/The Mona Lisa.ndjson")
    assert a["format"] == "binary" and a["categories"] == {"The Mona Lisa": b["drawings"]}
    for key in ("drawings", "recognized", "countries", "strokes", "points"):
        assert a[key] == b[key]


def test_summarise_formats_without_metadata(mirror):
    s = summarise(mirror / "full/numpy_bitmap/fish.npy")
    assert s["format"] == "bitmap" and s["categories"] == {"fish": s["drawings"]}
    assert s["recognized"] is None and s["countries"] is None and s["splits"] is None
    s = summarise(mirror / "sketchrnn/monkey.npz")
    assert s["splits"] == {"train": 720, "valid": 40, "test": 40} and s["drawings"] == 800


def test_qd_info_prints_a_summary(mirror, capsys):
    assert main(["info", str(mirror / "full/raw/cat.ndjson")]) == 0
    out = capsys.readouterr().out
    records = [json.loads(line) for line in (mirror / "full/raw/cat.ndjson").read_text().splitlines()]
    top, n = Counter(r["countrycode"] for r in records).most_common(1)[0]
    assert "format:      raw" in out and f"drawings:    {len(records)}" in out
    assert f"categories:  cat {len(records)}" in out and f"countries:   {top} {n}," in out
    share = 100 * sum(r["recognized"] for r in records) / len(records)
    assert f"recognized:  {share:.1f}%" in out


def test_qd_info_says_what_a_bitmap_file_lacks(mirror, capsys):
    assert main(["info", str(mirror / "full/numpy_bitmap/apple.npy")]) == 0
    assert "recognized:  n/a" in capsys.readouterr().out


def test_qd_info_reports_bad_files_in_one_line(tmp_path, capsys):
    bad = tmp_path / "cat.bin"
    bad.write_bytes(b'{"word": "cat"}\n')
    assert main(["info", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("qd: ") and "the name says .bin" in err and len(err.splitlines()) == 1
    with pytest.raises(QuickDrawError, match="no such file"):
        summarise(tmp_path / "none.npy")


def _run_info(path):
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["info", str(path)])
    return status, out.getvalue(), err.getvalue()


def test_info_on_a_dataset_folder_and_on_other_folders(synthetic_dataset, tmp_path):
    from quickdraw.builder.folder import open_dataset

    status, out, err = _run_info(synthetic_dataset)
    folder = open_dataset(synthetic_dataset)
    assert status == 0 and f"{sum(folder.count(s) for s in ('train', 'valid', 'test'))} (train" in out
    assert "circle, square, star" in out and "SYNTHETIC" in out
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.json").write_text("{}")
    status, _, err = _run_info(tmp_path / "run")
    assert status == 1 and "is a qd training run" in err and err.count("\n") == 1
    status, _, err = _run_info(tmp_path)
    assert status == 1 and "not a qd dataset" in err
