"""Slow, stalled and oversized clients against a real server: pages keep answering, nothing leaks.

The server here has one worker with 4 threads and room for 3 uploads at once, and deadlines of a
few seconds, so each attack needs only a few dozen connections and a few seconds.
"""

from __future__ import annotations

import contextlib
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sealdrop.config import Config, load_config
from sealdrop.runtime.initialise import initialise
from tests.harness import FAST_KDF, ReaderKeys
from tests.server import RunningServer, Trickle, raw_request, serve_source, timed_get
from tests.source_interface.http_source import FilePart, HttpSource

pytestmark = pytest.mark.server

THREADS = 4
UPLOAD_SLOTS = 3
DEADLINE = 2  # seconds for a request head, and for a small body
RATE_WINDOW = 5  # seconds of waiting over which an upload must average the minimum rate
MAX_CONNECTIONS = 100
SETTINGS = {
    "SEALDROP_SOURCE_WORKERS": "1",
    "SEALDROP_SOURCE_THREADS": str(THREADS),
    "SEALDROP_SOURCE_UPLOADS_PER_WORKER": str(UPLOAD_SLOTS),
    "SEALDROP_SOURCE_HEADER_TIMEOUT_SECONDS": str(DEADLINE),
    "SEALDROP_SOURCE_BODY_TIMEOUT_SECONDS": str(DEADLINE),
    "SEALDROP_SOURCE_UPLOAD_RATE_WINDOW_SECONDS": str(RATE_WINDOW),
    "SEALDROP_SOURCE_UPLOAD_MIN_BYTES_PER_SECOND": "2000",
    "SEALDROP_SOURCE_UPLOAD_IDLE_TIMEOUT_SECONDS": "8",
    "SEALDROP_SOURCE_BUSY_RETRY_AFTER_SECONDS": "30",
    "SEALDROP_MAX_UPLOAD_BYTES": "4000000",
    "SEALDROP_SOURCE_KEEPALIVE_TIMEOUT_SECONDS": "2",
    "SEALDROP_SOURCE_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
}
MANY = 10 * THREADS  # far more slow clients than threads


@dataclass
class Site:
    server: RunningServer
    config: Config
    env: dict[str, str]

    def staged(self) -> list[Path]:
        return sorted(self.config.store_dir.glob("*/.*.part"))

    def stored(self) -> list[Path]:
        return sorted(self.config.store_dir.glob("*/*.gpg"))

    def check(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sealdrop.cli", "check"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.fixture(scope="module")
def site(reader_keys: ReaderKeys) -> Iterator[Site]:
    base = Path(tempfile.mkdtemp(prefix="sdw-"))
    env = {
        "SEALDROP_DATA_DIR": str(base / "data"),
        "SEALDROP_MIN_FREE_BYTES": "0",
        **FAST_KDF,
        **SETTINGS,
    }
    initialise(load_config(env), submission_key=reader_keys.public_key)
    try:
        with serve_source(env, base) as server:
            yield Site(server, load_config(env), env)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def start(trickles: list[Trickle]) -> list[Trickle]:
    for trickle in trickles:
        trickle.start()
    for trickle in trickles:
        trickle.connected.wait(5)
    return trickles


def assert_landing_page_answers(site: Site) -> None:
    status, seconds = timed_get(site.server.url + "/", timeout=5)
    assert status == 200 and seconds < 1, seconds


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


def new_source(site: Site) -> HttpSource:
    source = HttpSource(site.server.port)
    source.create()
    return source


def assert_nothing_left_behind(site: Site) -> None:
    deadline = time.monotonic() + 10
    while site.staged() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert site.staged() == []
    done = site.check()
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_length_over_the_route_limit_is_refused_before_the_body(site: Site) -> None:
    login = b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000000\r\n\r\n"
    status, headers, body = raw_request(site.server.port, login)
    assert status == 413 and b"larger than this service accepts" in body
    assert "Server" not in headers
    french = login.replace(b"Host: 127.0.0.1\r\n", b"Host: 127.0.0.1\r\nAccept-Language: fr\r\n")
    status, _, body = raw_request(site.server.port, french)
    assert status == 413 and "L’envoi dépasse la taille acceptée".encode() in body
    source = HttpSource(site.server.port)
    source.create()
    huge = source.upload("huge", [FilePart("huge.bin", 20_000_000, b"H")], pause_after=0)
    assert huge is not None and huge.status == 413


def test_a_chunked_body_over_the_small_limit_is_refused(site: Site) -> None:
    chunk = b"a" * 50_000
    head = b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    body = (b"%X\r\n%s\r\n" % (len(chunk), chunk)) * 3 + b"0\r\n\r\n"
    status, _, _ = raw_request(site.server.port, head + body)
    assert status == 413


@pytest.mark.parametrize(
    ("path", "expected"), [("/", 200), ("/nope", 404), ("/static/style.css", 200)]
)
def test_no_header_names_the_software_or_dates_the_install(
    site: Site, path: str, expected: int
) -> None:
    # A far-future If-Modified-Since would get a 304 if the server compared file times.
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        "If-Modified-Since: Thu, 01 Jan 2099 00:00:00 GMT\r\n\r\n"
    ).encode()
    status, headers, _ = raw_request(site.server.port, request)
    assert status == expected
    names = {name.lower() for name in headers}
    assert not names & {"server", "etag", "last-modified", "date"}, names


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
