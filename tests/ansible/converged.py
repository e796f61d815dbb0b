"""site.yml converged into a fresh Debian bookworm root, once a session, for the converge tests
to look at: the root, the variables, both runs, and ways to run or read things inside it."""

from __future__ import annotations

import configparser
import contextlib
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.ansible import rootfs
from tests.ansible.deploy import Played, host_vars, make_keys, play, write_inventory

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


@contextlib.contextmanager
def converge(base: Path) -> Iterator[Converged]:
    """site.yml run twice into a fresh root under `base`, a device issued between the runs."""
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


def unit(converged: Converged, name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(converged.root / UNITS / name)
    return parser
