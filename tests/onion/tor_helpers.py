"""What the Tor tests share: an instance with its onion keys, the onion CLI as a process, the
client tor given a device key or made to forget descriptors, what tor hosts, and the SOCKS
errors of a refused client."""

from __future__ import annotations

import base64
import contextlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from onion.connection import connected
from onion.control import register_client_key
from sealdrop.config import load_config
from sealdrop.runtime.initialise import initialise
from tests.harness import ReaderKeys, instance_env
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


def running(net: Network) -> set[str]:
    with connected(net.control) as controller:
        return set(str(controller.get_info("onions/detached", "")).split())


@dataclass(frozen=True)
class OnionSite:
    """An initialised instance whose onion keys exist but are not published: its environment
    (the onion names set), the onion state directory, the device spool, both addresses."""

    base: Path
    env: dict[str, str]
    state: Path
    spool: Path
    source: str  # addresses with .onion
    journalist: str


@contextlib.contextmanager
def onion_site(reader_keys: ReaderKeys) -> Iterator[OnionSite]:
    base = Path(tempfile.mkdtemp(prefix="sdo-"))  # short: sockets live under it
    try:
        env = instance_env(base / "data")
        initialise(load_config(env), submission_key=reader_keys.public_key)
        state = base / "data" / "onion"
        addresses = dict(line.split() for line in ok(onion_cli(state, "address")).splitlines())
        env["SEALDROP_SOURCE_ONION"] = addresses["source"]
        env["SEALDROP_JOURNALIST_ONION"] = addresses["journalist"]
        spool = load_config(env).device_spool
        yield OnionSite(base, env, state, spool, addresses["source"], addresses["journalist"])
    finally:
        shutil.rmtree(base, ignore_errors=True)
