"""Device keys from the admin pages, applied by `sealdrop-onion client sync` to a real tor in
torrc mode (production's), on the private network of tests/tornet.py.

Given an admin on the journalist interface and tor serving both onions from a rendered torrc,
when the admin makes a device key and the sync runs, a client tor holding that key reaches the
journalist onion; when the admin revokes it and the sync runs again, the same client tor (its
descriptor still cached, the key still held, nothing flushed) is refused for good, while the
source onion and tor itself keep running.
"""

from __future__ import annotations

import http.client
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pyotp
import pytest

from sealdrop.config import load_config
from sealdrop.runtime.instance import open_instance
from tests.onion.tor_helpers import (
    BAD_CLIENT_AUTH,
    MISSING_CLIENT_AUTH,
    OnionSite,
    forget_descriptors,
    give_key,
    ok,
    onion_cli,
    report,
)
from tests.sealdrop.services.journalist_helpers import PASSPHRASE, add_journalist
from tests.server import serve_app
from tests.tor_socks import socks_get, socks_get_until, socks_refusal
from tests.tornet import Network

pytestmark = [pytest.mark.tor, pytest.mark.timeout(900)]

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
KEY_LINE = re.compile(r"[a-z2-7]{56}:descriptor:x25519:[A-Z2-7]{52}")
REVOKE_LINK = re.compile(r'href="(/admin/devices/[0-9a-f-]{36}/revoke)"')


@dataclass
class AdminBrowser:
    """An admin's browser on the journalist interface, talking to it on loopback with the
    onion's name as Host (as tor delivers it): cookies kept, redirects not followed."""

    port: int
    host: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Host": self.host}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = urllib.parse.urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        for name, value in answer.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        text = answer.read().decode()
        connection.close()
        return answer.status, text

    def post_form(
        self, path: str, data: dict[str, str], *, form_from: str | None = None
    ) -> tuple[int, str]:
        _, page = self.request("GET", form_from or path)
        token = CSRF.search(page)
        assert token, page
        return self.request("POST", path, {"csrf_token": token.group(1), **data})


def log_in_admin(site: OnionSite, port: int) -> AdminBrowser:
    inst = open_instance(load_config(site.env))
    try:
        with inst.sessions() as session:
            boss = add_journalist(session, inst.config, "boss", admin=True)
            secret = boss.otp_secret
    finally:
        inst.close()
    browser = AdminBrowser(port, site.journalist)
    login = {"username": "boss", "passphrase": PASSPHRASE, "code": pyotp.TOTP(secret).now()}
    status, _ = browser.post_form("/login", login)
    assert status == 302
    return browser


def make_key(browser: AdminBrowser, name: str) -> str:
    status, page = browser.request("GET", "/admin/devices/")
    assert status == 200
    owner = re.search(r'<option (?:selected )?value="([0-9a-f-]{36})">boss</option>', page)
    assert owner, page
    status, page = browser.post_form(
        "/admin/devices/", {"journalist": owner.group(1), "name": name}
    )
    assert status == 200, page
    line = KEY_LINE.search(page)
    assert line
    return line.group(0)


def revoke_key(browser: AdminBrowser, name: str) -> None:
    _, listing = browser.request("GET", "/admin/devices/")
    row = listing.split(f'<th scope="row">{name}</th>', 1)[1].split("</tr>", 1)[0]
    link = REVOKE_LINK.search(row)
    assert link
    status, page = browser.request("GET", link.group(1))
    assert status == 200 and f"Revoke boss's {name}?" in page
    status, _ = browser.post_form(link.group(1), {})
    assert status == 302


def sync(net: Network, site: OnionSite, hs_dir: Path) -> tuple[str, float]:
    began = time.monotonic()
    done = onion_cli(
        site.state, "clients", "sync", "--from", str(site.spool), "--hs-dir", str(hs_dir),
        control=str(net.control_socket),
    )  # fmt: skip
    return ok(done), time.monotonic() - began


