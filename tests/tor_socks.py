"""A tiny SOCKS5 client for the tor tests: a GET through tor's SOCKS port, the name resolved by
tor (no DNS here), and the SOCKS error a refused onion client settles on."""

from __future__ import annotations

import socket
import time

from tests.server import read_answer


class SocksRefused(OSError):
    """tor answered the SOCKS request with an error; `code` is the reply byte (0xF4: the onion
    needs client authorization and this client has no key; 0xF5: its key is not accepted)."""

    def __init__(self, code: int) -> None:
        super().__init__(f"SOCKS reply {code:#04x}")
        self.code = code


def socks_get(
    socks_port: int, host: str, path: str = "/", *, timeout: float = 120
) -> tuple[int, dict[str, str], bytes]:
    """GET http://host/path through tor's SOCKS port; the name is sent to tor, never resolved."""
    with socket.create_connection(("127.0.0.1", socks_port), timeout=timeout) as sock:
        sock.sendall(b"\x05\x01\x00")
        if sock.recv(2) != b"\x05\x00":
            raise OSError("the SOCKS server wants authentication")
        name = host.encode("ascii")
        sock.sendall(b"\x05\x01\x00\x03" + bytes([len(name)]) + name + (80).to_bytes(2, "big"))
        reply = _recv_exactly(sock, 4)
        if reply[1] != 0:
            raise SocksRefused(reply[1])
        _recv_exactly(sock, {1: 4, 4: 16}.get(reply[3], 0) + 2)
        request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        sock.sendall(request.encode("ascii"))
        return read_answer(sock)


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise OSError("the SOCKS server closed the connection")
        data += chunk
    return data


def socks_get_until(
    socks_port: int, host: str, path: str = "/", *, deadline_seconds: float = 240
) -> tuple[int, dict[str, str], bytes]:
    """socks_get, retried every 2 s while the descriptor is still spreading to the directories."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        try:
            return socks_get(socks_port, host, path)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def socks_refusal(socks_port: int, host: str, *, deadline_seconds: float = 240) -> int:
    """The SOCKS error tor settles on for `host`: retried while the error is only that the
    descriptor is not found yet (0xF0) or the connection failed along the way."""
    deadline = time.monotonic() + deadline_seconds
    last = 0
    while time.monotonic() < deadline:
        try:
            socks_get(socks_port, host)
        except SocksRefused as exc:
            last = exc.code
            if exc.code in (0xF4, 0xF5):
                return exc.code
        except OSError:
            pass
        else:
            return 0  # answered: not refused at all
        time.sleep(2)
    return last
