"""The five official formats, the columnar DrawingTable, and the safety of .npz loading."""
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

from quickdraw.core.validate import MAX_COORDINATE
from quickdraw.errors import QuickDrawError
from quickdraw.formats import (FORMATS, binary, bitmap, detect, format_of, ndjson, read_path, read_path_tables,
                               sketchrnn, write_path)
from quickdraw.formats.drawing import Drawing
from quickdraw.formats.table import DrawingTable, iter_drawings

LIMIT = 64 * 1024


class Unseekable(io.RawIOBase):
    """A one-way byte stream (like an HTTP body) that records how much was read."""

    def __init__(self, data: bytes):
        self._data, self.pos, self.largest_read = data, 0, 0

    def readable(self):
        return True

    def seekable(self):
        return False

    def read(self, n=-1):
        n = len(self._data) - self.pos if n is None or n < 0 else n
        self.largest_read = max(self.largest_read, n)
        out = self._data[self.pos:self.pos + n]
        self.pos += len(out)
        return out


def drawings_from_json(data: bytes) -> list:
    return [Drawing.from_json(json.loads(line)) for line in data.splitlines() if line.strip()]


def one(table_iter) -> DrawingTable:
    return DrawingTable.concat(list(table_iter))


# --- DrawingTable ------------------------------------------------------------------------------
def sample_drawings():
    return [Drawing([[[0, 5, 9], [1, 2, 3]], [[7], [7]]], word="a", key_id="1", countrycode="US",
                    timestamp="2017-01-01 00:00:00 UTC", recognized=True),
            Drawing([], word="b", key_id="2", countrycode="FR", recognized=False),
            Drawing([[[255, 0], [0, 255]]], word="c", key_id="3", countrycode="DE")]


def test_table_round_trips_drawings_and_supports_indexing():
    ds = sample_drawings()
    t = DrawingTable.from_drawings(ds)
    assert len(t) == 3 and t.channels == 2
    assert list(t) == ds and t[-1] == ds[2]
    assert t.num_strokes.tolist() == [2, 0, 1] and t.num_points.tolist() == [4, 0, 2]
    assert list(t[1:]) == ds[1:] and list(t[::2]) == [ds[0], ds[2]]
    assert list(t.take([2, 0, 2])) == [ds[2], ds[0], ds[2]]
    assert list(t[np.array([False, True, True])]) == ds[1:]
    assert list(DrawingTable.concat([t[2:], t[:2]])) == ds[2:] + ds[:2]
    with pytest.raises(IndexError):
        t[3]


def test_table_slice_shares_points_and_drawings_are_copies():
    t = DrawingTable.from_drawings(sample_drawings())
    d = t[0]
    d.strokes[0][0, 0] = 99
    assert t.points[0, 0] == 0
    assert np.shares_memory(t[2:].points, t.points)


def test_table_refuses_to_mix_raw_and_simplified():
    raw = Drawing([np.array([[0.5, 1], [2, 3], [0, 10]])], word="r")
    with pytest.raises(QuickDrawError, match="raw"):
        DrawingTable.concat([DrawingTable.from_drawings(sample_drawings()),
                             DrawingTable.from_drawings([raw])])


# --- ndjson ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["simplified/eye.ndjson", "simplified/The Eiffel Tower.ndjson",
                                  "raw/cat.ndjson", "raw/The Mona Lisa.ndjson"])
def test_ndjson_reads_like_json_and_writes_identical_bytes(mirror, name):
    data = (mirror / "full" / name).read_bytes()
    tables = list(ndjson.read(io.BytesIO(data)))
    assert list(iter_drawings(tables)) == drawings_from_json(data)
    out = io.BytesIO()
    assert ndjson.write(tables, out) == len(data.splitlines())
    assert out.getvalue() == data


def test_raw_keeps_float_and_int_spelling(mirror):
    data = (mirror / "full/raw/The Eiffel Tower.ndjson").read_bytes()
    t = one(ndjson.read(io.BytesIO(data)))
    assert t.channels == 3 and t.points.dtype == np.float64
    assert b"33.507999420166016" in data and 33.507999420166016 in t.points


