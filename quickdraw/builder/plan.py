"""Where each drawing of a build goes, from numbers alone: its split, its shard and its place in the shard.

Both builders (``stream`` on one machine, ``beam`` on Apache Beam) use these functions, so for
the same inputs and seed they write the same dataset folder. A drawing is named by ``(label, index)``: its
class and its position among the drawings chosen for that class (0 .. n-1).

- Split: ``split_sizes(n, splits)`` gives each class's exact train/valid/test sizes (as the in-memory
  builder did). A keyed bijection of ``0 .. n-1`` (a 4-round Feistel network on the next power of 4,
  cycle-walked into range) maps ``index`` to a rank; ranks below the train size are train, the next
  ones valid, the rest test. Exact sizes, seeded, O(1) memory: it needs only ``n`` per class.
- Order: every drawing has a 64-bit ``sort_key(seed, label, index)`` (splitmix64). A split's drawings,
  sorted by key, are its stored order: a seeded shuffle across classes that needs no global sort.
- Shards: a split of N drawings has ``shard_count(N)`` shards, each a key range, so shard ``j`` holds
  the drawings whose key falls in ``[j, j+1) * 2**64 / S``: about ``SHARD_SIZE`` drawings each (not
  exactly: the ranges are fixed before the keys are seen, which is what lets a streaming or parallel
  builder write shards without sorting everything).

>>> ranks = permute(np.arange(10), 10, seed=0, label=3)
>>> sorted(ranks.tolist()) == list(range(10))
True
"""
from __future__ import annotations

import numpy as np

SHARD_SIZE = 20_000
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer on uint64 arrays (wrapping arithmetic)."""
    x = np.asarray(x, np.uint64).copy()
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return x


def _salt(seed: int, label, what: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        return _mix(_mix(np.uint64(seed) + _GOLDEN * np.uint64(what)) ^ np.asarray(label, np.uint64))


def split_sizes(n: int, splits) -> list[int]:
    """Split ``n`` drawings into train/valid/test sizes by ``splits``, rounding so they sum to ``n``."""
    bounds = np.round(np.cumsum([0, *splits]) * n).astype(int)
    bounds[-1] = n
    return [int(k) for k in np.diff(bounds)]


def sort_key(seed: int, label, index) -> np.ndarray:
    """The 64-bit keys (uint64) that order drawings ``(label, index)`` in their split and pick their shard."""
    with np.errstate(over="ignore"):
        return _mix(_salt(seed, label, 1) ^ (np.asarray(index, np.uint64) * _GOLDEN))


def permute(index, n: int, seed: int, label: int) -> np.ndarray:
    """A seeded bijection of ``0 .. n-1`` (per class ``label``) applied to ``index`` (an int array)."""
    index = np.asarray(index, np.uint64)
    half = max(1, (max(n - 1, 1).bit_length() + 1) // 2)
    mask = np.uint64((1 << half) - 1)
    keys = [_salt(seed, label, 2 + r) for r in range(4)]

    def rounds(x):
        left, right = x >> np.uint64(half), x & mask
        for k in keys:
            left, right = right, left ^ (_mix(right ^ k) & mask)
        return (left << np.uint64(half)) | right

    out = rounds(index)
    outside = out >= np.uint64(n)
    while outside.any():
        out[outside] = rounds(out[outside])
        outside = out >= np.uint64(n)
    return out


def split_of(index, n: int, splits, seed: int, label: int) -> np.ndarray:
    """The split (0 train, 1 valid, 2 test) of drawings ``index`` of a class of ``n``: exact sizes."""
    bounds = np.cumsum(split_sizes(n, splits))
    return np.searchsorted(bounds, permute(index, n, seed, label).astype(np.int64), side="right")


def shard_count(n: int) -> int:
    """How many shards a split of ``n`` drawings has (at least one, empty if ``n`` is 0)."""
    return max(1, -(-n // SHARD_SIZE))


def shard_of(keys, shards: int) -> np.ndarray:
    """The shard (0 .. shards-1) of each key: ``shards`` equal key ranges, in key order."""
    return ((np.asarray(keys, np.uint64) >> np.uint64(32)) * np.uint64(shards)) >> np.uint64(32)


def split_totals(counts: dict, splits) -> list[int]:
    """Drawings per split, from ``counts`` {label: n} of the classes."""
    totals = [0, 0, 0]
    for n in counts.values():
        for s, k in enumerate(split_sizes(n, splits)):
            totals[s] += k
    return totals
