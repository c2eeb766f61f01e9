"""Rendering strokes to bitmaps: fidelity to the official numpy_bitmap files, edge cases, tf.data."""
import json
import subprocess
import sys

import numpy as np
import pytest

from quickdraw.errors import QuickDrawError
from quickdraw.formats.drawing import Drawing
from quickdraw.formats.strokes import to_stroke3
from quickdraw.raster.render import augment_strokes, flatten, render, render_points, stroke3_points, tf_render_batch

OFFICIAL = ["apple", "bicycle", "cat", "diamond", "eye", "fish"]  # npy row i = simplified line i


def _simplified(mirror, name, n=25):
    with open(mirror / "full" / "simplified" / f"{name}.ndjson") as f:
        return [json.loads(next(f))["drawing"] for _ in range(n)]


def _official(mirror, name, n=25):
    return np.load(mirror / "full" / "numpy_bitmap" / f"{name}.npy")[:n].reshape(-1, 28, 28)


def test_matches_official_bitmaps(mirror):
    diff = np.concatenate([np.abs(render(_simplified(mirror, name)).astype(int) - _official(mirror, name))
                           for name in OFFICIAL])
    assert diff.mean() <= 1.0
    assert np.percentile(diff, 99) <= 16


def test_matches_cairo_at_other_sizes(mirror):
    cairo = pytest.importorskip("cairo")
    drawings = _simplified(mirror, "cat", 10)
    for size in (64, 100):
        surface = cairo.ImageSurface(cairo.FORMAT_A8, size, size)
        ctx = cairo.Context(surface)
        ctx.set_antialias(cairo.ANTIALIAS_BEST)
        ctx.set_line_cap(cairo.LINE_CAP_ROUND)
        ctx.set_line_join(cairo.LINE_JOIN_ROUND)
        ctx.set_line_width(16)
        ctx.scale(size / 304, size / 304)
        ctx.translate(24, 24)
        mine = render(drawings, size=size)
        for drawing, got in zip(drawings, mine):
            ctx.set_operator(cairo.OPERATOR_CLEAR)
            ctx.paint()
            ctx.set_operator(cairo.OPERATOR_OVER)
            mx = max(max(s[0]) for s in drawing)
            my = max(max(s[1]) for s in drawing)
            for xs, ys in drawing:
                ctx.move_to(xs[0] + (256 - mx) / 2, ys[0] + (256 - my) / 2)
                for x, y in zip(xs, ys):
                    ctx.line_to(x + (256 - mx) / 2, y + (256 - my) / 2)
                ctx.stroke()
            surface.flush()
            want = np.frombuffer(surface.get_data(), np.uint8).reshape(size, -1)[:, :size]
            assert np.abs(got.astype(int) - want).mean() < 0.6


def test_shapes_types_and_inputs(mirror):
    drawings = _simplified(mirror, "eye", 4)
    out = render(drawings)
    assert out.shape == (4, 28, 28) and out.dtype == np.uint8 and out.max() == 255
    as_arrays = [[np.array(s) for s in d] for d in drawings]
    as_records = [Drawing(d) for d in drawings]
    assert np.array_equal(render(as_arrays), out)
    assert np.array_equal(render(as_records), out)
    assert np.array_equal(render([[s + [list(range(len(s[0])))] for s in d] for d in drawings]), out)  # raw (x, y, t)
    assert render(drawings, size=64).shape == (4, 64, 64)
    assert render([]).shape == (0, 28, 28)


def test_each_drawing_renders_alone_the_same(mirror):
    drawings = _simplified(mirror, "cat", 6)
    together = render(drawings)
    for drawing, image in zip(drawings, together):
        assert np.array_equal(render([drawing])[0], image)


def test_empty_drawing_is_black_and_single_point_is_a_dot():
    empty, dot, two = render([[], [[[128], [128]]], [[[0], [0]], [[255], [255]]]])
    assert not empty.any()
    ys, xs = np.nonzero(dot)
    assert len(ys) <= 9 and np.ptp(ys) <= 2 and np.ptp(xs) <= 2
    radius = 8 * 28 / 304  # line diameter 16 of the 304-unit padded frame
    assert dot.sum() / 255 == pytest.approx(np.pi * radius ** 2, rel=0.05)  # ink = the dot's area
    assert (two > 0).sum() > (dot > 0).sum()  # two dots, far apart


def test_strokes_are_painted_over_each_other():
    across, down = [[0, 255], [0, 255]], [[0, 255], [255, 30]]  # same extent alone or together
    a, b, both = render([[across], [down], [across, down]]).astype(int)
    # a stroke's partial coverage adds to what is below it (cairo's "over"), not just the maximum
    assert np.abs(both - (a + b - a * b / 255)).max() <= 1
    assert (both > np.maximum(a, b)).any()


def test_coordinates_outside_the_frame_do_not_crash():
    out = render([[[[-5000, 5000], [128, 128]]], [[[-1e7, 1e7], [-1e7, 1e7]]], [[[400, 500], [400, 500]]],
                  [[[1e7], [1e7]]]])
    assert (out[0].max(axis=0) > 100).all() and out[1].max() == 255  # long lines are cut to the frame
    assert not out[3].any()  # a dot far away leaves no ink


