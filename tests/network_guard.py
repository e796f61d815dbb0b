"""A pytest plugin that lets test code connect only to this machine: loopback and unix sockets.

Loaded for every run from pyproject.toml (`-p tests.network_guard`). A test that tried to reach
another address fails at once with the address named, instead of hanging or leaking traffic.
Processes a test starts (gunicorn, gpg, Chromium) are bound to loopback by their own settings.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest


class NetworkRefused(OSError):
    """A test tried to reach something other than this machine."""


def _is_local(family: int, address: Any) -> bool:
    if family == socket.AF_UNIX:
        return True
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False  # a name that would need DNS: nothing here resolves names elsewhere


def _guarded(method: Any) -> Any:
    def connect(self: socket.socket, address: Any) -> Any:
        if not _is_local(self.family, address):
            raise NetworkRefused(f"tests may only connect to loopback, not {address!r}")
        return method(self, address)

    return connect


@pytest.fixture(autouse=True, scope="session")
def only_loopback() -> Iterator[None]:
    original = socket.socket.connect, socket.socket.connect_ex
    socket.socket.connect = _guarded(original[0])  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded(original[1])  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex = original  # type: ignore[method-assign]
