"""No lost pen samples (issue 23): points kept against points injected, in real windows and in the notebook.

    python3 bench/bench_pen.py [--old REV_CHECKOUT] [--skip-desktop] [--skip-notebook] [--drawings 20]

Desktop: a virtual X display (Xvfb); xdotool moves the real pointer through the strokes of real mirror
drawings (raw strokes, scaled into the pad), one sample every 10, 30 or 60 ms, into ``qd classify --draw``
(the next stroke starts while the last one's guess is computed), ``qd complete bird --interactive`` (the
second stroke starts 0.5 s after the first, while the candidates grow) and ``qd play`` (live guesses
every 150 ms while the pen moves). A probe loaded into the ``qd`` process records the points each stroke
arrived with; "kept" counts them against the points xdotool injected (not against what callbacks saw),
and "within 2" is the share of strokes whose simplified form stays within 2 frame units of every
injected point (no chord across a lost stretch). With ``--old`` (a checkout of the code before this
change, e.g. ``git worktree add /tmp/qd_before 716b785``) the same runs go to that code too.

Notebook: JupyterLab and headless Chromium (Playwright, Debian's chromium); pointer events on the
widget at the same rates; kept counts the points the kernel received; then pen-up to guesses shown and
pen-up to the first candidate points in the page, median and p95 over ``--drawings`` mirror drawings.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MIRROR = REPO.parent / "shared" / "quickdraw"
MODELS = REPO.parent / "shared" / "quickdraw-models"
RATES_MS = (10, 30, 60)

PROBE = textwrap.dedent('''
    import atexit, json, os
    OUT = os.environ["QD_PEN_PROBE"]
    strokes = []

    def _dump():
        with open(OUT, "w") as f:
            json.dump(strokes, f)

    atexit.register(_dump)

    def _never_recognise(module):
        game = getattr(module, "Game", None)
        if game is not None:
            init = game.__init__

            def patient(self, *args, **kwargs):
                kwargs["confidence"] = 1.01  # the bench keeps drawing: no round ends early
                init(self, *args, **kwargs)

            game.__init__ = patient

    def _geometry(fig, ax):
        def write():
            canvas = fig.canvas.get_tk_widget()
            t = ax.transData
            geo = {"rootx": canvas.winfo_rootx(), "rooty": canvas.winfo_rooty(), "height": fig.bbox.height,
                   "a": [float(v) for v in t.transform((0, 0))], "b": [float(v) for v in t.transform((255, 255))]}
            with open(OUT + ".geo", "w") as f:
                json.dump(geo, f)
        timer = fig.canvas.new_timer(interval=1500)
        timer.single_shot = True
        timer.add_callback(write)
        timer.start()
        return timer

    import quickdraw
    if not os.path.exists(os.path.join(os.path.dirname(quickdraw.__file__), "window.py")):
        from quickdraw.ui import pad as _pad, window as _window
        _init = _window.DrawingWindow.__init__

        def init(self, fig, *args, **kwargs):
            _init(self, fig, *args, **kwargs)
            self._probe = _geometry(fig, self.axes)

        _window.DrawingWindow.__init__ = init
        _up, _take = _pad.Sketchpad.pen_up, _pad.Sketchpad.take_stroke

        def pen_up(self, points=None, *, whole=False):
            live = [] if whole or self._live is None else list(self._live)
            live += _pad._pairs(points) if points is not None else []
            strokes.append(live)
            return _up(self, points, whole=whole)

        def take_stroke(self):
            if self._live:
                strokes.append(list(self._live))
            return _take(self)

        _pad.Sketchpad.pen_up, _pad.Sketchpad.take_stroke = pen_up, take_stroke
        from quickdraw.classifier import play as _play
        _never_recognise(_play)
    else:  # the code before the pads: one DrawingWindow with its own points
        from quickdraw import window as _window
        _init, _release, _cancel = (_window.DrawingWindow.__init__, _window.DrawingWindow._release,
                                    _window.DrawingWindow.cancel_stroke)

        def init(self, fig, *args, **kwargs):
            _init(self, fig, *args, **kwargs)
            self._probe = _geometry(fig, self.pad)

        def release(self, event):
            if self._points is not None and event.button == 1:
                self._motion(event)
                strokes.append(list(self._points))
            return _release(self, event)

        def cancel(self):
            if self._points is not None:
                strokes.append(list(self._points))
            return _cancel(self)

        _window.DrawingWindow.__init__ = init
        _window.DrawingWindow._release = release
        _window.DrawingWindow.cancel_stroke = cancel
        from quickdraw.classifier import play as _play
        _never_recognise(_play)
''')


# ---- drawings ---------------------------------------------------------------------------------

def raw_drawings(category: str, n: int, skip: int = 0) -> list[list[np.ndarray]]:
    """Raw mirror drawings (every point the pen gave), scaled into the 0-255 frame with a margin."""
    from quickdraw.formats import read_path

    out = []
    for i, d in enumerate(read_path(MIRROR / "full" / "raw" / f"{category}.ndjson")):
        if i < skip:
            continue
        strokes = [np.asarray(s, float)[:2] for s in d.strokes if np.asarray(s).shape[1] > 1]
        xy = np.concatenate(strokes, axis=1)
        low, side = xy.min(axis=1), max(np.ptp(xy, axis=1).max(), 1)
        out.append([(s - low[:, None]) * 225 / side + 15 for s in strokes])
        if len(out) == n:
            break
    return out


def deviation(received: np.ndarray, injected: np.ndarray) -> float:
    """How far the stroke as saved (the received points, simplified) lies from what a window that lost no
    point would save (the injected points, simplified): the largest distance from a vertex of either to
    the other's polyline, in frame units."""
    from quickdraw.raster.simplify import simplify_partial

    if received.shape[1] < 1:
        return float("inf")
    saved = np.asarray(simplify_partial([received])[0], float)
    ideal = np.asarray(simplify_partial([injected])[0], float)
    return max(_farthest(saved, ideal), _farthest(ideal, saved))


