"""ASCII armor without gpg: an armored message or public key's packets and checksum, the
packets' tags, and the key ids a message's session key packets name."""

from __future__ import annotations

import base64
import binascii
import re

MESSAGE = "MESSAGE"
PUBLIC_KEY = "PUBLIC KEY BLOCK"
# An encrypted message starts with a session key for a public key (tag 1) or a passphrase (tag 3).
SESSION_KEY_TAGS = frozenset({1, 3})
HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*: .*$")
CRC24_INIT = 0xB704CE
CRC24_POLY = 0x1864CFB
CRC24_MASK = 0xFFFFFF
CHECKSUM_LENGTH = 5  # "=" and four base64 characters
NEW_FORMAT = 0x40
PACKET_BIT = 0x80
PUBLIC_KEY_SESSION_KEY = 1
# Old-format length types 0, 1 and 2: the length's size in bytes (3 is "until the end").
OLD_LENGTH_BYTES = {0: 1, 1: 2, 2: 4}
ONE_OCTET_LIMIT = 192
TWO_OCTET_LIMIT = 224
FIVE_OCTETS = 255
V3_KEY_ID = slice(1, 9)


def _crc24_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= CRC24_POLY
        table.append(crc & CRC24_MASK)
    return tuple(table)


_CRC24_TABLE = _crc24_table()


def crc24(data: bytes) -> int:
    """The armor checksum of RFC 4880, section 6.1, a byte at a time (a 2 MB reply: ~0.3 s)."""
    crc = CRC24_INIT
    table = _CRC24_TABLE
    for byte in data:
        crc = ((crc << 8) & CRC24_MASK) ^ table[(crc >> 16) ^ byte]
    return crc


def _body_lines(text: str, block: str) -> list[str] | None:
    lines = [line.rstrip(" \t\r") for line in text.strip().split("\n")]
    begin, end = f"-----BEGIN PGP {block}-----", f"-----END PGP {block}-----"
    if len(lines) < 3 or lines[0] != begin or lines[-1] != end:  # noqa: PLR2004 - begin, data, end
        return None
    inner = lines[1:-1]
    while inner and HEADER_LINE.match(inner[0]):
        inner = inner[1:]
    if inner and inner[0] == "":
        inner = inner[1:]
    return inner


def dearmor_message(text: str) -> bytes | None:
    """The packets of an armored `PGP MESSAGE`, or None if the armor or its checksum is wrong."""
    return _dearmor(text, MESSAGE)


def dearmor_public_key(text: str) -> bytes | None:
    """The packets of one armored `PGP PUBLIC KEY BLOCK` (nothing around it), or None if the
    armor or its checksum is wrong."""
    return _dearmor(text, PUBLIC_KEY)


def _dearmor(text: str, block: str) -> bytes | None:
    inner = _body_lines(text, block)
    if not inner:
        return None
    checksum: bytes | None = None
    if inner[-1].startswith("=") and len(inner[-1]) == CHECKSUM_LENGTH:
        try:
            checksum = base64.b64decode(inner[-1][1:], validate=True)
        except binascii.Error:
            return None
        inner = inner[:-1]
    try:
        data = base64.b64decode("".join(inner), validate=True)
    except binascii.Error:
        return None
    if checksum is not None and int.from_bytes(checksum, "big") != crc24(data):
        return None
    return data


def first_packet_tag(data: bytes) -> int | None:
    """The tag of the first packet, in the old or the new header format (RFC 4880, 4.2)."""
    if not data or not data[0] & PACKET_BIT:
        return None
    if data[0] & NEW_FORMAT:
        return data[0] & 0x3F
    return (data[0] >> 2) & 0x0F


def _packet_at(data: bytes, offset: int) -> tuple[int, int, int] | None:
    """(tag, body start, body end) of the packet at `offset`, or None if there is none whole.

    Partial and indeterminate lengths are not followed: session key packets never use them.
    """
    if offset >= len(data) or not data[offset] & PACKET_BIT:
        return None
    first = data[offset]
    if first & NEW_FORMAT:
        tag, size = first & 0x3F, data[offset + 1 : offset + 2]
        if not size:
            return None
        if size[0] < ONE_OCTET_LIMIT:
            length, start = size[0], offset + 2
        elif size[0] < TWO_OCTET_LIMIT and offset + 2 < len(data):
            length = ((size[0] - ONE_OCTET_LIMIT) << 8) + data[offset + 2] + ONE_OCTET_LIMIT
            start = offset + 3
        elif size[0] == FIVE_OCTETS:
            length, start = int.from_bytes(data[offset + 2 : offset + 6], "big"), offset + 6
        else:
            return None
    else:
        tag, kind = (first >> 2) & 0x0F, first & 0x03
        if kind not in OLD_LENGTH_BYTES:
            return None
        start = offset + 1 + OLD_LENGTH_BYTES[kind]
        length = int.from_bytes(data[offset + 1 : start], "big")
    end = start + length
    return (tag, start, end) if end <= len(data) else None


def packet_tags(data: bytes) -> list[int] | None:
    """The tags of the packets that fill `data` one after the other, or None if they do not."""
    tags, offset = [], 0
    while (packet := _packet_at(data, offset)) is not None:
        tags.append(packet[0])
        offset = packet[2]
    return tags if offset == len(data) else None


def session_key_ids(data: bytes) -> list[str]:
    """The key ids (16 hex digits) of the public keys a message is encrypted to, from its
    leading session key packets (version 3; an all-zero id is a hidden recipient)."""
    ids, offset = [], 0
    while (packet := _packet_at(data, offset)) is not None:
        tag, start, end = packet
        if tag != PUBLIC_KEY_SESSION_KEY:
            break
        body = data[start:end]
        if len(body) >= V3_KEY_ID.stop and body[0] == 3:  # noqa: PLR2004 - the packet version
            ids.append(body[V3_KEY_ID].hex().upper())
        offset = end
    return ids


def is_encrypted_message(text: str) -> bool:
    """True for an armored OpenPGP message that opens with an encrypted session key."""
    data = dearmor_message(text)
    return data is not None and first_packet_tag(data) in SESSION_KEY_TAGS
