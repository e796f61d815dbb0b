"""The network guard itself: loopback works, anything else is refused before a packet leaves."""

from __future__ import annotations

import socket

import pytest

from tests.network_guard import NetworkRefused


@pytest.mark.parametrize("address", [("192.0.2.1", 80), ("10.0.0.1", 443), ("example.org", 80)])
def test_other_addresses_are_refused(address: tuple[str, int]) -> None:
    with socket.socket() as sock, pytest.raises(NetworkRefused, match="only connect to loopback"):
        sock.connect(address)


def test_loopback_still_works() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5) as client:
            assert client.getpeername() == server.getsockname()
