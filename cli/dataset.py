"""Commands about built datasets: ``qd build``, ``qd export``, ``qd show``."""
from __future__ import annotations

import sys


def register(sub) -> None:
    """Add the dataset commands to the ``qd`` parser."""
    p = sub.add_parser("build", help="build a class-filtered dataset folder (bitmaps + strokes, splits, manifest)",
                       description="Build a dataset folder of COUNT drawings per category, fetching only what it "
                       "needs: 28x28 bitmaps (or --size), stroke sequences, seeded train/valid/test splits and a "
                       "manifest, which `qd train-cnn`, `qd train-rnn`, `qd show`, `qd export` and "
                       "quickdraw.load read. Streams: memory stays bounded at any --count (all: whole files).",
                       epilog="example: qd build cat dog apple --count 2000 --out homework/")
    p.add_argument("categories", nargs="*", metavar="CATEGORY",
                   help="category names (with --synthetic: synthetic classes; none = all of them)")
    p.add_argument("--count", required=True, help="drawings per class, or all (every drawing of each class)")
    p.add_argument("--source", default="simplified", choices=["simplified", "binary", "raw", "bitmap"],
                   help="official files to build from (default simplified; raw is simplified on the way; bitmap gives no strokes)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--recognized", dest="recognized", action="store_true", default=None,
                       help="only drawings the game recognized")
    group.add_argument("--any", dest="recognized", action="store_const", const=None,
                       help="recognized or not (default)")
    p.add_argument("--countries", metavar="CC,...", help="only drawings from these two-letter country codes")
    p.add_argument("--splits", default="0.8,0.1,0.1", help="train,valid,test fractions (default 0.8,0.1,0.1)")
    p.add_argument("--seed", default=0, help="seed for sampling and splits (default 0)")
    p.add_argument("--sample", default="first", choices=["first", "random"],
                   help="first (default): the first N drawings (partial download); random: a seeded random N (whole files; keeps up to N "
                        "drawings of one class in memory)")
    p.add_argument("--out", required=True, help="dataset folder to create")
    p.add_argument("--mirror", metavar="URL_OR_DIR", help="bucket mirror (default: QD_MIRROR or the public bucket)")
    p.add_argument("--size", default=28, help="bitmap side in pixels (default 28)")
    p.add_argument("--synthetic", action="store_true",
                   help="use the built-in SYNTHETIC doodles (offline; not Quick, Draw! data)")
    p.add_argument("--allow-short", action="store_true", help="take fewer than --count where a class has fewer")
    p.add_argument("--force", action="store_true", help="replace the dataset --out holds")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--runner", default="local", choices=["local", "beam"],
                   help="local: stream on this machine (default); beam: an Apache Beam pipeline "
                        "(pip install 'qd[beam]')")
    p.add_argument("--beam-options", metavar='"--opt=v ..."',
                   help="standard Beam pipeline options, written with =, e.g. "
                        "--beam-options=\"--runner=DataflowRunner --project=...\" (default: the DirectRunner)")
    p.set_defaults(func=run_build)

    p = sub.add_parser("export", help="export a dataset as npz, ndjson files or a PNG contact sheet",
                       description="Write a dataset folder in a framework-neutral form: npz (x_train, y_train, "
                       "x_valid, ..., class_names: for numpy, PyTorch, JAX), a folder of train/valid/test .ndjson "
                       "files in the official simplified layout with every drawing's metadata, or a PNG contact "
                       "sheet of test bitmaps by class. Written beside DIR unless --out.")
    p.add_argument("dataset", metavar="DIR", help="a dataset folder built by `qd build`")
    p.add_argument("--format", default="npz", choices=["npz", "ndjson", "png"], help="what to write (default npz)")
    p.add_argument("--out", metavar="PATH", help="where to write (default: beside DIR)")
    p.add_argument("--force", action="store_true", help="replace what --out holds already")
    p.set_defaults(func=run_export)

    p = sub.add_parser("show", help="draw a grid of sketches (each stroke its own colour), or animate them",
                       description="Draw sketches of a dataset folder or of any file qd reads in a grid, each "
                       "stroke its own colour: in a window, or into a PNG (--out) or an animated GIF drawn stroke "
                       "by stroke (--animate). The title says what is shown: source, split, category, and "
                       "whether the drawings are SYNTHETIC.")
    p.add_argument("source", metavar="SOURCE", help="a dataset folder or any supported file")
    p.add_argument("--category", help="only drawings of this category")
    p.add_argument("--split", choices=("train", "valid", "test"),
                   help="a dataset folder's split to show (default: train, then valid, then test)")
    p.add_argument("--n", type=int, default=36, help="number of sketches (default 36)")
    p.add_argument("--out", metavar="grid.png", help="write a PNG instead of opening a window")
    p.add_argument("--animate", metavar="out.gif", help="write a GIF drawing the sketches stroke by stroke")
    p.set_defaults(func=run_show)


