"""Key generation and Tor's formats, without Tor."""

from __future__ import annotations

import base64
import hashlib
import re
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from onion.errors import ClientError, StateError
from onion.keys import ClientKeyPair, ServiceKey, check_address, onion_address, parse_auth_line
from onion.state import State

BASE32_KEY = re.compile(r"^[A-Z2-7]{52}$")


def test_client_keys_are_raw_x25519_in_unpadded_base32() -> None:
    keys = ClientKeyPair.generate()
    assert BASE32_KEY.match(keys.public_b32) and BASE32_KEY.match(keys.private_b32)
    assert "=" not in keys.public_b32 + keys.private_b32
    private = X25519PrivateKey.from_private_bytes(base64.b32decode(keys.private_b32 + "===="))
    public = X25519PublicKey.from_public_bytes(base64.b32decode(keys.public_b32 + "===="))
    # The two halves belong together: a shared secret agrees both ways.
    peer = X25519PrivateKey.generate()
    assert private.exchange(peer.public_key()) == peer.exchange(public)


def test_client_lines_in_tor_formats() -> None:
    keys = ClientKeyPair.generate()
    address = ServiceKey.generate().address
    assert keys.auth_line() == f"descriptor:x25519:{keys.public_b32}"
    assert parse_auth_line(keys.auth_line() + "\n") == keys.public_b32
    line = keys.auth_private_line(address + ".onion")
    assert line == f"{address}:descriptor:x25519:{keys.private_b32}"
    assert len(line.split(":")[0]) == 56


def test_onion_address_matches_the_v3_specification() -> None:
    # rend-spec-v3: onion_address = base32(PUBKEY | CHECKSUM | VERSION) + ".onion"
    public = bytes(range(32))
    checksum = hashlib.sha3_256(b".onion checksum" + public + b"\x03").digest()[:2]
    expected = base64.b32encode(public + checksum + b"\x03").decode().lower()
    assert onion_address(public) == expected and len(expected) == 56
    assert check_address(expected.upper() + ".onion") == expected


@pytest.mark.parametrize("bad", ["abc", "a" * 56, "1" * 56])
def test_bad_addresses_are_refused(bad: str) -> None:
    with pytest.raises(ClientError):
        check_address(bad)


def test_service_key_round_trips_in_tor_files(tmp_path: Path) -> None:
    key = ServiceKey.generate()
    key.write(tmp_path / "hs")
    assert ServiceKey.read(tmp_path / "hs") == key
    assert (tmp_path / "hs" / "hostname").read_text() == f"{key.address}.onion\n"
    assert len((tmp_path / "hs" / "hs_ed25519_secret_key").read_bytes()) == 96
    assert key.control_blob.startswith("ED25519-V3:")
    assert len(base64.b64decode(key.control_blob.split(":")[1])) == 64
    secret = key.expanded_secret
    assert secret[0] & 7 == 0 and secret[31] & 0xC0 == 0x40  # clamped scalar


def test_state_keeps_addresses_and_modes(tmp_path: Path) -> None:
    first = State(tmp_path / "onion").open()
    addresses = (first.address("source"), first.address("journalist"))
    again = State(tmp_path / "onion").open()
    assert (again.address("source"), again.address("journalist")) == addresses
    assert addresses[0] != addresses[1]
    assert stat.S_IMODE((tmp_path / "onion").stat().st_mode) == 0o700
    for path in (tmp_path / "onion").rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path


def test_damaged_key_is_a_state_error(tmp_path: Path) -> None:
    state = State(tmp_path / "onion").open()
    (tmp_path / "onion" / "source" / "hs_ed25519_secret_key").write_bytes(b"garbage")
    with pytest.raises(StateError, match="damaged"):
        state.key("source")


def test_client_store_adds_lists_revokes(tmp_path: Path) -> None:
    state = State(tmp_path / "onion").open()
    store = state.clients
    alice = store.add("alice-laptop")
    assert alice.auth_private.startswith(state.address("journalist") + ":descriptor:x25519:")
    store.add("bob")
    assert [c.name for c in store.entries()] == ["alice-laptop", "bob"]
    assert store.public_keys()[0] == alice.keys.public_b32
    # Only the public half is kept.
    kept = b"".join(p.read_bytes() for p in (tmp_path / "onion").rglob("*") if p.is_file())
    assert alice.keys.private_b32.encode() not in kept and alice.keys.private not in kept
    with pytest.raises(ClientError, match="already authorized"):
        store.add("bob")
    store.revoke("bob")
    assert [c.name for c in store.entries()] == ["alice-laptop"]
    with pytest.raises(ClientError, match="no device named"):
        store.revoke("bob")
    for bad in ("../x", "", "a b", "-x"):
        with pytest.raises(ClientError):
            store.add(bad)
