"""What the Tor tests share: the onion CLI as a process, the client tor given a device key
or made to forget descriptors, and the SOCKS errors of a refused client."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

from onion.connection import connected
from onion.control import register_client_key
from tests.tornet import Network

MISSING_CLIENT_AUTH = 0xF4
BAD_CLIENT_AUTH = 0xF5


def onion_cli(
    state: Path, *args: str, control: str | None = None
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "onion", "--state-dir", str(state)]
    argv += ["--control", control] if control else []
    return subprocess.run([*argv, *args], capture_output=True, text=True, timeout=600, check=False)


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def report(line: str) -> None:
    """A measured figure, shown with -s or in the log of a failing run."""
    print(f"\nMEASURED {line}", file=sys.stderr)


def give_key(net: Network, line: str) -> None:
    """Give the client tor a device's key exactly as printed: `<address>:descriptor:x25519:<key>`.

    Through ONION_CLIENT_AUTH_ADD, as Tor Browser does; reloading a ClientOnionAuthDir (SIGHUP)
    upsets this five-relay network's path selection for minutes.
    """
    address, kind, algorithm, private = line.split(":")
    assert (kind, algorithm) == ("descriptor", "x25519")
    with connected(net.control) as controller:
        register_client_key(controller, address, base64.b32decode(private + "===="))


def forget_descriptors(net: Network) -> None:
    """What a fresh visit does: NEWNYM drops the client's cached descriptors and circuits (and
    the keys given through the control port, so a test gives the key again after it)."""
    with connected(net.control) as controller:
        controller.msg("SIGNAL NEWNYM")
