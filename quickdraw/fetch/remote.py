"""Where the dataset's files live and how their bytes are fetched: URLs, mirrors, Range, retries.

A mirror is the public bucket (the default), another http(s) base URL, a ``file://`` URL, or a
plain folder laid out like the bucket. ``QD_MIRROR`` sets it for every command.

>>> m = open_mirror()
>>> m.url("The Eiffel Tower", "simplified")
'https://storage.googleapis.com/quickdraw_dataset/full/simplified/The%20Eiffel%20Tower.ndjson'
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import threading
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit
from urllib.request import url2pathname

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ..categories import resolve
from ..core.validate import shown
from ..errors import QuickDrawError
from ..formats import FORMATS

DEFAULT_MIRROR = "https://storage.googleapis.com/quickdraw_dataset/"

# Connection errors, 429 and 5xx answers are retried by urllib3 with backoff (0, 0.5, 1, 2 s).
RETRY = Retry(total=4, backoff_factor=0.25, status_forcelist=(429, 500, 502, 503, 504),
              allowed_methods=("GET",), raise_on_status=False)
TIMEOUT = (10, 60)  # seconds to connect, seconds between bytes
CHUNK = 64 * 1024
BROKEN = (requests.RequestException, urllib3.exceptions.HTTPError)  # a body cut off or stalled
RESUMES = 5  # times a body cut off mid-way is resumed with Range within one fetch


class Cancelled(Exception):
    """Raised inside a fetch when its ``cancel`` event is set (Ctrl-C in another thread).

    ``kept`` says what the interrupted transfer left behind for the next run ("" for nothing).
    """

    def __init__(self, kept: str = ""):
        super().__init__(kept or "cancelled")
        self.kept = kept


LIKELY_PORTAL = "a login page or proxy error? check the network, or use --mirror or QD_MIRROR"


def check_format(fmt: str) -> str:
    """Return ``fmt`` if it names a bucket format, else raise QuickDrawError listing them."""
    if fmt not in FORMATS:
        raise QuickDrawError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def file_name(category: str, fmt: str) -> str:
    """Return the bucket's file name for a category, e.g. ``'The Eiffel Tower.ndjson'``."""
    return resolve(category) + FORMATS[check_format(fmt)].suffix


def url_for(category: str, fmt: str = "simplified", mirror: str | None = None) -> str:
    """Return the URL of a category's file in ``mirror`` (default ``$QD_MIRROR``, else the bucket)."""
    return _url(resolve_mirror(mirror), category, fmt)


def _url(base: str, category: str, fmt: str) -> str:
    return base + FORMATS[check_format(fmt)].bucket_dir + "/" + quote(file_name(category, fmt))


def resolve_mirror(mirror: str | None = None, *, env: str = "QD_MIRROR", default: str = DEFAULT_MIRROR,
                   option: str = "--mirror") -> str:
    """Return the mirror's base URL, ending in ``/``: ``mirror``, else ``$QD_MIRROR``, else the bucket.

    A plain folder becomes a ``file://`` URL; it must exist. ``env``, ``default`` and ``option``
    name another bucket's variable, URL and command-line option (the pretrained models' bucket).
    """
    value = str(mirror or os.environ.get(env) or default)
    try:
        parts = urlsplit(value)
    except ValueError as err:  # "Invalid IPv6 URL" and the like
        raise QuickDrawError(f"mirror {shown(value)} is not a usable URL ({err}); give {option} or {env} "
                             "as http(s)://HOST/PATH, a file:// URL or a folder") from None
    if re.match(r"https?://", value, re.I):
        host = parts.netloc.rsplit("@", 1)[-1]
        if not re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?)(:\d+)?", host):
            raise QuickDrawError(f"mirror {shown(value)} has no valid host name; give {option} or {env} "
                                 "as http(s)://HOST/PATH, a file:// URL or a folder")
        return value.rstrip("/") + "/"
    if re.match(r"[a-z][a-z0-9+.-]*://", value, re.I) and not value.lower().startswith("file://"):
        raise QuickDrawError(f"mirror {value!r} is not an http(s) URL, a file:// URL or a folder")
    folder = Path(url2pathname(parts.path)) if value.lower().startswith("file://") else Path(value)
    folder = folder.expanduser()
    if not folder.is_dir():
        raise QuickDrawError(f"mirror folder {folder} does not exist; point {option} or {env} "
                             "at a folder laid out like the bucket, or at an http(s) URL")
    return folder.resolve().as_uri().rstrip("/") + "/"


def open_mirror(mirror: str | None = None, **bucket) -> "HttpMirror | FolderMirror":
    """Return a reader for the mirror named by ``mirror`` / ``$QD_MIRROR`` / the public bucket.

    ``bucket`` takes ``resolve_mirror``'s ``env``, ``default`` and ``option`` for another bucket.
    """
    base = resolve_mirror(mirror, **bucket)
    where = f"{bucket.get('option', '--mirror')} or {bucket.get('env', 'QD_MIRROR')}"
    return FolderMirror(base, where) if base.startswith("file:") else HttpMirror(base, where)


