"""quickdraw.compat: code written for the `quickdraw` PyPI package (1.0.0) runs against qd.

The code under test is written the way that package's README and docs show it. The data comes from
the offline mirror behind a real HTTP server; expected values are parsed here from the binary files
with struct (as the original does) and, for strokes, with qd's own reader.
"""
import inspect
import random
import struct
import types

import numpy as np
import pytest
from PIL import Image

from quickdraw.compat import QuickDrawAnimation, QuickDrawData, QuickDrawDataGroup, QuickDrawing
from quickdraw.errors import QuickDrawError
from quickdraw.fetch.partial import binary_cut
from quickdraw.formats import read_path
from tests.httpserver import serve


@pytest.fixture
def server(mirror, monkeypatch):
    with serve(mirror) as srv:
        monkeypatch.setenv("QD_MIRROR", srv.url)
        yield srv


def records(mirror, name):
    """The binary file's records, parsed independently: dicts with the original package's types."""
    data = (mirror / "full" / "binary" / f"{name}.bin").read_bytes()
    out, i = [], 0
    while i < len(data):
        key_id, cc, recognized, timestamp, n = struct.unpack_from("<Q2sBIH", data, i)
        i += 17
        strokes = []
        for _ in range(n):
            (m,) = struct.unpack_from("<H", data, i)
            xs, ys = data[i + 2:i + 2 + m], data[i + 2 + m:i + 2 + 2 * m]
            strokes.append(list(zip(xs, ys)))
            i += 2 + 2 * m
        out.append(dict(key_id=key_id, countrycode=cc.decode(), recognized=bool(recognized),
                        timestamp=timestamp, n=n, strokes=strokes))
    return out


def prefix_bytes(mirror, name, k):
    """Bytes of the first ``k`` records of a binary file."""
    data = bytearray((mirror / "full" / "binary" / f"{name}.bin").read_bytes())
    n, end = binary_cut(data, 0, k, True)
    assert n == k
    return end


def same(drawing: QuickDrawing, rec: dict):
    assert (drawing.key_id, drawing.countrycode, drawing.recognized, drawing.timestamp, drawing.no_of_strokes) == (
        rec["key_id"], rec["countrycode"], rec["recognized"], rec["timestamp"], rec["n"])
    assert drawing.strokes == rec["strokes"]


def test_readme_example(server, mirror, tmp_path, capsys):
    qd = QuickDrawData()
    anvil = qd.get_drawing("anvil")
    anvil.image.save(tmp_path / "my_anvil.gif")
    assert Image.open(tmp_path / "my_anvil.gif").size == (255, 255)
    assert "anvil" in capsys.readouterr().out  # print_messages defaults to True

    expected = {r["key_id"]: r for r in records(mirror, "anvil")}
    assert isinstance(anvil, QuickDrawing) and anvil.name == "anvil"
    assert type(anvil.key_id) is int and type(anvil.timestamp) is int and type(anvil.recognized) is bool
    assert type(anvil.countrycode) is str and len(anvil.countrycode) == 2
    same(anvil, expected[anvil.key_id])
    assert str(anvil) == f"QuickDrawing key_id={anvil.key_id}"
    assert anvil.timestamp > 1_400_000_000  # unix seconds (2014+), not qd's text
    # the original's layouts: image_data [(xs, ys)] of int tuples, strokes [[(x, y)]]
    xs, ys = anvil.image_data[0]
    assert type(xs) is tuple and type(xs[0]) is int
    assert anvil.strokes[0][0] == (xs[0], ys[0]) and type(anvil.strokes[0]) is list
    assert qd.loaded_drawings == ["anvil"]
    # the mirror came from $QD_MIRROR; the file holds 25 drawings (< 1000 asked): all of them, with Ranges
    reqs = server.requests("full/binary/")
    assert reqs and all(r.path == "/full/binary/anvil.bin" and r.range for r in reqs)
    assert qd.get_drawing_group("anvil").drawing_count == 25
    assert len(server.requests()) == len(reqs)  # the group is loaded once and kept


def test_only_the_needed_bytes_are_fetched(server, mirror):
    size = (mirror / "full" / "binary" / "eye.bin").stat().st_size
    group = QuickDrawDataGroup("eye", max_drawings=40, print_messages=False)
    assert group.drawing_count == 40
    sent = server.sent("binary/eye")
    assert all(r.method == "GET" and r.range for r in server.requests())
    assert prefix_bytes(mirror, "eye", 40) <= sent <= prefix_bytes(mirror, "eye", 40) + 20_000
    assert sent < size / 10
    expected = records(mirror, "eye")[:40]
    for drawing, rec in zip(group.drawings, expected, strict=True):
        same(drawing, rec)


