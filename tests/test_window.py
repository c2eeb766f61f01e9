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