def test_unusual_but_valid_lines_match_json_loads():
    lines = [
        # official layout
        b'{"word":"cat","countrycode":"US","timestamp":"2017-03-01 00:00:00.1 UTC",'
        b'"recognized":true,"key_id":"1","drawing":[[[1,2,3],[4,5,6]]]}',
        # other key order and spaces
        b'{"key_id": "2", "word": "cat", "drawing": [[[10, 20], [30, 40]]], "recognized": false,'
        b' "countrycode": "GB", "timestamp": "2017-03-01 00:00:01 UTC"}',
        b'',  # blank line
        # escapes and non-ASCII text
        b'{"word":"c\\u00e4t","countrycode":"D\xc3\xa9","timestamp":"t","recognized":true,'
        b'"key_id":"3","drawing":[[[7],[8]]]}',
        # official layout, empty drawing and empty stroke rows
        b'{"word":"cat","countrycode":"US","timestamp":"x","recognized":false,"key_id":"4",'
        b'"drawing":[]}',
        b'{"word":"cat","countrycode":"US","timestamp":"x","recognized":true,"key_id":"5",'
        b'"drawing":[[[],[]],[[0,255],[255,0]]]}',
    ]
    data = b"\n".join(lines) + b"\n"
    t = one(ndjson.read(io.BytesIO(data)))
    assert list(t) == drawings_from_json(data)
    assert t.points.dtype == np.uint8 and t[2].word == "c\u00e4t"


def test_raw_numbers_signs_decimals_exponents():
    line = (b'{"word":"w","countrycode":"US","timestamp":"t","recognized":true,"key_id":"9",'
            b'"drawing":[[[-1.5,2,1234567],[0.25,-7,3],[0,16,33]]]}\n')
    t = one(ndjson.read(io.BytesIO(line)))
    assert t.points.tolist() == [[-1.5, 0.25, 0], [2, -7, 16], [1234567, 3, 33]]
    assert ndjson.format_lines(t) == line
    spaced = line.replace(b"1234567", b"1.234567e6")
    assert one(ndjson.read(io.BytesIO(spaced))).points[2, 0] == 1234567


@pytest.mark.parametrize("bad, message", [
    (b'{"word":"cat","countrycode":"US","timestamp":"t","recognized":true,"key_id":"1",'
     b'"drawing":[[[1,2],[3,4]]', "line 3: not valid JSON"),
    (b'{"word":"cat","countrycode":"US","timestamp":"t","recognized":true,"key_id":"1",'
     b'"drawing":[[[1,,2],[3,4]]]}', "line 3: not valid JSON"),
    (b'{"word":"cat","countrycode":"US","timestamp":"t","recognized":true,"key_id":"1",'
     b'"drawing":[[[1,2],[3]]]}', "line 3: each stroke"),
    (b'{"word":"cat","countrycode":"US","timestamp":"t","recognized":true,"key_id":"1",'
     b'"drawing":[[[1,2],[3,4],[5,6]]]}', "line 3: has raw"),
    (b"hello", "line 3: not valid JSON"),
    (b'{"word":"cat"}', 'line 3: not a drawing record'),
])
def test_malformed_ndjson_names_file_and_line(mirror, tmp_path, bad, message):
    good = (mirror / "full/simplified/cat.ndjson").read_bytes().splitlines()[:2]
    path = tmp_path / "cat.ndjson"
    path.write_bytes(b"\n".join(good + [bad] + good) + b"\n")
    with pytest.raises(QuickDrawError, match=f"cat.ndjson: {message}"):
        list(read_path(path))


def test_ndjson_streams_without_reading_far_ahead(mirror):
    data = (mirror / "full/simplified/eye.ndjson").read_bytes()
    stream = Unseekable(data)
    got = []
    for table in ndjson.read(stream):
        got.extend(table)
        if len(got) >= 300:
            break
    record_bytes = sum(len(line) + 1 for line in data.splitlines()[:300])
    assert stream.largest_read <= LIMIT
    assert stream.pos <= record_bytes + LIMIT
    assert got[:300] == drawings_from_json(data)[:300]


def _json_verdict(line: bytes, rows: int):
    """What json.loads makes of a line: a Drawing, None (blank) or "bad" (to be refused)."""
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except ValueError:
        return "bad"
    strokes = record.get("drawing") if isinstance(record, dict) else None
    ok = isinstance(strokes, list) and all(
        isinstance(s, list) and len(s) == rows and all(
            isinstance(r, list) and len(r) == len(s[0]) and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in r) for r in s)
        and all(abs(float(v)) <= MAX_COORDINATE for r in s[:2] for v in r)  # x, y within range (issue 24)
        for s in strokes)
    return Drawing.from_json(record) if ok else "bad"