def test_values_match_qds_reader(server, mirror):
    group = QuickDrawDataGroup("cat", print_messages=False)
    theirs = list(read_path(mirror / "full" / "binary" / "cat.bin"))
    assert group.drawing_count == len(theirs) == 25
    for mine, d in zip(group.drawings, theirs):
        assert str(mine.key_id) == d.key_id and mine.countrycode == d.countrycode
        assert mine.image_data == [(tuple(s[0].tolist()), tuple(s[1].tolist())) for s in d.strokes]


def test_group_drawings_loop_and_get_drawing(server, mirror):
    ants = QuickDrawDataGroup("ant", max_drawings=10, print_messages=False)
    expected = records(mirror, "ant")[:10]
    assert isinstance(ants.drawings, types.GeneratorType)
    seen = [ant.key_id for ant in ants.drawings]
    assert seen == [r["key_id"] for r in expected]
    for _ in ants.drawings:  # a loop that stops early does not shorten the next ones
        break
    assert [ant.key_id for ant in ants.drawings] == seen
    assert len(ants.search_drawings()) == 10
    same(ants.get_drawing(index=3), expected[3])
    same(ants.get_drawing(-1), expected[9])
    with pytest.raises(IndexError, match="index 10 out of range, there are 10 drawings"):
        ants.get_drawing(10)
    random.seed(5)
    picks = [ants.get_drawing().key_id for _ in range(20)]
    random.seed(5)
    assert [ants.get_drawing().key_id for _ in range(20)] == picks
    assert set(picks) <= set(seen) and len(set(picks)) > 1


def test_search_drawings(server, mirror):
    expected = records(mirror, "anvil")
    code = expected[0]["countrycode"]
    qd = QuickDrawData(print_messages=False)
    results = qd.search_drawings("anvil", countrycode=code)
    assert [d.key_id for d in results] == [r["key_id"] for r in expected if r["countrycode"] == code]
    assert all(isinstance(d, QuickDrawing) and d.countrycode == code for d in results)
    first = expected[0]
    hit = qd.get_drawing_group("anvil").search_drawings(key_id=first["key_id"], timestamp=first["timestamp"])
    assert [d.key_id for d in hit] == [first["key_id"]]
    assert qd.search_drawings("anvil", countrycode=code, recognized=False) == []  # anvil's all recognized
    assert qd.search_drawings("anvil", countrycode="ZZ") == []


def test_recognized_filter_counts_after_filtering(server, mirror):
    unrecognized = [r for r in records(mirror, "monkey") if not r["recognized"]][:30]
    group = QuickDrawDataGroup("monkey", recognized=False, max_drawings=30, print_messages=False)
    assert group.drawing_count == 30
    for drawing, rec in zip(group.drawings, unrecognized, strict=True):
        same(drawing, rec)
    qd = QuickDrawData(recognized=True, max_drawings=5, print_messages=False)
    assert all(d.recognized for d in qd.get_drawing_group("monkey").drawings)


def test_unknown_names_raise_value_error(server):
    with pytest.raises(ValueError, match="not a valid google quick drawing") as err:
        QuickDrawData().get_drawing("anvill")
    assert isinstance(err.value, QuickDrawError) and "anvil" in str(err.value)  # it suggests the name
    with pytest.raises(ValueError, match="unicorn"):
        QuickDrawDataGroup("unicorn")
    assert server.requests() == []


