"""Progress bars for transfers: tqdm on a terminal, silent otherwise.

>>> with bar("cat", quiet=True) as b:
...     b.update(1024)
"""
from __future__ import annotations

import sys

from tqdm import tqdm


def bar(desc: str, total: int | None = None, quiet: bool = False) -> tqdm:
    """Return a byte progress bar (size, rate, ETA) on stderr; disabled if ``quiet`` or not a terminal."""
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024,
                leave=True, dynamic_ncols=True, file=sys.stderr,
                disable=quiet or not sys.stderr.isatty())
