"""A static web page (``qd web``): draw, play the game against a classifier, let a Sketch-RNN finish the drawing.

Placeholder while the page is written; ``LIBRARIES`` pins the browser packages it loads.
"""
from __future__ import annotations

# The well-kept packages the page loads: from their public CDN by default, or copied into the site from an
# npm node_modules folder (``--js-from``) for offline use. Only these files are needed.
LIBRARIES = {
    "ort": {"package": "onnxruntime-web", "version": "1.30.0",
            "files": ["dist/ort.wasm.min.mjs", "dist/ort-wasm-simd-threaded.mjs", "dist/ort-wasm-simd-threaded.wasm"]},
    "sketch": {"package": "@magenta/sketch", "version": "0.2.0", "files": ["dist/magentasketch.js"]},
}
CDN = "https://cdn.jsdelivr.net/npm/{package}@{version}/"
