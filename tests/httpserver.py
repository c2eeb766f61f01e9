"""A real HTTP server on 127.0.0.1 that serves a folder like the dataset bucket, with faults on demand.

It answers GET and HEAD with Range support (206, Content-Range, Content-Length), sends the
bucket's ``x-goog-hash: md5=<base64>`` header, logs every request with the body bytes it sent, and
can misbehave: 503 for the first k requests, a connection cut mid-body, Range ignored, a slow body,
a wrong md5, no md5, a flipped byte, a stalled body, a captive-portal web page, other bytes in place
of a file. Other test modules reuse the fixture with ``from tests.httpserver import http_mirror``
(``tests.hostile_server`` names the hostile modes).

>>> with serve(folder) as server:          # doctest: +SKIP
...     server.faults.fail_first = 2       # the next two requests answer 503
...     requests.get(server.url + "full/simplified/eye.ndjson")
"""
from __future__ import annotations

import base64
import hashlib
import re
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

CHUNK = 16 * 1024


@dataclass
class Faults:
    """What the server gets wrong; change the fields between requests (all off by default).

    ``fail_first``: answer this many of the next requests with ``fail_status``.
    ``cut_after``: for the next ``cut_times`` bodies, close the connection after this many bytes.
    ``ignore_range``: answer 200 with the whole body even when a Range is asked for.
    ``delay``: seconds to sleep before each ``chunk`` bytes of a body (a slow server).
    ``wrong_md5``: send an md5 header that does not match the body.
    ``no_md5``: send no ``x-goog-hash`` header.
    ``flip_at``: serve the files with the byte at this offset flipped (the md5 stays the file's own).
    ``stall_after``: for the next ``stall_times`` bodies, stop sending after this many bytes for
    ``stall_for`` seconds (then close the connection).
    ``portal``: answer every GET with 200 and a login web page (text/html, no md5), as a captive
    portal does.
    ``bodies``: {path suffix: bytes} served in place of the files whose path ends with the suffix.
    """

    fail_first: int = 0
    fail_status: int = 503
    cut_after: int | None = None
    cut_times: int = 1
    ignore_range: bool = False
    delay: float = 0.0
    chunk: int = CHUNK
    wrong_md5: bool = False
    no_md5: bool = False
    flip_at: int | None = None
    stall_after: int | None = None
    stall_times: int = 1
    stall_for: float = 5.0
    portal: bool = False
    bodies: dict[str, bytes] = field(default_factory=dict)


PORTAL_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Sign in to the network</title></head>\n"
               b"<body><form action=\"/login\"><input name=\"user\"></form></body></html>\n")


@dataclass
class Request:
    """One request as the server saw it: path, Range header, status, body bytes sent, and when.

    ``began`` and ``ended`` are ``time.monotonic()`` readings (``ended`` is None until done).
    """

    method: str
    path: str
    range: str | None
    status: int
    sent: int = 0
    began: float = field(default_factory=time.monotonic)
    ended: float | None = None


@dataclass
class Server:
    """A running server: its base ``url`` (ends with ``/``), ``faults`` to set, the request ``log``."""

    url: str
    root: Path
    faults: Faults = field(default_factory=Faults)
    log: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sent(self, path_part: str = "") -> int:
        """Total body bytes sent for requests whose path contains ``path_part``.

        A block counts as sent once handed to the socket (a dropped connection may discard it).
        """
        with self.lock:
            return sum(r.sent for r in self.log if path_part in r.path)

    def requests(self, path_part: str = "") -> list[Request]:
        """The logged requests whose path contains ``path_part``, oldest first."""
        with self.lock:
            return [r for r in self.log if path_part in r.path]

    def reset(self) -> None:
        """Clear the log and switch every fault off."""
        with self.lock:
            self.log.clear()
            self.faults = Faults()


@lru_cache(maxsize=16)
def _bytes(path: Path, mtime: float) -> bytes:
    return path.read_bytes()


