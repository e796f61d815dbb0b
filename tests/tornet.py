"""A private Tor network on 127.0.0.1 for the tor tests: 1 directory authority, 3 relays, and one
"edge" tor that is both the onion service host and the SOCKS client.

Onion-service circuits need four distinct relays; the authority is one of them. Every node has
its own DataDirectory (0700) and free loopback ports, and nothing listens or connects elsewhere.
Stopping sends SIGTERM, then SIGKILL after a few seconds (an authority sometimes hangs on exit).
The SOCKS client that reaches onions through it is tests/tor_socks.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.server import free_port

# The machine may be busy with other suites: deadlines are generous and never asserted on.
BOOTSTRAP_TIMEOUT_SECONDS = 300
STOP_GRACE_SECONDS = 5

COMMON = """\
TestingTorNetwork 1
AssumeReachable 1
PathsNeededToBuildCircuits 0.25
TestingDirAuthVoteExit *
TestingDirAuthVoteGuard *
TestingDirAuthVoteHSDir *
TestingMinExitFlagThreshold 0
V3AuthNIntervalsValid 2
ShutdownWaitLength 0
DataDirectory {data}
Nickname {nick}
Log notice file {data}/notice.log
RunAsDaemon 0
{dir_authority}
"""

RELAY = """\
Address 127.0.0.1
ORPort 127.0.0.1:{orport}
DirPort 127.0.0.1:{dirport}
SocksPort 0
ExitRelay 0
ExitPolicy reject *:*
ContactInfo x@test.invalid
"""

AUTHORITY = """\
AuthoritativeDirectory 1
V3AuthoritativeDirectory 1
TestingV3AuthInitialVotingInterval 5
V3AuthVotingInterval 10
TestingV3AuthInitialVoteDelay 2
V3AuthVoteDelay 2
TestingV3AuthInitialDistDelay 2
V3AuthDistDelay 2
"""

EDGE = """\
SocksPort 127.0.0.1:{socks} ExtendedErrors
ControlPort 127.0.0.1:{control}
ControlSocket {data}/control.sock
CookieAuthentication 1
ClientOnionAuthDir {data}/onion_auth
"""


@dataclass
class Node:
    name: str
    data: Path
    torrc: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.data / "stdout.log").open("ab")
        with log:
            self.process = subprocess.Popen(
                ["tor", "-f", str(self.torrc)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        path = self.data / "notice.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_bootstrapped(self, since: int = 0) -> None:
        """Until the log (after its first `since` characters) says 100%."""
        deadline = time.monotonic() + BOOTSTRAP_TIMEOUT_SECONDS
        while "Bootstrapped 100%" not in self.log()[since:]:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"tor {self.name} exited:\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"tor {self.name} did not bootstrap:\n{self.log()[-3000:]}")
            time.sleep(0.5)


@dataclass
class Network:
    base: Path
    nodes: list[Node] = field(default_factory=list)
    socks_port: int = 0
    control_port: int = 0
    launched_at: float = 0.0
    bootstrapped_after: float = 0.0

    @property
    def edge(self) -> Node:
        return self.nodes[-1]

    @property
    def control(self) -> str:
        return f"127.0.0.1:{self.control_port}"

    @property
    def control_socket(self) -> Path:
        return self.edge.data / "control.sock"

    def restart_edge(self, include: Path | None = None) -> None:
        """Stop the service-and-client tor and start it again on the same data directory,
        with a torrc fragment included if given (torrc mode)."""
        self.edge.stop()
        # One fragment at a time: an earlier test's fragment may point at a removed directory.
        kept = [
            line
            for line in self.edge.torrc.read_text().splitlines()
            if not line.startswith("%include")
        ]
        if include is not None:
            kept.append(f"%include {include}")
        self.edge.torrc.write_text("\n".join(kept) + "\n")
        since = len(self.edge.log())
        self.edge.start()
        self.edge.wait_bootstrapped(since)

    def stop(self) -> None:
        for node in reversed(self.nodes):
            node.stop()


def _run(argv: list[str], cwd: Path, stdin: str = "") -> str:
    done = subprocess.run(
        argv, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed: {done.stdout}{done.stderr}")
    return done.stdout


def _node_dir(base: Path, name: str) -> Path:
    path = base / name
    path.mkdir(mode=0o700)
    return path


def build(base: Path) -> Network:
    """Write every torrc and the authority's keys; start nothing yet."""
    net = Network(base)
    auth = _node_dir(base, "auth0")
    keys = auth / "keys"
    keys.mkdir(mode=0o700)
    orports = {name: free_port() for name in ("auth0", "relay1", "relay2", "relay3")}
    dirports = {name: free_port() for name in orports}
    _run(
        [
            "tor-gencert", "--create-identity-key", "-m", "12",
            "-a", f"127.0.0.1:{dirports['auth0']}",
            "-i", "authority_identity_key", "-s", "authority_signing_key",
            "-c", "authority_certificate", "--passphrase-fd", "0",
        ],
        keys,
        stdin="\n",
    )  # fmt: skip
    certificate = (keys / "authority_certificate").read_text()
    v3ident = re.search(r"^fingerprint (\w+)$", certificate, re.MULTILINE)
    assert v3ident is not None
    listed = _run(
        [
            "tor", "--list-fingerprint", "--DataDirectory", str(auth),
            "--ORPort", f"127.0.0.1:{orports['auth0']}", "--Nickname", "auth0",
            "--Address", "127.0.0.1", "--quiet",
            "--DirAuthority", "x 127.0.0.1:1 ffffffffffffffffffffffffffffffffffffffff",
        ],
        base,
    )  # fmt: skip
    fingerprint = "".join(listed.split()[1:])
    dir_authority = (
        f"DirAuthority auth0 orport={orports['auth0']} no-v2 v3ident={v3ident.group(1)} "
        f"127.0.0.1:{dirports['auth0']} {fingerprint}"
    )
    for name, orport in orports.items():
        data = auth if name == "auth0" else _node_dir(base, name)
        text = COMMON.format(data=data, nick=name, dir_authority=dir_authority)
        text += RELAY.format(orport=orport, dirport=dirports[name])
        if name == "auth0":
            text += AUTHORITY
        (data / "torrc").write_text(text)
        net.nodes.append(Node(name, data, data / "torrc"))
    edge = _node_dir(base, "edge")
    (edge / "onion_auth").mkdir(mode=0o700)
    net.socks_port, net.control_port = free_port(), free_port()
    text = COMMON.format(data=edge, nick="edge", dir_authority=dir_authority)
    text += EDGE.format(socks=net.socks_port, control=net.control_port, data=edge)
    (edge / "torrc").write_text(text)
    net.nodes.append(Node("edge", edge, edge / "torrc"))
    return net


@contextlib.contextmanager
def private_network() -> Iterator[Network]:
    # A short base: a control socket's path must fit in sun_path (108 bytes).
    base = Path(tempfile.mkdtemp(prefix="sdtor-"))
    net = build(base)
    try:
        net.launched_at = time.monotonic()
        for node in net.nodes:
            node.start()
        net.edge.wait_bootstrapped()
        net.bootstrapped_after = time.monotonic() - net.launched_at
        yield net
    finally:
        net.stop()
        if os.environ.get("SEALDROP_KEEP_TOR_LOGS") is None:
            shutil.rmtree(base, ignore_errors=True)
