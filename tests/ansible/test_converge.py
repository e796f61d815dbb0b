"""site.yml run twice into a fresh Debian bookworm root (debootstrap, chroot connection).

What a chroot cannot show: no service starts (no systemd runs in it), so the apps, tor, the
firewall rules, sysctl and swap are checked as files and by each program's own check (tor
--verify-config, nft --check, sshd -t, Sealdrop's config loader), not by running them.
"""

from __future__ import annotations

import configparser
import pwd
import sqlite3
import subprocess
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from onion.settings import Plan
from onion.torrc import render
from sealdrop.db.migrate import HEAD_REVISION
from tests.ansible import rootfs
from tests.ansible.deploy import PASSPHRASE, Played, host_vars, make_keys, play, write_inventory

pytestmark = [pytest.mark.ansible, pytest.mark.slow, pytest.mark.timeout(3600)]

DATA = "var/lib/sealdrop"
HS_ROOT = "var/lib/tor/sealdrop"
SPOOL = "var/lib/sealdrop-onion-clients"
UNITS = "etc/systemd/system"
SEALDROP = "/opt/sealdrop/venv/bin/sealdrop"


@dataclass(frozen=True)
class Converged:
    root: Path
    variables: dict[str, Any]
    first: Played
    second: Played
    # A device issued on the server between the runs, as the admin pages do: its public key.
    issued: str

    def run(self, *argv: str, user: str = "root") -> subprocess.CompletedProcess[str]:
        """A command inside the root, as `user`, with Sealdrop's config named."""
        as_user = [] if user == "root" else ["runuser", "-u", user, "--"]
        return subprocess.run(
            [
                "chroot",
                str(self.root),
                *as_user,
                "env",
                "SEALDROP_CONFIG=/etc/sealdrop/sealdrop.toml",
                *argv,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )

    def owner(self, relative: str) -> tuple[str, str, int]:
        """(user, group, mode) of a path inside the root, names read from the root's files."""
        stat = (self.root / relative).stat()
        users = {e.split(":")[2]: e.split(":")[0] for e in self._lines("etc/passwd")}
        groups = {e.split(":")[2]: e.split(":")[0] for e in self._lines("etc/group")}
        return users[str(stat.st_uid)], groups[str(stat.st_gid)], stat.st_mode & 0o7777

    def _lines(self, relative: str) -> list[str]:
        return (self.root / relative).read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def converged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Converged]:
    base = Path(tmp_path_factory.mktemp("converge"))
    keys = make_keys(base / "keys")
    with rootfs.prepared_root(base) as root:
        variables = host_vars(root, keys)
        inventory = write_inventory(base / "inventory.json", root, variables)
        first = play(inventory)
        assert first.code == 0, first.output[-6000:]
        issued = issue_a_device(root)
        second = play(inventory)
        print(f"\nconverge: first run {first.seconds:.0f} s, second run {second.seconds:.0f} s")
        yield Converged(root, variables, first, second, issued)