@pytest.mark.parametrize("far", [1e9, 1e300, float("inf")])
def test_coordinates_beyond_any_screen_are_refused_in_one_line(far):
    """Issue 24: a finite but absurd coordinate is refused (it used to render or simplify as zeros)."""
    with pytest.raises(QuickDrawError, match="coordinate"):
        render([[[[0, far], [0, 5]]]])


def test_small_and_large_sizes():
    line = [[[0, 255], [0, 255]]]
    for size in (1, 2, 3, 7, 256):
        img = render([line], size=size)[0]
        assert img.shape == (size, size) and img.max() > 0
    big = render([line], size=256)[0].astype(int)
    assert np.abs(big - big.T).max() <= 4  # nearly symmetric (sub-rows sample y, not x)


@pytest.mark.parametrize("size", [0, -3, 2.5, True, "28", 5000])
def test_bad_size_is_a_user_error(size):
    with pytest.raises(QuickDrawError, match="image size"):
        render([[[[0, 1], [0, 1]]]], size=size)


@pytest.mark.parametrize("drawing", [[[[0, 1, 2], [0, 1]]], [[["a"], [1]]], [[[float("nan")], [1]]], [[5]]])
def test_bad_strokes_are_user_errors(drawing):
    with pytest.raises(QuickDrawError):
        render([drawing])


def test_flat_form_matches_lists(mirror):
    drawings = _simplified(mirror, "fish", 5)
    points, ends, splits = flatten(drawings)
    assert points.shape == (splits[-1], 2) and ends.sum() == sum(len(d) for d in drawings)
    assert np.array_equal(render_points(points, ends, splits), render(drawings))
    with pytest.raises(QuickDrawError, match="row splits"):
        render_points(points, ends, splits[:-1])


def test_stroke3_points_round_trip(mirror):
    drawings = _simplified(mirror, "apple", 3)
    rows = np.concatenate([to_stroke3(d) for d in drawings])
    splits = np.cumsum([0] + [len(to_stroke3(d)) for d in drawings])
    points, ends = stroke3_points(rows, splits)
    want, want_ends, _ = flatten(drawings)
    assert np.array_equal(points, want) and np.array_equal(ends, want_ends)


def test_augment_is_seeded_and_stays_in_the_frame(mirror):
    points, ends, splits = flatten(_simplified(mirror, "cat", 8))
    a = augment_strokes(points, splits, seed=3)
    assert np.array_equal(a, augment_strokes(points, splits, seed=3))
    assert not np.array_equal(a, augment_strokes(points, splits, seed=4))
    for lo, hi in zip(splits[:-1], splits[1:]):
        part = a[lo:hi]
        assert np.allclose(part.min(axis=0), 0) and part.max() <= 255 + 1e-9
    plain = augment_strokes(points, splits, seed=3, scale=0, rotation=0, jitter=0)
    for lo, hi in zip(splits[:-1], splits[1:]):  # no distortion: only moved to the top-left corner
        assert np.allclose(plain[lo:hi], points[lo:hi] - points[lo:hi].min(axis=0))
    assert not np.array_equal(render_points(a, ends, splits), render_points(points, ends, splits))


def test_package_import_needs_neither_cairo_nor_tensorflow():
    code = "import sys, quickdraw.raster.render, quickdraw.raster.simplify; print('cairo' in sys.modules, 'tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_tf_render_batch_in_a_pipeline(mirror):
    tf = pytest.importorskip("tensorflow")
    drawings = _simplified(mirror, "eye", 12)
    rows = [to_stroke3(d) for d in drawings]
    table = tf.RaggedTensor.from_row_lengths(np.concatenate(rows), [len(r) for r in rows])
    labels = tf.range(len(rows))
    plain = tf_render_batch(table, 28).numpy()
    assert plain.shape == (12, 28, 28, 1) and plain.dtype == np.uint8
    assert np.array_equal(plain[..., 0], render(drawings))

    def epochs(seed):
        batches = tf.data.Dataset.from_tensor_slices((table, labels)).ragged_batch(4)
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        ds = tf.data.Dataset.zip(batches, seeds).map(
            lambda b, s: (tf_render_batch(b[0], 28, augment=True, seed=s), b[1]),
            num_parallel_calls=2).repeat(2)
        images = np.concatenate([x.numpy() for x, _ in ds])
        return images[:12], images[12:]

    first, second = epochs(7)
    assert not np.array_equal(first, second)  # new distortions every epoch
    again_first, again_second = epochs(7)
    assert np.array_equal(first, again_first) and np.array_equal(second, again_second)
    assert not np.array_equal(first, plain)
    with pytest.raises(QuickDrawError, match="RaggedTensor"):
        tf_render_batch(tf.zeros([2, 5, 3]), 28)


def test_package_level_render_and_simplify_are_the_functions():
    import quickdraw

    drawings = [[[[0, 255], [0, 255]]], [[[10, 10, 200], [30, 200, 200]], [[128], [128]]]]
    images = quickdraw.render(drawings, size=28)
    assert images.shape == (2, 28, 28) and images.dtype == np.uint8
    assert np.array_equal(images, render(drawings))
    assert quickdraw.simplify([[[0, 100], [0, 50], [0, 16]]]) == [[[0, 255], [0, 128]]]