def run_build(args) -> int:
    """Build a dataset folder and print what it holds."""
    from quickdraw.builder.folder import open_dataset
    from quickdraw.builder.subset import build

    countries = [c.strip() for c in args.countries.split(",") if c.strip()] if args.countries else None
    out = build(args.categories, args.count, args.out, source=args.source, recognized=args.recognized,
                countries=countries, splits=args.splits, seed=args.seed, sample=args.sample,
                mirror=args.mirror, size=args.size, synthetic=args.synthetic, allow_short=args.allow_short,
                force=args.force, quiet=args.quiet, runner=args.runner, beam_options=args.beam_options,
                warn=lambda message: print(f"qd: {message}", file=sys.stderr))
    ds = open_dataset(out)
    counts = ", ".join(f"{s} {ds.count(s)}" for s in ds.manifest["counts"])
    print(f"built {out}: {len(ds.classes)} classes, {counts}; {ds.image_size}x{ds.image_size} bitmaps"
          + (", strokes" if ds.has_strokes else ""))
    print(ds.attribution)
    return 0


def run_export(args) -> int:
    """Export a dataset and print the path written."""
    from quickdraw.builder.export import export

    print(export(args.dataset, args.format, args.out, force=args.force))
    return 0


def run_show(args) -> int:
    """Show sketches in a window, or write them as a PNG grid or an animated GIF."""
    from quickdraw.builder.export import pick_drawings
    from quickdraw.errors import QuickDrawError
    import textwrap

    from quickdraw.synthetic import LABEL
    from quickdraw.ui import plots

    if args.n < 1:
        raise QuickDrawError(f"--n must be positive, not {args.n}")
    if not args.out and not args.animate:
        from quickdraw.ui.window import require_display

        require_display(f"write a picture instead: qd show {args.source} --out grid.png")
    drawings, synthetic = pick_drawings(args.source, args.category, args.n, args.split)
    what = (f"{args.source}: {len(drawings)} drawings" + (f" of {args.category}" if args.category else "")
            + f" ({args.split or 'train, valid, test'} split" + ("" if args.split else "s") + ")"
            + (" - SYNTHETIC doodles, not Quick, Draw! data" if synthetic else " - Quick, Draw! data"))
    title = "\n".join(textwrap.wrap(what, 70))
    if args.animate:
        plots.animate(drawings, args.animate)
        print(args.animate)
    if args.out or not args.animate:  # the window and the PNG carry the same title
        grid = plots.sketch_grid(drawings, out=args.out, titles=[d.word for d in drawings], label=title,
                                 label_color="#b00000" if synthetic else "black")
        if args.out:
            print(grid)
        else:
            import matplotlib.pyplot as plt

            from quickdraw.ui.window import fit_to_screen

            fig = plt.gcf()
            fig.canvas.manager.set_window_title(f"qd show {what}")
            fit_to_screen(fig)
            plt.show()
    if synthetic:
        print(LABEL)
    return 0
