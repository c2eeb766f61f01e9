"""Parse throughput of the five formats (drawings/s) beside a json.loads baseline, same run.

Reads real mirror files (../shared/quickdraw) from memory through the streaming readers into
DrawingTable chunks (reads of 64 KiB doubling to 256 KiB, as for any seekable stream).
Baseline: ``json.loads`` on each line of the same drawings' ndjson. TARGET: binary and simplified ndjson >= 5x the baseline. Each figure is the best of
several interleaved repeats (the machine may be shared).

    python3 bench/bench_parse.py
"""
from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from quickdraw.formats import binary, bitmap, ndjson, sketchrnn  # noqa: E402

MIRROR = (REPO / ".." / "shared" / "quickdraw").resolve()
REPEATS = 5
TARGET = 5.0


def count(reader, data: bytes, word: str | None = None) -> int:
    return sum(len(t) for t in reader(io.BytesIO(data), word))


def json_baseline(data: bytes) -> int:
    lines = data.splitlines()
    for line in lines:
        json.loads(line)
    return len(lines)


def best_rates(jobs: dict) -> dict:
    """Run each job REPEATS times, interleaved; return {name: (items, best items/s)}."""
    best = {name: 0.0 for name in jobs}
    items = {}
    for _ in range(REPEATS):
        for name, job in jobs.items():
            start = time.process_time()
            items[name] = job()
            best[name] = max(best[name], items[name] / (time.process_time() - start))
    return {name: (items[name], best[name]) for name in jobs}


def row(label: str, n: int, rate: float, baseline: float, target: float | None) -> str:
    ratio = rate / baseline
    verdict = "" if target is None else ("  ok" if ratio >= target else "  MISSED")
    return f"{label:<34}{n:>8}{rate:>14,.0f}{ratio:>9.1f}x{verdict}"


def main() -> int:
    """Print drawings/s per format and file, with ratios to the json.loads baseline."""
    if not MIRROR.is_dir():
        print(f"offline mirror not found at {MIRROR}")
        return 1
    print(f"{'reader (file)':<34}{'drawings':>8}{'drawings/s':>14}{'vs json':>10}")
    missed = 0
    for name in ("eye", "mouth"):
        simplified = (MIRROR / f"full/simplified/{name}.ndjson").read_bytes()
        packed = (MIRROR / f"full/binary/{name}.bin").read_bytes()
        rates = best_rates({
            "json": lambda: json_baseline(simplified),
            "ndjson": lambda: count(ndjson.read, simplified),
            "binary": lambda: count(binary.read, packed, name),
        })
        base = rates["json"][1]
        print(row(f"json.loads per line ({name})", rates["json"][0], base, base, None)
              + "  (baseline)")
        for key, label in (("ndjson", f"simplified ndjson ({name}.ndjson)"),
                           ("binary", f"binary ({name}.bin)")):
            line = row(label, *rates[key], base, TARGET)
            missed += line.endswith("MISSED")
            print(line)

    raw = b"".join(p.read_bytes() for p in sorted((MIRROR / "full/raw").glob("*.ndjson")))
    rates = best_rates({"json": lambda: json_baseline(raw), "raw": lambda: count(ndjson.read, raw)})
    base = rates["json"][1]
    print(row("json.loads per line (all raw)", rates["json"][0], base, base, None) + "  (baseline)")
    print(row("raw ndjson (all raw files)", *rates["raw"], base, None))

    eye = (MIRROR / "full/simplified/eye.ndjson").read_bytes()
    npy = (MIRROR / "full/numpy_bitmap/eye.npy").read_bytes()
    npz = (MIRROR / "sketchrnn/eye.npz").read_bytes()
    rates = best_rates({"json": lambda: json_baseline(eye),
                        "bitmap": lambda: count(bitmap.read, npy, "eye"),
                        "sketchrnn": lambda: count(sketchrnn.read, npz, "eye")})
    base = rates["json"][1]
    print(row("numpy_bitmap (eye.npy)", *rates["bitmap"], base, None))
    print(row("sketchrnn stroke-3 (eye.npz)", *rates["sketchrnn"], base, None))
    print(f"TARGET: binary and simplified ndjson >= {TARGET:.0f}x json.loads: "
          + ("met" if not missed else f"missed in {missed} case(s)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
