"""site.yml with `app_database: postgresql`, once, into a fresh bookworm root.

A chroot runs no systemd, so the app role starts Debian's cluster with `pg_ctlcluster` for the
play alone (site.yml stops it at the end): the role, the database, the migrations, the first
admin and the devices are made for real. The test starts that cluster again inside the root to
look at the result, on a port of its own, and stops it. What a chroot cannot show: PostgreSQL
under systemd (its unit, its restart after a port change), and pg_dump through the backup
unit's sandbox, which is checked as a file.
"""

from __future__ import annotations

import configparser
import socket
import subprocess
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sealdrop.db.migrate import HEAD_REVISION
from tests.ansible import rootfs
from tests.ansible.deploy import PASSPHRASE, Played, host_vars, make_keys, play, write_inventory

pytestmark = [pytest.mark.ansible, pytest.mark.slow, pytest.mark.timeout(3600)]

SEALDROP = "/opt/sealdrop/venv/bin/sealdrop"
CLUSTER = ("15", "main")
PASSWORD_FILE = "etc/sealdrop/postgresql-password"


@dataclass(frozen=True)
class Converged:
    root: Path
    variables: dict[str, Any]
    played: Played

    def run(self, *argv: str, user: str = "root") -> subprocess.CompletedProcess[str]:
        as_user = [] if user == "root" else ["runuser", "-u", user, "--"]
        config = "SEALDROP_CONFIG=/etc/sealdrop/sealdrop.toml"
        return subprocess.run(
            ["chroot", str(self.root), *as_user, "env", config, *argv],
            capture_output=True, text=True, check=False, timeout=300,
        )  # fmt: skip

    def cluster(self, action: str) -> subprocess.CompletedProcess[str]:
        return self.run("pg_ctlcluster", *CLUSTER, action)

    def psql(self, query: str) -> str:
        port = str(self.variables["app_postgresql_port"])
        done = self.run("psql", "--port", port, "-d", "sealdrop", "-tAc", query, user="postgres")
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def converged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Converged]:
    base = Path(tmp_path_factory.mktemp("converge-pg"))
    keys = make_keys(base / "keys")
    with rootfs.prepared_root(base) as root:
        variables = {
            **host_vars(root, keys),
            "app_database": "postgresql",
            # Not 5432: the cluster runs on this machine's loopback while the play runs.
            "app_postgresql_port": free_port(),
        }
        inventory = write_inventory(base / "inventory.json", root, variables)
        done = Converged(root, variables, play(inventory))
        try:
            assert done.played.code == 0, done.played.output[-6000:]
            print(f"\nconverge with PostgreSQL: {done.played.seconds:.0f} s")
            yield done
        finally:
            done.cluster("stop")  # whatever a failed play or test left running


def test_postgresql_is_installed_and_stopped_after_the_play(converged: Converged) -> None:
    done = converged.run("dpkg-query", "--showformat=${db:Status-Status}", "--show", "postgresql")
    assert done.stdout == "installed"
    assert not (converged.root / "var/lib/postgresql/15/main/postmaster.pid").exists()
    conf = (converged.root / "etc/postgresql/15/main/postgresql.conf").read_text()
    assert f"\nport = {converged.variables['app_postgresql_port']}\n" in conf


def test_the_config_names_the_database_with_a_password_kept_on_the_server(
    converged: Converged,
) -> None:
    password = (converged.root / PASSWORD_FILE).read_text().strip()
    assert len(password) >= 40
    stat = (converged.root / PASSWORD_FILE).stat()
    assert (stat.st_uid, stat.st_gid, stat.st_mode & 0o777) == (0, 0, 0o600)
    config = tomllib.loads((converged.root / "etc/sealdrop/sealdrop.toml").read_text())
    port = converged.variables["app_postgresql_port"]
    assert config["database_url"] == (
        f"postgresql+psycopg://sealdrop:{password}@127.0.0.1:{port}/sealdrop"
    )
    assert password not in converged.played.output and PASSPHRASE not in converged.played.output
    assert not (converged.root / "var/lib/sealdrop/sealdrop.sqlite").exists()


def test_the_migrations_admin_and_devices_are_in_postgresql(converged: Converged) -> None:
    started = converged.cluster("start")
    assert started.returncode == 0, started.stderr
    try:
        assert converged.psql("SELECT version_num FROM alembic_version") == HEAD_REVISION
        assert converged.psql("SELECT pg_get_userbyid(datdba) FROM pg_database"
                              " WHERE datname = 'sealdrop'") == "sealdrop"  # fmt: skip
        accounts = converged.run(SEALDROP, "journalist", "list", user="sealdrop")
        assert accounts.stdout.startswith("admin\tadmin\ttotp"), accounts.stderr
        devices = converged.run(SEALDROP, "journalist", "devices", "list", user="sealdrop")
        names = sorted(line.split("\t")[1] for line in devices.stdout.splitlines())
        assert names == ["alice-laptop", "bob-phone"], devices.stderr
    finally:
        converged.cluster("stop")


def test_the_backup_unit_reaches_loopback_only_for_pg_dump(converged: Converged) -> None:
    text = (converged.root / "etc/systemd/system/sealdrop-backup.service").read_text()
    parser = configparser.RawConfigParser(strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    service = parser["Service"]
    assert "PrivateNetwork" not in service
    assert (service["IPAddressDeny"], service["IPAddressAllow"]) == ("any", "localhost")
    assert service["RestrictAddressFamilies"] == "AF_UNIX AF_INET AF_INET6"
    assert "\nReadWritePaths=/dev/shm\n" in text
