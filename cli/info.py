"""``qd info FILE``: what a Quick, Draw! file holds."""
from __future__ import annotations

TOP_COUNTRIES = 5
PER_CLASS_ROWS = 20  # classes listed one per line; beyond, the smallest ones


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
        print_per_class(s["per_class"], list(s["splits"]))
        print(f"holds:       {s['image_size']}x{s['image_size']} bitmaps" + (", strokes" if s["has_strokes"] else ""))
        print(f"source:      {s['attribution']}")
        return 0
    print(f"file:        {s['path']}")
    print(f"format:      {s['format']} - {s['description']}")
    print(f"drawings:    {s['drawings']}")
    if s["splits"]:
        print("splits:      " + ", ".join(f"{k} {v}" for k, v in s["splits"].items()))
    if s.get("per_class"):
        print_per_class(s["per_class"], list(s["splits"]))
        print(f"holds:       {s['image_size']}x{s['image_size']} bitmaps (no strokes, no metadata)")
        return 0
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


def print_per_class(per_class: dict, splits: list) -> None:
    """Print drawings per class and split ("cat  train 80  valid 10  test 10"), saying when classes differ."""
    totals = {c: sum(v.values()) for c, v in per_class.items()}
    balanced = len(set(totals.values())) <= 1
    shown = list(per_class) if len(per_class) <= PER_CLASS_ROWS else sorted(per_class, key=totals.get)[:PER_CLASS_ROWS]
    head = "per class:   " + ("balanced" if balanced else "UNBALANCED (classes hold different numbers of drawings)")
    if len(shown) < len(per_class):
        head += f"; the {len(shown)} smallest of {len(per_class)} classes"
    print(head)
    width = max(len(c) for c in shown) if shown else 0
    for c in shown:
        print(f"  {c:<{width}}  " + "  ".join(f"{s} {per_class[c][s]}" for s in splits))
