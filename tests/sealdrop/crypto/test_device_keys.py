"""Device keys in Tor's formats: a known answer, and the same lines as `onion/` writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onion.keys import ClientKeyPair, parse_auth_line
from sealdrop.crypto.device_keys import DeviceKeyPair, bare_onion, fingerprint, parse_public

VECTOR = json.loads((Path(__file__).parents[2] / "vectors" / "device_keys.json").read_text())


def test_known_answer_from_rfc_7748_keys() -> None:
    keys = DeviceKeyPair.from_private(bytes.fromhex(VECTOR["private_hex"]))
    assert keys.public == bytes.fromhex(VECTOR["public_hex"])
    assert keys.auth_line() == VECTOR["auth_line"]
    assert keys.private_line(VECTOR["onion"]) == VECTOR["private_line"]
    assert fingerprint(keys.public_b32) == VECTOR["fingerprint"]


def test_the_core_and_the_onion_program_write_the_same_lines_for_the_same_key() -> None:
    for _ in range(20):
        core = DeviceKeyPair.generate()
        onion = ClientKeyPair(core.private, core.public)
        assert core.auth_line() == onion.auth_line()
        assert core.private_line(VECTOR["onion"]) == onion.auth_private_line(VECTOR["onion"])
        # What the onion program reads back from a spooled file is the core's public key.
        assert parse_auth_line(core.auth_line() + "\n") == core.public_b32
        assert parse_public(core.auth_line()) == core.public_b32


def test_fresh_pairs_differ_and_the_private_half_is_not_in_the_service_line() -> None:
    first, second = DeviceKeyPair.generate(), DeviceKeyPair.generate()
    assert first.private != second.private
    private_part = first.private_line(VECTOR["onion"]).rsplit(":", 1)[1]
    assert private_part not in first.auth_line()


@pytest.mark.parametrize(
    "line", ["", "descriptor:x25519:", "descriptor:x25519:" + "a" * 52, "x25519:" + "A" * 52]
)
def test_malformed_service_lines_are_not_keys(line: str) -> None:
    assert parse_public(line) is None


@pytest.mark.parametrize("address", ["", "example.com", "a" * 55 + ".onion", "A1" * 28])
def test_addresses_that_are_not_v3_onions_are_refused(address: str) -> None:
    assert bare_onion(address) is None
    with pytest.raises(ValueError, match="v3 onion"):
        DeviceKeyPair.generate().private_line(address)


def test_an_onion_address_is_taken_with_or_without_its_suffix() -> None:
    assert bare_onion(VECTOR["onion"].upper()) == VECTOR["onion"].removesuffix(".onion")
