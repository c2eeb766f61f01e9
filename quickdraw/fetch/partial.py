"""The first N drawings of a remote file for about the bytes of N drawings.

ndjson and binary files are read with HTTP Range requests in windows sized from the records seen
so far, and cut at record boundaries (newlines; the binary record headers). A ``.npy`` file costs
its header plus exactly N rows. Bytes come from ``quickdraw.fetch.remote`` mirrors.

>>> reader = RecordPrefix(open_mirror(), url, "simplified")        # doctest: +SKIP
>>> data, n = reader.take(100)   # the exact bytes of the first 100 lines  # doctest: +SKIP
"""
from __future__ import annotations

from ..errors import QuickDrawError
from ..formats import bitmap
from .remote import LIKELY_PORTAL

FIRST_WINDOW = 16 * 1024  # bytes asked for before any record size is known
MIN_WINDOW = 4 * 1024
MAX_WINDOW = 8 << 20
MARGIN = 2 * 1024  # added to each estimate so that one more request is rarely needed
NPY_HEAD = 128  # bytes holding a version 1.0 .npy header


def ndjson_cut(buf: bytearray, start: int, k: int, eof: bool) -> tuple[int, int]:
    """Scan ``buf`` from ``start`` for up to ``k`` whole ndjson lines; return (lines, end offset).

    At the end of the file a last line without a newline counts.
    """
    n, end = 0, start
    while n < k:
        i = buf.find(b"\n", end)
        if i < 0:
            if eof and buf[end:].strip():
                n, end = n + 1, len(buf)
            break
        n, end = n + 1, i + 1
    return n, end


def binary_cut(buf: bytearray, start: int, k: int, eof: bool) -> tuple[int, int]:
    """Scan ``buf`` from ``start`` for up to ``k`` whole binary records; return (records, end offset).

    A record is key_id u64, countrycode 2 bytes, recognized u8, timestamp u32, n_strokes u16,
    then per stroke n u16, n x bytes, n y bytes (all little-endian).
    """
    n, end, size = 0, start, len(buf)
    while n < k and end + 17 <= size:
        pos = end + 17
        for _ in range(int.from_bytes(buf[end + 15:end + 17], "little")):
            if pos + 2 > size:
                return n, end
            pos += 2 + 2 * int.from_bytes(buf[pos:pos + 2], "little")
        if pos > size:
            break
        n, end = n + 1, pos
    return n, end


CUTTERS = {"simplified": ndjson_cut, "raw": ndjson_cut, "binary": binary_cut}
WHAT = {"simplified": "ndjson", "raw": "ndjson", "binary": "binary drawings", "bitmap": "a .npy bitmap file",
        "sketchrnn": "a .npz file"}


def sniff(head: bytes, fmt: str, url: str) -> None:
    """Raise QuickDrawError, naming ``url`` and a likely cause, if ``head`` cannot begin a ``fmt`` file.

    ``head`` is the first bytes of the file (empty is allowed: an empty file holds no drawings).
    A web page, JSON where binary is expected, or a binary file where text is expected, is refused.
    """
    text = head.lstrip()[:1]
    if not head or _fits(head, fmt):
        return
    if text == b"<":
        found = "a web page"
    elif text in (b"{", b"["):
        found = "JSON text"
    else:
        found = f"bytes {head[:8]!r}"
    raise QuickDrawError(f"{url} sent {found} where {WHAT[fmt]} was expected: {LIKELY_PORTAL}")


def _fits(head: bytes, fmt: str) -> bool:
    if fmt in ("simplified", "raw"):
        return head.lstrip()[:1] == b"{"
    if fmt == "bitmap":
        return head.startswith(bitmap.MAGIC[:len(head)])
    if fmt == "sketchrnn":
        return head.startswith(b"PK\x03\x04"[:len(head)])
    # binary: key_id u64, countrycode two capitals (or zeros), recognized 0 or 1
    return (len(head) < 11 or (all(c == 0 or 65 <= c <= 90 for c in head[8:10]) and head[10] <= 1)) \
        and head[:1] != b"{"


