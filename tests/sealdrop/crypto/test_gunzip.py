"""GzipReader: the reader's streaming gunzip, its file name, and what it refuses."""

from __future__ import annotations

import gzip
import io
import os
import struct
import zlib
from collections.abc import Callable

import pytest

from sealdrop.crypto.compress import MAX_HEADER_BYTES, GzipFormatError, GzipReader, GzipWriter


def member(data: bytes, name: str) -> bytes:
    out = io.BytesIO()
    writer = GzipWriter(out.write, member_name=name)
    writer.write(data)
    writer.close()
    return out.getvalue()


def gunzip(raw: bytes, step: int) -> tuple[bytes, str | None, int]:
    reader = GzipReader()
    pieces = [p for i in range(0, len(raw), step) for p in reader.feed(raw[i : i + step])]
    reader.close()
    return b"".join(pieces), reader.name, max(map(len, pieces), default=0)


@pytest.mark.parametrize("step", [1, 9, 4096, 1 << 22])
def test_what_the_server_writes_comes_back_with_its_name(step: int) -> None:
    data = os.urandom(1_500_000) + b"\x00" * 3_000_000
    raw = member(data, "Relevé 2024.pdf")
    if step == 1:
        raw, data = member(b"short text", "a.txt"), b"short text"
    got, name, _ = gunzip(raw, step)
    assert got == data
    assert name == ("a.txt" if step == 1 else "Relevé 2024.pdf")


def test_a_member_without_a_name_and_with_extra_fields() -> None:
    assert gunzip(gzip.compress(b"plain"), 3)[:2] == (b"plain", None)
    body = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = body.compress(b"x") + body.flush()
    header = b"\x1f\x8b\x08\x1e" + bytes(6) + b"\x02\x00ab" + b"n\x00" + b"comment\x00" + b"cc"
    raw = header + deflated + struct.pack("<II", zlib.crc32(b"x"), 1)
    assert gunzip(raw, 2)[:2] == (b"x", "n")


def test_a_bomb_comes_out_in_bounded_pieces() -> None:
    raw = gzip.compress(b"\x00" * (64 << 20))  # 64 MiB from about 64 KB
    got, _, largest = gunzip(raw, len(raw))
    assert len(got) == 64 << 20
    assert largest <= 1 << 20


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda raw: raw[:-3], "cut short"),
        (lambda raw: raw[:6], "cut short"),
        (lambda raw: raw + b"more", "after the end"),
        (lambda raw: raw[:-8] + b"\x00" * 8, "checksum"),
        (lambda raw: b"PK\x03\x04" + raw[4:], "not gzip data"),
        (lambda raw: raw[:3] + b"\x08" + bytes(6) + b"n" * (MAX_HEADER_BYTES + 1), "too long"),
    ],
)
def test_damaged_members_are_refused(damage: Callable[[bytes], bytes], message: str) -> None:
    raw = damage(member(b"content " * 1000, "f.txt"))
    with pytest.raises(GzipFormatError, match=message):
        gunzip(raw, 100)