def _farthest(points: np.ndarray, line: np.ndarray) -> float:
    """The largest distance from a point of ``points`` (2, n) to the polyline ``line`` (2, k)."""
    a, b = line[:, :-1].T, line[:, 1:].T
    worst = 0.0
    for p in points.T:
        if len(a) == 0:
            d = float(np.hypot(*(p - line[:, 0])))
        else:
            ab = b - a
            t = np.clip(((p - a) * ab).sum(1) / np.maximum((ab * ab).sum(1), 1e-12), 0, 1)
            d = float(np.hypot(*(a + t[:, None] * ab - p).T).min())
        worst = max(worst, d)
    return worst


def score(injected: list[np.ndarray], received: list) -> tuple[int, int, int, float]:
    """(points injected, injected points that arrived, strokes within 2 units, largest deviation) of one run."""
    total = sum(s.shape[1] for s in injected)
    got, within, worst = 0, 0, 0.0
    for i, stroke in enumerate(injected):
        rec = np.array(received[i], float).T if i < len(received) and len(received[i]) else np.zeros((2, 0))
        if rec.shape[1]:
            got += sum(np.hypot(*(rec - p[:, None])).min() <= 0.5 for p in stroke.T)
        d = deviation(rec, stroke)
        worst = max(worst, d)
        within += d <= 2.0
    return total, got, within, worst


# ---- desktop ----------------------------------------------------------------------------------

class Xvfb:
    def __enter__(self):
        read_end, write_end = os.pipe()
        self.server = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24",
                                        "-nolisten", "tcp"], pass_fds=(write_end,), stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
        os.close(write_end)
        with os.fdopen(read_end) as f:
            self.display = ":" + f.readline().strip()
        return self

    def __exit__(self, *exc):
        self.server.terminate()
        self.server.wait(timeout=10)


