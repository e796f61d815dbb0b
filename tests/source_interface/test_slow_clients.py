"""Slow and stalled clients against a real server: heads and small bodies trickled in, idle
keep-alive connections, half-sent heads at the connection cap; pages keep answering.

The server (tight_server.py) has small thread, upload and connection caps and deadlines of a few
seconds; uploads and oversized requests have modules of their own.
"""

from __future__ import annotations

import contextlib
import socket
import time

import pytest

from tests.server import Trickle
from tests.source_interface.tight_server import (
    DEADLINE,
    MANY,
    MAX_CONNECTIONS,
    Site,
    assert_landing_page_answers,
    start,
)

pytestmark = pytest.mark.server


def test_slow_request_heads_cost_no_thread_and_are_cut_at_the_deadline(site: Site) -> None:
    head = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100 + b"\r\n\r\n"
    trickles = start([Trickle(site.server.port, head, slow_head=True) for _ in range(MANY)])
    time.sleep(0.5)
    assert_landing_page_answers(site)
    for trickle in trickles:
        trickle.join(15)
        assert trickle.closed_after is not None and trickle.closed_after < DEADLINE + 2
        assert trickle.reply == b"", "a head that never completed gets no answer"


def test_slow_login_bodies_cost_no_thread_and_are_cut_at_the_deadline(site: Site) -> None:
    body = b"codename=" + b"a" * 200
    head = (
        "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    trickles = start([Trickle(site.server.port, head, body, every=1.0) for _ in range(MANY)])
    time.sleep(0.5)
    assert_landing_page_answers(site)
    for trickle in trickles:
        trickle.join(15)
        assert trickle.closed_after is not None and trickle.closed_after < DEADLINE + 2
        assert trickle.reply == b""


def test_idle_keep_alive_connections_are_closed(site: Site) -> None:
    with socket.create_connection(("127.0.0.1", site.server.port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        while sock.recv(65536):
            pass  # the rest of the page, then the server's end of the connection
        assert time.monotonic() - started < 2 + 2


def hold_connections(site: Site, count: int, sent: bytes) -> list[socket.socket]:
    """`count` connections that each send `sent` and nothing more (some may be closed at once)."""
    held = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", site.server.port), timeout=5)
        held.append(sock)
        with contextlib.suppress(OSError):
            sock.sendall(sent)
    return held


def test_half_sent_heads_beyond_the_cap_never_lock_others_out(site: Site) -> None:
    held = hold_connections(site, MAX_CONNECTIONS + 50, b"GET / HTTP/1.1\r\n")
    try:
        time.sleep(0.3)
        for _ in range(3):
            assert_landing_page_answers(site)
    finally:
        for sock in held:
            sock.close()


def test_at_the_cap_the_oldest_half_sent_head_gives_way(site: Site) -> None:
    held = hold_connections(site, MAX_CONNECTIONS, b"")
    try:
        time.sleep(0.3)
        assert_landing_page_answers(site)
        held[0].settimeout(2)
        with contextlib.suppress(ConnectionResetError):
            assert held[0].recv(1) == b"", "closed without an answer"
    finally:
        for sock in held:
            sock.close()
