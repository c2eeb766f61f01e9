"""Commands of the CNN classifier: ``qd train-cnn``, ``qd classify``."""
from __future__ import annotations

import sys

# Shown in --help without importing Keras; tests check them against quickdraw.classifier.Settings.
DEFAULTS = {"model": "cnn", "epochs": 15, "batch_size": 128, "lr": 0.002, "patience": 4, "seed": 0}


def register(sub) -> None:
    """Add the classifier commands to the ``qd`` parser."""
    p = sub.add_parser("train-cnn", help="train a CNN (or the MLP or linear baseline) on a dataset's bitmaps",
                       description="Train a classifier on the bitmaps of a dataset folder into a run folder: "
                       "model.keras, run.json, history.json, learning curves, confusion matrix and test metrics. "
                       "Early stopping keeps the epoch of lowest validation loss (cross-entropy); each epoch is "
                       "checkpointed, so Ctrl-C and --resume continue where it stopped. One trainer at a time "
                       "holds a run folder.",
                       epilog="example: qd train-cnn homework/ --out runs/cnn1 --partial")
    p.add_argument("dataset", metavar="DATASET", help="a dataset folder built by `qd build`")
    p.add_argument("--out", required=True, metavar="RUNDIR", help="run folder to create")
    p.add_argument("--model", choices=["cnn", "mlp", "linear"],
                   help="cnn (default), the dense baseline mlp, or linear (one dense softmax layer, whose weights "
                   "`qd explain` draws as one template per class)")
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
    p.add_argument("--partial", action="store_true", default=None,
                   help="also train on stroke prefixes (a random number of each drawing's first strokes, new "
                   "each epoch), so that the model can guess drawings in progress, as `qd play` does; "
                   "needs a dataset with strokes")
    p.add_argument("--seed", type=int, help=f"seed of initialisation, shuffling, dropout and augmentation "
                   f"(default {DEFAULTS['seed']})")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--resume", action="store_true", help="continue the interrupted run in RUNDIR")
    group.add_argument("--force", action="store_true", help="replace the classifier run in RUNDIR")
    p.set_defaults(func=run_train)

    p = sub.add_parser("classify", help="say what a drawing is, with a trained classifier run",
                       description="Print the likeliest classes of one drawing (ndjson, binary, .npy bitmap, "
                       "strokes JSON), rendered exactly as the run's training bitmaps were; or, with --draw, "
                       "draw in a window beside live probability bars and the 28x28 bitmap the CNN sees.")
    p.add_argument("rundir", metavar="RUNDIR", help="a run folder made by `qd train-cnn`")
    p.add_argument("file", nargs="?", metavar="FILE",
                   help="a drawing file: ndjson (the first line, or --index), binary, .npy bitmaps, sketchrnn .npz, "
                   "or strokes JSON [[[xs], [ys]], ...]; with --draw, the drawing the window starts from")
    p.add_argument("--draw", action="store_true", help="draw in a window; the guesses update after each stroke")
    p.add_argument("--out", default="drawing.png", metavar="FILE.png",
                   help="with --draw: where s saves the window, and the strokes as ndjson beside it (default "
                   "drawing.png and drawing.ndjson)")
    p.add_argument("--index", type=int, default=0, help="which line of an ndjson FILE (default 0, the first)")
    p.add_argument("--top", type=int, default=3, help="how many guesses (default 3)")
    p.set_defaults(func=run_classify)


def run_train(args) -> int:
    """Train and print the test metrics and what the run folder holds."""
    from quickdraw.builder.folder import open_dataset

    open_dataset(args.dataset)  # a bad folder fails here, before Keras takes seconds to load
    from quickdraw.classifier import train

    settings = {k: getattr(args, k) for k in ("model", "epochs", "batch_size", "lr", "patience", "augment",
                                              "mixed_precision", "xla", "distribute", "partial", "seed")}
    try:
        m = train(args.dataset, args.out, resume=args.resume, force=args.force, **settings)
    except KeyboardInterrupt:
        print(f"qd: training stopped; `qd train-cnn {args.dataset} --out {args.out} --resume` continues "
              "from the last finished epoch", file=sys.stderr)
        raise
    top3 = f", top-3 {m['top3_accuracy']:.1%}" if "top3_accuracy" in m else ""
    print(f"test accuracy {m['accuracy']:.1%}{top3}, loss {m['loss']:.3f} on {m['examples']} drawings; "
          f"best epoch {m['best_epoch']} of {m['epochs_run']}; {m['examples_per_s']:.0f} examples/s ({m['device']})")
    print(f"wrote {args.out}: model.keras, curves.png, confusion.png, metrics.json, history.json")
    if m["synthetic"]:
        print("trained on SYNTHETIC doodles made by qd, not Quick, Draw! data")
    return 0


def run_classify(args) -> int:
    """Print the likeliest classes of a drawing from a file, or open the drawing window."""
    from quickdraw.errors import QuickDrawError

    if not (args.draw or args.file):
        raise QuickDrawError("give a drawing FILE, or --draw to draw one in a window")
    if args.draw:  # before the model loads TensorFlow: no waiting to hear there is no display
        from quickdraw.classifier.runs import read_run
        from quickdraw.raster.frame import drawing_in_frame
        from quickdraw.ui.window import require_display

        read_run(args.rundir)
        if args.file:
            drawing_in_frame(args.file, args.index)
        require_display("classify a file instead: qd classify RUNDIR drawing.ndjson")
    from quickdraw import classifier

    if args.draw:
        classifier.guess_pad(args.rundir, args.file, top=args.top, index=args.index, out=args.out,
                             echo=print).show()
        return 0
    guesses, synthetic = classifier.classify_file(args.rundir, args.file, index=args.index, top=args.top)
    for name, p in guesses:
        print(f"{name:<24} {p:6.1%}")
    if synthetic:
        print("(the model was trained on SYNTHETIC doodles, not Quick, Draw! data)")
    return 0
