"""Bytes a partial fetch costs: the first N drawings against the whole file (baseline, same run).

Serves the offline mirror (../shared/quickdraw) on 127.0.0.1 with the test server, which counts
the body bytes it sends. TARGET: received <= bytes of the N records + 64 KiB, for N = 5, 100, 1000.

    python3 bench/bench_transfer.py
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from quickdraw.fetch import partial, remote  # noqa: E402
from tests.httpserver import serve  # noqa: E402

MIRROR = (REPO / ".." / "shared" / "quickdraw").resolve()
SLACK = 64 * 1024
CASES = [("eye", "simplified"), ("mouth", "simplified"), ("eye", "binary"), ("mouth", "binary")]


def main() -> int:
    """Print one row per (category, format, N) and whether it meets the target."""
    if not MIRROR.is_dir():
        print(f"offline mirror not found at {MIRROR}")
        return 1
    failures = 0
    with serve(MIRROR) as server, tempfile.TemporaryDirectory() as tmp:
        source = remote.open_mirror(server.url)
        print(f"{'file':<26}{'N':>6}{'records B':>12}{'received B':>12}{'over B':>9}"
              f"{'full file B':>13}{'of full':>9}{'time':>9}  target")
        for category, fmt in CASES:
            url = source.url(category, fmt)
            server.reset()
            start = time.perf_counter()
            source.fetch(url, Path(tmp) / "whole")
            full_time = time.perf_counter() - start
            full = server.sent()
            print(f"{remote.file_name(category, fmt):<26}{'all':>6}{full:>12}{full:>12}{0:>9}"
                  f"{full:>13}{1:>9.1%}{full_time * 1000:>7.1f}ms  (baseline)")
            for n in (5, 100, 1000):
                server.reset()
                start = time.perf_counter()
                data, got = partial.RecordPrefix(source, url, fmt).take(n)
                took = time.perf_counter() - start
                received = server.sent()
                ok = got == n and received <= len(data) + SLACK
                failures += not ok
                print(f"{'':<26}{n:>6}{len(data):>12}{received:>12}{received - len(data):>9}"
                      f"{full:>13}{received / full:>9.1%}{took * 1000:>7.1f}ms  "
                      f"{'ok' if ok else 'MISSED'} ({len(server.requests())} requests)")
        for n in (5, 100, 1000):
            server.reset()
            data, rows = partial.npy_prefix(source, source.url("eye", "bitmap"), n)
            received = server.sent()
            need = partial.NPY_HEAD + rows * 784
            ok = received <= need + SLACK
            failures += not ok
            print(f"{'eye.npy':<26}{n:>6}{need:>12}{received:>12}{received - need:>9}"
                  f"{(MIRROR / 'full/numpy_bitmap/eye.npy').stat().st_size:>13}"
                  f"{received / (MIRROR / 'full/numpy_bitmap/eye.npy').stat().st_size:>9.1%}"
                  f"{'':>9}  {'ok' if ok else 'MISSED'}")
    print("all targets met" if not failures else f"{failures} targets MISSED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
