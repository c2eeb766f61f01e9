"""Peak memory and speed of `qd build` at scale (issue 18): the streaming builder's RSS must not grow.

    python3 bench/bench_build.py [--totals 1000000,4000000] [--skip-beam]

Each build runs in a child process that reports its peak RSS (ru_maxrss) and CPU seconds; beside them:
a child that only imports the same modules (the baseline), a ``--count all`` build of every category of the
offline mirror (real drawings: bytes per drawing and rate, for the 50M estimate) and the same build on
Beam's DirectRunner. drawings/s per core = drawings / CPU seconds of the child.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIRROR = ROOT.parent / "shared" / "quickdraw"
FULL = 50_000_000
CHILD = """
import sys, resource, json
sys.path.insert(0, {root!r})
from quickdraw import synthetic, render
from quickdraw.formats import strokes
from quickdraw.builder.subset import build
kw = {kw!r}
if kw:
    build(**kw)
u = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps([u.ru_maxrss, u.ru_utime + u.ru_stime]))
"""


def child(kw):
    """Run one build (or none: ``kw`` {}) in a child; return (peak RSS MiB, CPU s, wall s)."""
    code = CHILD.format(root=str(ROOT), kw=kw)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    rss, cpu = json.loads(done.stdout.split("\n")[-2])
    return rss / 1024, cpu, time.perf_counter() - start


def synthetic_kw(total, classes, out):
    from quickdraw import synthetic
    return dict(categories=list(synthetic.CLASSES[:classes]), count=total // classes, out=str(out),
                synthetic=True, quiet=True)


def disk(folder):
    return sum(f.stat().st_size for f in Path(folder).iterdir())


def report(what, n, rss, cpu, wall, size=None, base=None):
    extra = f", {size / 2**20:,.0f} MiB on disk" if size is not None else ""
    over = f" ({rss - base:+,.0f} over imports)" if base is not None else ""
    print(f"{what}: {n:,} drawings, peak RSS {rss:,.0f} MiB{over}, {wall:,.0f} s wall, {cpu:,.0f} s CPU, "
          f"{n / cpu:,.0f} drawings/s per core{extra}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--totals", default="1000000,4000000")
    parser.add_argument("--classes", type=int, default=8)
    parser.add_argument("--skip-beam", action="store_true")
    args = parser.parse_args()
    totals = [int(t) for t in args.totals.split(",")]
    base, _, _ = child({})
    print(f"imports only: peak RSS {base:,.0f} MiB", flush=True)
    peaks = []
    with tempfile.TemporaryDirectory(dir=ROOT.parent) as tmp:
        for i, total in enumerate(totals):
            n = total // args.classes * args.classes
            out = Path(tmp) / f"s{total}"
            rss, cpu, wall = child(synthetic_kw(total, args.classes, out))
            report("streaming builder", n, rss, cpu, wall, disk(out), base)
            peaks.append(rss)
            subprocess.run(["rm", "-rf", str(out)])
        if len(peaks) > 1:
            print(f"peak RSS {peaks[-1]:,.0f} vs {peaks[0]:,.0f} MiB: {100 * (peaks[-1] / peaks[0] - 1):+.1f}% "
                  f"for {totals[-1] / totals[0]:.0f}x the drawings", flush=True)
        if not (MIRROR / "categories.txt").exists():
            return
        names = [line.strip() for line in (MIRROR / "categories.txt").read_text().splitlines() if line.strip()]
        real = dict(categories=names, count="all", mirror=str(MIRROR), quiet=True)
        out = Path(tmp) / "real"
        rss, cpu, wall = child({**real, "out": str(out)})
        n = json.loads((out / "dataset.json").read_text())["total"]
        size = disk(out)
        m = json.loads((out / "dataset.json").read_text())
        spill = sum(e["bytes"][k] + 16 for sh in m["shards"].values() for e in sh for k in ("strokes", "meta"))
        report(f"mirror, {len(names)} categories, --count all", n, rss, cpu, wall, size, base)
        rate = n / cpu
        print(f"50M estimate (full dataset, this machine, one core): {FULL / rate / 3600:,.1f} h at {rate:,.0f} "
              f"drawings/s (real drawings, parse included); peak RSS ~{max(peaks + [rss]):,.0f} MiB (flat in "
              f"the count); disk {FULL * size / n / 2**30:,.0f} GiB for the dataset, and while building up to "
              f"~{FULL * spill / n / 2**30:,.0f} GiB more of spill", flush=True)
        if not args.skip_beam:
            bout = Path(tmp) / "beam"
            rss, cpu, wall = child({**real, "out": str(bout), "runner": "beam"})
            report("same build on Beam's DirectRunner", n, rss, cpu, wall, disk(bout), base)
            same = all((out / f.name).read_bytes() == f.read_bytes() for f in bout.iterdir())
            print(f"  DirectRunner {n / wall:,.0f} drawings/s wall; folders identical: {same}", flush=True)


if __name__ == "__main__":
    main()
