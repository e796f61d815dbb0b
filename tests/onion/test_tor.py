"""Sealdrop through a real Tor: a private network on 127.0.0.1 (tests/tornet.py), the real
`sealdrop serve` apps, and `sealdrop-onion` run as an operator runs it.

The tests share one network and one instance and run in file order: the last restarts the tor.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from onion.connection import connected
from onion.control import has_descriptor
from sealdrop.config import load_config
from sealdrop.runtime.initialise import initialise
from tests.harness import FAST_ARGON2, FAST_KDF, ReaderKeys
from tests.onion.tor_helpers import (
    BAD_CLIENT_AUTH,
    MISSING_CLIENT_AUTH,
    forget_descriptors,
    give_key,
    ok,
    onion_cli,
    report,
)
from tests.server import free_port, raw_request, serve_app
from tests.tor_socks import socks_get, socks_get_until, socks_refusal
from tests.tornet import Network

pytestmark = [pytest.mark.tor, pytest.mark.timeout(900)]


@dataclass
class Site:
    base: Path
    env: dict[str, str]
    state: Path
    source: str  # addresses with .onion
    journalist: str


@pytest.fixture(scope="module")
def site(reader_keys: ReaderKeys) -> Iterator[Site]:
    base = Path(tempfile.mkdtemp(prefix="sdo-"))
    env = {
        "SEALDROP_DATA_DIR": str(base / "data"),
        "SEALDROP_MIN_FREE_BYTES": "0",
        **FAST_KDF,
        **FAST_ARGON2,
    }
    initialise(load_config(env), submission_key=reader_keys.public_key)
    state = base / "data" / "onion"
    addresses = dict(line.split() for line in ok(onion_cli(state, "address")).splitlines())
    env["SEALDROP_SOURCE_ONION"] = addresses["source"]
    env["SEALDROP_JOURNALIST_ONION"] = addresses["journalist"]
    try:
        yield Site(base, env, state, addresses["source"], addresses["journalist"])
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_source_interface_answers_through_its_onion_and_refuses_other_hosts(
    tor_network: Network, site: Site
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


def test_journalist_onion_needs_a_device_key_and_revocation_leaves_the_source_onion_up(
    tor_network: Network, site: Site
) -> None:
    with (
        serve_app("source", site.env, site.base) as source_app,
        serve_app("journalist", site.env, site.base) as journalist_app,
    ):
        ok(onion_cli(
            site.state, "publish", "--source-target", f"127.0.0.1:{source_app.port}",
            "--journalist-target", f"127.0.0.1:{journalist_app.port}",
            control=tor_network.control,
        ))  # fmt: skip
        # No device yet: the journalist onion is not published at all (never without auth).
        assert site.journalist.removesuffix(".onion") not in running(tor_network)

        added = onion_cli(site.state, "client", "add", "alice-laptop", control=tor_network.control)
        alice_line = ok(added).splitlines()[0]
        assert alice_line.startswith(site.journalist.removesuffix(".onion") + ":descriptor:x25519:")
        assert "now accepts 1 device(s)" in added.stdout
        bob_line = ok(
            onion_cli(site.state, "client", "add", "bob-phone", control=tor_network.control)
        ).splitlines()[0]
        listed = ok(onion_cli(site.state, "client", "list")).splitlines()
        assert [line.split("\t")[0] for line in listed] == ["alice-laptop", "bob-phone"]

        # A client without the key: tor cannot decrypt the descriptor.
        refused = socks_refusal(tor_network.socks_port, site.journalist)
        assert refused == MISSING_CLIENT_AUTH, hex(refused)

        # With the key as printed: the newsroom's login page.
        give_key(tor_network, alice_line)
        status, _, body = socks_get_until(tor_network.socks_port, site.journalist, "/login")
        assert status == 200 and b"<form" in body

        source_service = site.source.removesuffix(".onion")
        tor_pid = tor_network.edge.process.pid if tor_network.edge.process else None
        source_pid = source_app.process.pid

        began = time.monotonic()
        revoked = onion_cli(
            site.state, "client", "revoke", "alice-laptop", control=tor_network.control
        )
        assert "now accepts 1 device(s)" in ok(revoked)
        report(f"client revoke (journalist onion re-added and its descriptor uploaded): "
               f"{time.monotonic() - began:.1f} s")  # fmt: skip
        # A fresh visit with the revoked key: tor has the key, and it no longer opens the door.
        forget_descriptors(tor_network)
        give_key(tor_network, alice_line)
        refused = socks_refusal(tor_network.socks_port, site.journalist)
        assert refused == BAD_CLIENT_AUTH, hex(refused)

        # Nothing else restarted: the same tor, the same source app, the source onion answering.
        assert tor_network.edge.process and tor_network.edge.process.pid == tor_pid
        assert source_app.process.pid == source_pid and source_app.process.poll() is None
        assert source_service in running(tor_network)
        assert socks_get_until(tor_network.socks_port, site.source)[0] == 200

        # The device still authorized gets in.
        give_key(tor_network, bob_line)
        assert socks_get_until(tor_network.socks_port, site.journalist, "/login")[0] == 200

        revoke_all = onion_cli(
            site.state, "client", "revoke", "bob-phone", control=tor_network.control
        )
        assert "journalist onion is now down" in ok(revoke_all)
        assert site.journalist.removesuffix(".onion") not in running(tor_network)


def running(net: Network) -> set[str]:
    with connected(net.control) as controller:
        return set(str(controller.get_info("onions/detached", "")).split())


DEMO_ONION = re.compile(r"(Source|Journalist) interface:\s+http://(\S+\.onion)/")
DEMO_KEY = re.compile(r"client key:\s+(\S+)")


def test_demo_publishes_both_onions_while_it_runs(tor_network: Network) -> None:
    tmp_path = Path(tempfile.mkdtemp(prefix="sdd-"))
    port = free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "sealdrop.cli", "demo", "--port", str(port), "--tor",
         "--tor-control", str(tor_network.control_socket)],
        env={**os.environ, "TMPDIR": str(tmp_path)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert demo.stdout is not None
        banner = ""
        while "Press Ctrl-C" not in banner:
            line = demo.stdout.readline()
            assert line, f"the demo printed no banner:\n{banner}"
            banner += line
        onions = dict(DEMO_ONION.findall(banner))
        key = DEMO_KEY.search(banner)
        assert set(onions) == {"Source", "Journalist"} and key, banner
        assert key.group(1).startswith(onions["Journalist"].removesuffix(".onion") + ":")
        assert socks_get_until(tor_network.socks_port, onions["Source"])[0] == 200
        head = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        assert raw_request(port, head.encode())[0] == 421
        assert socks_refusal(tor_network.socks_port, onions["Journalist"]) == MISSING_CLIENT_AUTH
        give_key(tor_network, key.group(1))
        login = socks_get_until(tor_network.socks_port, onions["Journalist"], "/login")
        assert login[0] == 200
        check_demo_follows_device_keys(tor_network, banner, onions["Journalist"])
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=60) == 0
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        if demo.stdout is not None:
            demo.stdout.close()
    # Its control connection closed: tor no longer hosts either onion.
    with connected(tor_network.control) as controller:
        for address in onions.values():
            assert not has_descriptor(controller, address.removesuffix(".onion"))
    tmp_path.rmdir()


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


def test_source_onion_keeps_its_address_across_restarts(tor_network: Network, site: Site) -> None:
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
