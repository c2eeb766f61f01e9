"""``qd complete`` (autocomplete a drawing) and ``qd demo`` (the offline tour)."""
from __future__ import annotations

import argparse

from cli.models import add_model_arguments, where


def register(sub) -> None:
    """Add the completion and demo commands to the ``qd`` parser."""
    p = sub.add_parser(
        "complete", help="let a Sketch-RNN (yours or an official one) finish a drawing, in a window or from a file",
        description="Finish a partial drawing with a Sketch-RNN: a run of yours, or one of Google's pretrained "
        "models by name (qd models lists them). With --interactive, draw in a window: "
        "each time the pen lifts, candidates grow from your strokes (keys: left/right pick a candidate, enter "
        "accept it into the drawing, r resample, up/down temperature, 1-9 candidates, u undo, c clear, s save a "
        "PNG to --out and the strokes as ndjson beside it, q quit). Otherwise read "
        "DRAWING and write a PNG grid (your strokes black, completions coloured).",
        epilog="examples: qd complete bird --interactive; qd complete runs/cat half_cat.ndjson --n 6 --out done.png",
    )
    add_model_arguments(p)
    p.add_argument("drawing", metavar="DRAWING", nargs="?",
                   help="partial drawing: .ndjson (first line, or --index), .bin, sketchrnn .npz, stroke-3 .npy, or strokes "
                   ".json; with --interactive, the drawing the window starts from")
    p.add_argument("--interactive", action="store_true", help="draw in a window and watch it complete")
    p.add_argument("--n", type=int, default=4, help="number of candidates (default 4; 1-9 in the window)")
    p.add_argument("--temperature", type=float, default=0.4, help="sampling temperature (default 0.4, below generate's 0.5: "
                   "a completion should stay close to what you drew)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--z", choices=("random", "encode"), default="random",
                   help="VAE latent: a random draw (default) or the encoded partial drawing")
    p.add_argument("--index", type=int, default=0, help="which ndjson line to complete (default 0)")
    p.add_argument("--keep-strokes", type=int, metavar="K", help="keep only the drawing's first K strokes")
    p.add_argument("--out", default="completion.png", help="PNG to write (default completion.png)")
    p.add_argument("--out-ndjson", metavar="PATH", help="also write the completed drawings as simplified ndjson")
    p.set_defaults(func=_complete)

    d = sub.add_parser(
        "demo", help="the offline tour: build a dataset, train both models, classify and complete drawings",
        description="Build a small dataset of SYNTHETIC doodles (or, with --real, real Quick, Draw! drawings), "
        "train the CNN and a small Sketch-RNN on the CPU (under 10 minutes on 2 cores), and write the "
        "learning curves, a classified drawing and a completion grid into one folder with a README.txt.",
    )
    d.add_argument("--out", default="demo", help="folder for everything the demo writes (default demo)")
    d.add_argument("--real", action="store_true", help="use real drawings from the bucket or --mirror")
    d.add_argument("--mirror", metavar="URL_OR_DIR", help="where to read real drawings (with --real)")
    d.set_defaults(func=_demo)


def _complete(args: argparse.Namespace) -> int:
    from quickdraw.errors import QuickDrawError

    if not (args.interactive or args.drawing):
        raise QuickDrawError("give a DRAWING file, or --interactive to draw in a window")
    if args.interactive:  # before the model loads TensorFlow: no waiting to hear there is no display
        from quickdraw.ui.window import require_display

        require_display(f"use file mode instead: qd complete RUNDIR drawing.ndjson --out {args.out}")
    from sketchrnn import complete

    if args.interactive:
        complete.complete_interactive(args.rundir, n=args.n, temperature=args.temperature, seed=args.seed,
                                      z=args.z, out=args.out, start=args.drawing, index=args.index,
                                      keep_strokes=args.keep_strokes, **where(args))
        return 0
    print(complete.complete_file(args.rundir, args.drawing, n=args.n, temperature=args.temperature,
                                 seed=args.seed, z=args.z, index=args.index, keep_strokes=args.keep_strokes,
                                 out=args.out, out_ndjson=args.out_ndjson, **where(args)))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from cli.demo import run_demo
    from quickdraw.errors import QuickDrawError

    if args.mirror and not args.real:
        raise QuickDrawError("--mirror only applies with --real (the default demo uses synthetic doodles)")
    files = run_demo(args.out, real=args.real, mirror=args.mirror)
    print(f"wrote {args.out}/:")
    for name, about in files:
        print(f"  {name:16} {about}")
    return 0
