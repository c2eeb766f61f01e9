"""``qd models`` (the official pretrained Sketch-RNN models) and ``qd export-model`` (a classifier to SavedModel,
LiteRT, ONNX or TF.js; a Sketch-RNN to sketch-rnn-js)."""
from __future__ import annotations

MODEL_HELP = ("a Sketch-RNN: a qd train-rnn run folder, a sketch-rnn-js .gen.json file, or the name of an official "
              "pretrained model (`qd models` lists them; fetched once into the cache)")


CLASSIFIER_FORMATS = ("saved_model", "litert", "onnx", "tfjs")  # quickdraw.classifier.export.FORMATS, without Keras
SKETCH_FORMAT = "sketch-rnn-js"
FORMAT_NAMES = {"saved_model": "a TensorFlow SavedModel", "litert": "LiteRT/TFLite", "onnx": "ONNX",
                "tfjs": "a TensorFlow.js layers model"}


def add_model_arguments(p, what: str = "MODEL", help_text: str = MODEL_HELP) -> None:
    """Add the MODEL argument (described by ``help_text``) and ``--model-mirror`` to a Sketch-RNN command's parser."""
    p.add_argument("rundir", metavar=what, help=help_text)
    p.add_argument("--model-mirror", metavar="URL_OR_DIR",
                   help="where official models come from (default $QD_MODEL_MIRROR, else the public bucket "
                        "https://storage.googleapis.com/quickdraw-models/)")
    p.add_argument("--cache-dir", metavar="DIR", help="cache folder (default $QD_CACHE or the user cache)")


def where(args) -> dict:
    """The keyword arguments that say where official models come from, from parsed ``args``."""
    return {"model_mirror": args.model_mirror, "cache_dir": args.cache_dir}


def register(sub) -> None:
    """Add ``qd models`` and ``qd export-model`` to the ``qd`` parser."""
    p = sub.add_parser("models", help="list Google's pretrained Sketch-RNN models (the sketch-rnn-js ones)",
                       description="List the 114 official pretrained Sketch-RNN models that `qd complete`, "
                       "`qd generate` and `qd evaluate` accept by name; * marks the ones in the cache.",
                       epilog="example: qd models --search tree; qd complete palm_tree --interactive")
    p.add_argument("--search", metavar="TEXT", help="only the names containing TEXT")
    p.add_argument("--model-mirror", metavar="URL_OR_DIR", help="the mirror whose cache is looked at")
    p.add_argument("--cache-dir", metavar="DIR", help="cache folder (default $QD_CACHE or the user cache)")
    p.set_defaults(func=run_models)

    p = sub.add_parser("export-model", help="export a run for other runtimes: a classifier as SavedModel, LiteRT, "
                       "ONNX or TF.js; a Sketch-RNN for sketch-rnn-js",
                       description="Export a run folder. A classifier run (qd train-cnn) becomes a TensorFlow "
                       "SavedModel folder (saved_model, the default), a LiteRT/TFLite file for phones and small "
                       "devices (litert, NAME.tflite), an ONNX file (onnx, NAME.onnx) or a TensorFlow.js layers "
                       "model folder (tfjs); each carries its class names (a labels file) and a README of its "
                       "input contract (how strokes become the bitmap it takes). A Sketch-RNN run (qd train-rnn "
                       "--mode decoder --hparams dec_model=lstm) becomes a .gen.json file that sketch-rnn-js and "
                       "ml5.sketchRNN load in a browser (sketch-rnn-js, its default).",
                       epilog="examples: qd export-model runs/cnn1 --format onnx --out cnn.onnx; "
                       "qd export-model runs/cnn1 --format tfjs --out web/cnn; "
                       "qd export-model runs/cat --out cat.gen.json")
    p.add_argument("rundir", metavar="RUNDIR", help="a qd train-cnn or qd train-rnn run folder")
    p.add_argument("--format", metavar="FORMAT",
                   help=f"{'|'.join(CLASSIFIER_FORMATS)} for a classifier run (default saved_model); "
                   "sketch-rnn-js for a Sketch-RNN run (its default)")
    p.add_argument("--out", required=True, metavar="PATH",
                   help="a folder (saved_model, tfjs), a .tflite (litert) or .onnx (onnx) file with FILE.labels.txt "
                   "and FILE.README.md beside it, or a .gen.json file (sketch-rnn-js)")
    p.add_argument("--force", action="store_true", help="replace an earlier export at --out")
    p.set_defaults(func=run_export)


