"""``qd info FILE``: what a Quick, Draw! file holds."""
from __future__ import annotations

TOP_COUNTRIES = 5


def register(sub) -> None:
    """Add ``qd info`` to the ``qd`` parser."""
    p = sub.add_parser("info", help="show what a dataset file or a dataset folder holds",
                       description="Print a file's format, number of drawings, categories, recognized share and "
                       "top countries; or a dataset folder's classes, splits and bitmaps.",
                       epilog="examples: qd info cat.ndjson; qd info homework/")
    p.add_argument("file", metavar="FILE", help=".ndjson, .bin, .npy or .npz file, or a folder made by qd build")
    p.set_defaults(func=run_info)


def run_info(args) -> int:
    """Summarise FILE and print it."""
    from quickdraw.builder.info import summarise

    s = summarise(args.file)
    if s["format"] == "dataset folder":
        print(f"folder:      {s['path']}")
        print(f"format:      {s['description']}")
        print(f"classes:     {len(s['classes'])}: {', '.join(s['classes'][:10])}"
              + (f" (+{len(s['classes']) - 10} more)" if len(s["classes"]) > 10 else ""))
        print(f"drawings:    {s['drawings']} (" + ", ".join(f"{k} {v}" for k, v in s["splits"].items()) + ")")
        print(f"holds:       {s['image_size']}x{s['image_size']} bitmaps" + (", strokes" if s["has_strokes"] else ""))
        print(f"source:      {s['attribution']}")
        return 0
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
