"""A static web page (``qd web``): draw with mouse, pen or touch; play the game against a classifier; let a
Sketch-RNN finish the drawing. Everything runs in the browser; any static file server serves the folder.

The page knows no model: it is handed exported model files (the classifier as ONNX, run by
onnxruntime-web's wasm backend; a Sketch-RNN as a sketch-rnn-js ``.gen.json``, run by @magenta/sketch in
a Web Worker) and a little JSON about them. Drawings go through ``contract.js``, the JavaScript port of
qd's frame mapping, simplification and raster recipe, so the page's guesses are qd's.

A site folder holds ``index.html``, ``app.js``, ``contract.js``, ``pad.js`` (the drawing pad shared with
the notebook widget), ``sketch-worker.js``, ``style.css``, ``qd-site.json`` (what the page is told) and
``models/``; with ``js_from`` (an npm ``node_modules`` folder) also ``lib/``, the libraries' files, so
that the page works offline; otherwise it loads them from their public CDN.

>>> write_site("site", classifier={"onnx": "cnn.onnx", "classes": ["cat", "dog"], "image_size": 28},
...            sketch=None)  # doctest: +SKIP
"""
from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

from ..core.atomic import check_writable, refuse_existing, write_folder_atomic
from ..errors import QuickDrawError

# The well-kept packages the page loads: from their public CDN by default, or copied into the site from an
# npm node_modules folder (``js_from``) for offline use. Only these files are needed.
LIBRARIES = {
    "ort": {"package": "onnxruntime-web", "version": "1.30.0",
            "files": ["dist/ort.wasm.min.mjs", "dist/ort-wasm-simd-threaded.mjs", "dist/ort-wasm-simd-threaded.wasm"]},
    "sketch": {"package": "@magenta/sketch", "version": "0.2.0", "files": ["dist/magentasketch.js"]},
}
CDN = "https://cdn.jsdelivr.net/npm/{package}@{version}/dist/"  # both packages keep their files in dist/
ASSETS = ("index.html", "app.js", "contract.js", "sketch-worker.js", "style.css")  # quickdraw/ui/web/
SHARED_ASSETS = ("pad.js",)  # quickdraw/ui/static/, shared with the notebook widget
SITE_FILE = "qd-site.json"
GAME = {"rounds": 6, "seconds": 20.0, "confidence": 0.5, "guess_every_s": 0.15, "between_rounds_s": 1.5}
COMPLETION = {"n": 4, "temperature": 0.4}


def check_out(out, force: bool = False) -> Path:
    """Refuse, before any work, an ``out`` that exists (without ``force``; with it, unless it is an earlier site
    or empty) or cannot be written."""
    out = refuse_existing(out, force, replaceable=_earlier_site)
    if out.exists() and not out.is_dir():
        raise QuickDrawError(f"--out {out} is a file; qd web writes a folder")
    return check_writable(out)


def _earlier_site(path: Path) -> bool:
    return path.is_dir() and ((path / SITE_FILE).is_file() or not any(path.iterdir()))


def check_js_from(folder, sketch: bool = True) -> Path:
    """The ``node_modules`` folder ``folder`` if it holds every library file the page needs, else a QuickDrawError
    naming what is missing and how to install it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise QuickDrawError(f"--js-from {folder} is not a folder (give an npm node_modules folder)")
    if (folder / "node_modules").is_dir() and not (folder / LIBRARIES["ort"]["package"]).exists():
        folder = folder / "node_modules"
    missing = [f"{lib['package']}/{name}" for key, lib in LIBRARIES.items() if sketch or key != "sketch"
               for name in lib["files"] if not (folder / lib["package"] / name).is_file()]
    if missing:
        install = " ".join(f"{lib['package']}@{lib['version']}" for lib in LIBRARIES.values())
        raise QuickDrawError(f"--js-from {folder} lacks {', '.join(missing[:2])}"
                             f"{' and more' if len(missing) > 2 else ''}; install them with "
                             f"`npm install {install}` and give its node_modules")
    return folder


def library_urls(js_from) -> dict:
    """Where the page loads each library's files from: ``lib/PACKAGE/`` in the site, or the CDN."""
    if js_from is None:
        return {key: CDN.format(**lib) for key, lib in LIBRARIES.items()}
    return {key: f"lib/{lib['package']}/" for key, lib in LIBRARIES.items()}


def write_site(out, *, classifier: dict, sketch: dict | None = None, js_from=None, title: str = "qd",
               force: bool = False) -> Path:
    """Write the page and the model files it is handed into the folder ``out``; return it.

    ``classifier``: ``onnx`` (path of the exported ONNX model), ``classes``, ``image_size``, and optionally
    ``name`` and ``synthetic``. ``sketch`` (or None): ``gen_json`` (a sketch-rnn-js model file), ``name``,
    ``pixel_factor`` (what @magenta/sketch's ``setPixelFactor`` is given so that 0-255 frame units reach the
    network as qd sends them), ``max_seq_len`` and ``temperature_rule`` ("sketch-rnn-js" or "magenta", as
    qd samples that model). ``js_from``: an npm ``node_modules`` folder to copy the
    libraries from (else the page loads them from the CDN). The folder is written whole or not at all.
    """
    out = check_out(out, force)
    modules = check_js_from(js_from, sketch is not None) if js_from is not None else None
    config = {
        "title": title,
        "libraries": library_urls(modules),
        "classifier": {"model": "models/classifier.onnx", "classes": list(classifier["classes"]),
                       "image_size": int(classifier["image_size"]), "name": classifier.get("name", "classifier"),
                       "synthetic": bool(classifier.get("synthetic"))},
        "sketch": None if sketch is None else {
            "model": "models/sketch.gen.json", "name": sketch.get("name", "sketch"),
            "pixel_factor": float(sketch["pixel_factor"]), "max_seq_len": int(sketch["max_seq_len"]),
            "temperature_rule": sketch.get("temperature_rule", "sketch-rnn-js"),
            "synthetic": bool(sketch.get("synthetic")), **COMPLETION},
        "game": GAME,
    }

    def fill(folder: Path) -> None:
        web = resources.files("quickdraw.ui") / "web"
        static = resources.files("quickdraw.ui") / "static"
        for name in ASSETS:
            (folder / name).write_bytes((web / name).read_bytes())
        for name in SHARED_ASSETS:
            (folder / name).write_bytes((static / name).read_bytes())
        (folder / "models").mkdir()
        shutil.copyfile(classifier["onnx"], folder / "models" / "classifier.onnx")
        if sketch is not None:
            shutil.copyfile(sketch["gen_json"], folder / "models" / "sketch.gen.json")
        if modules is not None:
            for key, lib in LIBRARIES.items():
                if key == "sketch" and sketch is None:
                    continue
                target = folder / "lib" / lib["package"]
                target.mkdir(parents=True)
                for name in lib["files"]:
                    shutil.copyfile(modules / lib["package"] / name, target / Path(name).name)
                licence = next((p for p in (modules / lib["package"]).glob("LICENSE*")), None)
                if licence is not None:
                    shutil.copyfile(licence, target / licence.name)
        (folder / SITE_FILE).write_text(json.dumps(config, indent=1) + "\n", "utf-8")

    return write_folder_atomic(out, fill, replace=force)
