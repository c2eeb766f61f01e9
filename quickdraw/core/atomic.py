"""Write files whole or not at all: under a temporary name beside the target, then renamed into place.

Files get the normal permissions (0666 less the umask), as ``open`` would give them, and every
``OSError`` (a full disk included) becomes a one-line ``QuickDrawError`` naming the file.

>>> write_atomic("notes.txt", lambda tmp: Path(tmp).write_text("hi"))  # doctest: +SKIP
PosixPath('notes.txt')
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from ..errors import QuickDrawError


def os_error(path, err: OSError, verb: str = "write") -> QuickDrawError:
    """The one-line QuickDrawError for ``err`` met while writing ``path``."""
    return QuickDrawError(f"cannot {verb} {path}: {(err.strerror or str(err)).lower()}")


@contextmanager
def reporting(path, verb: str = "write") -> Iterator[None]:
    """Turn an ``OSError`` raised inside the block into a QuickDrawError naming ``path``."""
    try:
        yield
    except OSError as err:
        raise os_error(path, err, verb) from None


def temp_beside(path: Path) -> Path:
    """Create an empty file beside ``path`` (hidden, same suffix) with the umask's mode; return its path."""
    for _ in range(100):
        tmp = path.with_name(f".{path.stem}.part-{os.getpid()}-{os.urandom(3).hex()}{path.suffix}")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def write_atomic(path, write_fn: Callable[[Path], object]) -> Path:
    """Call ``write_fn(tmp)`` to write a file beside ``path``, then rename it to ``path``; return ``path``.

    ``tmp`` already exists (empty) with mode 0666 & ~umask and ends in ``path``'s suffix. On any
    error the temporary file is removed; an ``OSError`` is raised as a QuickDrawError naming ``path``.
    """
    path = Path(path)
    with reporting(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_beside(path)
    try:
        with reporting(path):
            write_fn(tmp)
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


@contextmanager
def no_empty_folders(path) -> Iterator[Path]:
    """Within the block, folders made on the way to ``path`` (``path`` included) are removed again when the
    block fails and they are still empty: a refused or failed command leaves no empty folder behind.

    >>> with no_empty_folders("runs/new") as out:  # doctest: +SKIP
    ...     out.mkdir(parents=True); train_into(out)
    """
    path = Path(path)
    missing = []
    at = path.absolute()
    try:
        while not at.exists() and at != at.parent:
            missing.append(at)
            at = at.parent
    except OSError:
        missing = []
    try:
        yield path
    except BaseException:
        for folder in missing:  # deepest first
            try:
                if folder.is_dir():
                    folder.rmdir()
            except OSError:
                break  # not empty: something was written there, keep it and what holds it
        raise
