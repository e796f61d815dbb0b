"""`sealdrop demo --tor` through a real Tor: both onions published while it runs, the device keys
an admin adds or revokes applied, nothing left hosted once it stops.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from onion.connection import connected
from onion.control import has_descriptor
from tests.demo_process import running_demo
from tests.onion.tor_helpers import (
    BAD_CLIENT_AUTH,
    MISSING_CLIENT_AUTH,
    forget_descriptors,
    give_key,
    ok,
    report,
)
from tests.server import free_port, raw_request
from tests.tor_socks import socks_get_until, socks_refusal
from tests.tornet import Network

pytestmark = [pytest.mark.tor, pytest.mark.timeout(900)]

DEMO_ONION = re.compile(r"(Source|Journalist) interface:\s+http://(\S+\.onion)/")
DEMO_KEY = re.compile(r"client key:\s+(\S+)")


def test_demo_publishes_both_onions_while_it_runs(tor_network: Network) -> None:
    port = free_port()
    with running_demo(port, "--tor", "--tor-control", str(tor_network.control_socket)) as demo:
        onions = dict(DEMO_ONION.findall(demo.banner))
        key = DEMO_KEY.search(demo.banner)
        assert set(onions) == {"Source", "Journalist"} and key, demo.banner
        assert key.group(1).startswith(onions["Journalist"].removesuffix(".onion") + ":")
        assert socks_get_until(tor_network.socks_port, onions["Source"])[0] == 200
        head = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        assert raw_request(port, head.encode())[0] == 421
        assert socks_refusal(tor_network.socks_port, onions["Journalist"]) == MISSING_CLIENT_AUTH
        give_key(tor_network, key.group(1))
        login = socks_get_until(tor_network.socks_port, onions["Journalist"], "/login")
        assert login[0] == 200
        check_demo_follows_device_keys(tor_network, demo.banner, onions["Journalist"])
        demo.process.send_signal(signal.SIGTERM)
        assert demo.process.wait(timeout=60) == 0
    # Its control connection closed: tor no longer hosts either onion.
    with connected(tor_network.control) as controller:
        for address in onions.values():
            assert not has_descriptor(controller, address.removesuffix(".onion"))
    demo.tmpdir.rmdir()


def check_demo_follows_device_keys(net: Network, banner: str, journalist: str) -> None:
    """Control-port mode from the spool: the demo's publisher applies what an admin does."""
    store = re.search(r"Stored ciphertext:\s+(\S+)/store", banner)
    assert store, banner
    env = {
        **os.environ,
        "SEALDROP_DATA_DIR": store.group(1),
        "SEALDROP_JOURNALIST_ONION": journalist,
    }

    def devices(*args: str) -> str:
        return ok(subprocess.run(
            [sys.executable, "-m", "sealdrop.cli", "journalist", "devices", *args],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        ))  # fmt: skip

    added = re.search(r"auth_private\): (\S+)", devices("add", "demo", "phone"))
    assert added
    give_key(net, added.group(1))
    assert socks_get_until(net.socks_port, journalist, "/login")[0] == 200
    devices("revoke", "demo", "phone")
    began = time.monotonic()
    while time.monotonic() - began < 60:  # the publisher looks at the spool every second
        forget_descriptors(net)
        give_key(net, added.group(1))
        if socks_refusal(net.socks_port, journalist, deadline_seconds=30) == BAD_CLIENT_AUTH:
            break
    else:
        pytest.fail("the demo did not apply the revocation")
    report(f"demo (control-port mode): revocation applied within {time.monotonic() - began:.1f} s")
