"""``qd play``: the Quick, Draw! game against a CNN classifier run."""
from __future__ import annotations


def register(sub) -> None:
    """Add ``qd play`` to the ``qd`` parser."""
    p = sub.add_parser(
        "play", help="play Quick, Draw! against the CNN you trained: it guesses live while you draw",
        description="Each round names one of the run's categories and counts down; draw it with the mouse "
        "while the model guesses (\"I see apple, or bat...\", then \"Oh, I know, it's cat!\"). Keys: n next "
        "round, u undo, c clear, s save a picture of the window (OUT with .window.png, its strokes beside it), "
        "q quit. At the end a summary picture is shown and saved as OUT with .png, "
        "and every drawing is appended to OUT (simplified ndjson, the dataset's layout; an existing OUT "
        "must be a Quick, Draw! ndjson file and is added to, never replaced).",
        epilog="example: qd play demo/cnn --rounds 6 --out my_doodles.ndjson")
    p.add_argument("rundir", metavar="RUNDIR", help="a CNN classifier run (qd train-cnn)")
    p.add_argument("--rounds", type=int, default=6, help="rounds to play (default 6)")
    p.add_argument("--seconds", type=float, default=20.0, help="seconds per round (default 20)")
    p.add_argument("--seed", type=int, default=0, help="seed of the categories' order (default 0)")
    p.add_argument("--out", default="my_doodles.ndjson", metavar="OUT.ndjson",
                   help="ndjson file the drawings are appended to (default my_doodles.ndjson)")
    p.add_argument("--speak", action="store_true", help="also say the guesses (espeak-ng, when installed)")
    p.set_defaults(func=run_play)


def run_play(args) -> int:
    """Play the game; the library prints what was saved."""
    from quickdraw.classifier.play import check_output
    from quickdraw.classifier.runs import read_run
    from quickdraw.core.validate import integer
    from quickdraw.ui.window import require_display

    integer("--rounds", args.rounds, 1, 100)
    read_run(args.rundir)
    check_output(args.out)
    require_display("classify a drawing from a file: qd classify RUNDIR drawing.ndjson")  # before TensorFlow loads
    from quickdraw.classifier.play import play

    play(args.rundir, out=args.out, rounds=args.rounds, seconds=args.seconds, seed=args.seed, speak=args.speak)
    return 0
