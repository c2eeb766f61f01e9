"""``qd evaluate RUNDIR DATA``: metrics of a trained CNN or Sketch-RNN run (dispatch on run.json)."""
from __future__ import annotations

import json
from pathlib import Path

from quickdraw.errors import QuickDrawError


def register(sub) -> None:
    """Add ``qd evaluate`` to the ``qd`` parser."""
    p = sub.add_parser("evaluate", help="metrics of a trained run (CNN or Sketch-RNN) on a dataset")
    p.add_argument("rundir", metavar="RUNDIR")
    p.add_argument("data", metavar="DATA", help="a dataset folder (or, for Sketch-RNN, a sketchrnn .npz)")
    p.add_argument("--split", default="test", help="split to evaluate (default test)")
    p.set_defaults(func=run_evaluate)


def run_kind(rundir) -> str:
    """Return the kind ("cnn" or "sketchrnn") recorded in RUNDIR/run.json."""
    path = Path(rundir) / "run.json"
    if not path.is_file():
        raise QuickDrawError(f"{rundir} is not a training run (no run.json); train one with "
                             "`qd train-cnn` or `qd train-rnn`")
    try:
        return json.loads(path.read_text("utf-8"))["kind"]
    except (ValueError, KeyError) as err:
        raise QuickDrawError(f"{path} is corrupt ({err})")


def run_evaluate(args) -> int:
    """Evaluate the run and print its metrics as JSON."""
    kind = run_kind(args.rundir)
    if kind == "cnn":
        from quickdraw.classifier import evaluate_run
    elif kind == "sketchrnn":
        from sketchrnn.evaluate import evaluate_run
    else:
        raise QuickDrawError(f"{args.rundir} holds a run of unknown kind {kind!r}")
    metrics = evaluate_run(args.rundir, args.data, split=args.split)
    print(json.dumps(metrics, indent=1))
    return 0
