"""torrc rendering, and tor's own check of it (`tor --verify-config`, no network needed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from onion import torrc
from onion.connection import require_version
from onion.control import add_onion_command
from onion.errors import OnionError, TorConfigInvalid, TorTooOld
from onion.settings import Defences, Plan
from onion.state import State

needs_tor = pytest.mark.skipif(shutil.which("tor") is None, reason="tor is not installed")


def test_render_has_defences_and_leaves_out_an_unauthorized_journalist_onion(
    tmp_path: Path,
) -> None:
    text = torrc.render(tmp_path, Plan(), journalist_clients=0)
    assert f"HiddenServiceDir {tmp_path / 'source'}" in text
    assert "HiddenServicePort 80 127.0.0.1:8080" in text
    for line in (
        "HiddenServicePoWDefensesEnabled 1",
        "HiddenServiceMaxStreams 20",
        "HiddenServiceMaxStreamsCloseCircuit 1",
        "HiddenServiceEnableIntroDoSDefense 1",
        "HiddenServiceEnableIntroDoSRatePerSec 25",
        "HiddenServiceEnableIntroDoSBurstPerSec 200",
    ):
        assert line in text.splitlines()
    assert f"HiddenServiceDir {tmp_path / 'journalist'}" not in text
    with_clients = torrc.render(tmp_path, Plan(), journalist_clients=2)
    assert "HiddenServicePort 80 127.0.0.1:8081" in with_clients


def test_defences_can_be_tuned_or_turned_off(tmp_path: Path) -> None:
    plan = Plan(defences=Defences(pow=False, intro_dos=False, max_streams=50))
    text = torrc.render(tmp_path, plan, journalist_clients=0)
    assert "HiddenServicePoWDefensesEnabled 0" in text
    assert "HiddenServiceEnableIntroDoSDefense 0" in text
    assert "HiddenServicePoWQueueRate" not in text
    assert "HiddenServiceMaxStreams 50" in text


def test_targets_must_be_loopback_or_unix() -> None:
    for bad in ("0.0.0.0:8080", "10.0.0.1:80", "127.0.0.1:0", "example.com:80"):
        with pytest.raises(OnionError):
            Plan(source_target=bad)
    assert Plan(source_target="unix:/run/sealdrop/source.sock").source_target


def test_install_copies_keys_and_exactly_the_authorized_clients(tmp_path: Path) -> None:
    state = State(tmp_path / "state").open()
    state.clients.add("alice")
    state.clients.add("bob")
    hs, out = tmp_path / "hs", tmp_path / "sealdrop.conf"
    assert torrc.install(state, hs, out, Plan(), tor_user=None) == 2
    state.clients.revoke("bob")
    assert torrc.install(state, hs, out, Plan(), tor_user=None) == 1
    assert sorted(p.name for p in (hs / "journalist" / "authorized_clients").iterdir()) == [
        "alice.auth"
    ]
    assert (hs / "source" / "hostname").read_text() == f"{state.address('source')}.onion\n"


@needs_tor
def test_rendered_torrc_passes_tor_verify_config(tmp_path: Path) -> None:
    state = State(tmp_path / "state").open()
    state.clients.add("alice")
    out = tmp_path / "sealdrop.conf"
    torrc.install(state, tmp_path / "hs", out, Plan(), tor_user=None)
    torrc.verify(out)


@needs_tor
def test_verify_config_failure_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "bad.conf"
    out.write_text("HiddenServicePoWDefensesEnabled maybe\n")
    with pytest.raises(TorConfigInvalid) as caught:
        torrc.verify(out)
    assert "\n" not in str(caught.value) and "bad.conf" in str(caught.value)


def test_add_onion_command(tmp_path: Path) -> None:
    state = State(tmp_path / "state").open()
    key = state.key("journalist")
    line = add_onion_command(key, "127.0.0.1:8081", Defences(), clients=["A" * 52, "B" * 52])
    assert line.startswith(
        f"ADD_ONION {key.control_blob} Flags=Detach,V3Auth,MaxStreamsCloseCircuit"
    )
    assert "MaxStreams=20" in line and "PoWDefensesEnabled=1" in line
    assert line.endswith(f"Port=80,127.0.0.1:8081 ClientAuthV3={'A' * 52} ClientAuthV3={'B' * 52}")


def test_old_tor_is_refused_in_one_line() -> None:
    require_version("0.4.9.11")
    with pytest.raises(TorTooOld, match=r"tor 0\.4\.5\.16 is too old: v3 client authorization"):
        require_version("0.4.5.16 (git-abc)")