def in_root(root: Path, *argv: str) -> str:
    done = subprocess.run(
        ["chroot", str(root), *argv], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def issue_a_device(root: Path) -> str:
    """What the admin pages do on a running server: a new device key, spooled; then what the
    spool's path unit runs (here without tor, which a chroot cannot run). Its public key."""
    in_root(
        root,
        *("runuser", "-u", "sealdrop", "--", "env", "SEALDROP_CONFIG=/etc/sealdrop/sealdrop.toml"),
        *(SEALDROP, "journalist", "devices", "add", "admin", "issued-phone"),
    )
    in_root(
        root,
        *("runuser", "-u", "debian-tor", "-g", "debian-tor", "-G", "sealdrop-onion-clients"),
        *("--", SEALDROP + "-onion", "client", "sync", "--from", f"/{SPOOL}"),
        *("--hs-dir", f"/{HS_ROOT}/journalist", "--no-reload"),
    )
    with sqlite3.connect(root / DATA / "sealdrop.sqlite") as db:
        (key,) = db.execute(
            "SELECT public_key FROM journalist_devices WHERE name = 'issued-phone'"
        ).fetchone()
    return str(key)


def test_the_second_run_changes_nothing(converged: Converged) -> None:
    assert converged.second.code == 0, converged.second.output[-6000:]
    recap = converged.second.recap()
    assert recap and all(c["changed"] == 0 and c["failed"] == 0 for c in recap.values()), recap
    assert converged.first.recap()[str(converged.root)]["changed"] > 0


def test_no_secret_reaches_the_output(converged: Converged) -> None:
    output = converged.first.output + converged.second.output
    totp = next((converged.root.parent / "controller-secrets").glob("*-admin-totp.txt"))
    secret = totp.read_text(encoding="utf-8").split("TOTP secret")[1].split(":")[1].split()[0]
    assert PASSPHRASE not in output and secret not in output
    assert oct(totp.stat().st_mode & 0o777) == "0o600"
    assert oct(totp.parent.stat().st_mode & 0o777) == "0o700"


def test_the_packages_are_installed(converged: Converged) -> None:
    wanted = [
        "tor",
        "nftables",
        "openssh-server",
        "unattended-upgrades",
        "systemd-timesyncd",
        "python3-venv",
        "gnupg",
    ]
    done = converged.run(
        "dpkg-query", "--showformat=${Package} ${db:Status-Status}\n", "--show", *wanted
    )
    assert sorted(done.stdout.splitlines()) == sorted(f"{p} installed" for p in wanted)


def test_tor_accepts_the_torrc_inside_the_root(converged: Converged) -> None:
    done = converged.run(
        "tor",
        "--verify-config",
        "--defaults-torrc",
        "/usr/share/tor/tor-service-defaults-torrc",
        "-f",
        "/etc/tor/torrc",
    )
    assert done.returncode == 0, done.stdout
    assert "Configuration was valid" in done.stdout


def service_blocks(text: str) -> dict[str, list[str]]:
    """HiddenService* directives of each service, keyed by its HiddenServiceDir's last part."""
    blocks: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("HiddenServiceDir "):
            current = Path(line.split()[1]).name
            blocks[current] = []
        if current and line.startswith("HiddenService"):
            blocks[current].append(line)
    return blocks


def test_the_torrc_says_what_sealdrop_onion_would(converged: Converged) -> None:
    rendered = (converged.root / "etc/tor/torrc").read_text(encoding="utf-8")
    expected = render(Path("/") / HS_ROOT, Plan(), journalist_clients=2)
    ours, theirs = service_blocks(rendered), service_blocks(expected)
    assert ours["source"] == theirs["source"] and ours["journalist"] == theirs["journalist"]
    assert "HiddenServicePoWDefensesEnabled 1" in ours["source"]
    assert ours["ssh"][:3] == [
        f"HiddenServiceDir /{HS_ROOT}/ssh",
        "HiddenServiceVersion 3",
        "HiddenServicePort 22 127.0.0.1:22",
    ]


def test_onion_directories_belong_to_tor_alone(converged: Converged) -> None:
    for relative in [
        HS_ROOT,
        *(f"{HS_ROOT}/{s}" for s in ("source", "journalist", "ssh")),
        f"{HS_ROOT}/journalist/authorized_clients",
    ]:
        assert converged.owner(relative) == ("debian-tor", "debian-tor", 0o700), relative
    for service in ("source", "journalist"):
        key = f"{HS_ROOT}/{service}/hs_ed25519_secret_key"
        assert converged.owner(key) == ("debian-tor", "debian-tor", 0o600)
        same = (converged.root / DATA / "onion" / service / "hs_ed25519_secret_key").read_bytes()
        assert (converged.root / key).read_bytes() == same


def key_files(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in directory.iterdir() if not p.name.startswith(".")}


def test_journalist_devices_have_one_source_sealdrop_and_tor_follows_its_spool(
    converged: Converged,
) -> None:
    # The inventory's devices were imported as the first admin's, beside the one issued later
    inventory = {c["name"]: c["public_key"] for c in converged.variables["tor_journalist_clients"]}
    with sqlite3.connect(converged.root / DATA / "sealdrop.sqlite") as db:
        rows = db.execute(
            "SELECT j.username, d.name, d.public_key, d.uuid FROM journalist_devices d"
            " JOIN journalists j ON j.id = d.journalist_id"
        ).fetchall()
    wanted = {**inventory, "issued-phone": converged.issued}
    assert sorted(r[:3] for r in rows) == sorted(("admin", n, k) for n, k in wanted.items())
    # The spool holds each one as <device uuid>.auth, and tor's list is the spool's, so the
    # device issued on the server survived the second run
    spool = key_files(converged.root / SPOOL)
    assert spool == {f"{r[3]}.auth": f"descriptor:x25519:{r[2]}\n" for r in rows}
    assert key_files(converged.root / HS_ROOT / "journalist/authorized_clients") == spool
    for name in spool:
        assert converged.owner(f"{SPOOL}/{name}") == ("sealdrop", "sealdrop-onion-clients", 0o640)
    authorized = converged.root / HS_ROOT / "journalist/authorized_clients"
    for path in authorized.iterdir():
        assert converged.owner(str(path.relative_to(converged.root)))[:2] == (
            "debian-tor",
            "debian-tor",
        )


def test_the_device_spool_is_outside_the_data_directory_for_the_sync_to_read(
    converged: Converged,
) -> None:
    # setgid: the files the apps write there belong to the sync's group
    assert converged.owner(SPOOL) == ("sealdrop", "sealdrop-onion-clients", 0o2750)
    config = tomllib.loads((converged.root / "etc/sealdrop/sealdrop.toml").read_text())
    assert config["onion_clients_dir"] == f"/{SPOOL}"
    group = next(
        line
        for line in (converged.root / "etc/group").read_text().splitlines()
        if line.startswith("sealdrop-onion-clients:")
    )
    assert group.split(":")[3] == ""  # nobody's group: only the sync's unit takes it


def test_a_change_in_the_spool_runs_the_hardened_sync(converged: Converged) -> None:
    watch = unit(converged, "sealdrop-onion-sync.path")["Path"]
    assert watch["PathChanged"] == f"/{SPOOL}"
    assert watch["Unit"] == "sealdrop-onion-sync.service"
    service = unit(converged, "sealdrop-onion-sync.service")["Service"]
    assert service["ExecStart"] == (
        f"{SEALDROP}-onion --control /run/tor/control client sync --from /{SPOOL}"
        f" --hs-dir /{HS_ROOT}/journalist"
    )
    for option, value in [
        ("User", "debian-tor"),
        ("SupplementaryGroups", "sealdrop-onion-clients"),
        ("ProtectSystem", "strict"),
        ("ReadWritePaths", f"/{HS_ROOT}/journalist"),
        ("PrivateNetwork", "yes"),
        ("PrivateTmp", "yes"),
        ("NoNewPrivileges", "yes"),
        ("CapabilityBoundingSet", ""),
        ("RestrictAddressFamilies", "AF_UNIX"),
        ("LimitCORE", "0"),
    ]:
        assert service[option] == value, option
    wants = converged.root / UNITS
    assert (wants / "paths.target.wants/sealdrop-onion-sync.path").is_symlink()
    assert (wants / "multi-user.target.wants/sealdrop-onion-sync.service").is_symlink()


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


def test_the_config_is_rendered_and_sealdrop_accepts_it(converged: Converged) -> None:
    config = tomllib.loads((converged.root / "etc/sealdrop/sealdrop.toml").read_text())
    hostname = (converged.root / DATA / "onion/source/hostname").read_text().strip()
    assert config["source_onion"] == hostname and hostname.endswith(".onion")
    assert config["source_bind"] == "127.0.0.1:8080"
    assert config["instance_name"] == "Converge Test"
    done = converged.run(
        "/opt/sealdrop/venv/bin/python",
        "-m",
        "sealdrop.config.check",
        "/etc/sealdrop/sealdrop.toml",
    )
    assert done.returncode == 0, done.stderr


def test_the_schema_is_at_head_with_the_submission_key(converged: Converged) -> None:
    with sqlite3.connect(converged.root / DATA / "sealdrop.sqlite") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (HEAD_REVISION,)
        ]
    keys = converged.run(SEALDROP, "keys", "list", user="sealdrop")
    assert keys.returncode == 0, keys.stderr
    assert "active" in keys.stdout
    accounts = converged.run(SEALDROP, "journalist", "list", user="sealdrop")
    assert accounts.stdout.startswith("admin\tadmin\ttotp")


def unit(converged: Converged, name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(converged.root / UNITS / name)
    return parser


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
