"""Checks of the numbers users pass (seeds, counts, split fractions, sizes), shared by every command and function.

Each returns the value when it is usable and raises ``QuickDrawError`` with a one-line message naming
the option otherwise, before any work starts.

>>> seed(7)
7
>>> splits("0.8,0.1,0.1")
(0.8, 0.1, 0.1)
>>> count(10 ** 30)  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
quickdraw.errors.QuickDrawError: --count must be at most 100000000 drawings per class, not 1000000000000000000000000000000
"""
from __future__ import annotations

import math

from ..errors import QuickDrawError

MAX_SEED = 2 ** 32 - 1  # numpy, Keras and TensorFlow all take seeds in 0 .. 2^32 - 1
MAX_COUNT = 100_000_000  # drawings per class: more than any category holds (the largest has ~350k)


def integer(name: str, value, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int in ``low .. high`` (either bound may be None); ``name`` is the option, e.g. "--n"."""
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            as_float = float(value)
        except (TypeError, ValueError):
            raise QuickDrawError(f"{name} must be a whole number, not {value!r}") from None
        if not math.isfinite(as_float) or not as_float.is_integer():
            raise QuickDrawError(f"{name} must be a whole number, not {value!r}")
        value = int(as_float)
    if low is not None and value < low:
        raise QuickDrawError(f"{name} must be at least {low}, not {value}")
    if high is not None and value > high:
        raise QuickDrawError(f"{name} must be at most {high}, not {value}")
    return value


def seed(value, name: str = "--seed") -> int:
    """A random seed: a whole number from 0 to 2^32 - 1."""
    return integer(name, value, 0, MAX_SEED)


def count(value, name: str = "--count") -> int:
    """Drawings per class: 1 to 100,000,000."""
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_COUNT:
        raise QuickDrawError(f"{name} must be at most {MAX_COUNT} drawings per class, not {value}")
    return integer(name, value, 1, MAX_COUNT)


def fraction(name: str, value) -> float:
    """A finite number from 0 to 1."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise QuickDrawError(f"{name} must be a number from 0 to 1, not {value!r}") from None
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise QuickDrawError(f"{name} must be a number from 0 to 1, not {value}")
    return value


def splits(value, name: str = "--splits") -> tuple[float, float, float]:
    """Train, valid and test fractions ("0.8,0.1,0.1" or three numbers): each 0-1, adding up to 1."""
    parts = value.split(",") if isinstance(value, str) else list(value)
    if len(parts) != 3:
        raise QuickDrawError(f"{name} takes three fractions train,valid,test (e.g. 0.8,0.1,0.1), not {value!r}")
    fractions = tuple(fraction(name, p) for p in parts)
    if abs(sum(fractions) - 1) > 1e-6:
        raise QuickDrawError(f"{name} fractions must add up to 1, not {sum(fractions):g}")
    return fractions
