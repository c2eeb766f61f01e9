"""A JupyterLab server on 127.0.0.1 and a notebook open in the session's headless Chromium.

    # the browser fixture comes from tests/conftest.py
    from tests.jupyter import Lab

    with Lab(tmp_path) as lab:
        page = lab.open(browser, "test.ipynb", ["pad = guess_pad(RUN)\\npad", ...])
        lab.run_cell(page, 0)                      # as Shift+Enter would: the output shows in the page
        lab.kernel(page, "print(len(pad.strokes))")  # code in the same kernel, its printed text returned

The server runs the notebook's kernel with this interpreter (the virtual environment qd is installed in);
its configuration, data and workspaces live in a temporary folder, with JupyterLab's news prompt off.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server whose root is ``root`` (a temporary folder); a context manager."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.token = secrets.token_hex(8)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process = None

    def __enter__(self) -> "Lab":
        config = self.root / ".jupyter-config"
        (config / "labconfig").mkdir(parents=True, exist_ok=True)
        (config / "labconfig" / "page_config.json").write_text(json.dumps(
            {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
        settings = self.root / ".lab-settings" / "@jupyterlab" / "notebook-extension"
        settings.mkdir(parents=True, exist_ok=True)  # every cell rendered, on screen or not
        (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(self.root / ".runtime"),
               "JUPYTERLAB_WORKSPACES_DIR": str(self.root / ".workspaces"),
               "JUPYTERLAB_SETTINGS_DIR": str(self.root / ".lab-settings"), "PYTHONPATH": str(REPO),
               "MPLBACKEND": "agg"}
        env.pop("DISPLAY", None)
        self.log = open(self.root / "jupyter.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={self.port}",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={self.token}", f"--ServerApp.root_dir={self.root}",
             "--LabApp.expose_app_in_browser=True", "--ServerApp.disable_check_xsrf=True"],
            cwd=self.root, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}api/status?token={self.token}", timeout=2).read()
                return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.3)
        self.__exit__(None, None, None)
        raise RuntimeError("JupyterLab did not start: " + (self.root / "jupyter.log").read_text()[-2000:])

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()

    def open(self, browser, name: str, cells: list[str], viewport=(1280, 1000)):
        """Write a notebook of ``cells`` and open it in a new page; returns the page once its kernel is idle."""
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(code) for code in cells]
        nbformat.write(nb, self.root / name)
        page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        page.goto(f"{self.url}lab/tree/{name}?token={self.token}")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                               "&& window.jupyterapp.shell.currentWidget.sessionContext "
                               "&& window.jupyterapp.shell.currentWidget.sessionContext.session "
                               "&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel "
                               "&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
                               timeout=120_000)
        return page

    def run_cell(self, page, index: int) -> None:
        """Run cell ``index`` of the open notebook as the user would (its output shows in the page)."""
        page.evaluate("""async (index) => {
            const panel = window.jupyterapp.shell.currentWidget;
            panel.content.activeCellIndex = index;
            await window.jupyterapp.commands.execute('notebook:run-cell');
        }""", index)

    def kernel(self, page, code: str, timeout: float = 120) -> str:
        """Run ``code`` in the notebook's kernel (not in a cell); return what it printed. Errors raise."""
        result = page.evaluate("""async (code) => {
            const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
            const future = kernel.requestExecute({code, store_history: false});
            let out = "", error = null;
            future.onIOPub = (msg) => {
                if (msg.header.msg_type === 'stream') out += msg.content.text;
                if (msg.header.msg_type === 'error') error = msg.content.ename + ': ' + msg.content.evalue;
            };
            await future.done;
            return {out, error};
        }""", code)
        if result["error"]:
            raise AssertionError(f"the kernel raised {result['error']}")
        return result["out"]


def draw(page, canvas, strokes, step_ms: float = 10.0, pause_s: float = 0.3) -> list[list[tuple[float, float]]]:
    """Draw ``strokes`` ([[xs], [ys]] in frame units) on ``canvas`` (a locator) with real pointer events,
    one sample every ``step_ms``; return the points injected, in frame units, per stroke."""
    box = canvas.bounding_box()
    injected = []
    for xs, ys in strokes:
        points = []
        for i, (x, y) in enumerate(zip(xs, ys)):
            px, py = box["x"] + x / 255 * box["width"], box["y"] + y / 255 * box["height"]
            if i == 0:
                page.mouse.move(px, py)
                page.mouse.down()
            else:
                time.sleep(step_ms / 1000)
                page.mouse.move(px, py)
            points.append((float(x), float(y)))
        page.mouse.up()
        injected.append(points)
        time.sleep(pause_s)
    return injected
