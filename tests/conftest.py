"""Shared fixtures: where the offline mirror of the bucket lies."""
from pathlib import Path

import pytest

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
    from quickdraw.subset import build

    return build(["circle", "square", "star"], 20, tmp_path_factory.mktemp("synthetic") / "ds",
                 synthetic=True, quiet=True)