class _Mirror:
    def __init__(self, base: str, where: str = "--mirror or QD_MIRROR"):
        self.base = base
        self.where = where  # the option and variable that choose this mirror, for messages

    def url(self, category: str, fmt: str) -> str:
        """Return the URL of a category's file in this mirror (name URL-quoted)."""
        return _url(self.base, category, fmt)


class FolderMirror(_Mirror):
    """A local folder laid out like the bucket (given as a folder or a ``file://`` URL)."""

    def _path(self, url: str) -> Path:
        path = Path(url2pathname(urlsplit(url).path))
        if not path.is_file():
            raise QuickDrawError(f"{unquote(url.rsplit('/', 1)[-1])} is not in mirror {self.base} "
                                 f"(no file {path})")
        return path

    def read_range(self, url: str, start: int, length: int, cancel: threading.Event | None = None) -> bytes:
        """Return up to ``length`` bytes of the file from offset ``start`` (fewer at its end)."""
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        with open(self._path(url), "rb") as f:
            f.seek(start)
            return f.read(length)

    def fetch(self, url: str, dest: Path, bar=None, cancel: threading.Event | None = None,
              verify=None) -> Path:
        """Copy the whole file to ``dest`` through ``dest.part``; return ``dest``.

        ``verify(part)`` may refuse the copy (QuickDrawError) before it is renamed.
        """
        src = self._path(url)
        part = _part(dest)
        if bar is not None:
            bar.reset(total=src.stat().st_size)
        try:
            with open(src, "rb") as fin, open(part, "wb") as fout:
                for block in iter(lambda: fin.read(CHUNK), b""):
                    if cancel is not None and cancel.is_set():
                        raise Cancelled()
                    fout.write(block)
                    if bar is not None:
                        bar.update(len(block))
            _verify(verify, part)
        except BaseException:
            part.unlink(missing_ok=True)  # a local copy is cheap to redo
            raise
        os.replace(part, dest)
        return dest


