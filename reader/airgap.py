"""Is this machine offline? Interfaces that are up and default routes, read from /sys and /proc.

The reader holds the Submission private key and the plaintext of every submission, so it runs on
a machine that never goes online. This check cannot prove that (a driver, a VM's host, a phone
tethered later), but it catches the usual slips: a cable plugged in, Wi-Fi joined, a VPN up.
The roots are parameters so tests can build the same files in a temporary directory.
"""

from __future__ import annotations

import enum
import ipaddress
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

from reader.names import shown
from sealdrop.errors import SealdropError

IFF_UP = 0x1
IFF_LOOPBACK = 0x8
RTF_UP = 0x1
RTF_REJECT = 0x200
# operstate values (RFC 2863) under which an interface that is switched on may be carrying
# traffic: "unknown" is what tun devices, WireGuard and many virtual links always report.
_CARRYING = {"up", "unknown"}
_ZERO_V6 = "0" * 32


class Kind(enum.Enum):
    """What was found; every kind makes the reader refuse to start without --allow-network."""

    INTERFACE_UP = "interface-up"  # up and carrying traffic (or not saying it is not)
    INTERFACE_ENABLED = "interface-enabled"  # switched on, no link yet: one cable or Wi-Fi away
    DEFAULT_ROUTE = "default-route"  # a route to anywhere: the machine expects to reach out
    CANNOT_CHECK = "cannot-check"  # the kernel's answer could not be read, so no all-clear


@dataclass(frozen=True)
class NetworkFinding:
    """One reason to think this machine is online, with a sentence for the journalist."""

    kind: Kind
    subject: str  # the interface, or the file that could not be read
    sentence: str


class NetworkDetected(SealdropError):
    """The reader found a way online (an interface up, a default route) and will not start;
    disconnect the machine, or start it with --allow-network if you accept the risk."""


def check_air_gap(
    *, sys_root: Path = Path("/sys"), proc_root: Path = Path("/proc")
) -> tuple[NetworkFinding, ...]:
    """Every sign that the machine is online; an empty tuple when there is none."""
    return (*_interfaces(sys_root / "class" / "net"), *_default_routes(proc_root / "net"))


def require_air_gap(
    *,
    allow_network: bool,
    sys_root: Path = Path("/sys"),
    proc_root: Path = Path("/proc"),
) -> tuple[NetworkFinding, ...]:
    """The findings, to show as a warning; raises NetworkDetected unless `allow_network`."""
    findings = check_air_gap(sys_root=sys_root, proc_root=proc_root)
    if findings and not allow_network:
        raise NetworkDetected(one_line(findings))
    return findings


def one_line(findings: tuple[NetworkFinding, ...]) -> str:
    """The refusal, on one line: what was found, and the two ways forward."""
    reasons = "; ".join(f.sentence[:1].lower() + f.sentence[1:].rstrip(".") for f in findings)
    return (
        f"This machine may be online ({reasons}). Disconnect it, or start the reader with "
        "--allow-network if you accept that risk."
    )


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None


def _interfaces(net: Path) -> list[NetworkFinding]:
    try:
        names = sorted(entry.name for entry in net.iterdir())
    except OSError:
        return [_cannot(net, "the list of network interfaces")]
    findings: list[NetworkFinding] = []
    for name in names:
        finding = _interface(net / name, shown(name))
        if finding is not None:
            findings.append(finding)
    return findings


def _interface(folder: Path, name: str) -> NetworkFinding | None:
    operstate = _read(folder / "operstate")
    flags_text = _read(folder / "flags")
    try:
        flags = int(flags_text, 16) if flags_text is not None else None
    except ValueError:
        flags = None
    if operstate is None or flags is None:
        if name == "lo":
            return None
        return _cannot(folder, f"the state of interface {name}")
    if flags & IFF_LOOPBACK:
        return None
    if operstate == "up" or (flags & IFF_UP and operstate in _CARRYING):
        return NetworkFinding(Kind.INTERFACE_UP, name, f"Network interface {name} is up.")
    if flags & IFF_UP:
        return NetworkFinding(
            Kind.INTERFACE_ENABLED,
            name,
            f"Network interface {name} is switched on ({shown(operstate)}): plugging a "
            "cable or joining a Wi-Fi network would put this machine online.",
        )
    return None


def _default_routes(net: Path) -> list[NetworkFinding]:
    findings: list[NetworkFinding] = []
    ipv4 = _read(net / "route")
    if ipv4 is None:
        findings.append(_cannot(net / "route", "the IPv4 routing table"))
    else:
        findings.extend(_ipv4_defaults(ipv4))
    ipv6 = _read(net / "ipv6_route")
    if ipv6 is not None:  # absent when IPv6 is disabled, which is fine
        findings.extend(_ipv6_defaults(ipv6))
    return findings


def _ipv4_defaults(table: str) -> list[NetworkFinding]:
    findings = []
    for line in table.splitlines()[1:]:  # the first line names the columns
        fields = line.split()
        if len(fields) < 8:  # noqa: PLR2004 (Iface .. Mask: the columns this reads)
            continue
        interface, destination, gateway, flags, mask = (
            fields[0], fields[1], fields[2], fields[3], fields[7]
        )  # fmt: skip
        try:
            if int(destination, 16) or int(mask, 16) or not int(flags, 16) & RTF_UP:
                continue
            via = socket.inet_ntoa(struct.pack("<I", int(gateway, 16)))
        except (ValueError, struct.error):
            continue
        findings.append(_route("IPv4", interface, via))
    return findings


def _ipv6_defaults(table: str) -> list[NetworkFinding]:
    findings = []
    for line in table.splitlines():
        fields = line.split()
        if len(fields) < 10:  # noqa: PLR2004 (destination .. device: the columns this reads)
            continue
        destination, prefix, next_hop, flags_text, interface = (
            fields[0], fields[1], fields[4], fields[8], fields[9]
        )  # fmt: skip
        try:
            flags = int(flags_text, 16)
            via = str(ipaddress.IPv6Address(bytes.fromhex(next_hop)))
        except ValueError:
            continue
        if destination != _ZERO_V6 or prefix != "00" or interface == "lo":
            continue
        if flags & RTF_UP and not flags & RTF_REJECT:
            findings.append(_route("IPv6", interface, via))
    return findings


def _route(family: str, interface: str, via: str) -> NetworkFinding:
    name = shown(interface)
    gateway = "" if via in ("0.0.0.0", "::") else f" via {via}"  # noqa: S104 (a value read, not bound)
    return NetworkFinding(
        Kind.DEFAULT_ROUTE, name, f"There is a default {family} route through {name}{gateway}."
    )


def _cannot(path: Path, what: str) -> NetworkFinding:
    return NetworkFinding(
        Kind.CANNOT_CHECK,
        str(path),
        f"Could not read {what} ({path}), so the reader cannot tell whether it is offline.",
    )