@pytest.mark.parametrize("name, rows", [("simplified/eye", 2), ("raw/cat", 3)])
def test_mutated_lines_read_exactly_as_json_loads_or_are_refused(mirror, name, rows):
    import random
    lines = (mirror / f"full/{name}.ndjson").read_bytes().splitlines()[:60]
    rnd = random.Random(7)
    chars = b'0123456789[],- ."x:{}e+\\'
    mutated = []
    for _ in range(250):
        b = bytearray(rnd.choice(lines))
        lo = 0 if rnd.random() < 0.15 else b.index(b'"drawing":') + 10
        for _ in range(rnd.randint(1, 3)):
            at, c = rnd.randrange(lo, len(b)), chars[rnd.randrange(len(chars))]
            op = rnd.random()
            if op < 0.33:
                b[at] = c
            elif op < 0.66:
                b.insert(at, c)
            else:
                del b[at]
        mutated.append(bytes(b).replace(b"\n", b""))
    verdicts = [_json_verdict(line, rows) for line in mutated]
    good = [line for line, v in zip(mutated, verdicts) if v != "bad"]
    want = [v for v in verdicts if v not in (None, "bad")]
    assert 50 < len(want) < 200  # the mutations hit both kinds
    assert list(ndjson.parse_lines(b"\n".join(lines[:5] + good) + b"\n"))[5:] == want
    for line, verdict in zip(mutated, verdicts):
        if verdict == "bad":
            with pytest.raises(QuickDrawError):
                ndjson.parse_lines(b"\n".join(lines[:3] + [line] + lines[3:5]) + b"\n")


@pytest.mark.parametrize("drawing, expected", [
    (b"[[[1,20,255],[0,9,100]],[[7],[8]]]", [[[1, 20, 255], [0, 9, 100]], [[7], [8]]]),
    (b"[[[256,1],[2,3]]]", [[[256, 1], [2, 3]]]),  # beyond 0-255: read as floats
    (b"[[[1234],[5]]]", [[[1234], [5]]]),
    (b"[[[0],[0]],[[0,0],[0,0]]]", [[[0], [0]], [[0, 0], [0, 0]]]),
    (b"[[[01],[2]]]", "not valid JSON"),  # leading zero
    (b"[[[1,2],[3,4]],]", "not valid JSON"),
    (b"[[[1,2],[3,4]]]]", "not valid JSON"),
    (b"[[[1,2],[3,4]],[1]]", "each stroke"),
    (b"[[[1,2]]]", "each stroke"),
    (b"[[[[1]],[2]]]", "each stroke"),
    (b"[[[1,2],[3,4]],5]", "each stroke"),
    (b"[[[1,2],9[3,4]]]", "not valid JSON"),
    (b"[[[,2],[3,4]]]", "not valid JSON"),
])
def test_simplified_drawings_read_like_json(drawing, expected):
    line = (b'{"word":"w","countrycode":"US","timestamp":"t","recognized":true,"key_id":"1",'
            b'"drawing":' + drawing + b"}\n")
    if isinstance(expected, str):
        with pytest.raises(QuickDrawError, match=f"line 1: {expected}"):
            ndjson.parse_lines(line)
    else:
        d = one(ndjson.read(io.BytesIO(line)))[0]
        assert [s.tolist() for s in d.strokes] == expected


@pytest.mark.parametrize("head, tail", [
    (b'{"word":"a\tb"', b"}\n"),  # a raw control character in a string: not JSON
    (b'{"word":"a\\"b"', b"}\n"),  # an escaped quote
    (b'{"word":"w"', b"}\r\n"),  # Windows line ends
    (b'{"word":"w"', b"} \n"),  # a space after the record
    (b'{"word":"w"', b"}x\n"),  # text after the record
    (b'{"word":""', b"}\n"),  # an empty word
])
def test_metadata_edge_cases_read_like_json(head, tail):
    line = (head + b',"countrycode":"","timestamp":"t","recognized":false,"key_id":"1",'
            b'"drawing":[[[1,2],[3,4]]]' + tail)
    try:
        record = json.loads(line)
    except ValueError:
        with pytest.raises(QuickDrawError, match="line 1: not valid JSON"):
            ndjson.parse_lines(line)
        return
    d = one(ndjson.read(io.BytesIO(line)))[0]
    assert (d.word, d.countrycode, d.recognized, d.key_id) == (record["word"], "", False, "1")
    assert [s.tolist() for s in d.strokes] == [[[1, 2], [3, 4]]]


