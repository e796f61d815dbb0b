"""site.yml run twice into a fresh Debian bookworm root (debootstrap, chroot connection): the
runs themselves, the packages, the config and the database. The onion services and the host's
hardening have modules of their own; all three look at the one root of conftest.py.

What a chroot cannot show: no service starts (no systemd runs in it), so the apps, tor, the
firewall rules, sysctl and swap are checked as files and by each program's own check (tor
--verify-config, nft --check, sshd -t, Sealdrop's config loader), not by running them.
"""

from __future__ import annotations

import sqlite3
import tomllib

import pytest

from sealdrop.db.migrate import HEAD_REVISION
from tests.ansible.converged import DATA, SEALDROP, Converged
from tests.ansible.deploy import PASSPHRASE

pytestmark = [pytest.mark.ansible, pytest.mark.slow, pytest.mark.timeout(3600)]


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
