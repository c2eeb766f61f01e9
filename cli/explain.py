"""``qd explain RUN [DRAWING]``: what a classifier learned, and why it guessed what it guessed."""
from __future__ import annotations

STEPS = 200  # quickdraw.classifier.dreams.STEPS, shown in --help without importing Keras


def register(sub) -> None:
    """Add ``qd explain`` to the ``qd`` parser."""
    p = sub.add_parser(
        "explain", help="see inside a classifier run: class templates, filters, activation maps, saliency, dreams",
        description="Draw what a classifier run learned into a PNG. With no DRAWING: a linear run's weights as one "
        "template per class (red: ink there is evidence for the class, blue: against), a CNN's first-layer filters, "
        "an MLP's first-layer units. On a DRAWING: the bitmap the model sees, its top guesses and why (a CNN: its "
        "filters, each block's strongest activation maps and a SmoothGrad saliency map of the class over the "
        "drawing; a linear run: the class's template and template x ink, which sums to the logit). With --dream: "
        "drawings whose strokes were optimised until the model sees the class (from a blank, or from DRAWING), "
        "also written as ndjson beside the PNG.",
        epilog="examples: qd explain runs/linear; qd explain runs/cnn1 cat.ndjson --index 3 --class dog; "
        "qd explain runs/cnn1 --dream all --out dreams.png")
    p.add_argument("rundir", metavar="RUN", help="a classifier run folder (qd train-cnn, any --model)")
    p.add_argument("drawing", nargs="?", metavar="DRAWING",
                   help="a drawing file: ndjson (the first line, or --index), binary, .npy bitmaps, strokes JSON, "
                   "stroke-3 .npy")
    p.add_argument("--index", type=int, default=0, help="which drawing of DRAWING (default 0, the first)")
    p.add_argument("--class", dest="class_name", metavar="NAME",
                   help="explain this class instead of the top guess (a linear run without DRAWING: show its "
                   "template alone)")
    p.add_argument("--dream", metavar="CLASS",
                   help="what the model thinks CLASS looks like (a name, names joined by commas, or all): "
                   "strokes optimised to raise it, from DRAWING when given, else from a blank")
    p.add_argument("--steps", type=int, default=STEPS, help=f"optimisation steps of a dream (default {STEPS})")
    p.add_argument("--seed", type=int, default=0, help="seed of a dream's first strokes and its random "
                   "rotations (default 0)")
    p.add_argument("--out", default="explain.png", metavar="FILE.png", help="the picture (default explain.png); "
                   "dreams also go to FILE.ndjson")
    p.add_argument("--force", action="store_true", help="replace --out (and its .ndjson) if it exists")
    p.set_defaults(func=run_explain)


def run_explain(args) -> int:
    """Explain the run, write the PNG (and the dreams' ndjson) and print what it shows."""
    from pathlib import Path

    from quickdraw.classifier.runs import read_run
    from quickdraw.core.atomic import check_writable, refuse_existing
    from quickdraw.errors import QuickDrawError

    out = Path(args.out)
    if out.suffix.lower() != ".png":
        raise QuickDrawError(f"--out {out}: the picture is a PNG; name it FILE.png")
    if args.steps < 1:
        raise QuickDrawError(f"--steps must be at least 1, not {args.steps}")
    read_run(args.rundir)  # a Sketch-RNN run or another folder is refused before Keras loads
    dreams_out = out.with_suffix(".ndjson") if args.dream else None
    for path in filter(None, (out, dreams_out)):
        refuse_existing(path, args.force, "--out", replaceable=lambda p: p.is_file())
        check_writable(path)
    dream = [n for n in args.dream.split(",") if n.strip()] if args.dream else None
    if args.dream is not None and not dream:
        raise QuickDrawError("--dream needs a class name (or all)")
    from quickdraw.classifier import explain

    e = explain(args.rundir, args.drawing, index=args.index, class_name=args.class_name, dream=dream,
                steps=args.steps, seed=args.seed)
    e.save(out)
    if e.dreams:
        _save_dreams(e.dreams, dreams_out)
        for d in e.dreams:
            print(f"dream of {d.class_name:<20} p = {d.probability:.3f}")
        print(f"wrote {out} and {dreams_out} (the dreams as drawings: `qd classify {args.rundir} {dreams_out} "
              "--index N` reads them)")
    elif e.bitmap is not None:
        for name, p in e.top(3):
            print(f"{name:<24} {p:6.1%}")
        print(f"wrote {out}: why the {e.kind} says {e.explained}")
    else:
        shown = "class templates" if e.kind == "linear" else "first-layer filters" if e.kind == "cnn" else \
            "first-layer units"
        print(f"wrote {out}: the {e.kind}'s {shown}")
    if e.synthetic:
        print("(the model was trained on SYNTHETIC doodles, not Quick, Draw! data)")
    return 0


def _save_dreams(dreams, path) -> None:
    """The dreams as simplified ndjson drawings (word: the class), written atomically."""
    import numpy as np

    from quickdraw.formats import Drawing, write_path

    write_path(path, [Drawing([np.asarray(s, np.int64) for s in d.strokes], word=d.class_name,
                              key_id=f"{i:016d}", recognized=True) for i, d in enumerate(dreams)])
