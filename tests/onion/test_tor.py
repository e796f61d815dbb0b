"""Sealdrop through a real Tor: a private network on 127.0.0.1 (tests/tornet.py), the real
`sealdrop serve` apps, and `sealdrop-onion` run as an operator runs it.

The source onion here; the journalist onion (test_tor_client_auth.py, test_tor_devices.py) and
the demo (test_tor_demo.py) have modules of their own. All share one network (conftest.py);
the tests of a module share one instance and run in file order: the restart comes last but one.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.onion.tor_helpers import (
    OnionSite,
    ok,
    onion_cli,
    report,
    running,
)
from tests.server import free_port, raw_request, serve_app
from tests.tor_socks import socks_get, socks_get_until
from tests.tornet import Network

pytestmark = [pytest.mark.tor, pytest.mark.timeout(900)]


def test_source_interface_answers_through_its_onion_and_refuses_other_hosts(
    tor_network: Network, site: OnionSite
) -> None:
    with serve_app("source", site.env, site.base) as app:
        started = time.monotonic()
        published = onion_cli(
            site.state, "publish", "--source-target", f"127.0.0.1:{app.port}",
            control=tor_network.control,
        )  # fmt: skip
        assert f"source {site.source} published" in ok(published)
        status, headers, body = socks_get_until(tor_network.socks_port, site.source)
        reachable = time.monotonic()
        assert status == 200 and b"<html" in body.lower()
        assert "Onion-Location" not in headers and "Server" not in headers
        report(f"tor network launch to first page through the onion: "
               f"{reachable - tor_network.launched_at:.1f} s (bootstrap "
               f"{tor_network.bootstrapped_after:.1f} s, publish + first fetch "
               f"{reachable - started:.1f} s)")  # fmt: skip

        # The same app, on its loopback port, with any other Host: 421.
        for host in ("127.0.0.1", "localhost", "example.com"):
            head = f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
            assert raw_request(app.port, head)[0] == 421, host

        through_onion, direct = [], []
        for _ in range(10):
            began = time.monotonic()
            assert socks_get(tor_network.socks_port, site.source, "/metadata")[0] == 200
            through_onion.append(time.monotonic() - began)
            began = time.monotonic()
            request = urllib.request.Request(  # noqa: S310 - loopback
                app.url + "/metadata", headers={"Host": site.source}
            )
            with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310 - loopback
                assert reply.status == 200
                size = len(reply.read())
            direct.append(time.monotonic() - began)
        report(f"/metadata ({size} B), median of 10 fresh connections: through the onion "
               f"{statistics.median(through_onion) * 1000:.0f} ms, direct on loopback "
               f"{statistics.median(direct) * 1000:.1f} ms")  # fmt: skip

        shown = ok(onion_cli(site.state, "status", control=tor_network.control))
        assert f"source\t{site.source}\tpublished (control port, detached)" in shown


def test_source_onion_keeps_its_address_across_restarts(
    tor_network: Network, site: OnionSite
) -> None:
    began = time.monotonic()
    tor_network.restart_edge()  # ephemeral onions are gone with the old tor process
    report(f"service tor restart to bootstrapped: {time.monotonic() - began:.1f} s")
    assert site.source.removesuffix(".onion") not in running(tor_network)
    began = time.monotonic()
    with serve_app("source", site.env, site.base) as app:  # a new app on a new port
        again = onion_cli(
            site.state, "publish", "--source-target", f"127.0.0.1:{app.port}",
            control=tor_network.control,
        )  # fmt: skip
        assert f"source {site.source} published" in ok(again)
        assert ok(onion_cli(site.state, "address")).splitlines()[0] == f"source {site.source}"
        assert socks_get_until(tor_network.socks_port, site.source)[0] == 200
        report(f"after a restart, publish to first page at the same address: "
               f"{time.monotonic() - began:.1f} s (app start included)")  # fmt: skip

        # Torrc mode: the same key, rendered as a HiddenServiceDir for tor's own configuration.
        ok(onion_cli(site.state, "unpublish", control=tor_network.control))
        fragment = site.base / "sealdrop.conf"
        rendered = onion_cli(
            site.state, "torrc", "--hs-root", str(site.base / "hs"), "--output", str(fragment),
            "--source-target", f"127.0.0.1:{app.port}",
        )  # fmt: skip
        assert "accepted by tor --verify-config" in ok(rendered)
        tor_network.restart_edge(include=fragment)
        assert (site.base / "hs" / "source" / "hostname").read_text().strip() == site.source
        assert socks_get_until(tor_network.socks_port, site.source)[0] == 200
        shown = ok(onion_cli(site.state, "status", control=tor_network.control))
        assert f"source\t{site.source}\tpublished\n" in shown


def test_operator_errors_are_one_line(tor_network: Network, tmp_path: Path) -> None:
    state = tmp_path / "onion"
    nothing = onion_cli(state, "check", control=f"127.0.0.1:{free_port()}")
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    cookie = subprocess.run(
        [*as_nobody, sys.executable, "-m", "onion", "--control", tor_network.control, "check"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    socket_denied = subprocess.run(
        [*as_nobody, sys.executable, "-m", "onion", "--control", str(tor_network.control_socket),
         "check"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    bad_name = onion_cli(state, "client", "add", "../etc")
    for done, words in (
        (nothing, "Tor is not running"),
        (cookie, "cannot read Tor's authentication cookie"),
        (socket_denied, "no permission to open Tor's control socket"),
        (bad_name, "is not a device name"),
    ):
        assert done.returncode == 2, done.stdout + done.stderr
        assert done.stderr.startswith("sealdrop-onion: ") and words in done.stderr, done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