def _md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def _parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Return the inclusive (first, last) byte asked for, or None for the whole body."""
    m = re.fullmatch(r"bytes=(\d*)-(\d*)", (header or "").strip())
    if not m or m.group(1) == m.group(2) == "":
        return None
    if m.group(1) == "":
        return max(0, size - int(m.group(2))), size - 1
    first = int(m.group(1))
    last = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    return first, last


def _handler(server: Server):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms stalls

        def log_message(self, *args):  # keep pytest output clean
            pass

        def do_HEAD(self):
            self._answer(body=False)

        def do_GET(self):
            self._answer(body=True)

        def _record(self, status: int) -> Request:
            req = Request(self.command, unquote(urlsplit(self.path).path), self.headers.get("Range"), status)
            with server.lock:
                server.log.append(req)
            return req

        def _fail(self, status: int, text: str = "") -> None:
            self._record(status)
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command == "GET":
                self.wfile.write(payload)

        def _answer(self, body: bool) -> None:
            faults = server.faults
            with server.lock:
                failing = faults.fail_first > 0
                if failing:
                    faults.fail_first -= 1
            if failing:
                return self._fail(faults.fail_status, "injected failure")
            if faults.portal:
                return self._send(200, PORTAL_PAGE, "text/html; charset=utf-8", None, None, body)
            rel = unquote(urlsplit(self.path).path).lstrip("/")
            data = next((b for suffix, b in faults.bodies.items() if rel.endswith(suffix)), None)
            if data is None:
                path = (server.root / rel).resolve()
                if server.root not in path.parents or not path.is_file():
                    return self._fail(404, "no such object")
                data = _bytes(path, path.stat().st_mtime)
            md5 = None if faults.no_md5 else _md5(data)
            if faults.wrong_md5:
                md5 = _md5(b"not this body")
            if faults.flip_at is not None and faults.flip_at < len(data):
                data = data[:faults.flip_at] + bytes([data[faults.flip_at] ^ 1]) + data[faults.flip_at + 1:]
            size = len(data)
            wanted = None if faults.ignore_range else _parse_range(self.headers.get("Range"), size)
            if wanted and wanted[0] >= size:
                self._record(416)
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            first, last = wanted or (0, size - 1)
            self._send(206 if wanted else 200, data[first:last + 1], "application/octet-stream", md5,
                       f"bytes {first}-{last}/{size}" if wanted else None, body)

        def _send(self, status, payload, content_type, md5, content_range, body) -> None:
            req = self._record(status)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Accept-Ranges", "bytes")
            if md5 is not None:
                self.send_header("x-goog-hash", f"md5={md5}")
            if content_range:
                self.send_header("Content-Range", content_range)
            self.end_headers()
            if body:
                self._send_body(payload, req)
            req.ended = time.monotonic()

        def _send_body(self, payload: bytes, req: Request) -> None:
            faults = server.faults
            with server.lock:
                cut = faults.cut_after if faults.cut_times > 0 else None
                if cut is not None:
                    faults.cut_times -= 1
                stall = faults.stall_after if faults.stall_times > 0 else None
                if stall is not None:
                    faults.stall_times -= 1
            length = len(payload)
            limit = min(x for x in (length, cut, stall) if x is not None)
            try:
                while req.sent < limit:
                    if faults.delay:
                        time.sleep(faults.delay)
                    block = payload[req.sent:min(req.sent + faults.chunk, limit)]
                    with server.lock:  # counted before the write, so a reader never sees less
                        req.sent += len(block)
                    self.wfile.write(block)
                if stall is not None and limit < length:
                    self.wfile.flush()
                    time.sleep(faults.stall_for)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
                return
            if limit < length:
                self.close_connection = True

    return Handler


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """Stay silent when a client hangs up (partial fetches do, on purpose); report the rest."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serve(root: Path):
    """Serve ``root`` on 127.0.0.1 at a free port; yield the ``Server``."""
    server = Server(url="", root=Path(root).resolve())
    httpd = _Quiet(("127.0.0.1", 0), _handler(server))
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def http_mirror(mirror):
    """A fault-injecting HTTP server in front of the offline mirror; ``.url`` is the base URL."""
    with serve(mirror) as server:
        yield server
