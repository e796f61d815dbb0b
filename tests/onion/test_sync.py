"""`client sync` without Tor: reading a spool strictly, writing authorized_clients/ (with the
lock key when no device is left), the service options it drops, and torrc mode from a spool."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from onion import sync, torrc
from onion.errors import StateError
from onion.keys import ClientKeyPair, parse_auth_line
from onion.settings import Plan
from onion.state import State

DEVICE = "0f8e7a52-6d3c-4b1a-9e2f-1a2b3c4d5e6f"


def spool_with(directory: Path, **lines: str) -> Path:
    directory.mkdir(exist_ok=True)
    for name, line in lines.items():
        (directory / f"{name}.auth").write_text(line + "\n")
    return directory


def test_a_spool_is_read_strictly_and_what_is_not_a_key_is_left_out(tmp_path: Path) -> None:
    good = ClientKeyPair.generate()
    spool = spool_with(tmp_path / "spool", **{DEVICE: good.auth_line(), "junk": "hello"})
    (spool / ".half-written.auth.tmp").write_text("x")
    (spool / "README").write_text("not a key file")
    (spool / "big.auth").write_text(good.auth_line() + " " * 300)
    (spool / "link.auth").symlink_to("/etc/passwd")
    read = sync.read_spool(spool)
    assert read.clients == {DEVICE: good.public_b32}
    assert sorted(p.split(":")[0].rsplit("/", 1)[1] for p in read.problems) == [
        "big.auth",
        "junk.auth",
        "link.auth",
    ]


def test_a_missing_spool_is_an_error_not_an_empty_list(tmp_path: Path) -> None:
    with pytest.raises(StateError, match="not a directory of device keys"):
        sync.read_spool(tmp_path / "nowhere")


def test_writing_clients_replaces_the_set_and_locks_an_empty_one(tmp_path: Path) -> None:
    target = tmp_path / "authorized_clients"
    first, second = ClientKeyPair.generate(), ClientKeyPair.generate()
    assert sync.write_clients(target, {"a": first.public_b32}, lock_when_empty=True)
    assert not sync.write_clients(target, {"a": first.public_b32}, lock_when_empty=True)
    assert sync.write_clients(target, {"b": second.public_b32}, lock_when_empty=True)
    assert [p.name for p in target.iterdir()] == ["b.auth"]
    assert stat.S_IMODE((target / "b.auth").stat().st_mode) == 0o600
    # No device: one key nobody holds, so tor keeps client authorization on (never public).
    assert sync.write_clients(target, {}, lock_when_empty=True)
    assert [p.name for p in target.iterdir()] == [sync.LOCK_FILE]
    lock = parse_auth_line((target / sync.LOCK_FILE).read_text())
    assert lock not in (first.public_b32, second.public_b32)
    assert not sync.write_clients(target, {}, lock_when_empty=True)  # the lock stays as it is
    assert sync.write_clients(target, {}, lock_when_empty=False)
    assert list(target.iterdir()) == []


def test_dropping_a_service_keeps_every_other_option_in_order(tmp_path: Path) -> None:
    options = [
        ("HiddenServiceDir", str(tmp_path / "source")),
        ("HiddenServicePort", "80 127.0.0.1:8080"),
        ("HiddenServiceDir", str(tmp_path / "journalist") + "/"),
        ("HiddenServicePort", "80 127.0.0.1:8081"),
        ("HiddenServiceMaxStreams", "20"),
        ("HiddenServiceDir", str(tmp_path / "other")),
        ("HiddenServicePort", "80 127.0.0.1:9000"),
    ]
    kept = sync.without_service(options, tmp_path / "journalist")
    assert kept == options[:2] + options[5:]
    assert sync.without_service(options, tmp_path / "absent") == options


def test_spool_digest_follows_the_set_not_the_order() -> None:
    one = sync.Spool({"a": "A" * 52, "b": "B" * 52})
    other = sync.Spool({"b": "B" * 52, "a": "A" * 52})
    assert one.digest == other.digest != sync.Spool({"a": "A" * 52}).digest


@pytest.mark.skipif(shutil.which("tor") is None, reason="tor is not installed")
def test_torrc_from_a_spool_always_has_the_journalist_onion(tmp_path: Path) -> None:
    state = tmp_path / "state"
    spool = spool_with(tmp_path / "spool")
    out, hs = tmp_path / "sealdrop.conf", tmp_path / "hs"
    rendered = subprocess.run(
        [sys.executable, "-m", "onion", "--state-dir", str(state), "torrc", "--hs-root", str(hs),
         "--output", str(out), "--clients-from", str(spool)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    assert "journalist" in rendered.stdout and "(0 device(s))" in rendered.stdout
    assert f"HiddenServiceDir {hs / 'journalist'}" in out.read_text()
    assert [p.name for p in (hs / "journalist" / "authorized_clients").iterdir()] == [
        sync.LOCK_FILE
    ]
    assert not (State(state).open().root / "journalist" / "authorized_clients").exists()


def test_sync_without_a_spool_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "onion", "--state-dir", str(tmp_path / "s"), "clients", "sync",
         "--from", str(tmp_path / "nowhere"), "--hs-dir", str(tmp_path / "hs")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "not a directory of device keys" in done.stderr


def test_a_journalist_onion_kept_by_sync_is_rendered_and_says_so(tmp_path: Path) -> None:
    text = torrc.render(tmp_path, Plan(), journalist_clients=None)
    assert text.count("HiddenServiceDir") == 2 and "kept by `sealdrop-onion client sync`" in text


def no_reload(spool: Path, hs_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onion", "clients", "sync", "--from", str(spool),
         "--hs-dir", str(hs_dir), "--no-reload", *extra],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_no_reload_writes_the_devices_without_tor_and_leaves_them_unapplied(
    tmp_path: Path,
) -> None:
    # Given a spool of one device, a journalist onion whose last list tor applied, and no tor
    device = ClientKeyPair.generate()
    spool = spool_with(tmp_path / "spool", **{DEVICE: device.auth_line()})
    hs_dir = tmp_path / "hs" / "journalist"
    hs_dir.mkdir(parents=True)
    (hs_dir / sync.APPLIED_FILE).write_text("an older list\n")
    # When the sync runs with --no-reload, twice
    first, second = no_reload(spool, hs_dir), no_reload(spool, hs_dir)
    # Then the key is written for tor's next (re)load, nothing says it was applied, and the
    # second run sees nothing to write but still knows tor has not applied it
    assert first.returncode == 0, first.stderr
    assert first.stdout == "written: 1 device(s), for tor's next start or reload\n"
    assert second.stdout == "unchanged on disk: 1 device(s), not yet applied by tor\n"
    written = hs_dir / "authorized_clients" / f"{DEVICE}.auth"
    assert written.read_text() == device.auth_line() + "\n"
    assert not (hs_dir / sync.APPLIED_FILE).exists()


def test_no_reload_with_an_empty_spool_locks_the_onion(tmp_path: Path) -> None:
    hs_dir = tmp_path / "journalist"
    done = no_reload(spool_with(tmp_path / "spool"), hs_dir)
    assert done.returncode == 0 and done.stdout.startswith("written: 0 device(s)")
    assert [p.name for p in (hs_dir / "authorized_clients").iterdir()] == [sync.LOCK_FILE]


def test_no_reload_is_refused_in_control_port_mode(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "onion", "--state-dir", str(tmp_path / "s"), "clients", "sync",
         "--from", str(spool_with(tmp_path / "spool")), "--no-reload"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "--no-reload is for torrc mode" in done.stderr
