"""Commands about the raw dataset: ``qd categories``, ``qd download``."""
from __future__ import annotations

import sys

from quickdraw import categories

FORMATS = "simplified, raw, binary, bitmap or sketchrnn"


def register(sub) -> None:
    """Add the data-access commands to the ``qd`` parser."""
    p = sub.add_parser("categories", help="list the 345 category names",
                       description="Print the 345 official category names, one per line. Every command takes "
                       "them forgivingly: any case, _ or - for spaces, singular or plural.")
    p.add_argument("--search", metavar="TEXT", help="only names containing TEXT")
    p.set_defaults(func=run_categories)

    p = sub.add_parser(
        "download", help="download category files from the bucket or a mirror",
        description="Download whole files into the cache (their paths are printed), or with --out "
        "into a folder under the bucket's names; --count N keeps the first N drawings and fetches "
        "only about their bytes. Data: Google Creative Lab, The Quick, Draw! Dataset, CC BY 4.0.")
    p.add_argument("categories", nargs="+", metavar="CATEGORY", help="category names (see `qd categories`)")
    p.add_argument("--format", default="simplified", help=f"{FORMATS} (default simplified)")
    p.add_argument("--count", type=int, metavar="N", help="only the first N drawings (needs --out)")
    p.add_argument("--out", metavar="DIR", help="write files into DIR instead of the cache")
    p.add_argument("--mirror", metavar="URL_OR_DIR",
                   help="base URL or folder laid out like the bucket (default $QD_MIRROR, else the bucket)")
    p.add_argument("--cache-dir", metavar="DIR", help="cache folder (default $QD_CACHE, else the user cache)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run_download)


def run_categories(args) -> int:
    """Print category names, one a line."""
    from quickdraw.errors import QuickDrawError

    found = categories.search(args.search) if args.search else list(categories.names())
    if not found:
        raise QuickDrawError(f"no category name contains {args.search!r}; `qd categories` lists all of them")
    for name in found:
        print(name)
    return 0


def run_download(args) -> int:
    """Download the files and print where each went (shortfalls go to stderr)."""
    from quickdraw.fetch.download import download

    try:
        fetched_files = download(args.categories, format=args.format, count=args.count, out=args.out,
                                 mirror=args.mirror, cache_dir=args.cache_dir, quiet=args.quiet)
    except KeyboardInterrupt as err:
        print(f"qd: {err}" if str(err) else "qd: interrupted", file=sys.stderr)
        return 130
    for fetched in fetched_files:
        print(fetched.path)
        if fetched.note:
            print(f"qd: note: {fetched.note}", file=sys.stderr)
    return 0
