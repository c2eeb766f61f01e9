"""Commands of the CNN classifier: ``qd train-cnn``, ``qd classify``."""
from __future__ import annotations

import sys

# Shown in --help without importing Keras; tests check them against quickdraw.classifier.Settings.
DEFAULTS = {"model": "cnn", "epochs": 15, "batch_size": 128, "lr": 0.002, "patience": 4, "seed": 0}


def register(sub) -> None:
    """Add the classifier commands to the ``qd`` parser."""
    p = sub.add_parser("train-cnn", help="train a CNN (or the MLP baseline) on a dataset's bitmaps")
    p.add_argument("dataset", metavar="DATASET", help="a dataset folder built by `qd build`")
    p.add_argument("--out", required=True, metavar="RUNDIR", help="run folder to create")
    p.add_argument("--model", choices=["cnn", "mlp"], help="cnn (default) or the dense baseline mlp")
    p.add_argument("--epochs", type=int, help=f"most epochs (default {DEFAULTS['epochs']}; early stopping may end sooner)")
    p.add_argument("--batch-size", type=int, help=f"drawings per step (default {DEFAULTS['batch_size']})")
    p.add_argument("--lr", type=float, help=f"peak learning rate, after one epoch of warm-up and before cosine "
                   f"decay (default {DEFAULTS['lr']})")
    p.add_argument("--patience", type=int, help="stop after this many epochs without a lower validation loss "
                   f"(default {DEFAULTS['patience']})")
    p.add_argument("--augment", action="store_true", default=None,
                   help="random rotation, zoom and shifts of the bitmaps while training")
    p.add_argument("--mixed-precision", action="store_true", default=None,
                   help="compute in float16 on GPUs (bfloat16 on CPUs), float32 softmax")
    p.add_argument("--xla", action="store_true", default=None, help="compile the training step with XLA")
    p.add_argument("--distribute", action="store_true", default=None,
                   help="mirror training across the visible GPUs (else CPU devices) with tf.distribute")
    p.add_argument("--seed", type=int, help=f"seed of initialisation, shuffling, dropout and augmentation "
                   f"(default {DEFAULTS['seed']})")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--resume", action="store_true", help="continue the interrupted run in RUNDIR")
    group.add_argument("--force", action="store_true", help="replace the classifier run in RUNDIR")
    p.set_defaults(func=run_train)

    p = sub.add_parser("classify", help="say what a drawing is, with a trained classifier run")
    p.add_argument("rundir", metavar="RUNDIR", help="a run folder made by `qd train-cnn`")
    p.add_argument("file", nargs="?", metavar="FILE",
                   help="an ndjson drawing (the first line, or --index) or a strokes JSON file [[[xs], [ys]], ...]")
    p.add_argument("--draw", action="store_true", help="draw in a window; the guesses update after each stroke")
    p.add_argument("--index", type=int, default=0, help="which line of an ndjson FILE (default 0, the first)")
    p.add_argument("--top", type=int, default=3, help="how many guesses (default 3)")
    p.set_defaults(func=run_classify)


def run_train(args) -> int:
    """Train and print the test metrics and what the run folder holds."""
    from quickdraw.dataset_folder import open_dataset

    open_dataset(args.dataset)  # a bad folder fails here, before Keras takes seconds to load
    from quickdraw.classifier import train

    settings = {k: getattr(args, k) for k in ("model", "epochs", "batch_size", "lr", "patience", "augment",
                                              "mixed_precision", "xla", "distribute", "seed")}
    try:
        m = train(args.dataset, args.out, resume=args.resume, force=args.force, **settings)
    except KeyboardInterrupt:
        print(f"qd: training stopped; `qd train-cnn {args.dataset} --out {args.out} --resume` continues "
              "from the last finished epoch", file=sys.stderr)
        raise
    print(f"test accuracy {m['accuracy']:.1%}, top-3 {m['top3_accuracy']:.1%} on {m['examples']} drawings; "
          f"best epoch {m['best_epoch']} of {m['epochs_run']}; {m['examples_per_s']:.0f} examples/s ({m['device']})")
    print(f"wrote {args.out}: model.keras, curves.png, confusion.png, metrics.json, history.json")
    if m["synthetic"]:
        print("trained on SYNTHETIC doodles made by qd, not Quick, Draw! data")
    return 0


def run_classify(args) -> int:
    """Print the likeliest classes of a drawing from a file, or open the drawing window."""
    from quickdraw.errors import QuickDrawError

    if args.draw == bool(args.file):
        raise QuickDrawError("give a drawing FILE or --draw (one of them)")
    from quickdraw import classifier

    if args.draw:
        classifier.classify_window(args.rundir, top=args.top)
        return 0
    guesses, synthetic = classifier.classify_file(args.rundir, args.file, index=args.index, top=args.top)
    for name, p in guesses:
        print(f"{name:<24} {p:6.1%}")
    if synthetic:
        print("(the model was trained on SYNTHETIC doodles, not Quick, Draw! data)")
    return 0
