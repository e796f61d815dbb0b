"""The streaming gzip writer: standard gzip out, the safe original name kept in the header."""

from __future__ import annotations

import gzip
import io
import os

import pytest

from sealdrop.crypto.compress import MAX_NAME_BYTES, SAMPLE_BYTES, GzipWriter, safe_member_name


def compress(data: bytes, *, chunk: int, name: str = "file.txt") -> bytes:
    out = io.BytesIO()
    writer = GzipWriter(out.write, member_name=name)
    for offset in range(0, len(data), chunk):
        writer.write(data[offset : offset + chunk])
    writer.close()
    assert writer.plaintext_size == len(data)
    return out.getvalue()


def header_name(member: bytes) -> bytes:
    """FNAME as RFC 1952 lays it out: flag 0x08 in byte 3, a NUL-terminated name from byte 10."""
    assert member[:3] == b"\x1f\x8b\x08"
    assert member[3] & 0x08
    return member[10 : member.index(b"\x00", 10)]


@pytest.mark.parametrize(
    ("size", "chunk"),
    [
        (0, 1),
        (1, 1),
        (1000, 7),
        (65_537, 4096),
        (3 * 1024 * 1024 + 5, 65_536),
        (1_500_000, 100_003),
    ],
)
def test_output_gunzips_to_the_input(size: int, chunk: int) -> None:
    data = os.urandom(size // 2) + bytes(size - size // 2)  # half noise, half compressible

    member = compress(data, chunk=chunk)

    assert gzip.decompress(member) == data
    with gzip.GzipFile(fileobj=io.BytesIO(member)) as reader:
        assert reader.read() == data  # the CRC and size trailer are checked here


def test_compressible_data_shrinks() -> None:
    assert len(compress(b"a" * 1_000_000, chunk=10_000)) < 10_000


def test_member_name_is_stored() -> None:
    assert header_name(compress(b"x", chunk=1, name="report 2024.pdf")) == b"report 2024.pdf"


def test_stored_name_is_the_safe_one() -> None:
    member = compress(b"x", chunk=1, name="../../secret/\u00e9t\u00e9.txt")
    assert header_name(member).decode("utf-8") == "\u00e9t\u00e9.txt"
    assert gzip.decompress(member) == b"x"


def test_nothing_written_is_still_a_valid_member() -> None:
    member = compress(b"", chunk=1, name="")
    assert header_name(member) == b"upload"
    assert gzip.decompress(member) == b""


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("/etc/shadow", "shadow"),
        ("C:\\x\\y", "y"),
        ("C:\\Users\\me\\..\\secret.docx", "secret.docx"),
        ("a\x00b.txt", "ab.txt"),
        ("line\nbreak\r.txt", "linebreak.txt"),
        ("\x1b[31mred.txt", "[31mred.txt"),
        ("evil\u202etxt.exe", "eviltxt.exe"),  # right-to-left override
        ("..hidden", "hidden"),
        (".bashrc", "bashrc"),
        ("  spaced  ", "spaced"),
        ("e\u0301te\u0301.txt", "\u00e9t\u00e9.txt"),  # NFC
        ("..", "upload"),
        ("dir/", "upload"),
        ("\x00\x01", "upload"),
        ("", "upload"),
        (None, "upload"),
    ],
)
def test_safe_member_name(given: str | None, expected: str) -> None:
    assert safe_member_name(given) == expected


@pytest.mark.parametrize("character", ["a", "\u00e9", "\u65e5", "\U0001f600"])
def test_long_names_are_cut_on_a_character_boundary(character: str) -> None:
    name = "x" + character * 400

    safe = safe_member_name(name)

    encoded = safe.encode("utf-8")
    assert len(encoded) <= MAX_NAME_BYTES
    assert len(encoded) > MAX_NAME_BYTES - len(character.encode("utf-8"))
    assert safe == "x" + character * (len(safe) - 1)


def test_incompressible_input_is_stored_at_copy_speed_and_still_gunzips() -> None:
    data = os.urandom(SAMPLE_BYTES * 3 + 5)
    out = io.BytesIO()
    writer = GzipWriter(out.write, member_name="video.mp4")
    for offset in range(0, len(data), 64 * 1024):
        writer.write(data[offset : offset + 64 * 1024])
    writer.close()
    assert writer.compressing is False
    assert len(out.getvalue()) < len(data) * 1.001
    assert gzip.decompress(out.getvalue()) == data


def test_compressible_input_stays_compressed_past_the_sample() -> None:
    data = b"quarterly figures, " * (SAMPLE_BYTES // 8)
    out = io.BytesIO()
    writer = GzipWriter(out.write, member_name="report.csv")
    writer.write(data)
    writer.close()
    assert writer.compressing is True
    assert gzip.decompress(out.getvalue()) == data


def test_switching_to_stored_blocks_mid_stream_keeps_every_byte() -> None:
    noise, text = os.urandom(SAMPLE_BYTES + 100), b"plain text follows " * 100_000
    member = compress(noise + text, chunk=300_001)
    assert gzip.decompress(member) == noise + text