def run_models(args) -> int:
    """Print the official model names, marking the cached ones."""
    from quickdraw.categories import key
    from quickdraw.errors import QuickDrawError
    from sketchrnn import official

    names = [n for n in official.names() if not args.search or key(args.search) in key(n)]
    if not names:
        raise QuickDrawError(f"no official model name contains {args.search!r}; `qd models` lists all 114")
    for name in names:
        cached = official.cached_path(name, args.model_mirror, args.cache_dir).is_file()
        print(f"{'*' if cached else ' '} {name}")
    return 0


def run_kind(rundir) -> str:
    """"cnn" or "sketchrnn": the kind of run in ``rundir``, or a QuickDrawError saying what it is not."""
    import json
    from pathlib import Path

    from quickdraw.errors import QuickDrawError

    path = Path(rundir) / "run.json"
    if not Path(rundir).is_dir():
        raise QuickDrawError(f"{rundir} is not a run folder (qd train-cnn or qd train-rnn makes one)")
    try:
        kind = json.loads(path.read_text("utf-8")).get("kind")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        raise QuickDrawError(f"{rundir} is not a training run (no readable run.json); "
                             "train one with `qd train-cnn` or `qd train-rnn`") from None
    if kind not in ("cnn", "sketchrnn"):
        raise QuickDrawError(f"{rundir} holds a run of kind {kind!r}, neither a classifier nor a Sketch-RNN")
    return kind


def run_export(args) -> int:
    """Export a classifier run (SavedModel, LiteRT, ONNX, TF.js) or a Sketch-RNN run (``.gen.json``)."""
    from quickdraw.errors import QuickDrawError

    kind = run_kind(args.rundir)
    known = (*CLASSIFIER_FORMATS, SKETCH_FORMAT)
    if args.format is not None and args.format not in known:
        raise QuickDrawError(f"unknown --format {args.format!r}; choose one of {', '.join(known)}")
    if kind == "cnn":
        from quickdraw.classifier.export import check_out, export_model

        fmt = args.format or "saved_model"
        if fmt == SKETCH_FORMAT:
            raise QuickDrawError(f"{args.rundir} is a classifier run; {SKETCH_FORMAT} holds Sketch-RNN models: "
                                 f"choose --format {'|'.join(CLASSIFIER_FORMATS)}")
        check_out(args.out, fmt, args.force)
        paths = export_model(args.rundir, args.out, fmt, force=args.force)
        print(f"wrote {', '.join(map(str, paths))} ({FORMAT_NAMES[fmt]}; class names and input contract included)")
        return 0
    fmt = args.format or SKETCH_FORMAT
    if fmt != SKETCH_FORMAT:
        raise QuickDrawError(f"--format {fmt} exports classifier runs; {args.rundir} is a Sketch-RNN run, which "
                             f"exports as {SKETCH_FORMAT} (a .gen.json file)")
    from quickdraw.core.atomic import check_writable, refuse_existing
    from sketchrnn import official
    from sketchrnn.runs import load_run

    if not str(args.out).endswith(official.SUFFIX):
        raise QuickDrawError(f"--out {args.out}: a sketch-rnn-js model file ends in {official.SUFFIX}")
    refuse_existing(args.out, args.force, replaceable=lambda path: path.is_file())
    check_writable(args.out)
    path = official.export(load_run(args.rundir), args.out, force=args.force)
    print(f"wrote {path} (sketch-rnn-js format: load it with ml5.sketchRNN or @magenta/sketch)")
    return 0
