"""Checks of every number and name users hand to qd, in one place, before any work or allocation.

Seeds, counts, split fractions, sizes, temperatures, hyperparameters, coordinates, output paths:
each check returns the value when it is usable and raises ``QuickDrawError`` with a one-line message
naming the argument otherwise. Messages name arguments as the caller spells them: keyword arguments
(``count``, ``allow_short=True``) for Python, command-line flags (``--count``, ``--allow-short``)
within ``speaking_flags()``, as the ``qd`` command runs.

>>> seed(7)
7
>>> splits("0.8,0.1,0.1")
(0.8, 0.1, 0.1)
>>> count(10 ** 30)  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
quickdraw.errors.QuickDrawError: count must be at most 100000000 drawings per class, not 1000000000000000000000000000000
>>> option("allow_short", True)
'allow_short=True'
"""
from __future__ import annotations

import math
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import QuickDrawError

MAX_SEED = 2 ** 32 - 1  # numpy, Keras and TensorFlow all take seeds in 0 .. 2^32 - 1
MAX_COUNT = 100_000_000  # drawings per class: more than any category holds (the largest has ~350k)
MAX_COORDINATE = 2 ** 24  # |x|, |y| of any drawing: screens and the dataset stay far below; exact in float32
MIN_TEMPERATURE, MAX_TEMPERATURE = 0.01, 10.0  # sampling: below, logits / T overflow; above, noise
MAX_UNITS = 4096  # LSTM units of any Sketch-RNN layer (the official models have 512)
MAX_SEQ_LEN = 10_000  # points per sketch a Sketch-RNN takes (the official models 100-250)
SHOWN = 60  # characters of a user's text repeated in a message

_FLAG_NAMES = {"categories": "--category"}  # keyword arguments whose flag is not --keyword
_speaking_flags = False


@contextmanager
def speaking_flags() -> Iterator[None]:
    """Within the block, messages name arguments as command-line flags (the ``qd`` command runs in one)."""
    global _speaking_flags
    before, _speaking_flags = _speaking_flags, True
    try:
        yield
    finally:
        _speaking_flags = before


def option(keyword: str, value=None) -> str:
    """How a message names argument ``keyword`` (set to ``value``, if given) to the current caller.

    Python: ``count``, ``allow_short=True``; the ``qd`` command: ``--count``, ``--allow-short``.
    A name given as a flag ("--count") is taken as its keyword.
    """
    if keyword.startswith("--"):
        keyword = keyword[2:].replace("-", "_")
    if not keyword.isidentifier():  # a phrase ("n (on a pad)"), not an argument
        return keyword
    if _speaking_flags:
        flag = _FLAG_NAMES.get(keyword, "--" + keyword.replace("_", "-"))
        return flag if value is None or value is True else f"{flag} {value}"
    return keyword if value is None else f"{keyword}={value!r}"


def shown(text, limit: int = SHOWN) -> str:
    """A user's value for a message: text quoted (``repr``) and cut to about ``limit`` characters, numbers as they are."""
    if not isinstance(text, str):
        text = str(text)
        return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} characters)"


