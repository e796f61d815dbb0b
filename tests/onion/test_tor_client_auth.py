"""The journalist onion through a real Tor, in control-port mode: published only once a device
key exists, a revoked key refused, while the source onion and tor itself keep running.
"""

from __future__ import annotations

import time

import pytest

from tests.onion.tor_helpers import (
    BAD_CLIENT_AUTH,
    MISSING_CLIENT_AUTH,
    OnionSite,
    forget_descriptors,
    give_key,
    ok,
    onion_cli,
    report,
    running,
)
from tests.server import serve_app
from tests.tor_socks import socks_get_until, socks_refusal
from tests.tornet import Network

pytestmark = [pytest.mark.tor, pytest.mark.timeout(900)]


def test_journalist_onion_needs_a_device_key_and_revocation_leaves_the_source_onion_up(
    tor_network: Network, site: OnionSite
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