def test_ndjson_reads_seekable_streams_in_growing_chunks(mirror):
    data = (mirror / "full/simplified/eye.ndjson").read_bytes()
    sizes = [len(t) for t in ndjson.read(io.BytesIO(data))]
    assert sum(sizes) == len(data.splitlines()) and sizes[0] < sizes[2] and len(sizes) < 15


# --- binary ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["eye", "The Eiffel Tower", "monkey"])
def test_binary_matches_simplified_and_writes_identical_bytes(mirror, name):
    data = (mirror / f"full/binary/{name}.bin").read_bytes()
    tables = list(binary.read(io.BytesIO(data), word=name))
    got = list(iter_drawings(tables))
    want = drawings_from_json((mirror / f"full/simplified/{name}.ndjson").read_bytes())
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.word == name and g.timestamp[:19] == w.timestamp[:19]
        w.timestamp = g.timestamp
        assert g == w
    out = io.BytesIO()
    binary.write(tables, out)
    assert out.getvalue() == data
    out = io.BytesIO()  # and the simplified ndjson converts to the very same bytes
    binary.write(ndjson.read((mirror / f"full/simplified/{name}.ndjson").open("rb")), out)
    assert out.getvalue() == data


def test_binary_streams_and_detects_truncation(mirror, tmp_path):
    data = (mirror / "full/binary/mouth.bin").read_bytes()
    stream = Unseekable(data)
    tables = binary.read(stream)
    first = next(tables)
    sizes = len(binary.format_records(first))
    assert stream.largest_read <= LIMIT and stream.pos <= sizes + LIMIT
    path = tmp_path / "mouth.bin"
    path.write_bytes(data[:-5])
    with pytest.raises(QuickDrawError, match="mouth.bin: truncated"):
        list(read_path(path))


def test_binary_keeps_unknown_key_and_time_as_empty():
    ds = sample_drawings()
    ds[0].timestamp = "2017-03-20 16:17:04.04861 UTC"
    buf = io.BytesIO()
    binary.write(ds, buf)
    back = one(binary.read(io.BytesIO(buf.getvalue()), word="w"))
    assert back[0].timestamp == "2017-03-20 16:17:04 UTC" and back[1].timestamp == ""
    assert [d.key_id for d in back] == ["1", "2", "3"]
    assert [d.recognized for d in back] == [True, False, True]
    assert [len(d.strokes) for d in back] == [2, 0, 1]


def test_binary_key_ids_and_timestamps_round_trip_as_text():
    keys = ["1", "9", "10", "18446744073709551615", "10000000000000000000", "5594014336155648"]
    times = ["1970-01-01 00:00:01 UTC", "2000-02-29 23:59:59 UTC", "2000-03-01 00:00:00 UTC",
             "2016-12-31 12:00:00 UTC", "2106-02-07 06:28:15 UTC", "2017-03-20 16:17:04 UTC"]
    ds = [Drawing([[[1], [2]]], key_id=k, timestamp=t, countrycode=c)
          for k, t, c in zip(keys, times, ["US", "G", "", "DE", "FR", "GB"])]
    buf = io.BytesIO()
    binary.write(ds, buf)
    back = one(binary.read(io.BytesIO(buf.getvalue()), word="w"))
    assert list(back.key_id) == keys and list(back.timestamp) == times
    assert list(back.countrycode) == ["US", "G", "", "DE", "FR", "GB"]


def test_binary_refuses_what_it_cannot_hold():
    raw = Drawing([np.array([[0.5, 1], [2, 3], [0, 10]])])
    with pytest.raises(QuickDrawError, match="raw"):
        binary.write([raw], io.BytesIO())
    with pytest.raises(QuickDrawError, match="0-255"):
        binary.write([Drawing([[[0, 300], [0, 1]]])], io.BytesIO())
    with pytest.raises(QuickDrawError, match="key_id"):
        binary.write([Drawing([[[0], [0]]], key_id="abc")], io.BytesIO())


