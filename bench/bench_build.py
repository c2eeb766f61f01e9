"""Peak memory and speed of `qd build` at scale: 1,000,000 SYNTHETIC drawings must stay under 2 GB RSS.

    python3 bench/bench_build.py [--total 1000000]

Runs the build in a child process and reads its peak RSS (ru_maxrss), beside the RSS of a child that
only imports the same modules (the baseline).
"""
import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import sys, resource
sys.path.insert(0, {root!r})
from quickdraw import synthetic, render, strokes
from quickdraw.subset import build
if {do_build}:
    build(list(synthetic.CLASSES[:{k}]), {per_class}, {out!r}, synthetic=True, quiet=True)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def child(do_build, k, per_class, out):
    code = CHILD.format(root=str(ROOT), do_build=do_build, k=k, per_class=per_class, out=out)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr)
    return int(done.stdout.split()[-1]) / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=8)
    args = parser.parse_args()
    per_class = args.total // args.classes
    base = child(False, args.classes, per_class, "")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        peak = child(True, args.classes, per_class, str(Path(tmp) / "ds"))
        seconds = time.perf_counter() - start
        size = sum(f.stat().st_size for f in (Path(tmp) / "ds").iterdir()) / 2**20
    total = per_class * args.classes
    print(f"imports only: peak RSS {base:,.0f} MiB")
    print(f"build {total:,} drawings ({args.classes} classes): peak RSS {peak:,.0f} MiB "
          f"(target < 2048), {seconds:.0f} s, {total / seconds:,.0f} drawings/s, {size:,.0f} MiB on disk")


if __name__ == "__main__":
    main()
