"""Sketch plots: PNG grids, GIF animations and contact sheets, checked by opening what was written."""
import json

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

from quickdraw import Drawing, QuickDrawError
from quickdraw.synthetic import LABEL, generate
from quickdraw.ui import plots

matplotlib.use("Agg")

BLUE, ORANGE, RED_CAPTION = (np.array(to_rgb(c)) * 255 for c in ("#1f77b4", "#ff7f0e", "#b00000"))


def pixels_near(img, rgb, tol=40):
    """Count pixels of an RGB image within ``tol`` of colour ``rgb``."""
    return int((np.abs(img[..., :3].astype(int) - rgb).max(-1) < tol).sum())


def two_strokes():
    """A drawing whose first stroke (blue) is on the left and second (orange) on the right."""
    return Drawing([[[0, 100], [128, 128]], [[155, 255], [128, 128]]], word="two lines")


def test_grid_png_has_stroke_colours_titles_and_caption(tmp_path):
    drawings = generate("house", 5, seed=1) + [two_strokes()]
    out = plots.sketch_grid(drawings, out=tmp_path / "grid.png", label=LABEL)
    assert out == tmp_path / "grid.png"
    img = np.asarray(Image.open(out).convert("RGB"))
    assert img.shape[0] > 300 and img.shape[1] > 300
    assert pixels_near(img, BLUE) > 200 and pixels_near(img, ORANGE) > 200
    assert pixels_near(img[: img.shape[0] // 8], RED_CAPTION) > 20  # the caption line on top
    plain = np.asarray(Image.open(plots.sketch_grid(drawings, out=tmp_path / "plain.png")).convert("RGB"))
    assert pixels_near(plain[: plain.shape[0] // 8], RED_CAPTION) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.png", "plain.png"]  # no temporary files left


def test_grid_figure_for_a_window_has_one_panel_per_drawing():
    import matplotlib.pyplot as plt

    drawings = generate("eye", 5, seed=2)
    fig = plots.sketch_grid(drawings, titles=[f"eye {i}" for i in range(5)], ncols=2)
    try:
        assert plt.fignum_exists(fig.number)  # a pyplot figure: plt.show() opens it
        panels = [ax for ax in fig.axes if ax.axison]
        assert len(panels) == 5
        for i, (ax, d) in enumerate(zip(panels, drawings)):
            assert ax.get_xlabel() == f"eye {i}"
            assert len(ax.lines) == len(d.strokes)
            assert len({line.get_color() for line in ax.lines}) == min(len(d.strokes), 10)
            bottom, top = ax.get_ylim()
            assert bottom > top  # y axis points down, as in the dataset
            np.testing.assert_array_equal(ax.lines[0].get_xydata().T, d.strokes[0])
        drawn = []
        fig.canvas.mpl_connect("draw_event", lambda event: drawn.append(event.name))
        fig.canvas.draw()
        assert drawn == ["draw_event"]
        assert np.asarray(fig.canvas.buffer_rgba()).min() < 100  # ink reached the canvas
    finally:
        plt.close(fig)


def test_grid_of_one_colour_and_of_raw_drawings(mirror, tmp_path):
    import matplotlib.pyplot as plt

    raw = [Drawing.from_json(json.loads(line))
           for line in (mirror / "full" / "raw" / "cat.ndjson").read_text().splitlines()[:4]]
    assert raw[0].strokes[0].shape[0] == 3
    fig = plots.sketch_grid(raw, colors="black")
    try:
        assert {line.get_color() for ax in fig.axes for line in ax.lines} == {"black"}
    finally:
        plt.close(fig)
    img = np.asarray(Image.open(plots.sketch_grid(raw, out=tmp_path / "raw.png", colors="black")).convert("L"))
    assert (img < 60).sum() > 500


def test_bitmap_only_drawings_show_their_bitmaps(mirror, tmp_path):
    import matplotlib.pyplot as plt

    rows = np.load(mirror / "full" / "numpy_bitmap" / "fish.npy")[:4]
    drawings = [Drawing(word="fish", bitmap=row) for row in rows]
    fig = plots.sketch_grid(drawings)
    try:
        for ax, row in zip(fig.axes, rows):
            np.testing.assert_array_equal(ax.images[0].get_array(), row.reshape(28, 28))
    finally:
        plt.close(fig)
    img = np.asarray(Image.open(plots.sketch_grid(drawings, out=tmp_path / "bitmaps.png")).convert("L"))
    assert (img < 60).sum() > 500


def test_animation_draws_in_stroke_order(tmp_path):
    out = plots.animate([two_strokes()], tmp_path / "lines.gif", fps=10)
    gif = Image.open(out)
    assert gif.format == "GIF" and gif.n_frames >= 5
    blue, orange = [], []
    for f in range(gif.n_frames):
        gif.seek(f)
        frame = np.asarray(gif.convert("RGB"))
        blue.append(pixels_near(frame, BLUE))
        orange.append(pixels_near(frame, ORANGE))
    assert blue[0] == orange[0] == 0  # starts blank
    assert blue == sorted(blue) and orange == sorted(orange)  # ink only grows
    first_orange = next(i for i, n in enumerate(orange) if n)
    assert blue[first_orange - 1] == blue[-1] > 0  # the first stroke is finished before the second starts
    assert orange[-1] > 0


def test_animation_of_many_sketches_gains_ink(tmp_path):
    out = plots.animate(generate("sun", 1, seed=1) + generate("fish", 1, seed=1), tmp_path / "anim.gif")
    gif = Image.open(out)
    ink = []
    for f in range(gif.n_frames):
        gif.seek(f)
        ink.append(int((np.asarray(gif.convert("L")) < 200).sum()))
    assert gif.n_frames >= 10
    assert ink == sorted(ink) and ink[-1] > 2 * ink[1]
    assert [p.name for p in tmp_path.iterdir()] == ["anim.gif"]


def test_contact_sheet_groups_bitmaps_by_class(mirror, tmp_path):
    fish = np.load(mirror / "full" / "numpy_bitmap" / "fish.npy")[:20]
    blank = np.zeros((5, 784), np.uint8)
    bitmaps = np.concatenate([blank, fish, blank])
    labels = np.array([1] * 5 + [0] * 20 + [1] * 5)
    out = plots.contact_sheet(bitmaps, labels, ["fish", "nothing", "unused"], tmp_path / "sheet.png")
    img = np.asarray(Image.open(out).convert("L")).astype(float)
    tall = np.asarray(Image.open(plots.contact_sheet(bitmaps.reshape(-1, 28, 28, 1), labels,
                                                     ["fish", "nothing", "unused", "more"],
                                                     tmp_path / "tall.png")).convert("L"))
    assert tall.shape[0] > img.shape[0] and tall.shape[1] == img.shape[1]
    # the sheet's image area: fish row has ink, the blank class row has none
    dark = img < 100
    rows = np.flatnonzero(dark[:, img.shape[1] // 2:].any(1))
    assert len(rows) and rows.max() < img.shape[0] / 3 + 5


def test_bad_input_is_a_one_line_error(tmp_path):
    d = generate("circle", 2)
    cases = [
        lambda: plots.sketch_grid([], out=tmp_path / "x.png"),
        lambda: plots.sketch_grid(d, out=tmp_path / "x.jpg"),
        lambda: plots.sketch_grid(d, titles=["only one"], out=tmp_path / "x.png"),
        lambda: plots.sketch_grid(d, colors="not-a-colour", out=tmp_path / "x.png"),
        lambda: plots.sketch_grid(d, ncols=0, out=tmp_path / "x.png"),
        lambda: plots.animate(d, tmp_path / "x.gif", fps=0),
        lambda: plots.animate(d, tmp_path / "x.png"),
        lambda: plots.animate([Drawing(word="fish", bitmap=np.zeros(784, np.uint8))], tmp_path / "x.gif"),
        lambda: plots.contact_sheet(np.zeros((3, 28, 28), np.uint8), [0, 1], ["a", "b"], tmp_path / "x.png"),
        lambda: plots.contact_sheet(np.zeros((2, 28, 28), np.uint8), [0, 2], ["a", "b"], tmp_path / "x.png"),
        lambda: plots.contact_sheet(np.zeros((2, 27), np.uint8), [0, 1], ["a", "b"], tmp_path / "x.png"),
    ]
    for case in cases:
        with pytest.raises(QuickDrawError) as err:
            case()
        assert "\n" not in str(err.value)
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(QuickDrawError, match="cannot write"):
        plots.sketch_grid(d, out=tmp_path / "file" / "x.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
