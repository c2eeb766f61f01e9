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


def refuse_existing(path, force: bool, option: str = "--out", replaceable: Callable[[Path], bool] | None = None) -> Path:
    """``path`` as a Path, or a QuickDrawError when something is there and ``force`` is not given (or when
    ``replaceable(path)`` says that what is there is not something qd may replace, e.g. a folder of other files).

    Call it before the work starts, so that a refusal costs nothing.
    """
    path = Path(path)
    if not (path.exists() or path.is_symlink()):
        return path
    if not force:
        raise QuickDrawError(f"{option} {path} already exists; add --force to replace it")
    if replaceable is not None and not replaceable(path):
        raise QuickDrawError(f"{option} {path} holds something qd did not write; --force replaces only qd's own "
                             "output there: choose another name")
    return path


def check_writable(path, option: str = "--out") -> Path:
    """``path`` as a Path if it can be written (its nearest existing folder is a writable folder), else a
    QuickDrawError naming what is in the way; call it before the work starts."""
    path = Path(path)
    folder = next((p for p in path.absolute().parents if p.exists()), None)
    if folder is None:
        return path
    if not folder.is_dir():
        raise QuickDrawError(f"{option} {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise QuickDrawError(f"{option} {path}: the folder {folder} is not writable")
    return path


@contextmanager
def made_parents(path) -> Iterator[None]:
    """Create ``path``'s missing parent folders for the block; if the block fails, remove the ones it made
    (so a failed write leaves no empty folders behind)."""
    path = Path(path)
    missing = []
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    with reporting(path):
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield
    except BaseException:
        for folder in missing:  # deepest first
            try:
                folder.rmdir()
            except OSError:
                break
        raise


def write_files_atomic(files: dict, *, replace: bool = False) -> list[Path]:
    """Write several files that belong together (a model and its labels): each ``fill(tmp)`` of ``files``
    ({path: fill}) writes a temporary file beside its path, and only when all are written are they renamed
    into place. On any error every temporary file is removed (and any parent folder made for them).
    Without ``replace`` an existing path is refused (a QuickDrawError).
    """
    paths = [Path(p) for p in files]
    if not replace:
        for path in paths:
            refuse_existing(path, False)
    temps: dict[Path, Path] = {}
    with made_parents(paths[0]):
        try:
            for path, fill in zip(paths, files.values()):
                with reporting(path):
                    temps[path] = temp_beside(path)
                    fill(temps[path])
            for path, tmp in temps.items():
                with reporting(path):
                    os.replace(tmp, path)
        finally:
            for tmp in temps.values():
                if tmp.exists():
                    tmp.unlink()
    return paths


def write_folder_atomic(path, fill: Callable[[Path], object], *, replace: bool = False) -> Path:
    """Fill a folder under a temporary name beside ``path`` (``fill(tmp)``; tmp exists, empty), then rename it
    to ``path``; return ``path``. With ``replace`` an existing ``path`` is swapped out and removed only once the
    new folder is whole; without, it is refused. On any error nothing is left behind (nor any folder made
    for it), and an ``OSError`` becomes a QuickDrawError naming ``path``.
    """
    import shutil
    import tempfile

    path = Path(path)
    if not replace:
        refuse_existing(path, False)
    with made_parents(path):
        with reporting(path):
            tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.part-", dir=path.parent))
        old = None
        try:
            with reporting(path):
                fill(tmp)
                os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp made it 0700
                if replace and (path.exists() or path.is_symlink()):
                    old = path.with_name(f".{path.name}.old-{os.getpid()}-{os.urandom(3).hex()}")
                    os.rename(path, old)
                os.rename(tmp, path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            if old is not None and not path.exists():
                os.rename(old, path)  # put the old one back
                old = None
            raise
        finally:
            if old is not None:
                shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