# --- numpy_bitmap ------------------------------------------------------------------------------
def test_bitmap_reads_rows_and_writes_identical_bytes(mirror):
    path = mirror / "full/numpy_bitmap/eye.npy"
    data = path.read_bytes()
    tables = list(bitmap.read(io.BytesIO(data), word="eye"))
    t = DrawingTable.concat(tables)
    expected = np.load(path)
    assert t.bitmaps.shape == (len(expected), 28, 28)
    assert np.array_equal(t.bitmaps.reshape(len(expected), -1), expected)
    assert t[5].word == "eye" and np.array_equal(t[5].bitmap.reshape(-1), expected[5])
    out = io.BytesIO()
    bitmap.write(tables, out)
    assert out.getvalue() == data


def test_bitmap_header_helpers_allow_partial_files(mirror, tmp_path):
    data = (mirror / "full/numpy_bitmap/cat.npy").read_bytes()
    head = bitmap.parse_header(data[:128])
    full = np.load(mirror / "full/numpy_bitmap/cat.npy")
    assert head == (128, len(full), 784)
    with pytest.raises(QuickDrawError, match="need the first 128 bytes"):
        bitmap.parse_header(data[:60])
    n = 7  # what a Range request for the first 7 rows returns, under a new header
    part = tmp_path / "cat.npy"
    part.write_bytes(bitmap.header(n) + data[head.header_len:head.header_len + n * head.row_size])
    assert np.array_equal(np.load(part), full[:n])
    assert len(list(read_path(part))) == n


def test_bitmap_streams_and_detects_truncation(mirror, tmp_path):
    data = (mirror / "full/numpy_bitmap/apple.npy").read_bytes()
    stream = Unseekable(data)
    first = next(bitmap.read(stream))
    assert stream.largest_read <= LIMIT and stream.pos <= 128 + len(first) * 784 + LIMIT
    path = tmp_path / "apple.npy"
    path.write_bytes(data[:-100])
    with pytest.raises(QuickDrawError, match="apple.npy: truncated"):
        list(read_path(path))


def test_bitmap_write_needs_bitmaps():
    with pytest.raises(QuickDrawError, match="render"):
        bitmap.write(sample_drawings(), io.BytesIO())


# --- sketchrnn ---------------------------------------------------------------------------------
def test_sketchrnn_round_trip_gives_equal_arrays(mirror):
    data = (mirror / "sketchrnn/monkey.npz").read_bytes()
    splits = sketchrnn.read_splits(io.BytesIO(data), word="monkey")
    out = io.BytesIO()
    sketchrnn.write(splits, out)
    ref = np.load(io.BytesIO(data), allow_pickle=True, encoding="latin1")
    back = np.load(io.BytesIO(out.getvalue()), allow_pickle=True)
    for split in sketchrnn.SPLITS:
        assert len(back[split]) == len(ref[split]) == len(splits[split])
        for a, b in zip(ref[split], back[split]):
            assert b.dtype == np.int16 and np.array_equal(a, b)
    again = io.BytesIO()
    sketchrnn.write(splits, again)
    assert again.getvalue() == out.getvalue()  # same input, same bytes


def test_sketchrnn_strokes_are_absolute_points(mirror):
    data = (mirror / "sketchrnn/eye.npz").read_bytes()
    first = np.load(io.BytesIO(data), allow_pickle=True, encoding="latin1")["train"][0]
    d = next(sketchrnn.read(io.BytesIO(data)))[0]
    assert len(d.strokes) == int(first[:, 2].sum())
    xy = np.cumsum(first[:, :2], axis=0)
    assert np.array_equal(np.concatenate([s.T for s in d.strokes]), xy)


def test_sketchrnn_write_head_keeps_first_n_of_each_split(mirror, tmp_path):
    src = mirror / "sketchrnn/mouth.npz"
    out = tmp_path / "mouth.npz"
    with src.open("rb") as f, out.open("wb") as g:
        assert sketchrnn.write_head(f, 3, g) == {"train": 3, "valid": 3, "test": 3}
    ref = np.load(src, allow_pickle=True, encoding="latin1")
    back = np.load(out, allow_pickle=True)
    for split in sketchrnn.SPLITS:
        assert all(np.array_equal(a, b) for a, b in zip(ref[split][:3], back[split]))


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _crafted_npz(path, payload) -> None:
    body = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        body, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    body.write(pickle.dumps(payload, protocol=2))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("train.npy", body.getvalue())


