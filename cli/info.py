"""``qd info FILE``: what a Quick, Draw! file holds."""
from __future__ import annotations

TOP_COUNTRIES = 5


def register(sub) -> None:
    """Add ``qd info`` to the ``qd`` parser."""
    p = sub.add_parser("info", help="show what a dataset file holds (any of the five formats)",
                       description="Print a file's format, number of drawings, categories, "
                       "recognized share and top countries.")
    p.add_argument("file", metavar="FILE", help=".ndjson, .bin, .npy or .npz file")
    p.set_defaults(func=run_info)


def run_info(args) -> int:
    """Summarise FILE and print it."""
    from quickdraw.info import summarise

    s = summarise(args.file)
    print(f"file:        {s['path']}")
    print(f"format:      {s['format']} - {s['description']}")
    print(f"drawings:    {s['drawings']}")
    if s["splits"]:
        print("splits:      " + ", ".join(f"{k} {v}" for k, v in s["splits"].items()))
    cats = s["categories"]
    print("categories:  " + (", ".join(f"{w or '(none)'} {n}" for w, n in list(cats.items())[:10])
                             + (f" (+{len(cats) - 10} more)" if len(cats) > 10 else "")))
    if s["strokes"]:
        print(f"strokes:     {s['strokes']} ({s['points']} points)")
    if s["recognized"] is None:
        print("recognized:  n/a (the format does not record it)")
    else:
        print(f"recognized:  {100 * s['recognized']:.1f}%")
    countries = s["countries"]
    if countries is None:
        print("countries:   n/a (the format does not record them)")
    else:
        top = ", ".join(f"{c or '??'} {n}" for c, n in list(countries.items())[:TOP_COUNTRIES])
        print(f"countries:   {top} ({len(countries)} in all)")
    return 0
