"""``qd web``: a static web page that plays the game against a classifier run and, given a Sketch-RNN, completes drawings.

It needs both models, so it sits here: the classifier is exported to ONNX (``quickdraw.classifier.export``),
the Sketch-RNN handed over as a sketch-rnn-js ``.gen.json`` (an official model's own file, or a run exported
by ``sketchrnn.official.export``), and ``quickdraw.ui.site`` writes the page around them.
"""
from __future__ import annotations

from .models import MODEL_HELP


def register(sub) -> None:
    """Add ``qd web`` to the ``qd`` parser."""
    p = sub.add_parser("web", help="write a static web page: draw, play the game against your classifier and let a "
                       "Sketch-RNN finish drawings, all in the browser",
                       description="Write a static folder (index.html, the models, scripts) that works from any static "
                       "file server: draw with mouse, pen or touch; play the Quick, Draw! game with live guesses "
                       "from the classifier RUN computed in the page (onnxruntime-web), strokes rendered exactly as "
                       "qd renders them; given a SKETCH_MODEL, completions of the drawing (@magenta/sketch in a Web "
                       "Worker) that you pick and accept. The libraries load from their public CDN unless "
                       "--js-from copies them in (offline use).",
                       epilog="example: qd web runs/cnn1 bird --out site/ && python3 -m http.server -d site/")
    p.add_argument("run", metavar="RUN", help="a qd train-cnn run folder (the classifier)")
    p.add_argument("sketch", nargs="?", metavar="SKETCH_MODEL",
                   help=f"optional: {MODEL_HELP}; own runs must be decoder-only with a plain LSTM "
                   "(what qd export-model writes as .gen.json)")
    p.add_argument("--out", required=True, metavar="DIR", help="the site folder to write")
    p.add_argument("--js-from", metavar="NODE_MODULES",
                   help="an npm node_modules folder holding onnxruntime-web@1.30.0 and @magenta/sketch@0.2.0 to copy "
                   "into the site (default: the page loads them from cdn.jsdelivr.net)")
    p.add_argument("--force", action="store_true", help="replace an earlier site at --out")
    p.add_argument("--model-mirror", metavar="URL_OR_DIR", help="where official Sketch-RNN models come from "
                   "(default $QD_MODEL_MIRROR, else the public bucket)")
    p.add_argument("--cache-dir", metavar="DIR", help="cache folder (default $QD_CACHE or the user cache)")
    p.set_defaults(func=run_web)


def run_web(args) -> int:
    """Export the models and write the site."""
    import json
    import tempfile
    from pathlib import Path

    from quickdraw.classifier.runs import read_run
    from quickdraw.ui import site

    read_run(args.run)
    site.check_out(args.out, args.force)
    if args.js_from is not None:
        site.check_js_from(args.js_from, sketch=args.sketch is not None)
    if args.sketch is not None:
        from sketchrnn.models import check

        check(args.sketch)
    with tempfile.TemporaryDirectory(prefix="qd-web-") as tmp:
        onnx_path = Path(tmp) / "classifier.onnx"
        classifier = _export_classifier(args.run, onnx_path)
        sketch = None
        if args.sketch is not None:
            sketch = _sketch(args.sketch, Path(tmp), model_mirror=args.model_mirror, cache_dir=args.cache_dir)
        title = f"qd: {Path(args.run).name}" + (f" and {sketch['name']}" if sketch else "")
        out = site.write_site(args.out, classifier=classifier, sketch=sketch, js_from=args.js_from, title=title,
                              force=args.force)
    where = "the libraries copied in from --js-from" if args.js_from else "the libraries loaded from cdn.jsdelivr.net"
    print(f"wrote {out} ({len(json.loads((out / site.SITE_FILE).read_text())['classifier']['classes'])} classes"
          f"{', completions by ' + sketch['name'] if sketch else ''}; {where}); serve it with any static file server, "
          f"e.g. python3 -m http.server -d {out} and open http://localhost:8000/")
    return 0


def _export_classifier(run, path) -> dict:
    """Export the classifier run to ONNX at ``path``; return what the page is told about it."""
    import json
    from pathlib import Path

    import onnx

    from quickdraw.classifier.export import export_model

    export_model(run, path, "onnx")
    meta = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
    contract = json.loads(meta["qd.contract"])
    return {"onnx": path, "classes": contract["classes"], "image_size": contract["input"]["shape"][1],
            "name": Path(run).name, "synthetic": contract["synthetic"]}


def _sketch(spec, tmp, **where) -> dict:
    """The sketch-rnn-js file of the Sketch-RNN ``spec`` names and how the page runs it as qd does."""
    from sketchrnn import official
    from sketchrnn.models import load

    run = load(spec, quiet=False, **where)
    if run.path.is_file() and run.path.name.endswith(official.SUFFIX):
        gen_json = run.path  # an official model (from the cache) or a .gen.json file, as it is
        own_scale = float(run.info["model_scale_factor"])
    else:
        gen_json = official.export(run, tmp / "sketch.gen.json")
        own_scale = run.scale
    classes = run.info.get("classes") or ["sketch"]
    return {"gen_json": gen_json, "name": str(run.info.get("pretrained") or classes[0]),
            "pixel_factor": own_scale / run.scale, "max_seq_len": int(run.hp.max_seq_len),
            "temperature_rule": run.info.get("temperature_rule", "magenta"), "synthetic": bool(run.info.get("synthetic"))}