def test_crafted_npz_is_refused_and_its_payload_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    _crafted_npz(path, _Payload(marker))
    with pytest.raises(QuickDrawError, match="evil.npz: refusing to load train.npy: .*system"):
        list(read_path(path))
    assert not marker.exists()
    # the same file really does run code through a plain pickle load
    with zipfile.ZipFile(path) as z:
        member = io.BytesIO(z.read("train.npy"))
    np.lib.format.read_magic(member)
    np.lib.format.read_array_header_1_0(member)
    pickle.load(member)
    assert marker.exists()


@pytest.mark.parametrize("payload, message", [
    ({"not": "an array"}, "does not hold an array"),
    (np.float64(1.5), "refusing to load train.npy: its pickle asks for numpy.*scalar"),
])
def test_npz_of_other_objects_is_refused(tmp_path, payload, message):
    path = tmp_path / "odd.npz"
    _crafted_npz(path, payload)
    with pytest.raises(QuickDrawError, match=f"odd.npz: .*{message}"):
        list(read_path(path))


# --- detection, files --------------------------------------------------------------------------
def test_registry_names_bucket_folders_and_suffixes():
    assert {n: (f.bucket_dir, f.suffix) for n, f in FORMATS.items()} == {
        "simplified": ("full/simplified", ".ndjson"), "raw": ("full/raw", ".ndjson"),
        "binary": ("full/binary", ".bin"), "bitmap": ("full/numpy_bitmap", ".npy"),
        "sketchrnn": ("sketchrnn", ".npz")}


def test_detect_by_content(mirror, tmp_path):
    assert detect(mirror / "full/simplified/cat.ndjson") == "simplified"
    assert detect(mirror / "full/raw/cat.ndjson") == "raw"
    assert detect(mirror / "full/binary/cat.bin") == "binary"
    assert detect(mirror / "full/numpy_bitmap/cat.npy") == "bitmap"
    assert detect(mirror / "sketchrnn/eye.npz") == "sketchrnn"
    disguised = tmp_path / "cat.dat"
    disguised.write_bytes((mirror / "full/raw/cat.ndjson").read_bytes())
    assert detect(disguised) == "raw"


def test_wrong_unknown_and_garbage_files_are_refused(mirror, tmp_path):
    fake = tmp_path / "cat.bin"
    fake.write_bytes((mirror / "full/simplified/cat.ndjson").read_bytes())
    with pytest.raises(QuickDrawError, match="cat.bin: the name says .bin but the content is "
                                             "simplified ndjson"):
        list(read_path(fake))
    odd = tmp_path / "cat.csv"
    odd.write_text("a,b\n")
    with pytest.raises(QuickDrawError, match="unknown file type '.csv'"):
        list(read_path(odd))
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\xff" * 100)
    with pytest.raises(QuickDrawError, match="not a Quick, Draw! file"):
        format_of(junk)
    with pytest.raises(QuickDrawError, match="no such file"):
        list(read_path(tmp_path / "missing.ndjson"))


def test_read_path_takes_the_word_from_the_file_name(mirror):
    d = next(read_path(mirror / "full/binary/The Great Wall of China.bin"))
    assert d.word == "The Great Wall of China" and d.key_id.isdigit()


@pytest.mark.parametrize("suffix", [".ndjson", ".bin", ".npz"])
def test_write_path_converts_and_leaves_no_temporary_files(mirror, tmp_path, suffix):
    src = list(read_path_tables(mirror / "full/simplified/cat.ndjson"))
    target = tmp_path / f"out/cat{suffix}"
    write_path(target, src)
    back = list(read_path(target))
    want = list(iter_drawings(src))
    assert [len(d.strokes) for d in back] == [len(d.strokes) for d in want]
    assert all(np.array_equal(a, b) for d, e in zip(back, want) for a, b in zip(d.strokes, e.strokes))
    assert os.listdir(target.parent) == [target.name]


def test_failed_write_leaves_nothing_behind(mirror, tmp_path):
    raw = list(read_path_tables(mirror / "full/raw/cat.ndjson"))
    with pytest.raises(QuickDrawError):
        write_path(tmp_path / "cat.bin", raw)
    assert os.listdir(tmp_path) == []
