"""Sketches display themselves in a notebook: ``Drawing._repr_svg_`` and ``quickdraw.plot`` grids."""
import io
import xml.etree.ElementTree as ET

import matplotlib.image
import numpy as np
import pytest

import quickdraw
from quickdraw.formats import read_path
from quickdraw.formats.drawing import Drawing
from quickdraw.formats.strokes import to_stroke3


def _cats(mirror, n=4):
    return list(read_path(mirror / "full" / "simplified" / "cat.ndjson"))[:n]


def test_a_drawing_is_an_svg_of_its_strokes(mirror):
    cat = _cats(mirror, 1)[0]
    root = ET.fromstring(cat._repr_svg_())
    lines = [e for e in root if e.tag.endswith("polyline")]
    assert len(lines) == len(cat.strokes)
    for line, stroke in zip(lines, cat.strokes):
        points = np.array([p.split(",") for p in line.get("points").split()], float).T
        assert np.allclose(points, stroke)  # the data's own coordinates, y down as SVG's
    x0, y0, side, _ = map(float, root.get("viewBox").split())
    xy = np.concatenate(cat.strokes, axis=1)
    assert x0 <= xy[0].min() and y0 <= xy[1].min() and x0 + side >= xy[0].max() and y0 + side >= xy[1].max()
    assert len({line.get("stroke") for line in lines}) == min(len(lines), 10)


def test_a_bitmap_drawing_is_a_png():
    bitmap = np.zeros((28, 28), np.uint8)
    bitmap[10:18, 5:20] = 255
    image = matplotlib.image.imread(io.BytesIO(Drawing(bitmap=bitmap)._repr_png_()))
    assert image.shape[:2] == (28, 28) and image[..., :3].min() < 0.1 and image[0, 0, :3].min() > 0.9
    assert Drawing(bitmap=bitmap)._repr_svg_() is None


def _inked_panels(fig):
    return [ax for ax in fig.axes if ax.lines]


@pytest.mark.parametrize("form", ["drawings", "strokes lists", "stroke-3 arrays"])
def test_plot_takes_drawings_strokes_and_stroke3(mirror, form):
    cats = _cats(mirror)
    given = {"drawings": cats, "strokes lists": [[s.tolist() for s in d.strokes] for d in cats],
             "stroke-3 arrays": [to_stroke3(d.strokes) for d in cats]}[form]
    fig = quickdraw.plot(given)
    panels = _inked_panels(fig)
    assert len(panels) == 4
    for ax, cat in zip(panels, cats):
        assert len(ax.lines) == len(cat.strokes)
        assert np.allclose(np.asarray(ax.lines[0].get_xydata()).T, cat.strokes[0])  # absolute, as drawn
    image = matplotlib.image.imread(io.BytesIO(fig._repr_png_()))
    assert (image[..., :3].max(axis=2) - image[..., :3].min(axis=2) > 0.3).sum() > 200  # coloured ink


def test_plot_of_one_sketch_and_of_a_dataset_split(mirror, synthetic_dataset):
    cat = _cats(mirror, 1)[0]
    assert len(quickdraw.plot(cat.strokes).axes) == 1
    assert len(quickdraw.plot(to_stroke3(cat.strokes)).axes) == 1
    fig = quickdraw.plot(synthetic_dataset, split="valid", n=5)
    assert len(_inked_panels(fig)) == 5 and "SYNTHETIC" in fig._suptitle.get_text()
    with pytest.raises(quickdraw.QuickDrawError, match="no drawings"):
        quickdraw.plot(synthetic_dataset, category="cat")