class HttpMirror(_Mirror):
    """An http(s) mirror read through one requests Session with urllib3 retries."""

    def __init__(self, base: str, where: str = "--mirror or QD_MIRROR"):
        super().__init__(base, where)
        self.session = requests.Session()
        self.session.headers["Accept-Encoding"] = "identity"  # byte offsets must be the file's own
        adapter = HTTPAdapter(max_retries=RETRY)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def _get(self, url: str, start: int = 0, length: int | None = None) -> requests.Response:
        headers = {}
        if start or length is not None:
            headers["Range"] = f"bytes={start}-" + ("" if length is None else str(start + length - 1))
        try:
            response = self.session.get(url, headers=headers, stream=True, timeout=TIMEOUT)
        except requests.RequestException as err:
            raise QuickDrawError(f"cannot reach {url} ({_reason(err)}); check the network, or point "
                                 f"{self.where} at a reachable mirror") from None
        if response.status_code == 404:
            response.close()
            raise QuickDrawError(f"{unquote(url.rsplit('/', 1)[-1])} is not in mirror {self.base} "
                                 f"({url} answered 404)")
        if response.status_code >= 400 and response.status_code != 416:
            response.close()
            retried = response.status_code in RETRY.status_forcelist
            tries = f" after {RETRY.total + 1} tries" if retried else ""
            raise QuickDrawError(f"mirror answered {response.status_code} {response.reason} for "
                                 f"{url}{tries}; try again later, or use {self.where}")
        if response.status_code < 300 and "html" in response.headers.get("Content-Type", "").lower():
            response.close()  # no file of a bucket is a web page
            raise QuickDrawError(f"{url} answered with a web page (Content-Type "
                                 f"{response.headers['Content-Type']}), not the file: a login page or proxy error? "
                                 f"check the network, or use {self.where}")
        return response

    def read_range(self, url: str, start: int, length: int, cancel: threading.Event | None = None) -> bytes:
        """Return up to ``length`` bytes of the file from offset ``start`` (fewer at its end).

        Uses an HTTP Range request; if the server ignores Range, the body is read up to the end of
        the wanted bytes and the connection dropped. A body cut off or stalled mid-way is resumed
        from the last byte received (up to RESUMES times), as whole-file fetches are.
        """
        out = bytearray()
        for _ in range(RESUMES):
            at = start + len(out)
            with self._get(url, at, length - len(out)) as r:
                if r.status_code == 416:
                    return bytes(out)
                if r.status_code == 206 and _range_start(r) != at:
                    raise QuickDrawError(f"mirror sent the wrong byte range for {url}")
                skip = 0 if r.status_code == 206 else at  # 200: Range ignored, whole body
                try:
                    for block in _blocks(r, cancel):
                        if skip:
                            dropped = min(skip, len(block))
                            block, skip = block[dropped:], skip - dropped
                        out += block[:length - len(out)]
                        if len(out) >= length:
                            return bytes(out)
                except BROKEN:
                    continue  # cut off or stalled mid-body: ask again from the last byte kept
            return bytes(out)  # the body ended whole before ``length``: the end of the file
        raise QuickDrawError(f"transfer of {url} kept breaking off ({RESUMES} tries, {len(out)} of "
                             f"the {length} bytes from offset {start} received); check the network "
                             "and run again")

    def fetch(self, url: str, dest: Path, bar=None, cancel: threading.Event | None = None,
              verify=None) -> Path:
        """Download the whole file to ``dest``; return ``dest``.

        Bytes go to ``dest.part``, which resumes with Range after an interruption; the result is
        checked against Content-Length and the ``x-goog-hash`` md5, then ``verify(part)`` (if given)
        may refuse it with a QuickDrawError (an md5 proves the bytes are the server's, not that they
        are data: the caller parses them whatever the transport), and only then is it renamed
        to ``dest``. A refused or corrupt ``.part`` is removed. The caller keeps other processes
        off ``dest`` (``quickdraw.fetch.cache.locked``). Ctrl-C (``cancel``) keeps the ``.part``.
        """
        part = _part(dest)
        try:
            return self._fetch(url, dest, part, bar, cancel, verify)
        except Cancelled:
            size = part.stat().st_size if part.exists() else 0
            raise Cancelled(f"{part} ({size} bytes; the next run resumes it)" if size else "") from None

    def _fetch(self, url, dest, part, bar, cancel, verify) -> Path:
        have = -1
        for _ in range(RESUMES):
            have = part.stat().st_size if part.exists() else 0
            with self._get(url, have) as r:
                if r.status_code == 416:  # the .part is already whole or stale: start again
                    part.unlink()
                    continue
                if r.status_code == 206 and _range_start(r) != have:
                    raise QuickDrawError(f"mirror sent the wrong byte range for {url}")
                start = have if r.status_code == 206 else 0  # 200: Range ignored, whole body
                total = _total(r, start)
                md5 = _md5_header(r)
                if bar is not None:
                    bar.reset(total=total)
                    bar.update(start)
                try:
                    with open(part, "ab" if start else "wb") as f:
                        for block in _blocks(r, cancel):
                            f.write(block)
                            if bar is not None:
                                bar.update(len(block))
                except BROKEN:
                    continue  # cut off mid-body: resume from what the .part holds
            size = part.stat().st_size
            if total is not None and size < total:
                continue
            if total is not None and size > total:
                part.unlink()
                raise QuickDrawError(f"{url} sent more bytes than announced; the partial file "
                                     "was removed, run again")
            if md5 is not None and _md5_file(part) != md5:
                part.unlink()
                raise QuickDrawError(f"{url} failed its md5 check; the partial file was removed, "
                                     "run again")
            try:
                _verify(verify, part)
            except BaseException:
                part.unlink(missing_ok=True)
                raise
            os.replace(part, dest)
            return dest
        raise QuickDrawError(f"download of {url} kept breaking off; {part} keeps the "
                             f"{max(have, 0)} bytes received and the next run resumes it")


def _blocks(r: requests.Response, cancel: threading.Event | None = None):
    """Yield the body as it arrives, at most CHUNK bytes at a time; bytes before a cut are kept."""
    while block := r.raw.read1(CHUNK):
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        yield block


def _verify(verify, part: Path) -> None:
    if verify is not None:
        verify(part)


def _part(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def _range_start(r: requests.Response) -> int | None:
    m = re.match(r"bytes (\d+)-", r.headers.get("Content-Range", ""))
    return int(m.group(1)) if m else None


def _total(r: requests.Response, start: int) -> int | None:
    length = r.headers.get("Content-Length")
    return start + int(length) if length is not None else None


def _md5_header(r: requests.Response) -> str | None:
    """Return the base64 md5 from ``x-goog-hash`` (several values may be comma-joined)."""
    m = re.search(r"md5=([A-Za-z0-9+/=]+)", r.headers.get("x-goog-hash", ""))
    return m.group(1) if m else None


def _md5_file(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return base64.b64encode(digest.digest()).decode()


def _reason(err: Exception) -> str:
    """A short, one-line cause for a requests error, e.g. ``[Errno 111] Connection refused``."""
    text = str(err)
    m = re.search(r"\[Errno -?\d+\][^'\")\]]*", text)
    if m:
        return m.group(0).strip()
    for needle in ("Read timed out", "timed out", "too many", "Connection aborted", "Connection broken"):
        if needle in text:
            return needle.lower()
    return type(err).__name__
