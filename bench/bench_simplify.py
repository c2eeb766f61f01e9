"""Raw -> simplified: how often ``quickdraw.simplify`` reproduces the official simplified drawing.

The mirror holds raw and simplified versions of the same drawings (same key_id) for 300
categories (full/raw and full/simplified). Every pair is simplified from raw and compared with
the official drawing. TARGET: exact equality for >= 95% of the pairs. For the mismatches it prints
how far off they are: strokes whose point counts differ, and the mean distance between matching
points of the strokes whose counts agree. Also drawings/s (CPU).

    python3 bench/bench_simplify.py
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from quickdraw.raster.simplify import simplify  # noqa: E402

MIRROR = (REPO / ".." / "shared" / "quickdraw").resolve()
TARGET = 0.95


def pairs():
    """Yield (category, raw strokes, official simplified strokes) for every shared key_id."""
    for path in sorted((MIRROR / "full" / "raw").glob("*.ndjson")):
        with open(MIRROR / "full" / "simplified" / path.name) as f:
            official = {r["key_id"]: r["drawing"] for r in map(json.loads, f)}
        with open(path) as f:
            for record in map(json.loads, f):
                if record["key_id"] in official:
                    yield path.stem, record["drawing"], official[record["key_id"]]


def main() -> int:
    if not (MIRROR / "full" / "raw").is_dir():
        print(f"offline mirror not found at {MIRROR}")
        return 1
    total = exact = 0
    off_count, off_points, seconds = [], [], 0.0
    worst: dict[str, int] = {}
    for name, raw, official in pairs():
        start = time.process_time()
        mine = simplify(raw)
        seconds += time.process_time() - start
        total += 1
        if mine == official:
            exact += 1
            continue
        worst[name] = worst.get(name, 0) + 1
        for a, b in zip(mine, official):
            if a == b:
                continue
            if len(a[0]) != len(b[0]):
                off_count.append(abs(len(a[0]) - len(b[0])))
            else:
                off_points.append(np.hypot(np.subtract(a[0], b[0]), np.subtract(a[1], b[1])).mean())
    rate = exact / total
    print(f"pairs: {total} (300 categories)   exact: {exact}   rate: {rate:.2%}   "
          f"(TARGET >= {TARGET:.0%}: {'ok' if rate >= TARGET else 'MISSED'})")
    print(f"mismatched drawings: {total - exact}")
    if off_points:
        print(f"  strokes with the same point count: {len(off_points)}, "
              f"mean point distance {np.mean(off_points):.2f}")
    if off_count:
        print(f"  strokes with a different point count: {len(off_count)}, "
              f"mean count difference {np.mean(off_count):.1f}")
    if worst:
        print("  by category: " + ", ".join(f"{k} {v}" for k, v in sorted(worst.items(), key=lambda kv: -kv[1])))
    print(f"speed: {total / seconds:,.0f} drawings/s (CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
