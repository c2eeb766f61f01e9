"""The window commands refuse a machine without a display in one line, before TensorFlow loads (seconds)."""
import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("argv", [["classify", "RUN", "--draw"], ["complete", "bird", "--interactive"],
                                  ["play", "RUN", "--out", "OUT"]])
def test_window_commands_refuse_no_display_before_tensorflow_loads(argv, mirror_cnn, tmp_path):
    """Issue 24 point 15: no waiting for TensorFlow to hear that there is no display."""
    run, _ = mirror_cnn
    argv = [str(run) if a == "RUN" else str(tmp_path / "o.ndjson") if a == "OUT" else a for a in argv]
    code = ("import sys; from cli.main import main; status = main(sys.argv[1:]); "
            "print(status, 'tensorflow' in sys.modules, 'keras' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120, env=env,
                          cwd=tmp_path)
    assert done.stdout.split() == ["1", "False", "False"], done.stdout + done.stderr
    assert "no display" in done.stderr and done.stderr.count("\n") == 1
