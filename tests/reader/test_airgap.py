"""The air-gap check on /sys and /proc trees written as the kernel writes them, and on this host."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from reader.airgap import Kind, NetworkDetected, NetworkFinding, check_air_gap, require_air_gap

ROUTE_HEADER = (
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
)
# An IPv4 default route through eth0 via 192.0.2.1, and the link's own subnet.
IPV4_DEFAULT = "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
IPV4_SUBNET = "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
# Columns: destination, prefix, source, prefix, next hop, metric, refcount, use, flags, device.
V6_ZERO = "0" * 32
IPV6_DEFAULT = (
    f"{V6_ZERO} 00 {V6_ZERO} 00 fd00{'0' * 27}1 00000400 00000003 00000000 00000003 eth0\n"
)
IPV6_LOOPBACK = f"{'0' * 31}1 80 {V6_ZERO} 00 {V6_ZERO} 00000000 00000002 00000000 80200001 lo\n"
# The kernel's own "unreachable" default on lo: RTF_REJECT, not a way out.
IPV6_REJECT = f"{V6_ZERO} 00 {V6_ZERO} 00 {V6_ZERO} ffffffff 00000001 00000000 00200200 lo\n"


@dataclass
class Host:
    """A fake machine: the files check_air_gap reads, under tmp_path."""

    sys_root: Path
    proc_root: Path

    def interface(self, name: str, operstate: str, flags: str) -> None:
        folder = self.sys_root / "class" / "net" / name
        folder.mkdir(parents=True)
        (folder / "operstate").write_text(operstate + "\n")
        (folder / "flags").write_text(flags + "\n")

    def routes(self, ipv4: str = "", ipv6: str | None = "") -> None:
        (self.proc_root / "net").mkdir(parents=True, exist_ok=True)
        (self.proc_root / "net" / "route").write_text(ROUTE_HEADER + ipv4)
        if ipv6 is not None:
            (self.proc_root / "net" / "ipv6_route").write_text(ipv6)

    def check(self) -> tuple[NetworkFinding, ...]:
        return check_air_gap(sys_root=self.sys_root, proc_root=self.proc_root)


@pytest.fixture
def host(tmp_path: Path) -> Host:
    """An offline machine: loopback only, no route but the kernel's IPv6 reject."""
    made = Host(tmp_path / "sys", tmp_path / "proc")
    made.interface("lo", "unknown", "0x9")
    made.routes(ipv6=IPV6_LOOPBACK + IPV6_REJECT)
    return made


def test_loopback_alone_is_offline(host: Host) -> None:
    assert host.check() == ()
    assert (
        require_air_gap(allow_network=False, sys_root=host.sys_root, proc_root=host.proc_root) == ()
    )


def test_an_interface_that_is_up_is_found(host: Host) -> None:
    host.interface("eth0", "up", "0x1003")
    (finding,) = host.check()
    assert finding == NetworkFinding(Kind.INTERFACE_UP, "eth0", "Network interface eth0 is up.")


def test_an_up_interface_that_reports_no_state_counts_as_up(host: Host) -> None:
    host.interface("wg0", "unknown", "0x91")  # WireGuard: UP|POINTOPOINT|NOARP, state unknown
    assert [f.kind for f in host.check()] == [Kind.INTERFACE_UP]


def test_an_interface_switched_on_without_link_is_found(host: Host) -> None:
    host.interface("wlan0", "dormant", "0x1003")
    (finding,) = host.check()
    assert finding.kind is Kind.INTERFACE_ENABLED
    assert "wlan0 is switched on (dormant)" in finding.sentence


def test_interfaces_that_are_down_are_not_findings(host: Host) -> None:
    host.interface("eth1", "down", "0x1002")
    host.interface("ifb0", "down", "0x82")
    assert host.check() == ()


def test_a_default_route_is_found_with_its_gateway(host: Host) -> None:
    host.routes(ipv4=IPV4_SUBNET + IPV4_DEFAULT, ipv6=IPV6_DEFAULT + IPV6_REJECT)
    findings = host.check()
    assert [f.kind for f in findings] == [Kind.DEFAULT_ROUTE, Kind.DEFAULT_ROUTE]
    assert findings[0].sentence == "There is a default IPv4 route through eth0 via 192.0.2.1."
    assert findings[1].sentence == "There is a default IPv6 route through eth0 via fd00::1."


def test_a_route_that_is_not_up_is_ignored(host: Host) -> None:
    host.routes(ipv4=IPV4_DEFAULT.replace("\t0003\t", "\t0000\t"))
    assert host.check() == ()


def test_without_ipv6_only_ipv4_is_read(host: Host) -> None:
    host.routes(ipv4=IPV4_DEFAULT, ipv6=None)
    assert [f.subject for f in host.check()] == ["eth0"]


def test_garbage_lines_are_skipped_not_fatal(host: Host) -> None:
    host.routes(ipv4="eth0\tnothex\t0\t1\n\x00\x01\nshort\n", ipv6="zz 00 x\n" + "1 " * 12 + "\n")
    assert host.check() == ()


def test_what_cannot_be_read_is_never_an_all_clear(tmp_path: Path) -> None:
    findings = check_air_gap(sys_root=tmp_path / "nosys", proc_root=tmp_path / "noproc")
    assert [f.kind for f in findings] == [Kind.CANNOT_CHECK, Kind.CANNOT_CHECK]
    assert "cannot tell whether it is offline" in findings[0].sentence


def test_an_interface_whose_state_cannot_be_read(host: Host) -> None:
    (host.sys_root / "class" / "net" / "eth9").mkdir()
    (finding,) = host.check()
    assert finding.kind is Kind.CANNOT_CHECK
    assert "interface eth9" in finding.sentence


def test_a_strange_interface_name_is_shown_escaped(host: Host) -> None:
    host.interface("eth\u202e0", "up", "0x1003")
    (finding,) = host.check()
    assert finding.subject == "eth\\u202e0"


def test_the_cli_check_refuses_on_one_line_unless_allowed(host: Host) -> None:
    host.interface("eth0", "up", "0x1003")
    host.routes(ipv4=IPV4_DEFAULT)
    roots = {"sys_root": host.sys_root, "proc_root": host.proc_root}
    with pytest.raises(NetworkDetected) as refused:
        require_air_gap(allow_network=False, **roots)
    message = str(refused.value)
    assert "\n" not in message
    assert message == (
        "This machine may be online (network interface eth0 is up; there is a default IPv4 "
        "route through eth0 via 192.0.2.1). Disconnect it, or start the reader with "
        "--allow-network if you accept that risk."
    )
    assert len(require_air_gap(allow_network=True, **roots)) == 2


def test_on_this_machine_it_runs_and_returns_typed_findings() -> None:
    # Whatever this host's network looks like, the real /sys and /proc must parse.
    for finding in check_air_gap():
        assert isinstance(finding, NetworkFinding)
        assert isinstance(finding.kind, Kind)
        assert finding.subject
        assert finding.sentence.endswith(".")
        assert "\n" not in finding.sentence
