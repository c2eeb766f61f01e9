"""One headless Chromium for every browser test of the session, and a static file server on 127.0.0.1.

Debian's ``/usr/bin/chromium`` driven by Playwright for Python (never ``playwright install``: no
browser is downloaded). ``tests/conftest.py`` makes ``browser`` a fixture of every test (one
Playwright per process: a second ``sync_playwright`` would refuse to start); import ``serve``:

    from tests.browser import serve

    def test_page(browser, tmp_path):
        with serve(tmp_path) as url:
            page = browser.new_page()
            page.goto(url + "index.html")

The fixture skips (not fails) when Chromium or the ``playwright`` package is absent.
"""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("QD_CHROMIUM", "/usr/bin/chromium")
# No network beyond the loopback, no GPU here, nothing that phones home or updates itself.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """A Playwright ``Browser`` (headless Debian Chromium) shared by the session; open pages or contexts on it."""
    if not Path(CHROMIUM).is_file() and shutil.which(CHROMIUM) is None:
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian's chromium package; QD_CHROMIUM points elsewhere)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (pip) is absent: no browser tests")
    playwright = sync_api.sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as err:  # noqa: BLE001 - a browser that cannot start here is a skip, not a failure
        playwright.stop()
        pytest.skip(f"Chromium did not start: {str(err).splitlines()[0]}")
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
                      ".json": "application/json", ".onnx": "application/octet-stream"}

    def log_message(self, *args):  # keep test output clean
        pass


@contextmanager
def serve(folder):
    """Serve ``folder`` over HTTP on 127.0.0.1 (a free port) for the block; yields its URL, ending in '/'."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
