"""Commands about the raw dataset: ``qd categories``, ``qd download``, ``qd info``."""
from __future__ import annotations

from quickdraw import categories


def register(sub) -> None:
    """Add the data-access commands to the ``qd`` parser."""
    p = sub.add_parser("categories", help="list the 345 category names")
    p.add_argument("--search", metavar="TEXT", help="only names containing TEXT")
    p.set_defaults(func=run_categories)


def run_categories(args) -> int:
    """Print category names, one a line."""
    found = categories.search(args.search) if args.search else list(categories.names())
    for name in found:
        print(name)
    return 0 if found else 1
