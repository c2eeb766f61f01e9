"""``qd evaluate MODEL DATA``: metrics of a CNN run, or of a Sketch-RNN (a run, a .gen.json or an official model)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from cli.models import add_model_arguments, where


def register(sub) -> None:
    """Add ``qd evaluate`` to the ``qd`` parser."""
    p = sub.add_parser("evaluate", help="metrics of a trained model (CNN or Sketch-RNN) on a dataset",
                       description="Metrics of a model on a split of a dataset, as JSON. A CNN run (qd train-cnn): "
                       "accuracy, top-k and loss, with a confusion matrix written into the run. A Sketch-RNN (a qd "
                       "train-rnn run, a sketch-rnn-js .gen.json file or an official model's name): Magenta's "
                       "reconstruction loss Lr (offset and pen terms over each sketch's real points, divided by "
                       "sketches x its own max_seq_len; longer sketches left out) and KL. Offsets are divided by "
                       "the model's own scale factor on a sketchrnn .npz (data in its units); on a dataset folder "
                       "(the 0-255 frame) an official model's frame mapping is used; \"scale\" says which.",
                       epilog="examples: qd evaluate runs/cnn1 homework/; qd evaluate runs/eye eye.npz; "
                       "qd evaluate bird bird.npz")
    add_model_arguments(p, "RUNDIR", "the model: a CNN run folder (qd train-cnn), or a Sketch-RNN: a qd train-rnn "
                        "run folder, a sketch-rnn-js .gen.json file or an official model's name (`qd models`)")
    p.add_argument("data", metavar="DATA", help="a dataset folder (qd build), or for a Sketch-RNN also a sketchrnn "
                   ".npz")
    p.add_argument("--split", default="test", help="split to evaluate (default test)")
    p.set_defaults(func=run_evaluate)


def is_cnn_run(rundir) -> bool:
    """True when RUNDIR is a folder whose run.json says it holds a CNN classifier run."""
    from quickdraw.classifier.runs import stored_kind

    path = Path(str(rundir))
    return path.is_dir() and (path / "run.json").is_file() and stored_kind(path) == "cnn"


def run_evaluate(args) -> int:
    """Evaluate the model and print its metrics as JSON."""
    if is_cnn_run(args.rundir):
        from quickdraw.classifier import evaluate_run

        metrics = evaluate_run(args.rundir, args.data, split=args.split,
                               warn=lambda message: print(f"qd: {message}", file=sys.stderr))
    else:
        from sketchrnn.evaluate import evaluate_run

        metrics = evaluate_run(args.rundir, args.data, split=args.split, **where(args))
    print(json.dumps(metrics, indent=1))
    return 0
