"""The hostile modes of the test server (``tests.httpserver``), named: what a bad network does to qd.

Each function switches one mode on for the next requests of a running ``Server`` (``server.reset()``
switches everything off). The ``hostile`` fixture is a server in front of the offline mirror.

>>> portal(server)                 # doctest: +SKIP  (every GET: 200, a login page, text/html)
>>> throttle(server, 400_000)      # doctest: +SKIP  (about 400 KB/s)
"""
from __future__ import annotations

import pytest

from tests.httpserver import PORTAL_PAGE, Server, serve

__all__ = ["PORTAL_PAGE", "die_mid_body", "flip_byte", "hostile", "ignore_range", "portal", "replace",
           "stall", "throttle"]


def portal(server: Server) -> None:
    """Answer every GET with 200 and a login web page (text/html, no md5), as a captive portal does."""
    server.faults.portal = True


def replace(server: Server, suffix: str, data: bytes, md5: bool = False) -> None:
    """Serve ``data`` (with no md5 unless ``md5``) for the files whose path ends with ``suffix``."""
    server.faults.bodies[suffix] = data
    server.faults.no_md5 = not md5


def throttle(server: Server, bytes_per_s: int, chunk: int = 8192) -> None:
    """Send bodies at about ``bytes_per_s``, ``chunk`` bytes at a time."""
    server.faults.chunk, server.faults.delay = chunk, chunk / bytes_per_s


def stall(server: Server, after: int, seconds: float = 5.0, times: int = 1) -> None:
    """For the next ``times`` bodies, send ``after`` bytes, then nothing for ``seconds``, then hang up."""
    server.faults.stall_after, server.faults.stall_for, server.faults.stall_times = after, seconds, times


def die_mid_body(server: Server, after: int, times: int = 1) -> None:
    """For the next ``times`` bodies, close the connection after ``after`` bytes."""
    server.faults.cut_after, server.faults.cut_times = after, times


def flip_byte(server: Server, offset: int, md5: bool = True) -> None:
    """Flip one bit of the byte at ``offset`` of every file; send the file's true md5 only if ``md5``."""
    server.faults.flip_at, server.faults.no_md5 = offset, not md5


def ignore_range(server: Server) -> None:
    """Answer 200 with the whole body even when a Range is asked for."""
    server.faults.ignore_range = True


@pytest.fixture
def hostile(mirror):
    """A fault-injecting HTTP server on 127.0.0.1 in front of the offline mirror (modes above)."""
    with serve(mirror) as server:
        yield server
