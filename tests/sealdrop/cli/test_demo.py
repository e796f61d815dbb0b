"""`sealdrop demo` as a newcomer runs it: it serves, and however it is stopped it leaves nothing."""

from __future__ import annotations

import re
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pyotp
import pytest

from tests.demo_process import running_demo
from tests.server import free_port

BANNER_DIR = re.compile(r"throwaway data in (\S+)\)")
PASSPHRASE = re.compile(r"passphrase:\s+(.+)")
TOTP_SECRET = re.compile(r"TOTP secret: ([A-Z2-7]+)")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
START_SECONDS = 60


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that name `text`, such as a gpg-agent's home."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            line = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # the process ended while we looked
        if text in line:
            found.append(line)
    return found


def wait_for_page(url: str, demo: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert demo.poll() is None, "the demo exited before it served"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                return int(response.status)
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the demo did not answer within {START_SECONDS} s")


def log_in_as_printed(base_url: str, banner: str) -> str:
    """The newsroom's first page after logging in with what the banner printed."""
    passphrase, secret = PASSPHRASE.search(banner), TOTP_SECRET.search(banner)
    assert passphrase and secret, banner
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    with browser.open(f"{base_url}/login", timeout=10) as page:
        token = CSRF.search(page.read().decode())
    assert token, "the login page has no CSRF token"
    form = urllib.parse.urlencode(
        {
            "csrf_token": token.group(1),
            "username": "demo",
            "passphrase": passphrase.group(1).strip(),
            "code": pyotp.TOTP(secret.group(1)).now(),
        }
    ).encode()
    with browser.open(f"{base_url}/login", data=form, timeout=30) as landed:
        assert landed.url == f"{base_url}/"
        return str(landed.read().decode())


@pytest.mark.server
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_demo_serves_and_leaves_nothing_behind(stop: signal.Signals) -> None:
    port = free_port()
    with running_demo(port) as demo:
        found = BANNER_DIR.search(demo.banner)
        assert found, demo.banner
        base = Path(found.group(1))
        assert base.is_dir() and base.parent == demo.tmpdir
        assert wait_for_page(f"http://127.0.0.1:{port}/", demo.process) == 200
        assert wait_for_page(f"http://127.0.0.1:{port + 1}/login", demo.process) == 200
        if stop == signal.SIGTERM:  # once is enough: an Argon2 login costs a second
            assert "Sources" in log_in_as_printed(f"http://127.0.0.1:{port + 1}", demo.banner)
        demo.process.send_signal(stop)
        assert demo.process.wait(timeout=30) in (0, 130)
    assert not base.exists(), "the demo directory (with its private key) was left behind"
    assert processes_mentioning(str(base)) == [], "a process of the demo outlived it"
    demo.tmpdir.rmdir()  # empty: the demo made nothing else there


@pytest.mark.server
def test_demo_without_tor_says_so_in_one_line_and_serves_as_before() -> None:
    port = free_port()
    with running_demo(port, "--tor", "--tor-control", f"127.0.0.1:{free_port()}") as demo:
        no_tor = [line for line in demo.banner.splitlines() if "Tor" in line]
        assert len(no_tor) == 1 and no_tor[0].startswith("No Tor: Tor is not running"), demo.banner
        assert no_tor[0].endswith("; serving on 127.0.0.1 only.")
        assert "Traceback" not in demo.banner and ".onion" not in demo.banner
        assert wait_for_page(f"http://127.0.0.1:{port}/", demo.process) == 200
        demo.process.send_signal(signal.SIGTERM)
        assert demo.process.wait(timeout=30) == 0
    demo.tmpdir.rmdir()  # the demo removed all it made
