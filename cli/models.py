"""``qd models`` (the official pretrained Sketch-RNN models) and ``qd export-model`` (to sketch-rnn-js)."""
from __future__ import annotations

MODEL_HELP = ("a Sketch-RNN: a qd train-rnn run folder, a sketch-rnn-js .gen.json file, or the name of an official "
              "pretrained model (`qd models` lists them; fetched once into the cache)")


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

    p = sub.add_parser("export-model", help="write a Sketch-RNN run as a sketch-rnn-js / ml5 model file",
                       description="Write a decoder-only run with a plain LSTM and 20 mixtures (qd train-rnn "
                       "--mode decoder --hparams dec_model=lstm) as a .gen.json file that sketch-rnn-js and "
                       "ml5.sketchRNN load in a browser (weights quantised to int16, as the official files).",
                       epilog="example: qd export-model runs/cat --out cat.gen.json")
    p.add_argument("rundir", metavar="RUNDIR", help="a qd train-rnn run folder")
    p.add_argument("--format", choices=("sketch-rnn-js",), default="sketch-rnn-js",
                   help="the file format (default sketch-rnn-js)")
    p.add_argument("--out", required=True, metavar="NAME.gen.json", help="the model file to write")
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


def run_export(args) -> int:
    """Export a run folder to a ``.gen.json`` file."""
    from quickdraw.errors import QuickDrawError
    from sketchrnn import official
    from sketchrnn.runs import load_run

    if not str(args.out).endswith(official.SUFFIX):
        raise QuickDrawError(f"--out {args.out}: a sketch-rnn-js model file ends in {official.SUFFIX}")
    path = official.export(load_run(args.rundir), args.out)
    print(f"wrote {path} (sketch-rnn-js format: load it with ml5.sketchRNN or @magenta/sketch)")
    return 0
