"""Recognising an armored, encrypted OpenPGP message without gpg: armor, checksum, first packet,
the recipients' key ids."""

from __future__ import annotations

import base64
import re
import subprocess

import pytest

from sealdrop.crypto.armor import (
    crc24,
    dearmor_message,
    first_packet_tag,
    is_encrypted_message,
    session_key_ids,
)
from tests.gpg_keys import read_key
from tests.harness import ReaderKeys
from tests.journalist_interface.api.client import encrypt_reply


def armor(data: bytes, *, checksum: bool = True, headers: str = "") -> str:
    body = base64.b64encode(data).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    tail = ["=" + base64.b64encode(crc24(data).to_bytes(3, "big")).decode()] if checksum else []
    return "\n".join(
        [
            "-----BEGIN PGP MESSAGE-----",
            *headers.splitlines(),
            "",
            *lines,
            *tail,
            "-----END PGP MESSAGE-----",
        ]
    )


def test_crc24_known_answer() -> None:
    # RFC 4880's CRC-24 of the empty string is its initial value; of "123456789", 0x21cf02.
    assert crc24(b"") == 0xB704CE
    assert crc24(b"123456789") == 0x21CF02


def test_gpg_s_own_encrypted_message_is_recognised(reader_keys: ReaderKeys) -> None:
    armored = encrypt_reply("hello", [reader_keys.public_key])
    assert is_encrypted_message(armored)
    assert is_encrypted_message(armored.replace("\n", "\r\n"))


@pytest.mark.parametrize(
    ("first", "tag"),
    [(bytes([0x84, 0x0C]), 1), (bytes([0xC1, 0x0C]), 1), (bytes([0x8C, 0x0D]), 3), (b"\xcb", 11)],
)
def test_first_packet_tag_in_both_header_formats(first: bytes, tag: int) -> None:
    assert first_packet_tag(first + b"\x00" * 12) == tag


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain words",
        armor(b"\xcb\x05hello"),  # literal data: a message, not an encrypted one
        armor(b"\x7f\x00\x00"),  # not a packet at all
        armor(bytes([0xC1, 0x0C]) + b"\x00" * 12).replace("MESSAGE", "PUBLIC KEY BLOCK"),
        "-----BEGIN PGP MESSAGE-----\n\n!!!!\n-----END PGP MESSAGE-----",
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    assert not is_encrypted_message(text)


def test_a_wrong_checksum_is_refused_and_a_missing_one_allowed() -> None:
    data = bytes([0xC1, 0x0C]) + b"\x01" * 12
    assert is_encrypted_message(armor(data))
    assert is_encrypted_message(armor(data, checksum=False, headers="Version: GnuPG v2"))
    broken = armor(data).replace(armor(data).splitlines()[-2], "=AAAA")
    assert dearmor_message(broken) is None


def listed_key_ids(reader_keys: ReaderKeys, armored: str) -> list[str]:
    """The recipients' key ids as gpg's own packet dump names them."""
    done = subprocess.run(
        ["gpg", "--homedir", str(reader_keys.gpg.home), "--batch", "--list-packets"],
        input=armored.encode(),
        capture_output=True,
        check=False,
    )
    return re.findall(r"keyid ([0-9A-F]{16})", done.stdout.decode())


def test_session_key_ids_are_the_ones_gpg_lists(reader_keys: ReaderKeys) -> None:
    other = read_key("rsa2048+cv25519")
    armored = encrypt_reply("hello", [reader_keys.public_key, other])
    ids = session_key_ids(dearmor_message(armored) or b"")
    assert len(ids) == 2
    assert ids == listed_key_ids(reader_keys, armored)


@pytest.mark.parametrize(
    ("data", "ids"),
    [
        # old format, one-byte length; then new format, two-byte length (192 + 0)
        (b"\x84\x0a\x03" + bytes(range(1, 9)) + b"\x01", ["0102030405060708"]),
        (b"\xc1\xc0\x00\x03" + b"\xab" * 8 + b"\x01" * 189, ["ABABABABABABABAB"]),
        (
            b"\x84\x0a\x03" + b"\x00" * 8 + b"\x01" + b"\x84\x0a\x03" + b"\xee" * 8 + b"\x01",
            ["0000000000000000", "EEEEEEEEEEEEEEEE"],
        ),
        (b"\x84\x0a\x03" + b"\x01" * 4, []),  # cut short
        (b"\x84\x0a\x06" + b"\x01" * 9, []),  # a version this parser does not read
        (b"\xcb\x05hello", []),  # literal data, no session key
        (b"", []),
    ],
)
def test_session_key_ids_from_hand_made_packets(data: bytes, ids: list[str]) -> None:
    assert session_key_ids(data) == ids
