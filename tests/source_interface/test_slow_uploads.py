"""Slow, stalled and refused uploads against a real server: a full house answers at once, a too
slow upload gives way, and no refusal costs an upload its slot; nothing is left behind."""

from __future__ import annotations

import select
import socket
import time

import pytest

from tests.server import Trickle
from tests.source_interface.http_source import FilePart, HttpSource
from tests.source_interface.tight_server import (
    RATE_WINDOW,
    UPLOAD_SLOTS,
    Site,
    assert_landing_page_answers,
    assert_nothing_left_behind,
    new_source,
    start,
)

pytestmark = pytest.mark.server


def test_uploads_beyond_the_cap_are_told_to_come_back_at_once(site: Site) -> None:
    source = HttpSource(site.server.port)
    source.create()
    # Each from a source of its own: one session may only stream a couple of uploads at once.
    slow = [
        new_source(site).upload_request("steady", [FilePart("s.bin", 100_000, b"S")])
        for _ in range(UPLOAD_SLOTS)
    ]
    # 3 KB/s, above the minimum rate: these keep their slots until they give up.
    steady = start(
        [
            Trickle(site.server.port, head, body, step=300, every=0.1, give_up=4)
            for head, body in slow
        ]
    )
    time.sleep(1.5)
    for _ in range(3):
        started = time.monotonic()
        busy = source.upload("busy", [FilePart("busy.bin", 1_000_000, b"B")], pause_after=0)
        assert busy is not None and busy.status == 503
        assert time.monotonic() - started < 2, "refused at once, without reading the body"
        assert busy.headers["Retry-After"] == "30"
        assert "Many people are sending files right now" in busy.body
    assert_landing_page_answers(site)
    for trickle in steady:
        trickle.join(10)
        assert trickle.closed_after is None, "an upload above the minimum rate is never cut"
    assert_nothing_left_behind(site)


def test_too_slow_uploads_are_cut_and_give_way_to_a_normal_one(site: Site) -> None:
    source = HttpSource(site.server.port)
    source.create()
    before = len(site.stored())
    slow = [
        new_source(site).upload_request("slow", [FilePart("slow.bin", 100_000, b"TRICKLE")])
        for _ in range(UPLOAD_SLOTS)
    ]
    # 1 KB/s, half the minimum rate.
    trickles = start(
        [Trickle(site.server.port, head, body, step=100, every=0.1) for head, body in slow]
    )
    time.sleep(RATE_WINDOW / 2)
    normal = source.upload("meanwhile", [FilePart("normal.bin", 1_000_000, b"N")])
    assert normal is not None and normal.status == 302, "the slowest upload gave way"
    assert_landing_page_answers(site)
    cut_after = []
    for trickle in trickles:
        trickle.join(30)
        assert trickle.closed_after is not None, "a too slow upload is cut"
        cut_after.append(trickle.closed_after)
    assert min(cut_after) < RATE_WINDOW, "one was evicted early for the normal upload"
    assert max(cut_after) < RATE_WINDOW + 4, "the others at the end of the rate window"
    assert_nothing_left_behind(site)
    assert len(site.stored()) == before + 2, "only the normal submission: its message and file"


def stall_uploads(site: Site, count: int, after: int) -> list[socket.socket]:
    """`count` uploads, each from a source of its own, that send `after` body bytes and stop."""
    stalled = []
    for _ in range(count):
        head, body = new_source(site).upload_request("stalled", [FilePart("s.bin", 500_000, b"S")])
        sock = socket.create_connection(("127.0.0.1", site.server.port), timeout=5)
        sock.sendall(head + body[:after])
        stalled.append(sock)
    return stalled


def answer_head(site: Site, data: bytes) -> bytes:
    """Send `data`, the start of a request, and return the head of the answer (keeping the
    connection open meanwhile, as a browser still sending its body would)."""
    with socket.create_connection(("127.0.0.1", site.server.port), timeout=5) as sock:
        sock.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received and (chunk := sock.recv(65536)):
            received += chunk
    return received.partition(b"\r\n\r\n")[0]


def still_open(sock: socket.socket) -> bool:
    """True while the server has neither answered nor closed the connection."""
    readable, _, _ = select.select([sock], [], [], 0)
    return not readable


def test_requests_the_app_refuses_unread_never_evict_an_upload(site: Site) -> None:
    stalled = stall_uploads(site, UPLOAD_SLOTS, after=100_000)
    try:
        # Every slot is taken by an upload now far below the minimum rate: evictable, but only
        # by an upload the app actually reads.
        time.sleep(2.5)
        no_session = (
            b"POST /submit?csrf_token=x HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 500000\r\n\r\n"
        ) + b"x" * 10_000
        for _ in range(12):
            head = answer_head(site, no_session)
            assert head.startswith(b"HTTP/1.1 302") and b"/login" in head
        assert all(still_open(sock) for sock in stalled), "no upload was cut for a refusal"
    finally:
        for sock in stalled:
            sock.close()
    assert_nothing_left_behind(site)
