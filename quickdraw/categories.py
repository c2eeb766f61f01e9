"""The 345 official Quick, Draw! category names and forgiving lookup.

>>> resolve("eiffel_tower")  # doctest: +SKIP
Traceback ...
>>> resolve("the-eiffel-tower")
'The Eiffel Tower'
"""
from __future__ import annotations

import difflib
from functools import lru_cache
from importlib import resources

from .core.validate import shown
from .errors import QuickDrawError


@lru_cache(maxsize=1)
def names() -> tuple[str, ...]:
    """Return the 345 official category names, in the bucket's order."""
    text = resources.files("quickdraw").joinpath("data/categories.txt").read_text("utf-8")
    return tuple(line for line in text.splitlines() if line)


def key(name: str) -> str:
    """The form names are compared in: lower case, ``_`` and ``-`` as spaces, single spaces."""
    return " ".join(name.replace("_", " ").replace("-", " ").lower().split())


@lru_cache(maxsize=1)
def _by_key() -> dict[str, str]:
    return {key(n): n for n in names()}


def singulars(k: str) -> list[str]:
    """What a name (in ``key`` form) may be the regular plural of: its last word without -s, -es, or -ies as -y.

    >>> singulars("palm trees")
    ['palm tree']
    >>> singulars("strawberries")
    ['strawberrie', 'strawberri', 'strawberry']
    """
    head, _, last = k.rpartition(" ")
    head = head + " " if head else ""
    forms = [last[:-1]] if last.endswith("s") and len(last) > 1 else []
    if last.endswith("es") and len(last) > 2:
        forms.append(last[:-2])
    if last.endswith("ies") and len(last) > 3:
        forms.append(last[:-3] + "y")
    return [head + f for f in forms]


def lookup(name: str, by_key: dict[str, str], what: str, listing: str) -> str:
    """Return ``by_key[key(name)]``, or raise QuickDrawError naming the closest of ``by_key``'s names.

    Exact names come first (``scissors``, ``shorts`` and ``bus`` stay themselves); then regular plurals
    of a name (-s, -es, -ies: ``eyes``, ``Monkeys``, ``House-Plants``, ``strawberries``). ``what`` says
    what is looked up ("category"), ``listing`` how to see them all.
    """
    k = key(name)
    found = by_key.get(k) or next((by_key[s] for s in singulars(k) if s in by_key), None)
    if found is None:
        close = difflib.get_close_matches(k[:100], list(by_key), n=3, cutoff=0.6)
        hint = f" (did you mean: {', '.join(by_key[c] for c in close)}?)" if close else ""
        raise QuickDrawError(f"unknown {what} {shown(name)}{hint}; {listing}")
    return found


def resolve(name: str) -> str:
    """Return the official spelling of ``name``; case-insensitive, ``_``/``-`` accepted for spaces.

    Raises QuickDrawError naming the closest matches when the name is unknown.
    """
    return lookup(name, _by_key(), "category", "`qd categories` lists all 345")


def resolve_all(names_: list[str]) -> list[str]:
    """Resolve several names, keeping order and dropping repeats."""
    out: list[str] = []
    for n in names_:
        r = resolve(n)
        if r not in out:
            out.append(r)
    return out


def search(text: str) -> list[str]:
    """Return the official names containing ``text`` (same forgiving matching as ``resolve``)."""
    k = key(text)
    return [n for n in names() if k in key(n)]
