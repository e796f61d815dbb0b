"""Oversized requests against a real server: refused before the body is read, in the visitor's
language; and no answer names the software or dates the install."""

from __future__ import annotations

import pytest

from tests.server import raw_request
from tests.source_interface.http_source import FilePart, HttpSource
from tests.source_interface.tight_server import Site

pytestmark = pytest.mark.server


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
