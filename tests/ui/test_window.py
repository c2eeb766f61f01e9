"""``qd complete --interactive`` in a real TkAgg window on a virtual X display (Xvfb)."""
import json
import os
import shutil
import subprocess
import sys

import matplotlib.image
import numpy as np
import pytest

from tests.sketch_run import tiny_run

pytestmark = pytest.mark.skipif(shutil.which("Xvfb") is None,
                                reason="the Xvfb binary is absent (.ci/run installs it): no virtual display")


def test_draw_in_a_real_window_save_and_quit(display, tmp_path, tmp_path_factory, mirror):
    pytest.importorskip("tkinter", reason="python3 has no tkinter: TkAgg cannot open a window")
    run = tiny_run(mirror, tmp_path_factory)
    script = {"strokes": [[[60, 90, 130, 170, 190], [80, 60, 55, 65, 90]], [[70, 120, 180], [150, 175, 150]]],
              "keys": ["up", "9", "s", "q"]}
    (tmp_path / "script.json").write_text(json.dumps(script))
    out = tmp_path / "window.png"
    env = dict(os.environ, DISPLAY=display, MPLBACKEND="TkAgg", QD_CANVAS_SCRIPT=str(tmp_path / "script.json"))
    done = subprocess.run([sys.executable, "-m", "cli.main", "complete", str(run), "--interactive", "--n", "2",
                           "--seed", "1", "--out", str(out)], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    image = matplotlib.image.imread(out)[..., :3]
    height, width = image.shape[:2]
    pad, panels = image[: int(height * 0.9), : width // 2], image[: int(height * 0.9), width // 2:]
    assert (pad.max(axis=2) < 0.2).sum() > 300  # the two strokes, black
    assert (panels.max(axis=2) < 0.2).sum() > 100  # the strokes again in each candidate panel
    assert (panels.max(axis=2) - panels.min(axis=2) > 0.4).sum() > 20  # coloured completions (9 candidates)
    assert not any(p.name.endswith(".part") for p in tmp_path.iterdir())


def test_start_a_real_window_from_a_drawing_file(display, tmp_path, tmp_path_factory, mirror):
    pytest.importorskip("tkinter", reason="python3 has no tkinter: TkAgg cannot open a window")
    from quickdraw.formats import read_drawing

    run = tiny_run(mirror, tmp_path_factory)
    (tmp_path / "script.json").write_text(json.dumps({"strokes": [[[20, 60], [200, 230]]], "keys": ["s", "q"]}))
    start = mirror / "full/simplified/eye.ndjson"
    env = dict(os.environ, DISPLAY=display, MPLBACKEND="TkAgg", QD_CANVAS_SCRIPT=str(tmp_path / "script.json"))
    out = tmp_path / "eye.png"
    done = subprocess.run([sys.executable, "-m", "cli.main", "complete", str(run), str(start), "--index", "4",
                           "--keep-strokes", "2", "--interactive", "--n", "2", "--out", str(out)], env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    eye = read_drawing(start, 4).strokes[:2]
    saved = read_drawing(out.with_suffix(".ndjson"))
    assert len(saved.strokes) == 3 and all(np.array_equal(a, b) for a, b in zip(saved.strokes, eye))
    assert saved.strokes[2][0].tolist() == [20, 60]