def desktop_run(code_root: Path, argv: list[str], drawing: list[np.ndarray], rate_ms: int, gap_s: float,
                display: str, tmp: Path) -> tuple[list[np.ndarray], list]:
    """Run ``qd argv`` from ``code_root`` in a window, inject ``drawing`` with xdotool; return (injected, received)."""
    probe_dir = tmp / "probe"
    probe_dir.mkdir(exist_ok=True)
    (probe_dir / "sitecustomize.py").write_text(PROBE)
    out = tmp / f"probe-{time.monotonic_ns()}.json"
    env = {**os.environ, "DISPLAY": display, "MPLBACKEND": "TkAgg", "QD_PEN_PROBE": str(out),
           "PYTHONPATH": f"{probe_dir}:{code_root}", "QD_CACHE": str(tmp / "cache")}
    env.pop("QD_CANVAS_SCRIPT", None)
    process = subprocess.Popen([sys.executable, "-m", "cli.main", *argv], cwd=tmp, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    geo_file = Path(str(out) + ".geo")
    deadline = time.monotonic() + 120
    while not geo_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"qd {' '.join(argv)} did not open its window: {process.stderr.read()[-1500:]}")
        time.sleep(0.1)
    time.sleep(0.3)
    geo = json.loads(geo_file.read_text())
    (ax0, ay0), (bx0, by0) = geo["a"], geo["b"]

    def screen(x, y):
        dx, dy = ax0 + (bx0 - ax0) * x / 255, ay0 + (by0 - ay0) * y / 255
        return int(round(geo["rootx"] + dx)), int(round(geo["rooty"] + geo["height"] - dy))

    def frame(sx, sy):
        dx, dy = sx - geo["rootx"], geo["height"] - (sy - geo["rooty"])
        return 255 * (dx - ax0) / (bx0 - ax0), 255 * (dy - ay0) / (by0 - ay0)

    injected = []
    for stroke in drawing:
        pixels = []
        for x, y in stroke.T:
            p = screen(x, y)
            if not pixels or pixels[-1] != p:
                pixels.append(p)
        cmd = ["xdotool", "mousemove", *map(str, pixels[0]), "mousedown", "1"]
        for p in pixels[1:]:
            cmd += ["sleep", f"{rate_ms / 1000:.3f}", "mousemove", *map(str, p)]
        cmd += ["mouseup", "1"]
        subprocess.run(cmd, env={**os.environ, "DISPLAY": display}, check=True)
        injected.append(np.array([frame(*p) for p in pixels]).T)
        time.sleep(gap_s)
    time.sleep(1.0)
    subprocess.run(["xdotool", "key", "q"], env={**os.environ, "DISPLAY": display}, check=True)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    received = json.loads(out.read_text()) if out.exists() else []
    return injected, received


def desktop(old: Path | None, run: Path, tmp: Path, classes) -> None:
    from quickdraw.classifier.play import round_categories

    versions = [("today", old)] if old else []
    versions.append(("this change", REPO))
    target = round_categories(classes, 1, seed=0)[0]
    other = next(c for c in ("fish", "cat", "eye") if c != target and c in classes)
    scenarios = [
        ("classify --draw", ["classify", str(run), "--draw"], raw_drawings("eye", 1)[0], 0.15),
        ("complete bird", ["complete", "bird", "--interactive", "--model-mirror", str(MODELS), "--n", "4"],
         next(d for d in raw_drawings("bird", 10) if len(d) >= 3), 0.5),
        ("play", ["play", str(run), "--rounds", "1", "--seconds", "120", "--out", str(tmp / "game.ndjson")],
         raw_drawings(other, 1, skip=1)[0], 0.15),
    ]
    print(f"desktop windows (Xvfb {1280}x{800}, xdotool): points kept / injected, strokes within 2 units")
    print(f"  {'window':16} {'ms/point':>8} " + "".join(f"{name:>34}" for name, _ in versions))
    with Xvfb() as x:
        for label, argv, drawing, gap in scenarios:
            for rate in RATES_MS:
                cells = []
                for name, root in versions:
                    injected, received = desktop_run(root, argv, drawing, rate, gap, x.display, tmp)
                    total, got, within, worst = score(injected, received)
                    cells.append(f"{got:4d}/{total:<4d} {got / total:6.1%}  {within}/{len(injected)} "
                                 f"max {worst:5.1f}")
                print(f"  {label:16} {rate:8d} " + "".join(f"{c:>34}" for c in cells), flush=True)


# ---- notebook ---------------------------------------------------------------------------------

