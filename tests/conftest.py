"""Shared fixtures: where the offline mirror of the bucket lies."""
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.browser import browser  # noqa: F401  (one headless Chromium for the whole session)

# A shell starts background jobs (`make test &`) with Ctrl-C ignored, and children inherit that:
# the tests that press Ctrl-C need it delivered, in this process and in the qd commands it starts.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

MIRROR = (Path(__file__).resolve().parents[1] / ".." / "shared" / "quickdraw").resolve()


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The read-only partial mirror of the public bucket (``../shared/quickdraw``)."""
    if not (MIRROR / "categories.txt").exists():
        pytest.skip(f"offline mirror not found at {MIRROR}")
    return MIRROR


@pytest.fixture(scope="session")
def synthetic_dataset(tmp_path_factory) -> Path:
    """A small SYNTHETIC dataset folder (3 classes x 20 drawings, 28x28, with strokes); treat as read-only."""
    from quickdraw.builder.subset import build

    return build(["circle", "square", "star"], 20, tmp_path_factory.mktemp("synthetic") / "ds",
                 synthetic=True, quiet=True)


@pytest.fixture(scope="session")
def mirror_cnn(mirror, tmp_path_factory):
    """A small CNN trained on real mirror drawings of cat, eye and fish (25 each, strokes; 4 epochs, seed 0):
    (run folder, its Classifier). Shared by the game, window and notebook tests; treat as read-only."""
    from quickdraw.builder.subset import build
    from quickdraw.classifier import Classifier, train

    root = tmp_path_factory.mktemp("mirror-cnn")
    dataset = build(["cat", "eye", "fish"], 25, root / "ds", mirror=str(mirror), quiet=True, allow_short=True)
    train(dataset, root / "cnn", epochs=4, batch_size=16, verbose=0, seed=0)
    return root / "cnn", Classifier(root / "cnn")


@pytest.fixture()
def display():
    """A virtual X display (Xvfb picks its own number): yields ':N'; skips when Xvfb or tkinter is absent."""
    if shutil.which("Xvfb") is None:
        pytest.skip("the Xvfb binary is absent (.ci/run installs it): no virtual display")
    pytest.importorskip("tkinter", reason="python3 has no tkinter: TkAgg cannot open a window")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                              pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    with os.fdopen(read_end) as f:
        number = f.readline().strip()
    try:
        if not number:
            pytest.fail("Xvfb started but did not report a display number")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)
