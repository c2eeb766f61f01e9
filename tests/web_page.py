"""Driving a ``qd web`` page in Chromium with real input events: mouse (Playwright) and touch (CDP).

Strokes are given in the dataset's 0-255 frame and sent as pointer samples at the screen positions
the pad maps to those frame units (its default view: the 0-255 frame over the whole canvas).
"""
from __future__ import annotations

import json

READY = "window.qd && (window.qd.ready || window.qd.error)"
# the guesses shown are those of the strokes the page holds now, and no guess is on its way
SETTLED = ("window.qd.raw.length > 0 && JSON.stringify(window.qd.seen) === JSON.stringify(window.qd.raw) "
           "&& !window.qd.guessing")


def open_page(page, url: str, timeout_ms: int = 60_000) -> None:
    """Load the page and wait until its classifier is ready; fail with the page's own error otherwise."""
    page.goto(url)
    page.wait_for_function(READY, timeout=timeout_ms)
    error = page.evaluate("window.qd.error")
    assert error is None, error


def screen(box: dict, x: float, y: float, frame: float = 255.0) -> tuple[float, float]:
    """The client position of frame point (x, y) on a pad whose bounding box is ``box`` (the inverse of the pad's
    mapping). The far edges are taken a thousandth of a pixel inside: a pointer exactly on the right or bottom
    edge is outside the canvas and would not draw."""
    return (min(box["x"] + x / frame * box["width"], box["x"] + box["width"] - 1e-3),
            min(box["y"] + y / frame * box["height"], box["y"] + box["height"] - 1e-3))


def draw(page, strokes) -> None:
    """Draw ``strokes`` ([[xs], [ys]] in frame units) on #pad with the mouse, one pointer sample per point."""
    box = page.locator("#pad").bounding_box()
    for xs, ys in strokes:
        page.mouse.move(*screen(box, xs[0], ys[0]))
        page.mouse.down()
        for x, y in zip(xs[1:], ys[1:]):
            page.mouse.move(*screen(box, x, y))
        page.mouse.up()


def touch_draw(page, strokes) -> None:
    """Draw ``strokes`` on #pad with one finger, through Chromium's touch input (the DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    box = page.locator("#pad").bounding_box()
    try:
        for xs, ys in strokes:
            points = [screen(box, x, y) for x, y in zip(xs, ys)]
            for i, (x, y) in enumerate(points):
                kind = "touchStart" if i == 0 else "touchMove"
                cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finally:
        cdp.detach()


def settled_guesses(page, timeout_ms: int = 30_000) -> dict:
    """Wait until the guesses shown are those of the page's current strokes; return the page's state."""
    page.wait_for_function(SETTLED, timeout=timeout_ms)
    return json.loads(page.evaluate("JSON.stringify({strokes: qd.strokes, raw: qd.raw, probabilities: qd.probabilities, "
                                    "guesses: qd.guesses, latencies: qd.latencies, "
                                    "shown: [...document.querySelectorAll('#guesses li')].map(li => li.textContent)})"))


def as_lists(strokes) -> list:
    """Strokes as plain [[xs], [ys]] lists of floats (for JSON and for the page)."""
    return [[[float(v) for v in s[0]], [float(v) for v in s[1]]] for s in strokes]
