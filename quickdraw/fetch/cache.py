"""The per-user download cache: whole files, one folder per mirror, in the bucket's layout.

The folder is ``--cache-dir`` if given, else ``$QD_CACHE``, else the platform's user cache folder
for ``qd`` (``~/.cache/qd`` on Linux). Files from different mirrors never mix.

>>> path_for("https://storage.googleapis.com/quickdraw_dataset/full/simplified/cat.ndjson",
...          "https://storage.googleapis.com/quickdraw_dataset/", "/tmp/c")
PosixPath('/tmp/c/storage.googleapis.com_quickdraw_dataset/full/simplified/cat.ndjson')
"""
from __future__ import annotations

import fcntl
import os
import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote

import platformdirs

from ..core.atomic import no_empty_folders
from ..errors import QuickDrawError
from .remote import Cancelled


def root(cache_dir: str | os.PathLike | None = None) -> Path:
    """Return the cache folder: ``cache_dir``, else ``$QD_CACHE``, else the user cache dir for qd."""
    return Path(cache_dir or os.environ.get("QD_CACHE") or platformdirs.user_cache_dir("qd")).expanduser()


def mirror_folder(base: str) -> str:
    """Return the readable folder name the cache uses for a mirror's base URL (never ``.`` or ``..``)."""
    bare = re.sub(r"^[a-z]+://", "", base, flags=re.I).strip("/")
    return re.sub(r"[^A-Za-z0-9.-]+", "_", bare).strip("._") or "mirror"


def path_for(url: str, base: str, cache_dir: str | os.PathLike | None = None) -> Path:
    """Return where the cache keeps the file at ``url`` of the mirror at ``base``.

    Raises QuickDrawError for a URL whose path would leave the mirror's cache folder.
    """
    folder = root(cache_dir) / mirror_folder(base)
    relative = unquote(url[len(base):])
    path = folder / relative
    if not url.startswith(base) or ".." in Path(relative).parts or Path(relative).is_absolute():
        raise QuickDrawError(f"{url} is not a file of mirror {base}; it cannot be cached")
    return path


def ensure_folder(folder: str | os.PathLike) -> Path:
    """Create ``folder`` if needed and return it; raise QuickDrawError if it cannot be written to."""
    folder = Path(folder).expanduser()
    if folder.exists() and not folder.is_dir():
        raise QuickDrawError(f"{folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise QuickDrawError(f"cannot create folder {folder} ({err.strerror or err})") from None
    if not os.access(folder, os.W_OK):
        raise QuickDrawError(f"folder {folder} is not writable")
    return folder


def cached_copy(mirror, url: str, *, check=None, full_check=None, cache_dir: str | os.PathLike | None = None,
                bar=None, cancel=None) -> Path:
    """Return the cache's whole copy of ``url`` from ``mirror`` (``quickdraw.fetch.remote``), fetching it when missing.

    ``check(path)`` is a cheap look (first bytes, header, size) and ``full_check(path)`` a full parse
    with every value range-checked; each refuses a file by raising QuickDrawError. A fresh copy
    passes both before it is renamed into the cache, whatever the transport and whether or not an
    md5 came with it (an md5 proves the bytes are the server's, not that they are data); a cached
    copy passes both again each time it is served (it may have been kept by an older qd, or changed
    since), and one that fails is removed and fetched again. A refused file never stays in the cache.
    One process at a time fetches a file (``locked``); another waits for it and then serves its copy.
    """
    path = path_for(url, mirror.base, cache_dir)
    with no_empty_folders(path.parent), locked(ensure_folder(path.parent) / path.name, cancel, bar):
        if path.exists():
            try:
                for vet in (check, full_check):
                    if vet is not None:
                        vet(path)
                return path
            except QuickDrawError:
                path.unlink(missing_ok=True)  # bad bytes in the cache: fetch them anew
        return fetch_checked(mirror, url, path, check=check, full_check=full_check, bar=bar, cancel=cancel)


def fetch_checked(mirror, url: str, dest: Path, *, check=None, full_check=None, bar=None, cancel=None) -> Path:
    """Fetch ``url`` to ``dest`` through ``dest.part``, vetted by ``check`` and ``full_check`` before the rename.

    The caller holds ``locked(dest)`` (``cached_copy`` does); see ``cached_copy`` for the checks.
    """
    def verify(part: Path) -> None:
        if check is not None:
            check(part)
        if full_check is not None:
            full_check(part)

    return mirror.fetch(url, dest, bar, cancel, verify=verify)


@contextmanager
def locked(path: Path, cancel=None, bar=None, poll: float = 0.1) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (its ``.lock`` file, with the holder's pid) across processes.

    A second holder waits, naming the first one's pid on ``bar``; ``cancel`` (an Event) stops
    the wait with ``quickdraw.fetch.remote.Cancelled``. The lock file is removed on release.
    """
    lock = path.with_name(path.name + ".lock")
    waiting = False
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not waiting and bar is not None:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
                bar.set_postfix_str(f"waiting for process {holder}")
            waiting = True
            os.close(fd)
            if cancel is not None and cancel.wait(poll):
                raise Cancelled()
            if cancel is None:
                time.sleep(poll)
            continue
        try:
            same = os.path.exists(lock) and os.stat(lock).st_ino == os.fstat(fd).st_ino
        except OSError:
            same = False
        if same:  # not a lock file that its last holder removed while we waited
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        if waiting and bar is not None:
            bar.set_postfix_str("")
        yield
    finally:
        try:
            os.unlink(lock)
        finally:
            os.close(fd)


class _Holder:
    """Stands in for a progress bar: keeps what ``locked`` says about the process it would wait for."""

    said = ""

    def set_postfix_str(self, text: str) -> None:
        self.said = self.said or text


@contextmanager
def exclusive(path: Path, doing: str) -> Iterator[None]:
    """Hold ``path``'s lock (as ``locked``) without waiting; when another process holds it, a
    QuickDrawError: "FOLDER is in use: process PID is ``doing`` (its lock is ...); wait for it or stop it"."""
    import threading
    from contextlib import ExitStack

    path = Path(path)
    lock = path.with_name(path.name + ".lock")
    holder, no_wait = _Holder(), threading.Event()
    no_wait.set()
    with ExitStack() as stack:
        try:
            stack.enter_context(locked(path, no_wait, holder))
        except Cancelled:
            pid = holder.said.replace("waiting for ", "") or "another process"
            raise QuickDrawError(f"{path.parent} is in use: {pid} is {doing} (its lock is {lock}); "
                                 "wait for it or stop it") from None
        except OSError as err:
            raise QuickDrawError(f"cannot lock {lock} ({err.strerror or err})") from None
        yield
