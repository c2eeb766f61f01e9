"""What parsing a whole download before caching it costs (issue 24): the same file fetched over HTTP into
the cache with the full check (every drawing parsed and range-checked) and with the cheap check only
(first bytes, header, size), same run, same server.

Serves the offline mirror (../shared/quickdraw) on 127.0.0.1 with the test server (with its md5 header).
Files: the largest mirror file (a numpy_bitmap .npy) and the largest of each other format. Prints the
median of ROUNDS fetches each way and the ratio; there is no target, the figure is the cost.

    python3 bench/bench_cache_check.py
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from quickdraw.fetch import cache, remote  # noqa: E402
from quickdraw.fetch.download import file_checks  # noqa: E402
from tests.httpserver import serve  # noqa: E402

MIRROR = (REPO / ".." / "shared" / "quickdraw").resolve()
ROUNDS = 7
FORMATS = {"bitmap": "full/numpy_bitmap", "simplified": "full/simplified", "raw": "full/raw",
           "binary": "full/binary", "sketchrnn": "sketchrnn"}


def largest(fmt: str) -> str:
    """The category of the largest mirror file of ``fmt``."""
    suffix = {"bitmap": ".npy", "simplified": ".ndjson", "raw": ".ndjson", "binary": ".bin", "sketchrnn": ".npz"}[fmt]
    files = sorted((MIRROR / FORMATS[fmt]).glob(f"*{suffix}"), key=lambda p: p.stat().st_size)
    return files[-1].stem


def timed(source, url: str, category: str, fmt: str, full: bool, tmp: Path) -> float:
    """Seconds to fetch ``url`` into a fresh cache folder, with or without the full check."""
    check, full_check = file_checks(fmt, url, category)
    folder = Path(tempfile.mkdtemp(dir=tmp))
    start = time.perf_counter()
    cache.cached_copy(source, url, check=check, full_check=full_check if full else None, cache_dir=folder)
    return time.perf_counter() - start


def main() -> int:
    """Print one row per file: size, median seconds with and without the full check, and the ratio."""
    if not MIRROR.is_dir():
        print(f"offline mirror not found at {MIRROR}")
        return 1
    print(f"{'file':<34}{'MB':>7}{'cheap check s':>15}{'full check s':>14}{'ratio':>8}{'parse MB/s':>12}")
    with serve(MIRROR) as server, tempfile.TemporaryDirectory() as tmp:
        source = remote.open_mirror(server.url)
        for fmt in FORMATS:
            category = largest(fmt)
            url = source.url(category, fmt)
            for _ in range(2):  # warm up: numba kernels compiled, files in the page cache
                timed(source, url, category, fmt, True, Path(tmp))
            cheap, full = [], []
            for _ in range(ROUNDS):  # interleaved, so a busy machine slows both alike
                cheap.append(timed(source, url, category, fmt, False, Path(tmp)))
                full.append(timed(source, url, category, fmt, True, Path(tmp)))
            size = (MIRROR / FORMATS[fmt] / Path(remote.file_name(category, fmt)).name).stat().st_size
            a, b = statistics.median(cheap), statistics.median(full)
            name = f"{FORMATS[fmt]}/{remote.file_name(category, fmt)}"
            print(f"{name:<34}{size / 1e6:>7.2f}{a:>15.4f}{b:>14.4f}{b / a:>7.2f}x{size / 1e6 / max(b - a, 1e-9):>12.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
