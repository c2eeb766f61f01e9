"""The per-user download cache: whole files, one folder per mirror, in the bucket's layout.

The folder is ``--cache-dir`` if given, else ``$QD_CACHE``, else the platform's user cache folder
for ``qd`` (``~/.cache/qd`` on Linux). Files from different mirrors never mix.

>>> path_for("https://storage.googleapis.com/quickdraw_dataset/full/simplified/cat.ndjson",
...          "https://storage.googleapis.com/quickdraw_dataset/", "/tmp/c")
PosixPath('/tmp/c/storage.googleapis.com_quickdraw_dataset/full/simplified/cat.ndjson')
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote

import platformdirs

from .errors import QuickDrawError


def root(cache_dir: str | os.PathLike | None = None) -> Path:
    """Return the cache folder: ``cache_dir``, else ``$QD_CACHE``, else the user cache dir for qd."""
    return Path(cache_dir or os.environ.get("QD_CACHE") or platformdirs.user_cache_dir("qd")).expanduser()


def mirror_folder(base: str) -> str:
    """Return the readable folder name the cache uses for a mirror's base URL."""
    bare = re.sub(r"^[a-z]+://", "", base, flags=re.I).strip("/")
    return re.sub(r"[^A-Za-z0-9.-]+", "_", bare).strip("_") or "mirror"


def path_for(url: str, base: str, cache_dir: str | os.PathLike | None = None) -> Path:
    """Return where the cache keeps the file at ``url`` of the mirror at ``base``."""
    relative = unquote(url[len(base):])
    return root(cache_dir) / mirror_folder(base) / relative


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


def cached_copy(mirror, url: str, *, check=None, cache_dir: str | os.PathLike | None = None, bar=None,
                cancel=None) -> Path:
    """Return the cache's whole copy of ``url`` from ``mirror`` (``quickdraw.remote``), fetching it when missing.

    ``check(path)`` vets a freshly fetched file by raising QuickDrawError; a file that fails it is
    removed from the cache, so a bad answer is never served again.
    """
    path = path_for(url, mirror.base, cache_dir)
    if path.exists():
        return path
    ensure_folder(path.parent)
    mirror.fetch(url, path, bar, cancel)
    if check is not None:
        try:
            check(path)
        except QuickDrawError:
            path.unlink(missing_ok=True)
            raise
    return path