def notebook(run: Path, tmp: Path, n: int) -> None:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(REPO))
    from tests.browser import CHROMIUM, CHROMIUM_ARGS
    from quickdraw.formats import read_path
    from tests.jupyter import draw

    cells = [f"import json, sketchrnn\nfrom quickdraw.classifier import guess_pad\nRUN, MODELS = {str(run)!r}, "
             f"{str(MODELS)!r}",
             "pad = guess_pad(RUN)\npad",
             "done = sketchrnn.complete_pad('bird', n=4, model_mirror=MODELS)\ndone"]
    with _lab(tmp) as lab, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = lab.open(browser, "bench.ipynb", cells)
        lab.run_cell(page, 0)
        lab.kernel(page, "print(RUN)")
        lab.run_cell(page, 1)
        guess = page.locator(".jp-Cell").nth(1).locator(".qd-widget")
        guess.locator("canvas.qd-canvas").wait_for(timeout=120_000)
        canvas = guess.locator("canvas.qd-canvas")
        canvas.scroll_into_view_if_needed()
        eye = raw_drawings("eye", 1)[0]
        print("notebook (JupyterLab, headless Chromium, pointer events): points kept / injected")
        for rate in RATES_MS:
            lab.kernel(page, "pad.key('c')")
            before = json.loads(lab.kernel(page, "print(len(pad.raw_strokes))"))
            injected = draw(page, canvas, [s.tolist() for s in eye], step_ms=rate, pause_s=0.15)
            time.sleep(1.0)
            received = json.loads(lab.kernel(
                page, f"print(json.dumps([s.T.tolist() for s in pad.raw_strokes[{before}:]]))"))
            total, got, within, worst = score([np.array(s, float).T for s in injected], received)
            print(f"  guess_pad {rate:3d} ms/point: {got}/{total} {got / total:.1%}, strokes within 2 units "
                  f"{within}/{len(injected)} (max {worst:.2f})", flush=True)
        moves = page.evaluate("() => { const pads = [...document.querySelectorAll('.qd-widget')].map(w => w.qdPad); "
                              "return pads.map(p => p && p.stats); }")
        print(f"  pointermove events vs samples read (getCoalescedEvents): {moves}")
        drawings = [d for d in read_path(MIRROR / "full" / "simplified" / "eye.ndjson")][:n]
        lab.kernel(page, "pad.key('c')")
        page.evaluate("() => { window.qdNotebook.latencies.guesses = []; }")
        for d in drawings:
            lab.kernel(page, "pad.key('c')")
            draw(page, canvas, [[list(map(float, s[0])), list(map(float, s[1]))] for s in d.strokes[:1]],
                 step_ms=10, pause_s=0.6)
        guesses = page.evaluate("() => window.qdNotebook.latencies.guesses")
        lab.run_cell(page, 2)
        done = page.locator(".jp-Cell").nth(2).locator(".qd-widget")
        done.locator("canvas.qd-canvas").wait_for(timeout=120_000)
        done.scroll_into_view_if_needed()
        birds = [d for d in read_path(MIRROR / "full" / "simplified" / "bird.ndjson")][:n]
        for d in birds:
            lab.kernel(page, "done.key('c')")
            draw(page, done.locator("canvas.qd-canvas"), [[list(map(float, s[0])), list(map(float, s[1]))]
                                                          for s in d.strokes[:1]], step_ms=10, pause_s=1.0)
        candidates = page.evaluate("() => window.qdNotebook.latencies.candidates")
        for what, values, target in (("pen-up to guesses shown", guesses, 150),
                                     ("pen-up to first candidate points", candidates, 250)):
            v = np.array(values)
            print(f"  {what}: median {np.median(v):.0f} ms, p95 {np.percentile(v, 95):.0f} ms over {len(v)} "
                  f"strokes (target {target} ms)", flush=True)
        browser.close()


def _lab(tmp):
    from tests.jupyter import Lab

    (tmp / "lab").mkdir(exist_ok=True)
    return Lab(tmp / "lab")


def small_run(tmp: Path) -> tuple[Path, list[str]]:
    from quickdraw.builder.subset import build
    from quickdraw.classifier import train

    dataset = build(["cat", "eye", "fish"], 25, tmp / "ds", mirror=str(MIRROR), quiet=True, allow_short=True)
    train(dataset, tmp / "cnn", epochs=4, batch_size=16, verbose=0, seed=0)
    return tmp / "cnn", ["cat", "eye", "fish"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--old", type=Path, help="a checkout of the code before the pads, run beside this one")
    parser.add_argument("--skip-desktop", action="store_true")
    parser.add_argument("--skip-notebook", action="store_true")
    parser.add_argument("--drawings", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        run, classes = small_run(tmp)
        if not args.skip_desktop:
            if shutil.which("Xvfb") is None or shutil.which("xdotool") is None:
                print("desktop: needs Xvfb and xdotool (apt-get install xvfb xdotool); skipped")
            else:
                desktop(args.old, run, tmp, classes)
        if not args.skip_notebook:
            from tests.browser import CHROMIUM

            missing = [name for name in ("playwright", "jupyterlab", "anywidget")
                       if importlib.util.find_spec(name) is None]
            if missing or not Path(CHROMIUM).exists():
                print(f"notebook: needs {', '.join(missing) or 'Chromium'} (pip install -e '.[test]'; apt-get install "
                      "chromium); skipped")
            else:
                notebook(run, tmp, args.drawings)


if __name__ == "__main__":
    main()
