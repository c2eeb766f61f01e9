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