def test_a_key_from_the_admin_page_opens_the_onion_and_its_revocation_closes_it(
    tor_network: Network, site: OnionSite
) -> None:
    with (
        serve_app("source", site.env, site.base) as source_app,
        serve_app("journalist", site.env, site.base) as journalist_app,
    ):
        fragment, hs_root = site.base / "sealdrop.conf", site.base / "hs"
        rendered = onion_cli(
            site.state, "torrc", "--hs-root", str(hs_root), "--output", str(fragment),
            "--source-target", f"127.0.0.1:{source_app.port}",
            "--journalist-target", f"127.0.0.1:{journalist_app.port}",
            "--clients-from", str(site.spool),
        )  # fmt: skip
        assert "(0 device(s))" in ok(rendered)
        tor_network.restart_edge(include=fragment)
        hs_dir = hs_root / "journalist"
        # Served from the start, and to nobody: the lock key is the only client.
        assert socks_refusal(tor_network.socks_port, site.journalist) == MISSING_CLIENT_AUTH

        admin = log_in_admin(site, journalist_app.port)
        laptop = make_key(admin, "laptop")
        phone = make_key(admin, "phone")
        assert laptop.startswith(site.journalist.removesuffix(".onion") + ":")
        # The laptop's tor keeps the line as printed in its ClientOnionAuthDir. The client here
        # is the service's own tor, so the sync's reload is also what makes it read the file
        # (and what drops keys given through the control port).
        held = tor_network.edge.data / "onion_auth" / "laptop.auth_private"
        held.write_text(laptop + "\n")
        held.chmod(0o600)
        done, took = sync(tor_network, site, hs_dir)
        assert "now accepts 2 device(s)" in done
        report(f"sync after the admin made 2 keys (torrc mode, reload, upload): {took:.1f} s")
        assert "unchanged: 2 device(s)" in sync(tor_network, site, hs_dir)[0]
        status, _, body = socks_get_until(tor_network.socks_port, site.journalist, "/login")
        assert status == 200 and b"<form" in body

        tor_pid = tor_network.edge.process.pid if tor_network.edge.process else None
        revoke_key(admin, "laptop")
        began = time.monotonic()
        done, took = sync(tor_network, site, hs_dir)
        assert "now accepts 1 device(s)" in done
        # The same client, its descriptor cache not flushed and the key still in its auth dir:
        # tor dropped the service's introduction points and circuits, so the cached descriptor
        # leads nowhere and the new one is not for this key.
        refused = socks_refusal(tor_network.socks_port, site.journalist)
        assert refused == BAD_CLIENT_AUTH, hex(refused)
        report(f"revocation in torrc mode: sync {took:.1f} s, refused "
               f"{time.monotonic() - began:.1f} s after the sync began")  # fmt: skip
        for _ in range(3):  # and it stays refused
            refused = socks_refusal(tor_network.socks_port, site.journalist, deadline_seconds=30)
            assert refused == BAD_CLIENT_AUTH, hex(refused)

        # A fresh visit with the revoked key is refused too; the other device gets in.
        forget_descriptors(tor_network)
        assert socks_refusal(tor_network.socks_port, site.journalist) == BAD_CLIENT_AUTH
        give_key(tor_network, phone)
        assert socks_get_until(tor_network.socks_port, site.journalist, "/login")[0] == 200

        # Nothing else restarted: the same tor, and the source onion answering.
        assert tor_network.edge.process and tor_network.edge.process.pid == tor_pid
        assert socks_get(tor_network.socks_port, site.source)[0] == 200

        # The last device revoked: the onion admits nobody, and is never public (the client now
        # holds no key at all: the file is gone, and the reload drops the phone's key).
        held.unlink()
        revoke_key(admin, "phone")
        assert "admits nobody" in sync(tor_network, site, hs_dir)[0]
        forget_descriptors(tor_network)
        assert socks_refusal(tor_network.socks_port, site.journalist) == MISSING_CLIENT_AUTH