def test_image_pixels(server, mirror):
    drawing = QuickDrawData(print_messages=False).get_drawing("anvil", 0)
    image = drawing.image
    assert (image.size, image.mode) == ((255, 255), "RGB")
    px = np.asarray(image)
    points = [(x, y) for stroke in drawing.strokes for x, y in stroke if x < 255 and y < 255]
    assert points and all((px[y, x] == 0).all() for x, y in points)  # dark on every point
    dark = np.argwhere((px < 128).all(axis=2))[:, ::-1]  # (x, y)
    assert 200 < len(dark) < 0.3 * 255 * 255
    # every dark pixel lies on a segment (width 2: within 1.5 px of one)
    seg = np.array([(a, b) for stroke in drawing.strokes for a, b in zip(stroke, stroke[1:])], float)
    p, q = seg[:, 0][None], seg[:, 1][None]
    d = q - p
    t = np.clip(((dark[:, None] - p) * d).sum(-1) / np.maximum((d * d).sum(-1), 1e-9), 0, 1)
    dist = np.linalg.norm(dark[:, None] - (p + t[..., None] * d), axis=-1).min(axis=1)
    assert dist.max() <= 1.5
    colored = np.asarray(drawing.get_image(stroke_color=(255, 0, 0), stroke_width=5, bg_color=(0, 0, 255)))
    assert tuple(colored[0, 0]) == (0, 0, 255) and all(tuple(colored[y, x]) == (255, 0, 0) for x, y in points)
    assert (colored == (255, 0, 0)).all(axis=2).sum() > len(dark)  # wider strokes
    assert drawing.image is image  # cached, as in the original


def test_animation_gif(server, tmp_path):
    anvil = QuickDrawData(print_messages=False).get_drawing("anvil", 1)
    animation = anvil.animation
    assert isinstance(animation, QuickDrawAnimation) and anvil.animation is animation
    frames = animation.frames
    assert len(frames) == sum(len(s) - 1 for s in anvil.strokes)
    assert np.array_equal(np.asarray(frames[-1]), np.asarray(anvil.image))
    animation.save(tmp_path / "my_anvil_animation.gif")
    distinct = 1 + sum(a.tobytes() != b.tobytes() for a, b in zip(frames, frames[1:]))  # Pillow merges repeats
    with Image.open(tmp_path / "my_anvil_animation.gif") as gif:
        assert gif.format == "GIF" and gif.n_frames == distinct > 5
        assert gif.info["loop"] == 0 and gif.info["duration"] >= 100
        gif.seek(gif.n_frames - 1)
        assert np.array_equal(np.asarray(gif.convert("RGB")), np.asarray(frames[-1]))
    anvil.get_animation(stroke_color=(255, 0, 0)).save(tmp_path / "once.gif", frame_length=0.5, loop_times=None)
    with Image.open(tmp_path / "once.gif") as gif:
        assert "loop" not in gif.info and gif.info["duration"] >= 500
    dots = QuickDrawing("dots", {"key_id": 1, "countrycode": b"FR", "recognized": 1, "timestamp": 0,
                                 "n_strokes": 1, "image": [((3,), (4,))]})
    with pytest.raises(ValueError, match="no line segments"):
        dots.animation.save(tmp_path / "dots.gif")


def test_signatures_match_the_original():
    def params(f):
        return [(p.name, p.default) for p in inspect.signature(f).parameters.values()
                if p.kind is not p.KEYWORD_ONLY]

    cache = "./.quickdrawcache"
    assert params(QuickDrawData) == [("recognized", None), ("max_drawings", 1000), ("refresh_data", False),
                                     ("jit_loading", True), ("print_messages", True), ("cache_dir", cache)]
    assert params(QuickDrawDataGroup) == [("name", inspect.Parameter.empty), ("recognized", None),
                                          ("max_drawings", 1000), ("refresh_data", False),
                                          ("print_messages", True), ("cache_dir", cache)]
    search = [("key_id", None), ("recognized", None), ("countrycode", None), ("timestamp", None)]
    assert params(QuickDrawData.search_drawings)[2:] == search
    assert params(QuickDrawDataGroup.search_drawings)[1:] == search
    assert params(QuickDrawData.get_drawing)[1:] == [("name", inspect.Parameter.empty), ("index", None)]
    assert params(QuickDrawing.get_image)[1:] == [("stroke_color", (0, 0, 0)), ("stroke_width", 2),
                                                  ("bg_color", (255, 255, 255))]
    assert params(QuickDrawAnimation.save)[1:] == [("filename", inspect.Parameter.empty),
                                                   ("frame_length", 0.1), ("loop_times", 0)]


def test_names_and_eager_loading(server, tmp_path):
    names = QuickDrawData().drawing_names
    assert len(names) == 345 and names[:3] == ["aircraft carrier", "airplane", "alarm clock"]
    assert names.index("baseball bat") < names.index("baseball")  # the original's order (its file listing)
    qd = QuickDrawData(max_drawings=1, jit_loading=False, print_messages=False, cache_dir=tmp_path / "c")
    assert sorted(qd.loaded_drawings) == sorted(names)
    assert not (tmp_path / "c").exists()  # nothing is cached
    assert all(r.range for r in server.requests())
