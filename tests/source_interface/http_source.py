"""HttpSource: a source speaking raw HTTP to a real server, able to stream, throttle and hang up."""

from __future__ import annotations

import http.client
import re
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from tests.source_interface.actions import (
    CODENAME_PATTERN,
    CSRF_PATTERN,
    PAGE_PATTERN,
    submit_path,
)

CHUNK = 64 * 1024


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class FilePart:
    name: str
    size: int
    fill: bytes  # repeated to `size` bytes: a marker that must never reach the disk in clear

    def content(self) -> bytes:
        return b"".join(_file_body(self))


def _parts_preamble(boundary: str, fields: dict[str, str]) -> bytes:
    out = b""
    for key, value in fields.items():
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        ).encode()
    return out


def _file_header(boundary: str, part: FilePart) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{part.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


def _file_body(part: FilePart) -> Iterator[bytes]:
    block = (part.fill * (CHUNK // len(part.fill) + 1))[:CHUNK]
    remaining = part.size
    while remaining > 0:
        piece = block[: min(CHUNK, remaining)]
        remaining -= len(piece)
        yield piece


def _multipart(
    boundary: str, token: str, message: str, parts: list[FilePart]
) -> tuple[list[bytes | Iterator[bytes]], int]:
    """The body as pieces (file contents as generators) and its total length."""
    pieces: list[bytes | Iterator[bytes]] = [
        _parts_preamble(boundary, {"csrf_token": token, "message": message})
    ]
    for part in parts:
        pieces += [_file_header(boundary, part), _file_body(part), b"\r\n"]
    pieces.append(f"--{boundary}--\r\n".encode())
    size = sum(len(p) if isinstance(p, bytes) else 0 for p in pieces)
    return pieces, size + sum(part.size for part in parts)


def _chunks(pieces: list[bytes | Iterator[bytes]]) -> Iterator[bytes]:
    for piece in pieces:
        if isinstance(piece, bytes):
            yield piece
        else:
            yield from piece


class HttpSource:
    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""
        self.codename = ""

    def _connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def _remember(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie(header)
            if "sd_session" in jar:
                self.cookie = jar["sd_session"].value

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        conn = self._connection()
        all_headers = {"Cookie": f"sd_session={self.cookie}"} if self.cookie else {}
        all_headers.update(headers or {})
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        self._remember(response)
        reply = Reply(response.status, dict(response.headers), response.read().decode())
        conn.close()
        return reply

    def csrf(self, path: str) -> str:
        match = CSRF_PATTERN.search(self.request("GET", path).body)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post_form(self, path: str, fields: dict[str, str]) -> Reply:
        return self.request(
            "POST",
            path,
            urlencode(fields).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )

    def create(self) -> str:
        """Get a codename (the server keeps it in the session), confirm it; returns it."""
        page = self.request("GET", "/generate").body
        codename = CODENAME_PATTERN.search(page)
        token = CSRF_PATTERN.search(page)
        page_id = PAGE_PATTERN.search(page)
        assert codename and token and page_id
        self.codename = codename.group(1)
        reply = self.post_form(
            "/create", {"saved": "y", "csrf_token": token.group(1), "page": page_id.group(1)}
        )
        assert reply.status == 302, reply.body
        assert reply.headers["Location"] == "/lookup", reply.headers
        return self.codename

    def upload_request(self, message: str, parts: list[FilePart]) -> tuple[bytes, bytes]:
        """A whole POST /submit as raw bytes (head, body), for clients that send it their way."""
        boundary = secrets.token_hex(12)
        token = self.csrf("/lookup")
        pieces, size = _multipart(boundary, token, message, parts)
        head = (
            f"POST {submit_path(token)} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Cookie: sd_session={self.cookie}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {size}\r\n\r\n"
        ).encode()
        return head, b"".join(_chunks(pieces))

    def upload(
        self,
        message: str,
        parts: list[FilePart],
        *,
        hang_up_after: int | None = None,
        pause_after: int | None = None,
        chunked: bool = False,
    ) -> Reply | None:
        """POST /submit, streaming file parts from generators.

        `hang_up_after`: close the connection after that many body bytes (an interrupted upload).
        `pause_after`: stop sending after that many bytes and read the answer (a refused upload).
        `chunked`: send Transfer-Encoding: chunked and no Content-Length, as a streaming client may.
        """
        boundary = secrets.token_hex(12)
        token = self.csrf("/lookup")
        pieces, size = _multipart(boundary, token, message, parts)
        conn = self._connection()
        conn.putrequest("POST", submit_path(token))
        conn.putheader("Cookie", f"sd_session={self.cookie}")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        if chunked:
            conn.putheader("Transfer-Encoding", "chunked")
        else:
            conn.putheader("Content-Length", str(size))
        conn.endheaders()
        sent = 0
        for chunk in _chunks(pieces):
            if pause_after is not None and sent >= pause_after:
                break
            if hang_up_after is not None and sent + len(chunk) > hang_up_after:
                assert conn.sock is not None
                conn.sock.sendall(chunk[: hang_up_after - sent])
                conn.sock.shutdown(socket.SHUT_RDWR)
                conn.close()
                return None
            try:
                conn.send(b"%X\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            except (BrokenPipeError, ConnectionResetError):
                break  # the server answered early (a refusal) and closed: read what it said
            sent += len(chunk)
        else:
            if chunked and pause_after is None:
                conn.send(b"0\r\n\r\n")
        response = conn.getresponse()
        reply = Reply(response.status, dict(response.headers), response.read().decode())
        conn.close()
        return reply


def flash_messages(body: str) -> list[str]:
    return re.findall(r'class="flash[^"]*">([^<]+)<', body)