def integer(name: str, value, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int in ``low .. high`` (either bound may be None); ``name`` is the argument, e.g. "n"."""
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        try:
            as_float = float(value)
        except (TypeError, ValueError, OverflowError):
            raise QuickDrawError(f"{option(name)} must be a whole number, not {shown(value)}") from None
        if not math.isfinite(as_float) or not as_float.is_integer():
            raise QuickDrawError(f"{option(name)} must be a whole number, not {shown(value)}")
        value = int(as_float)
    value = int(value)
    if low is not None and value < low:
        raise QuickDrawError(f"{option(name)} must be at least {low}, not {value}")
    if high is not None and value > high:
        raise QuickDrawError(f"{option(name)} must be at most {high}, not {value}")
    return value


def real(name: str, value, low: float | None = None, high: float | None = None, *,
         above: float | None = None, below: float | None = None) -> float:
    """``value`` as a finite float with ``low <= value <= high`` and ``above < value < below`` (bounds optional)."""
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        raise QuickDrawError(f"{option(name)} must be a number, not {shown(value)}") from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise QuickDrawError(f"{option(name)} must be a finite number, not {shown(value)}")
    bounds = [f"at least {low:g}" if low is not None and number < low else "",
              f"at most {high:g}" if high is not None and number > high else "",
              f"above {above:g}" if above is not None and number <= above else "",
              f"below {below:g}" if below is not None and number >= below else ""]
    wrong = [b for b in bounds if b]
    if wrong:
        raise QuickDrawError(f"{option(name)} must be {' and '.join(wrong)}, not {number:g}")
    return number


def seed(value, name: str = "seed") -> int:
    """A random seed: a whole number from 0 to 2^32 - 1."""
    return integer(name, value, 0, MAX_SEED)


def count(value, name: str = "count") -> int:
    """Drawings per class: 1 to 100,000,000."""
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_COUNT:
        raise QuickDrawError(f"{option(name)} must be at most {MAX_COUNT} drawings per class, not {value}")
    return integer(name, value, 1, MAX_COUNT)


def fraction(name: str, value) -> float:
    """A finite number from 0 to 1."""
    try:
        value = float(value)
    except (TypeError, ValueError, OverflowError):
        raise QuickDrawError(f"{option(name)} must be a number from 0 to 1, not {shown(value)}") from None
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise QuickDrawError(f"{option(name)} must be a number from 0 to 1, not {value}")
    return value


def splits(value, name: str = "splits") -> tuple[float, float, float]:
    """Train, valid and test fractions ("0.8,0.1,0.1" or three numbers): each 0-1, adding up to 1."""
    parts = value.split(",") if isinstance(value, str) else list(value)
    if len(parts) != 3:
        raise QuickDrawError(f"{option(name)} takes three fractions train,valid,test (e.g. 0.8,0.1,0.1), "
                             f"not {shown(value)}")
    fractions = tuple(fraction(name, p) for p in parts)
    if abs(sum(fractions) - 1) > 1e-6:
        raise QuickDrawError(f"{option(name)} fractions must add up to 1, not {sum(fractions):g}")
    return fractions


def temperature(value, name: str = "temperature") -> float:
    """A sampling temperature: a finite number from 0.01 to 10 (1 samples the model as it is)."""
    return real(name, value, MIN_TEMPERATURE, MAX_TEMPERATURE)


def coordinates(points, what: str = "the drawing") -> np.ndarray:
    """``points`` (any shape, x and y) as a float64 array, refused unless every value is a finite number
    of magnitude at most 2^24 (no screen or dataset comes near; beyond, scaling and rendering overflow)."""
    array = np.asarray(points, dtype=np.float64)
    if array.size and not np.isfinite(array).all():
        raise QuickDrawError(f"{what} has coordinates that are not finite numbers")
    if array.size and np.abs(array).max() > MAX_COORDINATE:
        raise QuickDrawError(f"{what} has a coordinate of {np.abs(array).max():.4g}; coordinates must lie "
                             f"within +-{MAX_COORDINATE:,}")
    return array


def output_path(path, name: str = "out") -> "os.PathLike":
    """Refuse an output path the file system cannot hold (a name over 255 bytes, a path over 4096) in one line,
    before any work; return it unchanged."""
    text = os.fsencode(os.path.expanduser(os.fspath(path)))
    longest = max((len(part) for part in text.split(b"/")), default=0)
    name_max = _limit("PC_NAME_MAX", 255)
    if longest > name_max:
        raise QuickDrawError(f"{option(name)} {shown(os.fsdecode(text))} has a name of {longest} bytes; the file "
                             f"system takes at most {name_max}")
    path_max = _limit("PC_PATH_MAX", 4096)
    if len(text) >= path_max:
        raise QuickDrawError(f"{option(name)} {shown(os.fsdecode(text))} is {len(text)} bytes long; the file "
                             f"system takes paths of at most {path_max - 1}")
    return path


def _limit(key: str, default: int) -> int:
    try:
        return int(os.pathconf("/", key)) or default
    except (OSError, ValueError, AttributeError):
        return default


def json_object(path, remedy: str = "") -> dict:
    """The JSON object in file ``path``, or a one-line QuickDrawError saying the file is unreadable or
    corrupt (not JSON, NaN or Infinity in it, a list or a number where an object belongs), then ``remedy``."""
    import json

    def refuse(constant):
        raise ValueError(f"it holds {constant}, which JSON does not allow")

    tail = f"; {remedy}" if remedy else ""
    try:
        value = json.loads(Path(path).read_text("utf-8"), parse_constant=refuse)
    except OSError as err:
        raise QuickDrawError(f"cannot read {path}: {(err.strerror or str(err)).lower()}") from None
    except (UnicodeDecodeError, ValueError) as err:  # json.JSONDecodeError is a ValueError
        raise QuickDrawError(f"{path} is corrupt ({err}){tail}") from None
    if not isinstance(value, dict):
        raise QuickDrawError(f"{path} is corrupt (a JSON {type(value).__name__}, not an object){tail}")
    return value


def input_file(path) -> Path:
    """``path`` as a Path when it is a regular file qd can read; a one-line QuickDrawError when it is missing,
    a folder, or a pipe, device or socket (reading one would block or never end)."""
    path = Path(path)
    try:
        if path.is_file():
            return path
        exists, folder = path.exists(), path.is_dir()
    except OSError as err:  # a name too long, a loop of links
        raise QuickDrawError(f"{shown(str(path))}: cannot read ({(err.strerror or str(err)).lower()})") from None
    if folder:
        raise QuickDrawError(f"{path}: no such file (it is a folder)")
    if exists:
        raise QuickDrawError(f"{path}: not a regular file (a pipe, a device or a socket?); give a file")
    raise QuickDrawError(f"{path}: no such file")
