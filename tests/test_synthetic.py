"""The synthetic doodle generator: determinism, frame, labels, human-like variation, learnability."""
import json
import types

import numpy as np
import pytest

from quickdraw import Drawing, QuickDrawError, category_names
from quickdraw import synthetic
from quickdraw.synthetic import CLASSES, LABEL, generate, iter_drawings


def raster(drawing, size=28):
    """Ink mask (size, size) of a 0-255 drawing: points sampled densely along every segment."""
    img = np.zeros((size, size), bool)
    for stroke in drawing.strokes:
        xy = stroke[:2].astype(float) * (size - 1) / 255
        if xy.shape[1] > 1:
            t = np.linspace(0, 1, 16)
            xy = (xy[:, :-1, None] * (1 - t) + xy[:, 1:, None] * t).reshape(2, -1)
        ix, iy = np.rint(xy).astype(int)
        img[iy, ix] = True
    return img


def test_classes_are_official_category_names():
    assert len(CLASSES) >= 8
    assert set(CLASSES) <= set(category_names())
    assert "SYNTHETIC" in LABEL and "not Quick, Draw! data" in LABEL


def test_same_arguments_same_drawings_and_the_seed_matters():
    for name in CLASSES:
        a, b = generate(name, 12, seed=3), generate(name, 12, seed=3)
        assert a == b
        assert all(x != y for x, y in zip(a, generate(name, 12, seed=4)))


@pytest.mark.parametrize("name", CLASSES)
def test_drawing_i_depends_only_on_class_seed_and_index(name):
    whole = generate(name, 1100, seed=2)  # made in chunks of 1024 and 76
    assert generate(name, 60, seed=2, start=1000) == whole[1000:1060]
    assert generate(name, 1, seed=2, start=7) == whole[7:8]
    assert list(iter_drawings(name, 1100, seed=2)) == whole


def test_streaming_is_lazy():
    stream = iter_drawings("circle", 10**9, seed=1)
    assert isinstance(stream, types.GeneratorType)
    assert next(stream) == generate("circle", 1, seed=1)[0]


@pytest.mark.parametrize("name", CLASSES)
def test_frame_and_records_match_the_simplified_files(name):
    for d in generate(name, 200, seed=5):
        assert isinstance(d, Drawing) and d.strokes
        for s in d.strokes:
            assert s.ndim == 2 and s.shape[0] == 2 and s.shape[1] >= 1
            assert np.issubdtype(s.dtype, np.integer)
            assert s.min() >= 0 and s.max() <= 255
        xy = np.concatenate(d.strokes, axis=1)
        assert xy[0].min() == 0 and xy[1].min() == 0  # aligned to the top-left
        assert xy.max() == 255  # longest side scaled to 255
        record = json.loads(json.dumps(d.to_json()))
        assert Drawing.from_json(record) == d


def test_every_drawing_says_it_is_synthetic():
    keys = set()
    for name in CLASSES:
        for d in generate(name, 50, seed=1, start=10**6):
            assert (d.word, d.countrycode, d.timestamp, d.recognized) == (name, "ZZ", "synthetic", True)
            assert d.key_id.isdigit() and int(d.key_id) < 2**63
            keys.add(d.key_id)
    assert len(keys) == 50 * len(CLASSES)


def test_squares_vary_like_people_draw_them():
    squares = generate("square", 400, seed=11)
    assert {len(d.strokes) for d in squares} >= {1, 2, 4}
    one_stroke = [d.strokes[0] for d in squares if len(d.strokes) == 1]
    # shoelace area: both clockwise and anticlockwise squares occur
    signs = {np.sign(np.sum(s[0] * np.roll(s[1], -1) - np.roll(s[0], -1) * s[1])) for s in one_stroke}
    assert signs == {-1, 1}
    starts = {(int(s[0, 0]) // 64, int(s[1, 0]) // 64) for s in one_stroke}
    assert len(starts) >= 3  # not always from the same corner
    widths = [np.ptp(np.concatenate(d.strokes, 1)[0]) for d in squares]
    assert min(widths) < 230  # proportions vary: some squares are taller than wide


@pytest.mark.parametrize("name", CLASSES)
def test_drawings_of_one_class_differ(name):
    drawings = generate(name, 40, seed=8)
    shapes = {tuple(np.concatenate(d.strokes, 1).ravel().tolist()) for d in drawings}
    assert len(shapes) == len(drawings)
    assert len({len(d.strokes) for d in generate(name, 300, seed=8)}) >= (1 if name in ("cloud",) else 2)


def test_missing_parts_happen():
    houses = generate("house", 300, seed=2)
    counts = [len(d.strokes) for d in houses]
    assert min(counts) <= 3 < max(counts)
    smileys = [len(d.strokes) for d in generate("smiley face", 300, seed=2)]
    assert min(smileys) < 4 <= max(smileys)  # a mouth or an eye is sometimes left out


@pytest.mark.parametrize("name", CLASSES)
def test_every_class_renders_to_ink(name):
    for d in generate(name, 30, seed=4):
        ink = raster(d).mean()
        assert 0.03 < ink < 0.5


def test_classes_are_learnable_but_not_identical():
    centroids, held_out = [], []
    for name in CLASSES:
        centroids.append(np.mean([raster(d) for d in generate(name, 150, seed=1)], axis=0).ravel())
        held_out.append(np.array([raster(d).ravel() for d in generate(name, 40, seed=2)], float))
    centroids = np.array(centroids)
    x, y = np.concatenate(held_out), np.repeat(np.arange(len(CLASSES)), 40)
    nearest = ((x[:, None] - centroids[None]) ** 2).sum(-1).argmin(1)
    accuracy = (nearest == y).mean()
    assert 0.5 < accuracy < 1.0  # a nearest-mean classifier already beats chance (1/12) by far, imperfectly


def test_point_counts_are_like_real_simplified_drawings(mirror):
    for name in CLASSES:
        lines = (mirror / "full" / "simplified" / f"{name}.ndjson").read_text().splitlines()[:25]
        real = np.median([sum(len(s[0]) for s in json.loads(line)["drawing"]) for line in lines])
        ours = np.median([d.num_points for d in generate(name, 200, seed=1)])
        assert real / 2 <= ours <= real * 2, (name, real, ours)


def test_forgiving_names_and_clear_errors():
    assert generate("Smiley_Face", 1)[0].word == "smiley face"
    with pytest.raises(QuickDrawError, match="synthetic classes are: circle"):
        generate("hexagon", 3)
    with pytest.raises(QuickDrawError, match="no synthetic doodles"):
        generate("not a thing", 3)
    for bad in ({"count": -1}, {"count": 2.5}, {"seed": "x"}, {"start": -4}, {"seed": True}):
        args = {"count": 2, **bad}
        with pytest.raises(QuickDrawError, match="whole number"):
            generate("circle", args.pop("count"), **args)
    with pytest.raises(QuickDrawError, match="whole number"):
        iter_drawings("circle", -1)
    assert generate("circle", 0) == []


def test_simplification_removes_collinear_points():
    line = np.array([[0.0, 1, 2, 3, 4, 10], [0.0, 0.1, -0.1, 0.05, 0, 0]]).T[None]
    bent = np.array([[0.0, 5, 10], [0.0, 5, 0]]).T[None]
    pts = np.concatenate([line, np.concatenate([bent, np.repeat(bent[:, -1:], 3, 1)], 1)])
    keep = synthetic._rdp(pts, np.array([6, 3]), np.array([0.5, 0.5]))
    assert keep.tolist() == [[True, False, False, False, False, True], [True, True, True, False, False, False]]
