"""Recognising an armored, encrypted OpenPGP message without gpg: armor, checksum, first packet."""

from __future__ import annotations

import base64

import pytest

from sealdrop.crypto.armor import crc24, dearmor_message, first_packet_tag, is_encrypted_message
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
