"""After the converge: tor's onion services as sealdrop-onion would render them, owned by tor alone,
and the journalist devices' one source (Sealdrop's database, spooled for tor by a hardened sync)."""

from __future__ import annotations

import sqlite3
import tomllib
from pathlib import Path

import pytest

from onion.settings import Plan
from onion.torrc import render
from tests.ansible.converged import DATA, HS_ROOT, SEALDROP, SPOOL, UNITS, Converged, unit

pytestmark = [pytest.mark.ansible, pytest.mark.slow, pytest.mark.timeout(3600)]


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
