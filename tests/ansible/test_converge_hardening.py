"""After the converge: the host's hardening as files and each program's own check: the data
directory, the systemd units' sandboxes and timers, the journal, swap and core dumps, sshd, and
the firewall."""

from __future__ import annotations

import pwd
import tomllib
from pathlib import Path

import pytest

from tests.ansible.converged import DATA, SEALDROP, SPOOL, UNITS, Converged, unit

pytestmark = [pytest.mark.ansible, pytest.mark.slow, pytest.mark.timeout(3600)]


def test_the_data_directory_belongs_to_the_apps_alone(converged: Converged) -> None:
    assert converged.owner(DATA) == ("sealdrop", "sealdrop", 0o700)
    assert converged.owner(f"{DATA}/secrets.toml")[2] == 0o600
    assert converged.owner(f"{DATA}/onion") == ("sealdrop", "sealdrop", 0o700)
    assert converged.owner("etc/sealdrop/sealdrop.toml") == ("root", "sealdrop", 0o640)
    assert converged.owner("var/backups/sealdrop") == ("sealdrop", "sealdrop", 0o700)
    account = pwd.struct_passwd(
        next(
            line
            for line in (converged.root / "etc/passwd").read_text().splitlines()
            if line.startswith("sealdrop:")
        ).split(":")
    )
    assert account.pw_shell == "/usr/sbin/nologin"


@pytest.mark.parametrize("name", ["sealdrop-source.service", "sealdrop-journalist.service"])
def test_the_app_units_are_hardened_and_enabled(converged: Converged, name: str) -> None:
    service = unit(converged, name)["Service"]
    assert service["User"] == "sealdrop"
    for option, value in [
        ("ProtectSystem", "strict"),
        ("PrivateTmp", "yes"),
        ("NoNewPrivileges", "yes"),
        ("ReadWritePaths", f"/var/lib/sealdrop /{SPOOL}"),
        ("PrivateDevices", "yes"),
        ("LimitCORE", "0"),
    ]:
        assert service[option] == value, option
    assert service["ExecStart"].endswith(
        f"serve {name.removeprefix('sealdrop-').removesuffix('.service')}"
    )
    assert (converged.root / UNITS / "multi-user.target.wants" / name).is_symlink()


def test_the_source_interface_writes_nothing_to_the_journal(converged: Converged) -> None:
    service = unit(converged, "sealdrop-source.service")["Service"]
    assert (service["StandardOutput"], service["StandardError"]) == ("null", "null")
    journald = (converged.root / "etc/systemd/journald.conf.d/90-sealdrop.conf").read_text()
    assert "Storage=volatile" in journald


def test_the_periodic_jobs_and_the_backup_are_timed(converged: Converged) -> None:
    periodic = (converged.root / UNITS / "sealdrop-periodic.service").read_text()
    assert f"ExecStart={SEALDROP} restamp" in periodic and f"ExecStart={SEALDROP} check" in periodic
    backup = unit(converged, "sealdrop-backup.service")["Service"]
    assert backup["ExecStart"] == (
        f"{SEALDROP} backup --output /var/backups/sealdrop "
        "--recipient-key /etc/sealdrop/backup-recipient.pub.asc"
    )
    for timer in ("sealdrop-periodic.timer", "sealdrop-backup.timer"):
        assert (converged.root / UNITS / "timers.target.wants" / timer).is_symlink()


def test_the_backup_of_sqlite_has_no_network_and_its_ram_scratch(converged: Converged) -> None:
    text = (converged.root / UNITS / "sealdrop-backup.service").read_text()
    service = unit(converged, "sealdrop-backup.service")["Service"]
    assert (service["PrivateNetwork"], service["RestrictAddressFamilies"]) == ("yes", "AF_UNIX")
    assert "IPAddressAllow" not in service
    # The snapshot and gpg's home are made in /dev/shm: writable despite ProtectSystem=strict
    config = tomllib.loads((converged.root / "etc/sealdrop/sealdrop.toml").read_text())
    assert config["gpg_scratch_dir"] == "/dev/shm"
    assert "\nReadWritePaths=/dev/shm\n" in text and "\nProtectSystem=strict\n" in text


def test_memory_stays_off_the_disk(converged: Converged) -> None:
    assert (converged.root / UNITS / "swap.target").resolve() == Path("/dev/null")
    sysctl = (converged.root / "etc/sysctl.d/90-sealdrop.conf").read_text()
    assert "kernel.core_pattern = |/bin/false" in sysctl and "fs.suid_dumpable = 0" in sysctl
    coredump = (converged.root / "etc/systemd/coredump.conf.d/90-sealdrop.conf").read_text()
    assert "Storage=none" in coredump


def test_ssh_listens_on_loopback_only_and_sshd_accepts_it(converged: Converged) -> None:
    dropin = (converged.root / "etc/ssh/sshd_config.d/90-sealdrop.conf").read_text()
    assert "ListenAddress 127.0.0.1" in dropin and "PasswordAuthentication no" in dropin
    done = converged.run("/usr/sbin/sshd", "-t")
    assert done.returncode == 0, done.stderr


def test_the_firewall_lets_only_tor_out_and_nothing_in(converged: Converged) -> None:
    rules = (converged.root / "etc/nftables.conf").read_text()
    assert "type filter hook input priority filter; policy drop;" in rules
    assert "type filter hook output priority filter; policy drop;" in rules
    assert 'meta skuid "debian-tor" accept' in rules
    assert "dport 22" not in rules
    done = converged.run("nft", "--check", "--file", "/etc/nftables.conf")
    assert done.returncode == 0, done.stderr
    assert (converged.root / UNITS / "sysinit.target.wants/nftables.service").is_symlink()
