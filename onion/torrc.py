"""Torrc mode (production): render both services for the system tor, then let tor check them.

`install` copies each service's key from the state directory into `<hs_root>/<service>/` (a
HiddenServiceDir tor owns), writes the journalist onion's `authorized_clients/`, and writes a
torrc fragment for `%include`. `verify` runs `tor --verify-config` on it. A journalist onion with
no authorized device is left out of the fragment: tor would serve it without client auth.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from onion.errors import StateError, TorConfigInvalid
from onion.keys import HOSTNAME_FILE, PUBLIC_FILE, SECRET_FILE
from onion.settings import Defences, Plan
from onion.state import SERVICES, State
from onion.sync import Spool, write_clients


def _flag(value: bool) -> int:
    return 1 if value else 0


def service_lines(directory: Path, target: str, defences: Defences) -> list[str]:
    lines = [
        f"HiddenServiceDir {directory}",
        "HiddenServiceVersion 3",
        f"HiddenServicePort 80 {target}",
        f"HiddenServiceMaxStreams {defences.max_streams}",
        f"HiddenServiceMaxStreamsCloseCircuit {_flag(defences.max_streams_close_circuit)}",
        f"HiddenServicePoWDefensesEnabled {_flag(defences.pow)}",
    ]
    if defences.pow:
        lines += [
            f"HiddenServicePoWQueueRate {defences.pow_queue_rate}",
            f"HiddenServicePoWQueueBurst {defences.pow_queue_burst}",
        ]
    lines.append(f"HiddenServiceEnableIntroDoSDefense {_flag(defences.intro_dos)}")
    if defences.intro_dos:
        lines += [
            f"HiddenServiceEnableIntroDoSRatePerSec {defences.intro_rate_per_sec}",
            f"HiddenServiceEnableIntroDoSBurstPerSec {defences.intro_burst_per_sec}",
        ]
    return lines


def render(hs_root: Path, plan: Plan, *, journalist_clients: int | None) -> str:
    """The torrc fragment for both services whose HiddenServiceDirs are under `hs_root`."""
    out = ["# Sealdrop's onion services, written by `sealdrop-onion torrc`; do not edit by hand."]
    for service in SERVICES:
        out.append("")
        out.append(f"# {service} interface")
        if service == "journalist" and journalist_clients == 0:
            out.append(
                "# left out: no journalist device is authorized yet "
                "(`sealdrop-onion client add NAME`, then render again)"
            )
            continue
        if service == "journalist" and journalist_clients is None:
            out.append(
                "# client authorization: authorized_clients/, kept by `sealdrop-onion client sync`"
            )
        elif service == "journalist":
            out.append(f"# client authorization: {journalist_clients} device(s)")
        out += service_lines(hs_root / service, plan.target(service), plan.defences)
    return "\n".join(out) + "\n"


def install(
    state: State,
    hs_root: Path,
    output: Path,
    plan: Plan,
    *,
    tor_user: str | None,
    spool: Spool | None = None,
) -> int:
    """Copy keys and clients into `hs_root`, write the fragment to `output`; devices authorized.

    With a `spool` (devices managed by Sealdrop's admin pages), the clients come from it, and the
    journalist onion is always in the fragment: with no device, it admits nobody until
    `client sync` brings the first key.
    """
    owner = None
    if tor_user:
        try:
            entry = pwd.getpwnam(tor_user)
        except KeyError:
            raise StateError(f"no user named {tor_user!r} (tor's user, e.g. debian-tor)") from None
        owner = (entry.pw_uid, entry.pw_gid)
    clients = len(state.clients.entries()) if spool is None else len(spool.clients)
    hs_root.mkdir(mode=0o700, parents=True, exist_ok=True)
    for service in SERVICES:
        source = state.root / service
        target = hs_root / service
        target.mkdir(mode=0o700, exist_ok=True)
        target.chmod(0o700)
        for name in (SECRET_FILE, PUBLIC_FILE, HOSTNAME_FILE):
            shutil.copyfile(source / name, target / name)
            (target / name).chmod(0o600)
        if service == "journalist" and spool is not None:
            write_clients(target / "authorized_clients", spool.clients, lock_when_empty=True)
        elif service == "journalist":
            _replace_clients(source / "authorized_clients", target / "authorized_clients")
    if owner:
        for path in [hs_root, *hs_root.rglob("*")]:
            os.chown(path, *owner)
    text = render(hs_root, plan, journalist_clients=clients if spool is None else None)
    temporary = output.with_name(f".{output.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.chmod(0o644)
    temporary.replace(output)
    return clients


def _replace_clients(source: Path, target: Path) -> None:
    """Make `target` hold exactly the `.auth` files of `source` (a revoked device's file goes)."""
    target.mkdir(mode=0o700, exist_ok=True)
    wanted = {path.name for path in source.glob("*.auth")} if source.is_dir() else set()
    for stale in target.glob("*.auth"):
        if stale.name not in wanted:
            stale.unlink()
    for name in wanted:
        shutil.copyfile(source / name, target / name)
        (target / name).chmod(0o600)


def verify(fragment: Path, *, tor: str = "tor") -> None:
    """Run `tor --verify-config` on the fragment, included from a minimal torrc of its own."""
    tor_path = shutil.which(tor)
    if tor_path is None:
        raise TorConfigInvalid(f"cannot check the torrc: no {tor!r} program (apt-get install tor)")
    with tempfile.TemporaryDirectory(prefix="sealdrop-verify-") as scratch:
        wrapper = Path(scratch) / "torrc"
        data = Path(scratch) / "data"
        data.mkdir(mode=0o700)
        wrapper.write_text(
            f"DataDirectory {data}\nSocksPort 0\n%include {fragment.resolve()}\n", encoding="utf-8"
        )
        result = subprocess.run(  # noqa: S603 - tor found on PATH, fixed arguments
            [tor_path, "--verify-config", "-f", str(wrapper), "--defaults-torrc", os.devnull],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    if result.returncode != 0:
        problems = [
            line.split("] ", 1)[-1]
            for line in result.stdout.splitlines()
            if "[warn]" in line or "[err]" in line
        ]
        problem = next((p for p in problems if "running Tor as root" not in p), "see tor's log")
        raise TorConfigInvalid(f"tor rejects {fragment}: {problem}")
