"""Speed of the SYNTHETIC doodle generator against parsing real simplified ndjson into Drawings.

    python3 bench/bench_synthetic.py [--count 20000]

Target: over 10,000 drawings/s on one core, so 1,000,000 drawings take a few minutes. The baseline
is json.loads + Drawing.from_json over the mirror's real simplified lines of the same classes
(repeated to the same count), measured in the same run. Also prints how much the process grows
while streaming drawings with iter_drawings (memory must stay bounded).
"""
import argparse
import json
import resource
import time
from pathlib import Path

from quickdraw import Drawing
from quickdraw.synthetic import CLASSES, generate, iter_drawings

MIRROR = Path(__file__).resolve().parents[2] / "shared" / "quickdraw" / "full" / "simplified"


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20_000, help="drawings per class")
    args = parser.parse_args()

    before = rss_mib()
    start = time.process_time()
    streamed = sum(1 for _ in iter_drawings("house", 10 * args.count, seed=1))
    stream_rate = streamed / (time.process_time() - start)
    print(f"streamed {streamed:,} houses with iter_drawings: peak RSS grew {rss_mib() - before:,.0f} MiB "
          f"({stream_rate:,.0f} drawings/s)")

    total_syn = total_real = 0.0
    print(f"{'class':12s} {'synthetic/s':>12s} {'parse real/s':>13s}  ratio")
    for name in CLASSES:
        start = time.process_time()
        generate(name, args.count, seed=1)
        syn = time.process_time() - start
        lines = (MIRROR / f"{name}.ndjson").read_text().splitlines()
        lines = (lines * (args.count // len(lines) + 1))[:args.count]
        start = time.process_time()
        for line in lines:
            Drawing.from_json(json.loads(line))
        real = time.process_time() - start
        total_syn, total_real = total_syn + syn, total_real + real
        print(f"{name:12s} {args.count / syn:12,.0f} {args.count / real:13,.0f}  {real / syn:5.2f}x")
    n = args.count * len(CLASSES)
    print(f"{'all':12s} {n / total_syn:12,.0f} {n / total_real:13,.0f}  {total_real / total_syn:5.2f}x "
          f"(CPU seconds; target > 10,000 synthetic drawings/s)")
    print(f"1,000,000 synthetic drawings: about {1e6 * total_syn / n:,.0f} CPU seconds on one core")


if __name__ == "__main__":
    main()