class RecordPrefix:
    """Reads a remote ndjson or binary file from its start, a few records at a time.

    ``take(k)`` returns the exact bytes of the next ``k`` records; ``fetched`` counts the bytes
    received so far, which exceeds the bytes returned by at most about one estimate's error.
    """

    def __init__(self, mirror, url: str, fmt: str, cancel=None):
        if fmt not in CUTTERS:
            raise QuickDrawError(f"drawings can be cut from simplified, raw or binary files, not {fmt}")
        self.mirror, self.url, self.fmt, self.cut = mirror, url, fmt, CUTTERS[fmt]
        self.cancel = cancel  # a threading.Event that stops the reads (remote.Cancelled)
        self.buf = bytearray()
        self.fetched = 0  # bytes received from the mirror
        self.returned = 0  # bytes handed out by take()
        self.records = 0  # records handed out by take()
        self.eof = False

    def take(self, k: int, bar=None) -> tuple[bytes, int]:
        """Return (bytes, n): the next ``n`` whole records, ``n == k`` unless the file ends first."""
        n, end = self.cut(self.buf, 0, k, self.eof)
        while n < k and not self.eof:
            want = self._window(k - n, n, end)
            data = self.mirror.read_range(self.url, self.fetched, want, cancel=self.cancel)
            if not self.fetched:
                sniff(data[:64], self.fmt, self.url)
            self.fetched += len(data)
            self.buf += data
            self.eof = len(data) < want
            more, end = self.cut(self.buf, end, k - n, self.eof)
            n += more
            if bar is not None:
                bar.total = max(self.fetched, round(self._average(n, end) * (self.records + k)))
                bar.update(len(data))
        if bar is not None:
            bar.total = bar.n
            bar.refresh()
        if self.eof and n < k and self.buf[end:].strip():
            raise QuickDrawError(f"{self.url} ends in the middle of a drawing (a truncated file?)")
        out = bytes(self.buf[:end])
        del self.buf[:end]
        self.records += n
        self.returned += len(out)
        return out, n

    def _average(self, n: int, end: int) -> float:
        done = self.records + n
        return (self.returned + end) / done if done else float(FIRST_WINDOW)

    def _window(self, needed: int, n: int, end: int) -> int:
        """Bytes to ask for next: the estimated size of ``needed`` records, less what is buffered."""
        if self.records + n == 0:
            return max(FIRST_WINDOW, len(self.buf))
        estimate = needed * self._average(n, end) - (len(self.buf) - end) + MARGIN
        return int(min(MAX_WINDOW, max(MIN_WINDOW, estimate)))


def npy_header(mirror, url: str, cancel=None) -> bitmap.NpyHeader:
    """Read and check the header of the remote bitmap ``.npy`` at ``url`` (usually 128 bytes).

    Raises QuickDrawError naming ``url`` unless it announces uint8 rows of 784 (28x28) bytes.
    """
    head = mirror.read_range(url, 0, NPY_HEAD, cancel=cancel)
    sniff(head[:64], "bitmap", url)
    if head.startswith(bitmap.MAGIC) and len(head) >= 12:
        size_bytes = 2 if head[6] == 1 else 4
        need = 8 + size_bytes + int.from_bytes(head[8:8 + size_bytes], "little")
        if len(head) < need:
            head += mirror.read_range(url, len(head), need - len(head), cancel=cancel)
    try:
        header = bitmap.parse_header(head)
    except QuickDrawError as err:
        raise QuickDrawError(f"{url}: {err}") from None
    if header.row_size != bitmap.ROW_SIZE:
        raise QuickDrawError(f"{url}: not a Quick, Draw! bitmap file: rows of {header.row_size} bytes, "
                             f"expected {bitmap.ROW_SIZE} (28x28)")
    return header


def npy_rows(mirror, url: str, header: bitmap.NpyHeader, start: int, count: int, cancel=None) -> bytes:
    """Return the bytes of rows ``start`` .. ``start + count - 1`` (fewer at the end of the array)."""
    rows = max(0, min(count, header.rows - start))
    if not rows:
        return b""
    body = mirror.read_range(url, header.header_len + start * header.row_size, rows * header.row_size,
                             cancel=cancel)
    if len(body) != rows * header.row_size:
        raise QuickDrawError(f"{url} is shorter than its header says (a truncated file?)")
    return body


def npy_prefix(mirror, url: str, count: int, cancel=None) -> tuple[bytes, int]:
    """Return (file bytes, rows): a valid ``.npy`` of the first ``count`` rows of the remote ``.npy``.

    Costs the header plus exactly those rows; the header is rewritten for the new row count.
    """
    header = npy_header(mirror, url, cancel)
    body = npy_rows(mirror, url, header, 0, count, cancel)
    rows = len(body) // header.row_size
    return bitmap.header(rows, header.row_size) + body, rows
